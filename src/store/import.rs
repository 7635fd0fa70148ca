//! The one way into the database: `tt import` and the merge of a sync both stream
//! their lines through [`ingest`], which parses on rayon threads (at most a few chunks
//! ahead of the writer), judges every record with the same [`Validator`], stores
//! events in canonical form and quarantines what it rejects as it goes. Duplicate ids
//! are ignored, so every path is idempotent. Memory does not grow with the stream.

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use anyhow::{Context, Result};
use rayon::prelude::*;
use rusqlite::{Connection, Transaction, params};
use serde::Serialize;

use super::{Store, machines, sessions};
use crate::event::Event;
use crate::paths::open_private_append;
use crate::streams::provisional::Provisional;
use crate::timestamp::Timestamp;
use crate::wire::{Line, Lines, Record, Rejected, Spooled, Validator, Verdict, rejected_line_id};

/// What one import or merge did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    pub imported: u64,
    pub duplicates: u64,
    pub rejected: u64,
    pub sessions: u64,
}

/// The statement every event goes through. `payload` is the event's canonical JSON
/// line (every field kept, unknown ones too), whatever spelling it arrived in.
/// The stream is the import's first guess ([`Provisional`]); the recompute that
/// follows corrects the few it got wrong.
const INSERT_EVENT: &str = "INSERT OR IGNORE INTO events
    (id, machine_id, timestamp, source, type, cwd, git_project, session_id, payload,
     stream_id, assignment_source)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'inferred')";

/// Inserts one event with its payload through `stmt` (a prepared [`INSERT_EVENT`]);
/// false when its id was already stored.
fn insert_event(
    stmt: &mut rusqlite::CachedStatement<'_>,
    event: &Event,
    payload: &str,
    provisional: &mut Provisional,
) -> Result<bool> {
    let ts = event.timestamp.to_canonical();
    let stream = provisional.stream_for(event);
    let changed = stmt.execute(params![
        event.id,
        event.machine_id(),
        std::str::from_utf8(&ts).expect("ASCII digits"),
        event.source,
        event.kind,
        event.cwd,
        event.git_project,
        event.session_id,
        payload,
        stream,
    ])?;
    Ok(changed == 1)
}

/// Inserts events with their payloads (tests and benchmarks that build a database
/// directly); returns (inserted, duplicates).
pub fn insert_events<'a>(
    conn: &Connection,
    events: impl IntoIterator<Item = (&'a Event, &'a str)>,
) -> Result<(u64, u64)> {
    let mut stmt = conn.prepare_cached(INSERT_EVENT)?;
    let mut provisional = Provisional::load(conn)?;
    let (mut inserted, mut duplicates) = (0, 0);
    for (event, payload) in events {
        if insert_event(&mut stmt, event, payload, &mut provisional)? {
            inserted += 1;
        } else {
            duplicates += 1;
        }
    }
    Ok((inserted, duplicates))
}

/// Lines parsed per chunk handed from the parser to the writer. With the channel's
/// bound this caps what the parse threads hold ahead of the writer (a few MB).
const CHUNK: usize = 2048;
/// Chunks that may wait for the writer.
const CHUNKS_AHEAD: usize = 2;
/// SQLite's page cache during an intake, in KiB: events arrive in id order, so the
/// pages written are at the right edge of each index and a small cache suffices.
const CACHE_KIB: i64 = 16 * 1024;

/// How the transactions of an intake are cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Commits {
    /// One transaction for the whole stream: a sync's merge is all or nothing.
    Single,
    /// A commit every so many lines (`tt import`: idempotent, and a concurrent report
    /// does not wait long).
    Every(u64),
}

/// Rejected lines on their way to the quarantine file, appended as they come, so
/// nothing is silently lost and memory holds only the first few (for messages).
pub struct Quarantine {
    path: PathBuf,
    origin: String,
    at: String,
    out: Option<BufWriter<File>>,
    /// The first [`Quarantine::SHOWN`] rejections, for the user.
    pub shown: Vec<Rejected>,
    pub count: u64,
}

/// One quarantined line, as written to the quarantine file.
#[derive(Serialize)]
struct QuarantineEntry<'a> {
    at: &'a str,
    origin: &'a str,
    line: u64,
    reason: &'a str,
    text: &'a str,
}

impl Quarantine {
    pub const SHOWN: usize = 20;

    pub fn new(path: &Path, origin: &str, now: Timestamp) -> Quarantine {
        Quarantine {
            path: path.to_path_buf(),
            origin: origin.to_string(),
            at: now.to_string(),
            out: None,
            shown: Vec::new(),
            count: 0,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn push(&mut self, rejected: Rejected) -> Result<()> {
        if self.out.is_none() {
            self.out = Some(BufWriter::new(open_private_append(&self.path)?));
        }
        let out = self.out.as_mut().expect("opened above");
        let entry = QuarantineEntry {
            at: &self.at,
            origin: &self.origin,
            line: rejected.line,
            reason: &rejected.reason,
            text: &rejected.text,
        };
        serde_json::to_writer(&mut *out, &entry)?;
        out.write_all(b"\n")
            .with_context(|| format!("cannot write the quarantine file {}", self.path.display()))?;
        self.count += 1;
        if self.shown.len() < Quarantine::SHOWN {
            self.shown.push(rejected);
        }
        Ok(())
    }

    /// Makes sure every rejected line is on disk (before the merge commits).
    pub fn flush(&mut self) -> Result<()> {
        if let Some(out) = &mut self.out {
            out.flush()
                .with_context(|| format!("cannot write the quarantine file {}", self.path.display()))?;
        }
        Ok(())
    }
}

/// What an intake did, and where a sync's cursor moves.
#[derive(Debug, Default)]
pub struct Intake {
    pub summary: ImportSummary,
    /// The id of the last event line delivered, accepted or rejected (when a rejected
    /// line has one): the next sync starts after it, so a bad line is quarantined once.
    pub last_id: Option<String>,
}

/// A line number and the line, or why it could not be read (reason, text).
type RawLine = (u64, Result<String, (String, String)>);

/// One line after the parse threads: a record (events with their canonical payload)
/// or why it was refused.
enum Parsed {
    Record(Record, Option<String>, u64),
    Bad(Rejected),
}

/// Reads a stream of export records (or plain events) and writes them: the shared
/// path of `tt import` and of a sync's merge. `finish` runs inside the last
/// transaction, before it commits. A header that fails the checks is an error.
pub fn ingest<R: BufRead + Send>(
    store: &mut Store,
    reader: R,
    validator: Validator,
    commits: Commits,
    quarantine: &mut Quarantine,
    cancel: Option<&AtomicBool>,
    finish: impl FnOnce(&Transaction<'_>, &Intake) -> Result<()>,
) -> Result<Intake> {
    let (tx, rx) = mpsc::sync_channel::<Vec<Parsed>>(CHUNKS_AHEAD);
    std::thread::scope(|scope| {
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
                    .map(|(line, text)| parse(line, text))
                    .collect();
                if tx.send(parsed).is_err() {
                    return Ok(()); // the writer failed; its error is reported
                }
            }
        });
        let result = write(store, rx, validator, commits, quarantine, cancel, finish);
        let produced = producer.join().expect("the parser thread does not panic");
        let written = result?;
        produced?;
        Ok(written)
    })
}

fn parse(line: u64, text: Result<String, (String, String)>) -> Parsed {
    match text {
        Ok(text) => match Record::parse(&text) {
            Ok(Record::Event(event)) => {
                let payload = event.to_json();
                Parsed::Record(Record::Event(event), Some(payload), line)
            }
            Ok(other) => Parsed::Record(other, None, line),
            Err(reason) => Parsed::Bad(Rejected {
                line,
                reason: reason.0,
                text,
            }),
        },
        Err((reason, text)) => Parsed::Bad(Rejected { line, reason, text }),
    }
}

fn write(
    store: &mut Store,
    rx: mpsc::Receiver<Vec<Parsed>>,
    mut validator: Validator,
    commits: Commits,
    quarantine: &mut Quarantine,
    cancel: Option<&AtomicBool>,
    finish: impl FnOnce(&Transaction<'_>, &Intake) -> Result<()>,
) -> Result<Intake> {
    let mut intake = Intake::default();
    let mut known_machines: HashSet<String> = HashSet::new();
    store.conn.pragma_update(None, "cache_size", -CACHE_KIB)?;
    // Fewer, larger checkpoints: each one is an fsync.
    store.conn.pragma_update(None, "wal_autocheckpoint", 8192)?;
    let mut tx = store.conn.transaction()?;
    let mut provisional = Provisional::load(&tx)?;
    let mut lines_in_tx = 0u64;
    for mut chunk in rx {
        if cancel.is_some_and(|c| c.load(Ordering::SeqCst)) {
            // Dropping the transaction rolls back what this stream wrote.
            anyhow::bail!("interrupted");
        }
        {
            let mut insert = tx.prepare_cached(INSERT_EVENT)?;
            for item in &mut chunk {
                let (record, payload, line) = match item {
                    Parsed::Bad(bad) => {
                        if let Some(id) = rejected_line_id(&bad.text) {
                            intake.last_id = Some(id);
                        }
                        quarantine.push(std::mem::take(bad))?;
                        continue;
                    }
                    Parsed::Record(record, payload, line) => (record, payload, *line),
                };
                match validator.judge(record).with_context(|| format!("line {line}"))? {
                    Verdict::Event => {
                        let Record::Event(event) = &*record else {
                            unreachable!("an event verdict")
                        };
                        let machine = event.machine_id().expect("validated events have a prefix");
                        if !known_machines.contains(machine) {
                            machines::ensure(&tx, machine)?;
                            known_machines.insert(machine.to_string());
                        }
                        let payload = payload.as_deref().expect("events carry their payload");
                        if insert_event(&mut insert, event, payload, &mut provisional)? {
                            intake.summary.imported += 1;
                        } else {
                            intake.summary.duplicates += 1;
                        }
                        intake.last_id = Some(event.id.clone());
                    }
                    Verdict::Session { machine_id } => {
                        let Record::Session(session) = &*record else {
                            unreachable!("a session verdict")
                        };
                        sessions::upsert(&tx, &machine_id, session)?;
                        intake.summary.sessions += 1;
                    }
                    Verdict::Header => {
                        let Record::Header(header) = &*record else {
                            unreachable!("a header verdict")
                        };
                        tx.execute(
                            "INSERT OR IGNORE INTO machines (machine_id, label, tt_version) VALUES (?1, ?2, ?3)",
                            params![header.machine_id, header.label, header.tt_version],
                        )?;
                        known_machines.insert(header.machine_id.clone());
                    }
                    Verdict::Skip => {}
                    Verdict::Reject(reason) => {
                        let text = match &*record {
                            Record::Event(event) => {
                                intake.last_id = Some(event.id.clone());
                                payload.take().unwrap_or_default()
                            }
                            Record::Session(session) => {
                                serde_json::to_string(&crate::wire::Tagged::AgentSession(session.clone()))?
                            }
                            _ => String::new(),
                        };
                        quarantine.push(Rejected { line, reason, text })?;
                    }
                }
            }
        }
        lines_in_tx += chunk.len() as u64;
        // Freeing a chunk's events is real work: leave it to the parser threads.
        rayon::spawn(move || drop(chunk));
        if let Commits::Every(limit) = commits
            && lines_in_tx >= limit
        {
            quarantine.flush()?;
            tx.commit()?;
            tx = store.conn.transaction()?;
            lines_in_tx = 0;
        }
    }
    intake.summary.rejected = quarantine.count;
    // Rejected lines are on disk before the data commits: if keeping them fails,
    // nothing is merged and the next sync brings them again.
    quarantine.flush()?;
    finish(&tx, &intake)?;
    tx.commit().context("cannot commit")?;
    Ok(intake)
}

/// `tt import`: a stream of plain events or whole exports (their headers and session
/// records included), committed every so often.
pub fn import_stream<R: BufRead + Send>(
    store: &mut Store,
    reader: R,
    quarantine: &mut Quarantine,
) -> Result<ImportSummary> {
    let intake = ingest(
        store,
        reader,
        Validator::default(),
        Commits::Every(256 * 1024),
        quarantine,
        None,
        |_, _| Ok(()),
    )?;
    Ok(intake.summary)
}

/// Merges one remote's spooled export in ONE transaction: its events, its session
/// records and its `machines` row (label, alias, last_sync_at, cursor). Nothing is
/// written when any step fails. The cursor moves past every line delivered.
pub fn merge_remote(
    store: &mut Store,
    spooled: &Spooled,
    alias: Option<&str>,
    label: &str,
    now: Timestamp,
    quarantine: &mut Quarantine,
    cancel: &AtomicBool,
) -> Result<ImportSummary> {
    use std::io::{Seek, SeekFrom};
    let header = &spooled.header;
    let mut spool = &spooled.spool;
    spool
        .seek(SeekFrom::Start(0))
        .context("cannot read the transfer's spool file")?;
    let reader = std::io::BufReader::with_capacity(256 * 1024, spool);
    let now = now.to_string();
    let intake = ingest(
        store,
        reader,
        Validator::for_machine(&header.machine_id),
        Commits::Single,
        quarantine,
        Some(cancel),
        |tx, intake| {
            machines::record_sync(
                tx,
                &header.machine_id,
                label,
                alias,
                Some(&now),
                intake.last_id.as_deref(),
                Some(&header.tt_version),
            )
        },
    )?;
    Ok(intake.summary)
}
