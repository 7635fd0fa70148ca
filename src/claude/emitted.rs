//! `$XDG_STATE_HOME/tt/claude-emitted.bin`: which Claude-derived events are already
//! in the event log, so that none is ever appended twice.
//!
//! Why it matters: the sync cursor is an event id, found by searching the log
//! backwards. If an event were in the log twice, a cursor naming it would be found at
//! its later copy and the events between the two copies would never be exported. A
//! log is read again from the start when it was replaced or shrank, when the manifest
//! is lost, and Claude Code copies records into a new log when a session is resumed:
//! each of these derives events that were appended before.
//!
//! The file holds 64-bit hashes of the ids (8 bytes per event) and the event-log
//! length they account for. On load, whatever the log gained since (tmux events, or
//! events appended by a scan that crashed before saving this file) is read and added,
//! so the set always matches the log; when the file is missing or the log shrank,
//! the whole log is read once. A hash collision could only drop an event whose 64-bit
//! hash equals another's: about one chance in 10^8 for a million events.

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufRead, BufReader, Seek, SeekFrom};
use std::path::Path;

use anyhow::{Context, Result};

use crate::event::{Event, source};
use crate::paths::{Paths, write_private_atomic};

const MAGIC: &[u8; 8] = b"ttemit01";

pub struct Emitted {
    hashes: HashSet<u64>,
    /// Event-log length the hashes account for.
    log_len: u64,
}

impl Emitted {
    /// Loads the set and brings it up to date with the event log.
    pub fn load(paths: &Paths) -> Result<Emitted> {
        let mut emitted = read_file(&paths.claude_emitted()).unwrap_or(Emitted {
            hashes: HashSet::new(),
            log_len: 0,
        });
        let log_path = paths.event_log();
        let log_len = std::fs::metadata(&log_path).map(|m| m.len()).unwrap_or(0);
        if log_len < emitted.log_len {
            // The log was rotated or compacted: start over from what it holds now.
            emitted = Emitted {
                hashes: HashSet::new(),
                log_len: 0,
            };
        }
        if log_len > emitted.log_len {
            emitted.catch_up(&log_path)?;
        }
        Ok(emitted)
    }

    /// Reads the agent events appended to the log since `log_len`.
    fn catch_up(&mut self, log_path: &Path) -> Result<()> {
        let mut file = File::open(log_path).with_context(|| format!("cannot read {}", log_path.display()))?;
        file.seek(SeekFrom::Start(self.log_len))?;
        let mut reader = BufReader::with_capacity(256 * 1024, file);
        let mut line = String::new();
        let needle = format!("\"source\":\"{}\"", source::AGENT);
        loop {
            line.clear();
            let n = reader.read_line(&mut line)?;
            if n == 0 || !line.ends_with('\n') {
                break; // a half-written line is counted when complete
            }
            self.log_len += n as u64;
            if line.contains(&needle)
                && let Ok(event) = Event::from_json(line.trim_end())
            {
                self.hashes.insert(id_hash(&event.id));
            }
        }
        Ok(())
    }

    /// Drops the events already in the log (and repeats within `events`), keeping
    /// the order of the rest.
    pub fn retain_new(&mut self, events: &mut Vec<Event>) {
        events.retain(|event| self.hashes.insert(id_hash(&event.id)));
    }

    /// Saves the set as accounting for the log up to `log_len` (after the append).
    pub fn save(&mut self, paths: &Paths, log_len: u64) -> Result<()> {
        self.log_len = log_len;
        let mut bytes = Vec::with_capacity(16 + self.hashes.len() * 8);
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&self.log_len.to_le_bytes());
        for hash in &self.hashes {
            bytes.extend_from_slice(&hash.to_le_bytes());
        }
        write_private_atomic(&paths.claude_emitted(), &bytes)
    }
}

fn read_file(path: &Path) -> Option<Emitted> {
    let bytes = std::fs::read(path).ok()?;
    if bytes.len() < 16 || &bytes[..8] != MAGIC || (bytes.len() - 16) % 8 != 0 {
        return None;
    }
    let log_len = u64::from_le_bytes(bytes[8..16].try_into().ok()?);
    let hashes = bytes[16..]
        .chunks_exact(8)
        .map(|chunk| u64::from_le_bytes(chunk.try_into().expect("8 bytes")))
        .collect();
    Some(Emitted { hashes, log_len })
}

/// FNV-1a, 64 bits: stable across versions and platforms, as it is stored.
fn id_hash(id: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in id.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}
