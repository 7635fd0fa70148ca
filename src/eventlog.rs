//! The machine's append-only event log, `$XDG_DATA_HOME/tt/events.jsonl`.
//!
//! Everything this machine observes goes through here: tmux hook events and the
//! events derived from Claude Code logs. The log's order is the export order, so a
//! byte position in it is the sync cursor (see `export`).
//!
//! Writers take an exclusive `flock` on the log for the whole append and write each
//! batch with one `write` on an `O_APPEND` descriptor: the lock serialises concurrent
//! hook processes (and makes read-then-append debouncing race-free), `O_APPEND` keeps
//! every batch at the end even if a writer without the lock ever appears.

use std::fs::File;
use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};

use crate::event::Event;
use crate::paths::open_private_append;

/// An open, exclusively locked log; the lock is released on drop.
pub struct LockedLog {
    file: File,
}

impl LockedLog {
    /// Opens (creating, 0600) and locks the log, waiting for other writers.
    pub fn open(path: &Path) -> Result<LockedLog> {
        let file = open_private_append(path)?;
        file.lock()
            .with_context(|| format!("cannot lock {}", path.display()))?;
        Ok(LockedLog { file })
    }

    pub fn file(&self) -> &File {
        &self.file
    }

    /// Appends the events as JSONL in a single write; returns the log's length after.
    pub fn append(&mut self, events: &[Event]) -> Result<u64> {
        if !events.is_empty() {
            let mut buf = String::with_capacity(events.len() * 256);
            for event in events {
                buf.push_str(&event.to_json());
                buf.push('\n');
            }
            self.file
                .write_all(buf.as_bytes())
                .context("cannot append to the event log")?;
        }
        Ok(self.file.metadata()?.len())
    }
}

/// Appends `events` to the log at `path` under the lock; returns the log's length after.
pub fn append(path: &Path, events: &[Event]) -> Result<u64> {
    LockedLog::open(path)?.append(events)
}
