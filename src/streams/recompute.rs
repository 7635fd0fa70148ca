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
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::Deserialize;

use super::allocate::{self, Input, Interval, Kind, Millis, Params, Signal};
use super::corrections::{Corrections, Decision, EventRef};
use super::infer::{self, NameRequest, ProjectMap};
use crate::event::kind;
use crate::store::Store;
use crate::timestamp::Timestamp;

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

const NONE: u32 = u32::MAX;

/// Strings stored once, referred to by index.
#[derive(Default)]
struct Interner {
    ids: HashMap<String, u32>,
    names: Vec<String>,
}

impl Interner {
    fn get(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.ids.get(s) {
            return i;
        }
        let i = self.names.len() as u32;
        self.names.push(s.to_string());
        self.ids.insert(s.to_string(), i);
        i
    }

    fn opt(&mut self, s: Option<&str>) -> u32 {
        s.map_or(NONE, |s| self.get(s))
    }

    fn name(&self, i: u32) -> Option<&str> {
        (i != NONE).then(|| self.names[i as usize].as_str())
    }
}

/// The allocation meaning of an event, from its type and payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Meaning {
    Focus,
    /// A human prompt: focus unless its session is a subagent's.
    Prompt,
    Blur,
    Idle(Millis),
    ToolUse,
    Ended,
    Nothing,
}

#[derive(Deserialize)]
struct Aux<'a> {
    #[serde(borrow)]
    action: Option<&'a str>,
    #[serde(borrow)]
    status: Option<&'a str>,
    idle_duration_ms: Option<i64>,
}

fn meaning(kind_: &str, payload: Option<&str>) -> Meaning {
    let aux = || payload.and_then(|p| serde_json::from_str::<Aux>(p).ok());
    match kind_ {
        kind::PANE_FOCUS | kind::SCROLL => Meaning::Focus,
        kind::USER_MESSAGE => Meaning::Prompt,
        kind::AGENT_TOOL_USE => Meaning::ToolUse,
        kind::CLIENT => match aux().and_then(|a| a.action) {
            Some("focus_in" | "attached") => Meaning::Focus,
            Some("focus_out" | "detached") => Meaning::Blur,
            _ => Meaning::Nothing,
        },
        kind::AGENT_SESSION => match aux().and_then(|a| a.action) {
            Some("ended") => Meaning::Ended,
            _ => Meaning::Nothing,
        },
        kind::AFK_CHANGE => match aux() {
            Some(Aux {
                status: Some("idle"),
                idle_duration_ms,
                ..
            }) => Meaning::Idle(idle_duration_ms.unwrap_or(0).max(0)),
            _ => Meaning::Nothing,
        },
        _ => Meaning::Nothing,
    }
}

/// Types whose payload the recompute reads.
const PAYLOAD_TYPES: &str = "('tmux_client', 'agent_session', 'afk_change')";

/// One event, compactly.
#[derive(Debug, Clone)]
struct Row {
    rowid: i64,
    at: Millis,
    machine: u32,
    cwd: u32,
    git: u32,
    session: u32,
    id: u32,
    meaning: Meaning,
    /// Stream id as stored (interned in `streams`), NONE when none.
    stored: u32,
    /// assignment_source as stored: None (never recomputed), Some(false) inferred,
    /// Some(true) user.
    stored_user: Option<bool>,
}

/// Everything loaded for one recompute.
#[derive(Default)]
struct Loaded {
    rows: Vec<Row>,
    machines: Interner,
    strings: Interner,
    streams: Interner,
}

impl Loaded {
    fn read(&mut self, conn: &Connection, sql: &str, args: impl rusqlite::Params, ids: bool) -> Result<()> {
        let mut stmt = conn.prepare(sql)?;
        let mut rows = stmt.query(args)?;
        while let Some(r) = rows.next()? {
            let ts = r.get_ref(2)?.as_str()?;
            let at = ts
                .parse::<Timestamp>()
                .map(Timestamp::as_millis)
                .with_context(|| format!("event with an unreadable timestamp {ts:?} in the database"))?;
            let kind_: &str = r.get_ref(3)?.as_str()?;
            let payload: Option<&str> = r.get_ref(7)?.as_str_or_null()?;
            let source: Option<&str> = r.get_ref(9)?.as_str_or_null()?;
            let id = if ids {
                self.strings.get(r.get_ref(10)?.as_str()?)
            } else {
                NONE
            };
            let row = Row {
                rowid: r.get(0)?,
                at,
                machine: self.machines.get(r.get_ref(1)?.as_str()?),
                cwd: self.strings.opt(r.get_ref(4)?.as_str_or_null()?),
                git: self.strings.opt(r.get_ref(5)?.as_str_or_null()?),
                session: self.strings.opt(r.get_ref(6)?.as_str_or_null()?),
                id,
                meaning: meaning(kind_, payload),
                stored: self.streams.opt(r.get_ref(8)?.as_str_or_null()?),
                stored_user: source.map(|s| s == "user"),
            };
            self.rows.push(row);
        }
        Ok(())
    }
}

fn select(ids: bool, filter: &str) -> String {
    format!(
        "SELECT rowid, machine_id, timestamp, type, cwd, git_project, session_id,
                CASE WHEN type IN {PAYLOAD_TYPES} THEN payload END, stream_id, assignment_source{}
         FROM events {filter}",
        if ids { ", id" } else { "" }
    )
}

/// The agent sessions' family: subagent -> parent, and each session's directory.
#[derive(Default)]
struct Sessions {
    /// (machine_id, session_id) -> (parent session id, project_path)
    rows: HashMap<(String, String), (Option<String>, Option<String>)>,
}

impl Sessions {
    fn load(conn: &Connection) -> Result<Sessions> {
        let mut stmt = conn
            .prepare("SELECT machine_id, session_id, parent_session_id, project_path FROM agent_sessions")?;
        let rows = stmt
            .query_map([], |r| Ok(((r.get(0)?, r.get(1)?), (r.get(2)?, r.get(3)?))))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(Sessions { rows })
    }

    /// The top-level session of `session` (itself when it is one).
    fn root<'a>(&'a self, machine: &str, session: &'a str) -> &'a str {
        if let Some((Some(parent), _)) = self.rows.get(&(machine.to_string(), session.to_string())) {
            return parent;
        }
        match session.find("/agent-") {
            Some(cut) => &session[..cut],
            None => session,
        }
    }

    fn is_subagent(&self, machine: &str, session: &str) -> bool {
        self.root(machine, session) != session
    }

    /// The directory of a subagent's parent, when the parent is known.
    fn parent_dir(&self, machine: &str, session: &str) -> Option<&str> {
        let root = self.root(machine, session);
        if root == session {
            return None;
        }
        self.rows
            .get(&(machine.to_string(), root.to_string()))
            .and_then(|(_, path)| path.as_deref())
            .filter(|p| !p.is_empty())
    }
}

/// Reads the project maps of every machine (incremental) from `cwd_projects`.
fn load_maps(conn: &Connection) -> Result<HashMap<String, ProjectMap>> {
    let mut maps: HashMap<String, ProjectMap> = HashMap::new();
    let mut stmt = conn.prepare("SELECT machine_id, cwd, project, first_at FROM cwd_projects")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let machine: String = r.get(0)?;
        let cwd: &str = r.get_ref(1)?.as_str()?;
        let project: &str = r.get_ref(2)?.as_str()?;
        maps.entry(machine).or_default().learn(cwd, project, r.get(3)?);
    }
    Ok(maps)
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

/// First and last event of every stored stream.
fn stored_spans(tx: &Transaction) -> Result<HashMap<String, (Millis, Millis)>> {
    let mut stmt = tx.prepare("SELECT id, created_at, updated_at FROM streams")?;
    let mut spans = HashMap::new();
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let parse = |i: usize| -> Option<Millis> {
            r.get_ref(i)
                .ok()?
                .as_str()
                .ok()?
                .parse::<Timestamp>()
                .ok()
                .map(Timestamp::as_millis)
        };
        if let (Some(first), Some(last)) = (parse(1), parse(2)) {
            spans.insert(r.get(0)?, (first, last));
        }
    }
    Ok(spans)
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

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Direct => "direct",
        Kind::Delegated => "delegated",
    }
}

/// Replaces the stored intervals from `cut` on (everything when `cut` is None) with
/// `intervals`, joining those that touch at `cut`.
fn write_intervals(
    tx: &Transaction,
    intervals: &[Interval],
    cut: Option<Millis>,
    loaded: &Loaded,
) -> Result<()> {
    let stream_name = |i: &Interval| i.stream.and_then(|s| loaded.streams.name(s)).map(str::to_string);
    let machine_name = |i: &Interval| loaded.machines.name(i.machine).unwrap().to_string();
    let mut joined: HashMap<(Kind, Option<String>, String), Millis> = HashMap::new();
    match cut {
        None => {
            if same_intervals(tx, intervals, loaded)? {
                return Ok(());
            }
            tx.execute("DELETE FROM intervals", [])?;
        }
        Some(cut) => {
            tx.execute("DELETE FROM intervals WHERE start_ms >= ?1", [cut])?;
            // Those crossing `cut` end there; one that touches a new interval of the
            // same kind, stream and machine is joined with it.
            let mut stmt = tx.prepare(
                "SELECT rowid, start_ms, kind, stream_id, machine_id FROM intervals WHERE end_ms > ?1",
            )?;
            let crossing = stmt
                .query_map([cut], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, Option<String>>(3)?,
                        r.get::<_, String>(4)?,
                    ))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            tx.execute("UPDATE intervals SET end_ms = ?1 WHERE end_ms > ?1", [cut])?;
            let mut touching = tx.prepare(
                "SELECT rowid, start_ms, kind, stream_id, machine_id FROM intervals WHERE end_ms = ?1",
            )?;
            let at_cut = touching
                .query_map([cut], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, Option<String>>(3)?,
                        r.get::<_, String>(4)?,
                    ))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            drop(crossing);
            for (rowid, start, kind, stream, machine) in at_cut {
                let kind = if kind == "direct" {
                    Kind::Direct
                } else {
                    Kind::Delegated
                };
                let joins = intervals.iter().any(|i| {
                    i.start == cut && i.kind == kind && stream_name(i) == stream && machine_name(i) == machine
                });
                if joins {
                    tx.execute("DELETE FROM intervals WHERE rowid = ?1", [rowid])?;
                    joined.insert((kind, stream, machine), start);
                }
            }
        }
    }
    let mut insert = tx.prepare_cached(
        "INSERT INTO intervals (start_ms, end_ms, kind, stream_id, machine_id) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for interval in intervals {
        let stream = stream_name(interval);
        let machine = machine_name(interval);
        let mut start = interval.start;
        if Some(start) == cut
            && let Some(&from) = joined.get(&(interval.kind, stream.clone(), machine.clone()))
        {
            start = from;
        }
        insert.execute(params![
            start,
            interval.end,
            kind_name(interval.kind),
            stream,
            machine
        ])?;
    }
    Ok(())
}

/// Whether the stored intervals are exactly `intervals` (a `--all` that changes
/// nothing then writes nothing).
fn same_intervals(tx: &Transaction, intervals: &[Interval], loaded: &Loaded) -> Result<bool> {
    let count: i64 = tx.query_row("SELECT count(*) FROM intervals", [], |r| r.get(0))?;
    if count != intervals.len() as i64 {
        return Ok(false);
    }
    let mut ours: Vec<(Millis, Millis, &str, Option<&str>, &str)> = intervals
        .iter()
        .map(|i| {
            (
                i.start,
                i.end,
                kind_name(i.kind),
                i.stream.and_then(|s| loaded.streams.name(s)),
                loaded.machines.name(i.machine).unwrap_or_default(),
            )
        })
        .collect();
    ours.sort_unstable();
    let mut stmt = tx.prepare(
        "SELECT start_ms, end_ms, kind, stream_id, machine_id FROM intervals
         ORDER BY start_ms, end_ms, kind, stream_id, machine_id",
    )?;
    let mut rows = stmt.query([])?;
    let mut k = 0;
    while let Some(r) = rows.next()? {
        let (start, end, kind, stream, machine) = ours[k];
        if r.get::<_, i64>(0)? != start
            || r.get::<_, i64>(1)? != end
            || r.get_ref(2)?.as_str()? != kind
            || r.get_ref(3)?.as_str_or_null()? != stream
            || r.get_ref(4)?.as_str()? != machine
        {
            return Ok(false);
        }
        k += 1;
    }
    Ok(true)
}

fn write_maps(tx: &Transaction, maps: &HashMap<String, ProjectMap>, scope: Scope) -> Result<()> {
    if scope == Scope::All {
        tx.execute("DELETE FROM cwd_projects", [])?;
    }
    let mut stmt = tx.prepare_cached(
        "INSERT INTO cwd_projects (machine_id, cwd, project, first_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (machine_id, cwd) DO UPDATE SET project = excluded.project, first_at = excluded.first_at
         WHERE (project, first_at) IS NOT (excluded.project, excluded.first_at)",
    )?;
    let mut machines: Vec<&String> = maps.keys().collect();
    machines.sort();
    for machine in machines {
        let mut entries: Vec<_> = maps[machine].entries().collect();
        entries.sort();
        for (cwd, at, project) in entries {
            stmt.execute(params![machine, cwd, project, at])?;
        }
    }
    Ok(())
}

/// A `streams` row as read back: machine, project, first and last event.
type StoredStream = (String, Option<String>, Option<String>, Option<String>);

/// First and last event per stream, as far as this recompute knows them.
struct Spans<'a> {
    /// Over the events read.
    seen: HashMap<String, (Millis, Millis)>,
    /// Whether every event was read.
    complete: bool,
    /// Streams that lost events: their span is looked up again.
    lost: &'a BTreeSet<String>,
}

impl Spans<'_> {
    /// The spans of the streams that lost events, in one pass over the events (rare:
    /// after a directory got a project, or a correction).
    fn rescan(&self, tx: &Transaction) -> Result<HashMap<String, (String, String)>> {
        if self.complete || self.lost.is_empty() {
            return Ok(HashMap::new());
        }
        let mut stmt = tx.prepare(
            "SELECT stream_id, min(timestamp), max(timestamp) FROM events
             WHERE stream_id IS NOT NULL GROUP BY stream_id",
        )?;
        let mut out = HashMap::new();
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let id: String = r.get(0)?;
            if self.lost.contains(&id) {
                out.insert(id, (r.get(1)?, r.get(2)?));
            }
        }
        Ok(out)
    }
}

/// Brings the `streams` rows of `touched` up to date (first and last event, project,
/// machine), drops streams left without events (unless the user created them), and
/// renames every stream whose unique name changed. Returns the number of streams.
fn refresh_streams(
    tx: &Transaction,
    touched: &BTreeSet<String>,
    keys: &BTreeMap<String, (String, String)>,
    corrections: &Corrections,
    spans: &Spans,
) -> Result<u64> {
    let rescanned = spans.rescan(tx)?;
    let mut existing = tx.prepare_cached(
        "SELECT machine_id, project, nullif(created_at, ''), nullif(updated_at, '') FROM streams WHERE id = ?1",
    )?;
    let text = |ms: Millis| Timestamp::from_millis(ms).to_string();
    for id in touched {
        let stored: Option<StoredStream> = existing
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .optional()?;
        let seen = spans.seen.get(id).map(|&(a, b)| (text(a), text(b)));
        let (first, last) = if spans.complete {
            seen.unzip()
        } else if spans.lost.contains(id) {
            rescanned.get(id).cloned().unzip()
        } else {
            let stored_span = stored.as_ref().and_then(|s| s.2.clone().zip(s.3.clone()));
            match (stored_span, seen) {
                (Some((a, b)), Some((c, d))) => (Some(a.min(c)), Some(b.max(d))),
                (one, other) => one.or(other).unzip(),
            }
        };
        let stored = stored.map(|(machine, project, _, _)| (machine, project));
        let created = corrections.created.contains(id);
        let (Some(first), Some(last)) = (first, last) else {
            if !created {
                // A stream left without events goes, unless the user tagged it: its
                // events may come back (an unassign), and the tags with them.
                tx.execute(
                    "DELETE FROM streams WHERE id = ?1
                     AND NOT EXISTS (SELECT 1 FROM stream_tags WHERE stream_id = ?1)",
                    [id],
                )?;
                continue;
            }
            let info = corrections.streams.get(id);
            if stored.is_none()
                && let Some(info) = info
            {
                tx.execute(
                    "INSERT INTO streams (id, machine_id, name, project, created_at, updated_at)
                     VALUES (?1, ?2, '', ?3, '', '')",
                    params![id, info.machine_id, info.project],
                )?;
            } else if stored.is_some() {
                // A created stream whose events all left keeps its row, without a span.
                tx.execute(
                    "UPDATE streams SET created_at = '', updated_at = '' WHERE id = ?1",
                    [id],
                )?;
            }
            continue;
        };
        let (machine, project) = match keys.get(id) {
            Some((machine, project)) => (machine.clone(), Some(project.clone())),
            None => match (corrections.streams.get(id), stored) {
                (Some(info), _) => (info.machine_id.clone(), info.project.clone()),
                (None, Some(stored)) => stored,
                (None, None) => continue,
            },
        };
        tx.execute(
            "INSERT INTO streams (id, machine_id, name, project, created_at, updated_at)
             VALUES (?1, ?2, '', ?3, ?4, ?5)
             ON CONFLICT (id) DO UPDATE SET machine_id = excluded.machine_id, project = excluded.project,
                created_at = excluded.created_at, updated_at = excluded.updated_at
             WHERE (machine_id, project, created_at, updated_at)
                IS NOT (excluded.machine_id, excluded.project, excluded.created_at, excluded.updated_at)",
            params![id, machine, project, first, last],
        )?;
    }
    rename_all(tx, corrections)
}

/// Brings the `streams` rows of `touched` up to date and every name, without
/// re-deciding any event: after a correction that moves no event (a rename, a new
/// stream).
pub fn refresh_names(tx: &Transaction, touched: &BTreeSet<String>, corrections: &Corrections) -> Result<u64> {
    let spans = Spans {
        seen: HashMap::new(),
        complete: false,
        lost: &BTreeSet::new(),
    };
    refresh_streams(tx, touched, &BTreeMap::new(), corrections, &spans)
}

/// Gives every stream its unique readable name; writes only names that changed.
fn rename_all(tx: &Transaction, corrections: &Corrections) -> Result<u64> {
    let mut stmt = tx.prepare(
        "SELECT s.id, s.name, s.project, coalesce(m.label, substr(s.machine_id, 1, 8))
         FROM streams s LEFT JOIN machines m ON m.machine_id = s.machine_id ORDER BY s.id",
    )?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, String>(3)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let wanted: Vec<String> = rows
        .iter()
        .map(|(id, _, project, _)| match corrections.names.get(id) {
            Some(name) => name.clone(),
            None => infer::base_name(project.as_deref().unwrap_or(id)).to_string(),
        })
        .collect();
    let requests: Vec<NameRequest> = rows
        .iter()
        .zip(&wanted)
        .map(|((id, _, _, label), wanted)| NameRequest {
            id,
            label,
            wanted,
            fixed: corrections.names.contains_key(id),
        })
        .collect();
    let names = infer::unique_names(&requests);
    let mut update = tx.prepare_cached("UPDATE streams SET name = ?2 WHERE id = ?1")?;
    for ((id, old, _, _), name) in rows.iter().zip(&names) {
        if old != name {
            update.execute(params![id, name])?;
        }
    }
    Ok(rows.len() as u64)
}
