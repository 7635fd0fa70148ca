//! Capture on a machine (SPEC §6): tmux hooks record pane activity and what the
//! terminal around tmux did into the event log.
//!
//! This is the hot path of tt: it runs on every pane switch. It reads the identity
//! file, a few of git's files and the end of the log; it never opens the database,
//! never loads the configuration, never scans a directory and never spawns a process.

pub mod git;
pub mod tmux;

use std::path::Path;

use anyhow::Result;

use crate::event::{Event, Timestamp, kind, source};
use crate::eventlog::LockedLog;
use crate::machine::Machine;
use crate::paths::Paths;

/// Two events with one debounce key closer than this are one observation: tmux fires
/// several hooks for one pane switch (focus-in, select-pane, window change), and the
/// hooks of an older tt (appended on every `source-file`) may still be installed in a
/// running tmux.
pub const DEBOUNCE_MS: i64 = 500;

/// What a tmux hook observed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Observed {
    /// A pane got focus (`tmux_pane_focus`).
    PaneFocus,
    /// A pane entered copy mode (`tmux_scroll`).
    Scroll,
    /// The terminal around tmux gained or lost focus, or a client attached or
    /// detached (`tmux_client`).
    Client(ClientAction),
}

/// The `action` of a `tmux_client` event; the names are the wire values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum ClientAction {
    /// The terminal window gained focus (tmux `client-focus-in`).
    FocusIn,
    /// The terminal window lost focus (tmux `client-focus-out`).
    FocusOut,
    /// A client attached to a session (tmux `client-attached`).
    Attached,
    /// A client detached (tmux `client-detached`).
    Detached,
}

impl ClientAction {
    pub fn as_str(self) -> &'static str {
        match self {
            ClientAction::FocusIn => "focus_in",
            ClientAction::FocusOut => "focus_out",
            ClientAction::Attached => "attached",
            ClientAction::Detached => "detached",
        }
    }
}

/// What a tmux hook passes: the observation and the pane it concerns (for a client
/// event, the client's active pane).
#[derive(Debug, Clone)]
pub struct TmuxActivity<'a> {
    pub observed: Observed,
    /// The tmux server's socket path (`#{socket_path}`), when the hook passed it. Pane
    /// ids are per server: `%3` of `tmux -L work` is not `%3` of the default server.
    pub server: Option<&'a str>,
    /// tmux pane id (`%3`).
    pub pane_id: &'a str,
    /// The pane's current directory; tmux reports an empty one while a new pane's shell
    /// is starting, which is recorded as no cwd.
    pub cwd: &'a Path,
    pub session_name: &'a str,
    pub window_index: Option<u32>,
}

impl TmuxActivity<'_> {
    fn kind(&self) -> &'static str {
        match self.observed {
            Observed::PaneFocus => kind::PANE_FOCUS,
            Observed::Scroll => kind::SCROLL,
            Observed::Client(_) => kind::CLIENT,
        }
    }

    /// What the debounce compares besides the server: the pane for pane events (focus
    /// and scroll of one pane are one key), the action for client events.
    fn key(&self) -> &str {
        match self.observed {
            Observed::PaneFocus | Observed::Scroll => self.pane_id,
            Observed::Client(action) => action.as_str(),
        }
    }

    /// The substrings of the JSON line of every event that may have this activity's
    /// key, so the debounce parses only those (see [`LockedLog::last_match`]): the end
    /// of the id, which is the key alone or the key, `@` and a server.
    fn needles(&self) -> [String; 2] {
        let quoted = serde_json::Value::from(self.key()).to_string();
        let key = &quoted[1..quoted.len() - 1];
        [format!(":{key}\""), format!(":{key}@")]
    }

    /// Whether `event` has this activity's debounce key: same server, same pane (pane
    /// events) or same action (client events). An event that names no server (from a
    /// hand-written hook, or hooks of an older tt still installed in a running tmux
    /// beside the new ones) could be from any server, so it matches all of them.
    fn same_key(&self, event: &Event) -> bool {
        if let (Some(theirs), Some(ours)) = (event.tmux_server.as_deref(), self.server)
            && theirs != ours
        {
            return false;
        }
        match self.observed {
            Observed::PaneFocus | Observed::Scroll => {
                (event.kind == kind::PANE_FOCUS || event.kind == kind::SCROLL)
                    && event.pane_id.as_deref() == Some(self.pane_id)
            }
            Observed::Client(action) => {
                event.kind == kind::CLIENT && event.action.as_deref() == Some(action.as_str())
            }
        }
    }

    /// The id's discriminator: the key, and the server when known. The debounce keeps
    /// one event per key and server within 500 ms, so ids never collide.
    fn discriminator(&self) -> String {
        match self.server {
            Some(server) => format!("{}@{server}", self.key()),
            None => self.key().to_string(),
        }
    }
}

/// Appends the event for `activity` to this machine's log unless one with the same
/// debounce key is less than [`DEBOUNCE_MS`] from now (either side: the clock may step
/// back). `clock` is read under the log's lock, so events enter the log in time order
/// and racing hooks see each other. Returns the event written, `None` when debounced.
pub fn record(
    paths: &Paths,
    machine: &Machine,
    activity: &TmuxActivity,
    clock: impl FnOnce() -> Timestamp,
) -> Result<Option<Event>> {
    let cwd = (!activity.cwd.as_os_str().is_empty()).then_some(activity.cwd);
    // Looked up before taking the log's lock, to hold it as briefly as possible.
    let git_project = cwd.and_then(git::project_for);
    let machine_id = machine.id();
    let needles = activity.needles();

    let mut log = LockedLog::open(&paths.event_log())?;
    let now = clock();
    let prefilter = |line: &str| needles.iter().any(|needle| line.contains(needle.as_str()));
    if let Some(previous) = log.last_match(prefilter, |event| activity.same_key(event))?
        && (now.as_millis() - previous.as_millis()).abs() < DEBOUNCE_MS
    {
        return Ok(None);
    }
    let mut event = Event::new(
        &machine_id,
        source::TMUX,
        activity.kind(),
        now,
        &activity.discriminator(),
    );
    if let Observed::Client(action) = activity.observed {
        event.action = Some(action.as_str().to_string());
    }
    // A client event still counts when tmux could name no pane (the session is gone).
    event.pane_id = (!activity.pane_id.is_empty()).then(|| activity.pane_id.to_string());
    event.session_name = Some(activity.session_name.to_string());
    event.window_index = activity.window_index;
    event.tmux_server = activity.server.map(str::to_string);
    event.cwd = cwd.map(|cwd| cwd.to_string_lossy().into_owned());
    event.git_project = git_project;
    log.append(std::slice::from_ref(&event))?;
    Ok(Some(event))
}
