//! Capture on a machine (SPEC §6): tmux hooks record pane activity into the event log.
//!
//! This is the hot path of tt: it runs on every pane switch. It reads the identity
//! file, a few of git's files and the end of the log; it never opens the database,
//! never loads the configuration, never scans a directory and never spawns a process.

pub mod git;
pub mod tmux;

use std::path::Path;

use anyhow::Result;

use crate::event::{Event, source};
use crate::eventlog;
use crate::machine::Machine;
use crate::paths::Paths;

/// What a tmux hook observed: a pane got focus or entered copy mode.
#[derive(Debug, Clone)]
pub struct PaneActivity<'a> {
    /// `event::kind::PANE_FOCUS` or `event::kind::SCROLL`.
    pub kind: &'static str,
    /// tmux pane id (`%3`): the debounce key and the event id's discriminator.
    pub pane_id: &'a str,
    /// The pane's current directory; tmux reports an empty one while a new pane's shell
    /// is starting, which is recorded as no cwd.
    pub cwd: &'a Path,
    pub session_name: &'a str,
    pub window_index: Option<u32>,
}

/// Appends the event for `activity` to this machine's log unless the same pane had
/// one within the debounce interval. Returns the event written, `None` when debounced.
pub fn record_pane_activity(
    paths: &Paths,
    machine: &Machine,
    activity: &PaneActivity,
) -> Result<Option<Event>> {
    let cwd = (!activity.cwd.as_os_str().is_empty()).then_some(activity.cwd);
    // Looked up before taking the log's lock, to hold it as briefly as possible.
    let git_project = cwd.and_then(git::project_for);
    let machine_id = machine.id();
    eventlog::append_debounced(&paths.event_log(), activity.pane_id, |now| {
        let mut event = Event::new(&machine_id, source::TMUX, activity.kind, now, activity.pane_id);
        event.pane_id = Some(activity.pane_id.to_string());
        event.session_name = Some(activity.session_name.to_string());
        event.window_index = activity.window_index;
        event.cwd = cwd.map(|cwd| cwd.to_string_lossy().into_owned());
        event.git_project = git_project;
        event
    })
}
