//! The machine's append-only event log, `$XDG_DATA_HOME/tt/events.jsonl`.
//!
//! Everything this machine observes goes through here: tmux hook events and the
//! events derived from Claude Code logs. The log's order is the export order, so a
//! byte position in it is the sync cursor (see `export`).
//!
//! Writers take an exclusive `flock` on the log for the whole append and write each
//! batch with one `write` on an `O_APPEND` descriptor. The lock is what makes
//! concurrency safe: it serialises hook processes, so no two writes can interleave
//! whatever their size or the file system (POSIX promises nothing for large appends,
//! NFS even less), and it makes the debounce's read-then-append atomic, so two racing
//! hooks for one pane cannot both pass it. `O_APPEND` keeps every batch at the end even
//! if a writer without the lock ever appears.
//!
//! A writer that died in the middle of a line (power loss, `kill -9` between two
//! partial writes) leaves a torn last line; the next append starts on a new line so
//! only the torn line is lost, never the one written after it.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::Path;

use anyhow::{Context, Result};

use crate::event::{Event, Timestamp};
use crate::paths::ensure_private_dir;

/// How much of the log's end [`LockedLog::last_match`] reads: about fifty tmux events.
/// Enough for the events of the last 500 ms (the capture's debounce), and a constant
/// cost however large the log grows.
const RECENT_TAIL_BYTES: u64 = 16 * 1024;

/// An open, exclusively locked log; the lock is released on drop.
pub struct LockedLog {
    file: File,
}

impl LockedLog {
    /// Opens (creating, 0600, in a 0700 directory) and locks the log, waiting for
    /// other writers.
    pub fn open(path: &Path) -> Result<LockedLog> {
        if let Some(parent) = path.parent() {
            ensure_private_dir(parent)?;
        }
        // Readable too: the debounce and the torn-line check read the end of the log.
        let file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .mode(0o600)
            .open(path)
            .with_context(|| format!("cannot open {} for appending", path.display()))?;
        file.lock()
            .with_context(|| format!("cannot lock {}", path.display()))?;
        Ok(LockedLog { file })
    }

    fn len(&self) -> Result<u64> {
        Ok(self
            .file
            .metadata()
            .context("cannot read the event log's size")?
            .len())
    }

    /// The last `max` bytes of the log (fewer when it is shorter), and whether they
    /// start at the beginning of the file, that is, with a whole line.
    fn tail(&self, max: u64) -> Result<(Vec<u8>, bool)> {
        let len = self.len()?;
        let start = len.saturating_sub(max);
        let mut buf = vec![0; (len - start) as usize];
        self.file
            .read_exact_at(&mut buf, start)
            .context("cannot read the event log")?;
        Ok((buf, start == 0))
    }

    /// Appends the events as JSONL in a single write; returns the log's length after.
    pub fn append(&mut self, events: &[Event]) -> Result<u64> {
        if !events.is_empty() {
            let mut buf = String::with_capacity(events.len() * 256 + 1);
            let (last, _) = self.tail(1)?;
            if last.first().is_some_and(|&b| b != b'\n') {
                buf.push('\n');
            }
            for event in events {
                buf.push_str(&event.to_json());
                buf.push('\n');
            }
            self.file
                .write_all(buf.as_bytes())
                .context("cannot append to the event log")?;
        }
        self.len()
    }

    /// The timestamp of the newest event that `accept` takes among those in the last
    /// [`RECENT_TAIL_BYTES`] of the log whose line passes `prefilter`.
    ///
    /// Most lines are other panes' events: a substring test on the line spares parsing
    /// them; `accept` confirms on the parsed event. (std's `contains` rather than
    /// memchr's SIMD search: its CPU feature detection costs more than searching
    /// 16 KiB, in a process that lives one millisecond.)
    pub fn last_match(
        &self,
        prefilter: impl Fn(&str) -> bool,
        accept: impl Fn(&Event) -> bool,
    ) -> Result<Option<Timestamp>> {
        let (tail, whole) = self.tail(RECENT_TAIL_BYTES)?;
        let lines = match whole {
            true => &tail[..],
            // The first line is cut; the next starts after its newline.
            false => tail
                .iter()
                .position(|&b| b == b'\n')
                .map_or(&[][..], |i| &tail[i + 1..]),
        };
        for line in lines.rsplit(|&b| b == b'\n') {
            let Ok(line) = std::str::from_utf8(line) else {
                continue;
            };
            if !prefilter(line) {
                continue;
            }
            if let Ok(event) = serde_json::from_str::<Event>(line)
                && accept(&event)
            {
                return Ok(Some(event.timestamp));
            }
        }
        Ok(None)
    }
}

/// Appends `events` to the log at `path` under the lock; returns the log's length after.
pub fn append(path: &Path, events: &[Event]) -> Result<u64> {
    LockedLog::open(path)?.append(events)
}
