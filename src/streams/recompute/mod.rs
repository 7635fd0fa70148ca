//! `tt recompute`: the database edge of inference and allocation.
//!
//! Full (`--all`): every event is read once (compactly: interned strings, no payload
//! but for the few types whose meaning is in it), streams are re-inferred, time is
//! re-allocated, and the derived tables are rewritten where they differ.
//!
//! Incremental (after a sync): only events no recompute has seen yet are inferred
//! (plus older events whose directory just got a project), and time is re-allocated
//! from `cut`, the earliest moment they can change, using the events from
//! `cut - lookback` on (the longest rule window: before that, nothing reaches past
//! `cut`). Intervals before `cut` stay; those crossing it are cut there and re-joined
//! with what follows, so both ways give the same rows.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use anyhow::{Context, Result};
use rusqlite::{OptionalExtension, Transaction, params};

use super::allocate::{self, Input, Millis, Params, Signal};
use super::corrections::{Corrections, Decision, EventRef};
use super::infer::{self, ProjectMap};
use crate::store::Store;
use crate::timestamp::Timestamp;

mod read;
mod write;

pub(crate) use read::load_maps;
use read::{Interner, Loaded, Meaning, NONE, Row, Sessions, select, stored_spans};
pub use write::refresh_names;
use write::{Spans, refresh_streams, write_intervals, write_maps};

/// Which part to redo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Everything.
    All,
    /// What events not yet recomputed can change.
    New,
    /// Every event at or after this instant is re-inferred and re-allocated (after a
    /// correction that reaches back to it).
    From(Millis),
}

/// What a recompute did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Events whose stream was (re)decided.
    pub inferred: u64,
    /// Of those, the ones whose stream changed.
    pub changed: u64,
    /// Events read for the allocation.
    pub read: u64,
    /// Re-allocated from here (None: nothing to do).
    pub from: Option<Millis>,
    pub streams: u64,
}

/// The decided stream of one row: (stream id, user decision?).
fn decide(
    row: &Row,
    loaded: &Loaded,
    maps: &HashMap<String, ProjectMap>,
    sessions: &Sessions,
    corrections: &Corrections,
    keys: &mut BTreeMap<String, (String, String)>,
) -> (Option<String>, bool) {
    match user_decision(row, loaded, corrections) {
        Some(stream) => (Some(stream), true),
        None => (
            infer_stream(row, loaded, maps, sessions, corrections, keys),
            false,
        ),
    }
}

/// The stream the user's rules put the row in, if any.
fn user_decision(row: &Row, loaded: &Loaded, corrections: &Corrections) -> Option<String> {
    if corrections.rules.is_empty() {
        return None;
    }
    let event = EventRef {
        id: loaded.strings.name(row.id),
        machine_id: loaded.machines.name(row.machine)?,
        at: row.at,
        cwd: loaded.strings.name(row.cwd),
        session_id: loaded.strings.name(row.session),
    };
    match corrections.decide(&event) {
        Decision::User(stream) => Some(stream.to_string()),
        Decision::Infer => None,
    }
}

/// The stream inference gives the row (after merges' aliases).
fn infer_stream(
    row: &Row,
    loaded: &Loaded,
    maps: &HashMap<String, ProjectMap>,
    sessions: &Sessions,
    corrections: &Corrections,
    keys: &mut BTreeMap<String, (String, String)>,
) -> Option<String> {
    let machine = loaded
        .machines
        .name(row.machine)
        .expect("every row has a machine");
    let cwd = loaded.strings.name(row.cwd);
    let session = loaded.strings.name(row.session);
    let dir = session.and_then(|s| sessions.parent_dir(machine, s)).or(cwd);
    let empty = ProjectMap::default();
    let map = maps.get(machine).unwrap_or(&empty);
    let git = if dir == cwd {
        loaded.strings.name(row.git)
    } else {
        None
    };
    let project = infer::project_of(git, dir, map)?;
    if let Some(alias) = corrections.alias(machine, project) {
        return Some(alias.to_string());
    }
    let id = infer::stream_id(machine, project);
    if !keys.contains_key(&id) {
        keys.insert(id.clone(), (machine.to_string(), project.to_string()));
    }
    Some(id)
}

/// Recomputes `scope`. Runs in one transaction: readers see the old or the new state.
pub fn recompute(
    store: &mut Store,
    scope: Scope,
    params: &Params,
    corrections: &Corrections,
) -> Result<Outcome> {
    // Immediate: the write lock is taken before reading, so no import can slip in
    // between what was read and what is written.
    let tx = store
        .conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let outcome = run(&tx, scope, params, corrections)?;
    tx.commit().context("cannot save the recomputed streams")?;
    Ok(outcome)
}

/// [`recompute`] inside the caller's transaction (the corrections commands make their
/// changes and the recompute they need atomic).
pub fn run(tx: &Transaction, scope: Scope, params: &Params, corrections: &Corrections) -> Result<Outcome> {
    let ids = corrections.needs_event_ids();
    let high_water: i64 = tx
        .query_row(
            "SELECT value FROM recompute_state WHERE key = 'recomputed_rowid'",
            [],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(0);
    let last_rowid: i64 = tx.query_row("SELECT coalesce(max(rowid), 0) FROM events", [], |r| r.get(0))?;
    let sessions = Sessions::load(tx)?;
    let mut loaded = Loaded::default();
    let mut outcome = Outcome::default();
    // stream id -> (machine, project) for streams inference produced.
    let mut keys: BTreeMap<String, (String, String)> = BTreeMap::new();

    // 1. Which rows are re-decided, the project maps, and `cut`.
    let (maps, cut, redo_from) = match scope {
        Scope::All => {
            loaded.read(tx, &select(ids, ""), [], ids)?;
            let mut maps: HashMap<String, ProjectMap> = HashMap::new();
            for row in &loaded.rows {
                if let (Some(cwd), Some(git)) = (loaded.strings.name(row.cwd), loaded.strings.name(row.git)) {
                    let machine = loaded.machines.name(row.machine).unwrap();
                    maps.entry(machine.to_string())
                        .or_default()
                        .learn(cwd, git, row.at);
                }
            }
            (maps, None, Millis::MIN)
        }
        Scope::From(from) => {
            let maps = load_maps(tx)?;
            let window = from - params.lookback();
            loaded.read(
                tx,
                &select(ids, "WHERE timestamp >= ?1"),
                [Timestamp::from_millis(window).to_string()],
                ids,
            )?;
            (maps, Some(from), from)
        }
        Scope::New => {
            let mut pending = Loaded::default();
            pending.read(tx, &select(ids, "WHERE rowid > ?1"), [high_water], ids)?;
            if pending.rows.is_empty() {
                return Ok(outcome);
            }
            let mut maps = load_maps(tx)?;
            // Directories whose answer changed: older events below them may move.
            let mut changed_dirs: BTreeSet<(String, String)> = BTreeSet::new();
            for row in &pending.rows {
                if let (Some(cwd), Some(git)) = (pending.strings.name(row.cwd), pending.strings.name(row.git))
                {
                    let machine = pending.machines.name(row.machine).unwrap();
                    if maps
                        .entry(machine.to_string())
                        .or_default()
                        .learn(cwd, git, row.at)
                    {
                        changed_dirs.insert((machine.to_string(), cwd.to_string()));
                    }
                }
            }
            let mut cut = Millis::MAX;
            for row in &pending.rows {
                // The earliest instant the event changes: an idle report cuts back by
                // its duration; a tool use or `ended` extends a run from a tool use up
                // to `agent_timeout` earlier.
                let effect = match row.meaning {
                    Meaning::Idle(idle) => row.at - idle,
                    Meaning::ToolUse | Meaning::Ended => row.at - params.agent_timeout,
                    _ => row.at,
                };
                cut = cut.min(effect);
            }
            // Older events in changed directories whose stream would now differ.
            let mut moved: HashSet<i64> = HashSet::new();
            for (machine, dir) in &changed_dirs {
                let mut older = Loaded::default();
                older.read(
                    tx,
                    &select(
                        ids,
                        "WHERE machine_id = ?1 AND (cwd = ?2 OR (cwd >= ?2 || '/' AND cwd < ?2 || '0'))
                           AND rowid <= ?3",
                    ),
                    params![machine, dir, high_water],
                    ids,
                )?;
                for row in &older.rows {
                    if row.stored_user == Some(true) {
                        continue;
                    }
                    let (stream, _) = decide(row, &older, &maps, &sessions, corrections, &mut keys);
                    if stream.as_deref() != older.streams.name(row.stored) {
                        moved.insert(row.rowid);
                        cut = cut.min(row.at);
                    }
                }
            }
            let window = cut.saturating_sub(params.lookback());
            loaded.read(
                tx,
                &select(ids, "WHERE timestamp >= ?1"),
                [Timestamp::from_millis(window).to_string()],
                ids,
            )?;
            // Moved rows are redone below by marking them never-recomputed.
            for row in &mut loaded.rows {
                if moved.contains(&row.rowid) {
                    row.stored_user = None;
                }
            }
            (maps, Some(cut), Millis::MAX)
        }
    };

    // 2. Decide streams.
    let stored_spans = stored_spans(tx)?;
    let mut decided: Vec<u32> = Vec::with_capacity(loaded.rows.len());
    let mut updates: Vec<(i64, u32, &'static str)> = Vec::new();
    let mut touched: BTreeSet<u32> = BTreeSet::new();
    // Inference depends only on these four, and few combinations repeat a lot.
    let mut inferred: HashMap<(u32, u32, u32, u32), u32> = HashMap::new();
    // Streams an event left: their first or last event must be looked up again.
    let mut lost: BTreeSet<u32> = BTreeSet::new();
    for i in 0..loaded.rows.len() {
        let row = &loaded.rows[i];
        let redo = row.rowid > high_water || row.stored_user.is_none() || row.at >= redo_from;
        if !redo {
            decided.push(row.stored);
            continue;
        }
        outcome.inferred += 1;
        let (old, old_user, rowid, row_at) = (row.stored, row.stored_user, row.rowid, row.at);
        let user = match user_decision(row, &loaded, corrections) {
            Some(stream) => Some(loaded.streams.get(&stream)),
            None => None,
        };
        let row = &loaded.rows[i];
        let stream = match user {
            Some(stream) => stream,
            None => {
                let key = (row.machine, row.cwd, row.git, row.session);
                match inferred.get(&key) {
                    Some(&stream) => stream,
                    None => {
                        let stream = infer_stream(row, &loaded, &maps, &sessions, corrections, &mut keys);
                        let stream = loaded.streams.opt(stream.as_deref());
                        inferred.insert(key, stream);
                        stream
                    }
                }
            }
        };
        decided.push(stream);
        // A new event extends its stream's span even when the import guessed right.
        if row_rowid_new(rowid, high_water) && stream != NONE {
            touched.insert(stream);
        }
        if old != stream || old_user != Some(user.is_some()) {
            if old != stream {
                outcome.changed += 1;
                if old != NONE {
                    // Only an event at the edge of its old stream's span moves the span.
                    // A new event's guessed stream that has no span yet has nothing to
                    // look up again: its span is what this recompute sees.
                    let edge = match loaded.streams.name(old).and_then(|id| stored_spans.get(id)) {
                        Some(&(first, last)) => row_at == first || row_at == last,
                        None => !row_rowid_new(rowid, high_water),
                    };
                    if edge {
                        lost.insert(old);
                    }
                    touched.insert(old);
                }
                if stream != NONE {
                    touched.insert(stream);
                }
            }
            let source = if user.is_some() { "user" } else { "inferred" };
            updates.push((rowid, stream, source));
        }
    }
    {
        let mut stmt =
            tx.prepare_cached("UPDATE events SET stream_id = ?2, assignment_source = ?3 WHERE rowid = ?1")?;
        for &(rowid, stream, source) in &updates {
            stmt.execute(params![rowid, loaded.streams.name(stream), source])?;
        }
    }
    let name = |s: &u32| loaded.streams.name(*s).unwrap().to_string();
    let mut touched: BTreeSet<String> = touched.iter().map(name).collect();
    let lost: BTreeSet<String> = lost.iter().map(name).collect();

    // 3. Allocate. Ties at one instant are broken by stream and machine index, so the
    // indices follow the order of the ids (interning order depends on what was read).
    let stream_rank = ranks(&loaded.streams);
    let machine_rank = ranks(&loaded.machines);
    let mut session_ix: HashMap<(u32, u32), u32> = HashMap::new();
    let mut inputs: Vec<Input> = Vec::with_capacity(loaded.rows.len());
    for (row, &stream) in loaded.rows.iter().zip(&decided) {
        let machine_name = loaded.machines.name(row.machine).unwrap();
        let mut session = || {
            let next = session_ix.len() as u32;
            *session_ix.entry((row.machine, row.session)).or_insert(next)
        };
        let signal = match row.meaning {
            Meaning::Focus => Signal::Focus,
            Meaning::Prompt => match loaded.strings.name(row.session) {
                Some(s) if sessions.is_subagent(machine_name, s) => continue,
                _ => Signal::Focus,
            },
            Meaning::Blur => Signal::Blur,
            Meaning::Idle(idle_ms) => Signal::Idle { idle_ms },
            Meaning::ToolUse if row.session != NONE => Signal::ToolUse { session: session() },
            Meaning::Ended if row.session != NONE => Signal::SessionEnded { session: session() },
            _ => continue,
        };
        inputs.push(Input {
            at: row.at,
            machine: machine_rank[row.machine as usize],
            stream: (stream != NONE).then(|| stream_rank[stream as usize]),
            signal,
        });
    }
    outcome.read = loaded.rows.len() as u64;
    allocate::sort_inputs(&mut inputs);
    let mut intervals = allocate::allocate(&inputs, params);
    let unrank = |rank: &[u32]| {
        let mut back = vec![0u32; rank.len()];
        for (index, &r) in rank.iter().enumerate() {
            back[r as usize] = index as u32;
        }
        back
    };
    let (stream_of, machine_of) = (unrank(&stream_rank), unrank(&machine_rank));
    for interval in &mut intervals {
        interval.stream = interval.stream.map(|r| stream_of[r as usize]);
        interval.machine = machine_of[interval.machine as usize];
    }
    if let Some(cut) = cut {
        intervals = allocate::clip(&intervals, cut, Millis::MAX);
    }
    write_intervals(tx, &intervals, cut, &loaded)?;
    outcome.from = Some(cut.unwrap_or(Millis::MIN));

    tx.execute(
        "INSERT INTO recompute_state (key, value) VALUES ('recomputed_rowid', ?1)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [last_rowid],
    )?;

    // 4. The project maps and the streams table.
    write_maps(tx, &maps, scope)?;
    let mut spans: HashMap<u32, (Millis, Millis)> = HashMap::new();
    for (row, &stream) in loaded.rows.iter().zip(&decided) {
        if stream != NONE {
            let span = spans.entry(stream).or_insert((row.at, row.at));
            span.0 = span.0.min(row.at);
            span.1 = span.1.max(row.at);
        }
    }
    let spans: HashMap<String, (Millis, Millis)> = spans
        .into_iter()
        .map(|(s, span)| (loaded.streams.name(s).unwrap().to_string(), span))
        .collect();
    if scope == Scope::All {
        touched.extend(keys.keys().cloned());
        let mut stmt = tx.prepare("SELECT id FROM streams")?;
        let existing = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        touched.extend(existing);
    }
    touched.extend(corrections.created.iter().cloned());
    let spans = Spans {
        seen: spans,
        complete: scope == Scope::All,
        lost: &lost,
    };
    outcome.streams = refresh_streams(tx, &touched, &keys, corrections, &spans)?;
    Ok(outcome)
}

/// Whether the row arrived after the last recompute.
fn row_rowid_new(rowid: i64, high_water: i64) -> bool {
    rowid > high_water
}

/// For each interned index, its rank among the interned strings in sorted order.
fn ranks(interner: &Interner) -> Vec<u32> {
    let mut order: Vec<u32> = (0..interner.names.len() as u32).collect();
    order.sort_by(|a, b| interner.names[*a as usize].cmp(&interner.names[*b as usize]));
    let mut rank = vec![0u32; order.len()];
    for (r, &index) in order.iter().enumerate() {
        rank[index as usize] = r as u32;
    }
    rank
}
