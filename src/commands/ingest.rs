//! `tt ingest`: record observations in this machine's event log.

use anyhow::Result;

use super::Ctx;
use crate::capture::{self, PaneActivity};
use crate::cli::{IngestArgs, IngestCommand, PaneEventArgs};
use crate::event::kind;
use crate::machine::Machine;
use crate::paths::Paths;

pub fn run(args: &IngestArgs, ctx: &Ctx) -> Result<()> {
    match (&args.command, pane_event(args)) {
        (_, Some((kind, pane))) => record_pane_event(kind, pane, &ctx.paths),
        (IngestCommand::Sessions(sessions), None) => super::ingest_sessions::run(sessions, ctx),
        (_, None) => unreachable!("pane_event covers every tmux subcommand"),
    }
}

/// The event type and arguments of the tmux subcommands. They run on every pane switch
/// and need only the data directory, so `dispatch` runs them without loading the
/// configuration; `None` for subcommands that need it.
pub fn pane_event(args: &IngestArgs) -> Option<(&'static str, &PaneEventArgs)> {
    match &args.command {
        IngestCommand::PaneFocus(pane) => Some((kind::PANE_FOCUS, pane)),
        IngestCommand::Scroll(pane) => Some((kind::SCROLL, pane)),
        IngestCommand::Sessions(_) => None,
    }
}

pub fn record_pane_event(kind: &'static str, args: &PaneEventArgs, paths: &Paths) -> Result<()> {
    if args.pane.is_empty() {
        anyhow::bail!("--pane is empty: pass the tmux pane id, e.g. --pane=%3");
    }
    let machine = Machine::require(paths)?;
    let activity = PaneActivity {
        kind,
        pane_id: &args.pane,
        cwd: &args.cwd,
        session_name: &args.session,
        window_index: args.window,
    };
    capture::record_pane_activity(paths, &machine, &activity)?;
    Ok(())
}
