//! Bringing events into the database: the merge of one remote's export (sync) and
//! `tt import` from a stream. Duplicate ids are ignored, so every path is idempotent.

use std::collections::HashSet;
use std::io::{BufRead, Write};
use std::path::Path;
use std::sync::mpsc;

use anyhow::{Context, Result};
use rayon::prelude::*;
use rusqlite::{Connection, params};
use serde::Serialize;

use super::{Store, machines, sessions};
use crate::event::Event;
use crate::paths::open_private_append;
use crate::timestamp::Timestamp;
use crate::wire::{Batch, Line, Lines, Record, Rejected};

/// What one import or merge did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    pub imported: u64,
    pub duplicates: u64,
    pub rejected: u64,
    pub sessions: u64,
}

/// The statement every event goes through. `payload` is the event's JSON line: as
/// received for `tt import` (every field kept as written), canonical for syncs.
const INSERT_EVENT: &str = "INSERT OR IGNORE INTO events
    (id, machine_id, timestamp, source, type, cwd, git_project, session_id, payload)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";

/// Inserts events with their payloads; returns (inserted, duplicates).
pub fn insert_events<'a>(
    conn: &Connection,
    events: impl IntoIterator<Item = (&'a Event, &'a str)>,
) -> Result<(u64, u64)> {
    let mut stmt = conn.prepare_cached(INSERT_EVENT)?;
    let (mut inserted, mut duplicates) = (0, 0);
    for (event, payload) in events {
        let machine_id = event.machine_id();
        let ts = event.timestamp.to_canonical();
        let ts = std::str::from_utf8(&ts).expect("ASCII digits");
        let changed = stmt.execute(params![
            event.id,
            machine_id,
            ts,
            event.source,
            event.kind,
            event.cwd,
            event.git_project,
            event.session_id,
            payload,
        ])?;
        if changed == 1 {
            inserted += 1;
        } else {
            duplicates += 1;
        }
    }
    Ok((inserted, duplicates))
}

/// Merges one remote's export in ONE transaction: its events, its session records and
/// its `machines` row (label, alias, last_sync_at, cursor). Nothing is written when
/// any step fails.
pub fn merge_remote(
    store: &mut Store,
    batch: &Batch,
    alias: Option<&str>,
    label: &str,
) -> Result<ImportSummary> {
    let machine_id = &batch.header.machine_id;
    let payloads: Vec<String> = batch.events.par_iter().map(Event::to_json).collect();
    let tx = store.conn.transaction()?;
    let (imported, duplicates) =
        insert_events(&tx, batch.events.iter().zip(payloads.iter().map(String::as_str)))?;
    for session in &batch.sessions {
        sessions::upsert(&tx, machine_id, session)?;
    }
    let now = Timestamp::now().to_string();
    machines::record_sync(
        &tx,
        machine_id,
        label,
        alias,
        Some(&now),
        batch.last_event_id(),
        Some(&batch.header.tt_version),
    )?;
    tx.commit().context("cannot commit the merge")?;
    Ok(ImportSummary {
        imported,
        duplicates,
        rejected: batch.rejected.len() as u64,
        sessions: batch.sessions.len() as u64,
    })
}

/// One quarantined line, as written to the quarantine file.
#[derive(Serialize)]
struct QuarantineEntry<'a> {
    at: String,
    origin: &'a str,
    line: u64,
    reason: &'a str,
    text: &'a str,
}

/// Appends rejected lines to the quarantine file (JSONL), so nothing is silently lost.
pub fn quarantine(path: &Path, origin: &str, rejected: &[Rejected]) -> Result<()> {
    if rejected.is_empty() {
        return Ok(());
    }
    let at = Timestamp::now().to_string();
    let mut buf = String::new();
    for r in rejected {
        let entry = QuarantineEntry {
            at: at.clone(),
            origin,
            line: r.line,
            reason: &r.reason,
            text: &r.text,
        };
        buf.push_str(&serde_json::to_string(&entry)?);
        buf.push('\n');
    }
    open_private_append(path)?
        .write_all(buf.as_bytes())
        .with_context(|| format!("cannot write the quarantine file {}", path.display()))
}

/// Lines parsed per chunk handed from the parser to the writer.
const CHUNK: usize = 16 * 1024;
/// Rows per transaction: big enough to amortise commits, small enough that a
/// concurrent report does not wait long.
const ROWS_PER_TRANSACTION: u64 = 256 * 1024;

/// A line number and the line, or why it could not be read (reason, text).
type RawLine = (u64, Result<String, (String, String)>);

enum Parsed {
    Event(Box<Event>, String, u64),
    Other(Record),
    Bad(Rejected),
}

/// `tt import`: reads JSONL (plain events, or whole exports with their header and
/// session records), imports the valid lines and returns the rejected ones, which the
/// caller quarantines. Parsing runs on rayon threads while this thread writes.
pub fn import_stream<R: BufRead + Send>(
    store: &mut Store,
    reader: R,
) -> Result<(ImportSummary, Vec<Rejected>)> {
    let (tx, rx) = mpsc::sync_channel::<Vec<Parsed>>(4);
    std::thread::scope(|scope| -> Result<(ImportSummary, Vec<Rejected>)> {
        let producer = scope.spawn(move || -> Result<()> {
            let mut lines = Lines::new(reader);
            loop {
                let mut raw: Vec<RawLine> = Vec::with_capacity(CHUNK);
                while raw.len() < CHUNK {
                    match lines.next_line().context("cannot read the input")? {
                        None => break,
                        Some((n, Line::Text(text), _)) => {
                            if !text.trim().is_empty() {
                                raw.push((n, Ok(text.to_string())))
                            }
                        }
                        Some((n, Line::Bad(reason, text), _)) => raw.push((n, Err((reason, text)))),
                    }
                }
                if raw.is_empty() {
                    return Ok(());
                }
                let parsed: Vec<Parsed> = raw
                    .into_par_iter()
                    .map(|(line, text)| match text {
                        Ok(text) => match Record::parse(&text) {
                            // The line itself is the payload: valid, complete, and no
                            // re-serialisation cost.
                            Ok(Record::Event(event)) => Parsed::Event(event, text, line),
                            Ok(other) => Parsed::Other(other),
                            Err(reason) => Parsed::Bad(Rejected {
                                line,
                                reason: reason.0,
                                text,
                            }),
                        },
                        Err((reason, text)) => Parsed::Bad(Rejected { line, reason, text }),
                    })
                    .collect();
                if tx.send(parsed).is_err() {
                    return Ok(()); // the writer failed; its error is reported
                }
            }
        });
        let result = write_parsed(store, rx);
        let produced = producer.join().expect("the parser thread does not panic");
        let written = result?;
        produced?;
        Ok(written)
    })
}

fn write_parsed(
    store: &mut Store,
    rx: mpsc::Receiver<Vec<Parsed>>,
) -> Result<(ImportSummary, Vec<Rejected>)> {
    let mut summary = ImportSummary::default();
    let mut rejected = Vec::new();
    let mut header_machine: Option<String> = None;
    let mut known_machines: HashSet<String> = HashSet::new();
    // A bulk import touches index pages all over; a big page cache saves re-reads.
    store.conn.pragma_update(None, "cache_size", -(256 * 1024))?;
    // Fewer, larger checkpoints: each one is an fsync.
    store.conn.pragma_update(None, "wal_autocheckpoint", 8192)?;
    let mut tx = store.conn.transaction()?;
    let mut rows_in_tx = 0u64;
    for chunk in rx {
        let mut events: Vec<(&Event, &str)> = Vec::with_capacity(chunk.len());
        for item in &chunk {
            match item {
                Parsed::Event(event, payload, line) => {
                    let machine = event.machine_id().unwrap_or_default();
                    if let Some(expected) = &header_machine
                        && *expected != machine
                    {
                        rejected.push(Rejected {
                            line: *line,
                            reason: format!(
                                "event id is not prefixed with the header's machine id {expected}"
                            ),
                            text: payload.clone(),
                        });
                        continue;
                    }
                    if !known_machines.contains(machine) {
                        machines::ensure(&tx, machine)?;
                        known_machines.insert(machine.to_string());
                    }
                    events.push((event, payload));
                }
                Parsed::Other(Record::Header(header)) => {
                    crate::wire::check_wire_version(header)?;
                    let id = header.machine_id.clone();
                    tx.execute(
                        "INSERT OR IGNORE INTO machines (machine_id, label, tt_version) VALUES (?1, ?2, ?3)",
                        params![id, header.label, header.tt_version],
                    )?;
                    known_machines.insert(id.clone());
                    header_machine = Some(id);
                }
                Parsed::Other(Record::Session(session)) => match &header_machine {
                    Some(machine) => {
                        sessions::upsert(&tx, machine, session)?;
                        summary.sessions += 1;
                    }
                    None => rejected.push(Rejected {
                        line: 0,
                        reason: "agent session record without a header naming its machine".into(),
                        text: serde_json::to_string(&crate::wire::Tagged::AgentSession(session.clone()))?,
                    }),
                },
                Parsed::Other(Record::End(_)) | Parsed::Other(Record::Event(_)) => {}
                Parsed::Bad(bad) => rejected.push(bad.clone()),
            }
        }
        let (inserted, duplicates) = insert_events(&tx, events)?;
        summary.imported += inserted;
        summary.duplicates += duplicates;
        rows_in_tx += chunk.len() as u64;
        // Freeing a chunk's events is real work: leave it to the parser threads.
        rayon::spawn(move || drop(chunk));
        if rows_in_tx >= ROWS_PER_TRANSACTION {
            tx.commit()?;
            tx = store.conn.transaction()?;
            rows_in_tx = 0;
        }
    }
    tx.commit()?;
    summary.rejected = rejected.len() as u64;
    Ok((summary, rejected))
}
