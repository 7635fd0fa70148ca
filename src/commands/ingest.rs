//! `tt ingest`: record observations in this machine's event log.

use anyhow::{Context, Result, bail};

use super::Ctx;
use crate::capture::{self, Observed, TmuxActivity};
use crate::cli::{IngestArgs, IngestCommand, PaneEventArgs};
use crate::event::Timestamp;
use crate::machine::Machine;
use crate::paths::Paths;

pub fn run(args: &IngestArgs, ctx: &Ctx) -> Result<()> {
    match (&args.command, tmux_event(args)) {
        (_, Some((observed, pane))) => record_tmux_event(observed, pane, &ctx.paths),
        (IngestCommand::Sessions(sessions), None) => super::ingest_sessions::run(sessions, ctx),
        (_, None) => unreachable!("tmux_event covers every tmux subcommand"),
    }
}

/// What the tmux subcommands observed, and the pane they name. They run on every pane
/// switch and need only the data directory, so `dispatch` runs them without loading
/// the configuration; `None` for subcommands that need it.
pub fn tmux_event(args: &IngestArgs) -> Option<(Observed, &PaneEventArgs)> {
    match &args.command {
        IngestCommand::PaneFocus(pane) => Some((Observed::PaneFocus, pane)),
        IngestCommand::Scroll(pane) => Some((Observed::Scroll, pane)),
        IngestCommand::Client(client) => Some((Observed::Client(client.action), &client.pane)),
        IngestCommand::Sessions(_) => None,
    }
}

pub fn record_tmux_event(observed: Observed, args: &PaneEventArgs, paths: &Paths) -> Result<()> {
    // A client event is worth keeping without a pane (see capture::record).
    if args.pane.is_empty() && !matches!(observed, Observed::Client(_)) {
        bail!("--pane is empty: pass the tmux pane id, e.g. --pane=%3");
    }
    let machine = Machine::require(paths)?;
    let server = args.server.as_deref().map(|server| server.to_string_lossy());
    let activity = TmuxActivity {
        observed,
        // An empty --server (a hand-written hook) is no server.
        server: server.as_deref().filter(|server| !server.is_empty()),
        pane_id: &args.pane,
        cwd: &args.cwd,
        session_name: &args.session,
        window_index: args.window,
    };
    let pinned = pinned_now()?;
    capture::record(paths, &machine, &activity, || {
        pinned.unwrap_or_else(Timestamp::now)
    })?;
    Ok(())
}

/// The hidden `TT_NOW` (RFC 3339, UTC) that tests set to pin the clock.
fn pinned_now() -> Result<Option<Timestamp>> {
    let Some(value) = std::env::var_os("TT_NOW") else {
        return Ok(None);
    };
    let value = value.to_str().context("TT_NOW is not UTF-8")?;
    Ok(Some(value.parse().context("TT_NOW")?))
}
