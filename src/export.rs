//! `tt export`: this machine's events as a wire stream (SPEC §7).
//!
//! The cursor is the id of the last event the hub received. The event log is
//! append-only and its order is the export order, so "after the cursor" means "after
//! the cursor's line in the log", whatever the timestamps: a Claude event parsed late
//! lands after the cursor even when it happened earlier. The cursor's line is found by
//! searching backwards from the end, so an incremental export costs what is new, not
//! what the log holds. Exporting writes nothing and consumes nothing: the cursor lives
//! on the hub, so a failed transfer is simply repeated.

use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;

use anyhow::{Context, Result};

use crate::config::Config;
use crate::machine::Machine;
use crate::paths::Paths;
use crate::wire::{AgentSession, End, Header, Tagged, WIRE_VERSION, tagged_line};

/// What an export wrote, for messages and tests.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ExportSummary {
    pub events: u64,
    pub sessions: u64,
    /// False when the cursor was given but not found (full export instead).
    pub cursor_found: bool,
}

/// Writes the export stream: header, events after `after`, changed sessions, end.
pub fn write_export(
    paths: &Paths,
    config: &Config,
    machine: &Machine,
    after: Option<&str>,
    out: &mut dyn Write,
) -> Result<ExportSummary> {
    let sessions = refresh_agent_events(paths, config, machine)?;
    let mut out = BufWriter::with_capacity(256 * 1024, out);
    let header = Header {
        machine_id: machine.id(),
        label: machine.label.clone(),
        tt_version: env!("CARGO_PKG_VERSION").to_string(),
        wire_version: WIRE_VERSION,
    };
    writeln!(out, "{}", tagged_line(Tagged::Header(header)))?;

    let log_path = paths.event_log();
    let mut summary = ExportSummary {
        cursor_found: after.is_none(),
        ..Default::default()
    };
    let mut start = 0;
    if let Some(mut log) = open_log(&log_path)? {
        // Only complete lines that exist now: a hook appending meanwhile is for the next sync.
        let end = complete_length(&log)?;
        if let Some(cursor) = after {
            match find_line_after(&log, end, cursor)? {
                Some(position) => {
                    start = position;
                    summary.cursor_found = true;
                }
                None => eprintln!(
                    "warning: cursor {cursor:?} is not in this machine's event log; sending everything (the hub ignores duplicates)"
                ),
            }
        }
        summary.events = copy_range(&mut log, start, end, &mut out)
            .with_context(|| format!("cannot read {}", log_path.display()))?;
    }

    for session in sessions
        .into_iter()
        .filter(|(_, changed_at)| *changed_at >= start)
    {
        writeln!(out, "{}", tagged_line(Tagged::AgentSession(session.0)))?;
        summary.sessions += 1;
    }
    let end = End {
        events: summary.events,
        sessions: summary.sessions,
    };
    writeln!(out, "{}", tagged_line(Tagged::End(end)))?;
    out.flush()?;
    Ok(summary)
}

/// Brings the event log up to date with the Claude Code logs (new derived events are
/// appended to it) and returns every session with the log length at its last change.
fn refresh_agent_events(
    _paths: &Paths,
    _config: &Config,
    _machine: &Machine,
) -> Result<Vec<(AgentSession, u64)>> {
    // Wired to the Claude scanner when it lands.
    Ok(Vec::new())
}

fn open_log(path: &Path) -> Result<Option<File>> {
    match File::open(path) {
        Ok(file) => Ok(Some(file)),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(err).with_context(|| format!("cannot open {}", path.display())),
    }
}

/// The length of the log up to and including its last newline.
fn complete_length(file: &File) -> Result<u64> {
    let len = file.metadata()?.len();
    let mut pos = len;
    let mut buf = vec![0u8; 4096];
    while pos > 0 {
        let n = buf.len().min(pos as usize);
        let from = pos - n as u64;
        file.read_exact_at(&mut buf[..n], from)?;
        if let Some(i) = memchr::memrchr(b'\n', &buf[..n]) {
            return Ok(from + i as u64 + 1);
        }
        pos = from;
    }
    Ok(0)
}

/// Block size of the backward search.
const BLOCK: usize = 256 * 1024;

/// Finds the line whose id is `cursor`, searching backwards from `end`; returns the
/// position just after that line. tt writes `"id":<json string>` first, but the key is
/// matched anywhere in the line so that logs written by other tools work too.
pub fn find_line_after(file: &File, end: u64, cursor: &str) -> Result<Option<u64>> {
    let needle = format!("\"id\":{}", serde_json::to_string(cursor)?);
    let needle = needle.as_bytes();
    let finder = memchr::memmem::FinderRev::new(needle);
    // Blocks overlap by the needle length (plus the byte after it) so a match across a
    // boundary is seen.
    let overlap = needle.len() + 1;
    let mut buf = vec![0u8; BLOCK + overlap];
    let mut block_end = end;
    loop {
        let block_start = block_end.saturating_sub(BLOCK as u64);
        let read_end = (block_end + overlap as u64).min(end);
        let len = (read_end - block_start) as usize;
        file.read_exact_at(&mut buf[..len], block_start)?;
        let mut window = &buf[..len];
        while let Some(i) = finder.rfind(window) {
            // A whole value, not the prefix of a longer id.
            let next = window.get(i + needle.len()).copied();
            let whole = match next {
                Some(b) => b == b',' || b == b'}' || b.is_ascii_whitespace(),
                None => block_start + (i + needle.len()) as u64 >= end,
            };
            if whole {
                return Ok(Some(end_of_line(file, block_start + i as u64, end)?));
            }
            window = &window[..i];
        }
        if block_start == 0 {
            return Ok(None);
        }
        block_end = block_start;
    }
}

/// The position just after the newline that ends the line containing `pos`.
fn end_of_line(file: &File, mut pos: u64, end: u64) -> Result<u64> {
    let mut scan = vec![0u8; 4096];
    while pos < end {
        let n = scan.len().min((end - pos) as usize);
        file.read_exact_at(&mut scan[..n], pos)?;
        if let Some(j) = memchr::memchr(b'\n', &scan[..n]) {
            return Ok(pos + j as u64 + 1);
        }
        pos += n as u64;
    }
    Ok(end)
}

/// Copies bytes `[start, end)` of the log to `out`; returns the number of lines.
fn copy_range(file: &mut File, start: u64, end: u64, out: &mut dyn Write) -> Result<u64> {
    file.seek(SeekFrom::Start(start))?;
    let mut remaining = end - start;
    let mut buf = vec![0u8; 256 * 1024];
    let mut lines = 0;
    while remaining > 0 {
        let n = buf.len().min(remaining as usize);
        file.read_exact(&mut buf[..n])?;
        lines += memchr::memchr_iter(b'\n', &buf[..n]).count() as u64;
        out.write_all(&buf[..n])?;
        remaining -= n as u64;
    }
    Ok(lines)
}
