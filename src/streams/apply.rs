//! Applying corrections (SPEC §10 "Corrections"): what the user typed, on the command
//! line or in a `tt assign --apply` document, is resolved against the database to an
//! [`Op`], stored, and recomputed, all in the caller's transaction: a request that
//! cannot be applied leaves nothing behind.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use anyhow::{Result, anyhow};
use jiff::tz::TimeZone;
use rusqlite::{OptionalExtension, Transaction, params};
use serde_json::{Map, Value};

use super::allocate::{Millis, Params};
use super::corrections::{Op, Selector, StreamInfo};
use super::infer;
use super::recompute::{self, Scope};
use crate::report::format::duration;
use crate::store::{corrections as table, machines, streams};
use crate::timestamp::Timestamp;
use crate::when;

/// One correction as the user asked for it: streams, machines and times as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// `stream` None: unassign.
    Assign {
        stream: Option<String>,
        selector: SelectorRequest,
    },
    Rename {
        stream: String,
        name: String,
    },
    Merge {
        into: String,
        from: Vec<String>,
    },
    New {
        name: String,
        machine: String,
    },
}

/// Which events, as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SelectorRequest {
    Session {
        id: String,
        machine: Option<String>,
    },
    Events(Vec<String>),
    Range {
        start: String,
        end: String,
        machine: Option<String>,
        cwd: Option<String>,
    },
}

/// Why a request cannot be applied, and the field (flag or document key) at fault.
#[derive(Debug)]
pub struct Invalid {
    pub field: String,
    pub error: anyhow::Error,
}

fn invalid(field: &str, error: anyhow::Error) -> Invalid {
    Invalid {
        field: field.to_string(),
        error,
    }
}

/// A request of a batch that failed: which one, and why. Nothing was applied.
#[derive(Debug)]
pub struct Rejected {
    pub index: usize,
    pub op: &'static str,
    pub invalid: Invalid,
}

impl fmt::Display for Rejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "operation {} ({}), field {:?}: {:#}; nothing was applied",
            self.index, self.op, self.invalid.field, self.invalid.error
        )
    }
}

impl std::error::Error for Rejected {}

impl Request {
    pub fn op_name(&self) -> &'static str {
        match self {
            Request::Assign { stream: Some(_), .. } => "assign",
            Request::Assign { stream: None, .. } => "unassign",
            Request::Rename { .. } => "rename",
            Request::Merge { .. } => "merge",
            Request::New { .. } => "new",
        }
    }
}

impl SelectorRequest {
    /// The one selector among the parts given; the others must be absent.
    pub fn from_parts(
        session: Option<String>,
        events: Option<Vec<String>>,
        start: Option<String>,
        end: Option<String>,
        machine: Option<String>,
        cwd: Option<String>,
    ) -> Result<SelectorRequest, Invalid> {
        let conflict = |field, with: &str| invalid(field, anyhow!("cannot be combined with {with}"));
        match (session, events, start, end) {
            (Some(id), None, None, None) => {
                if cwd.is_some() {
                    return Err(conflict("cwd", "session"));
                }
                Ok(SelectorRequest::Session { id, machine })
            }
            (None, Some(ids), None, None) => {
                if machine.is_some() {
                    return Err(conflict("machine", "event"));
                }
                if cwd.is_some() {
                    return Err(conflict("cwd", "event"));
                }
                Ok(SelectorRequest::Events(ids))
            }
            (None, None, Some(start), Some(end)) => Ok(SelectorRequest::Range {
                start,
                end,
                machine,
                cwd,
            }),
            (None, None, Some(_), None) => {
                Err(invalid("end", anyhow!("missing: a range needs start and end")))
            }
            (None, None, None, Some(_)) => {
                Err(invalid("start", anyhow!("missing: a range needs start and end")))
            }
            (None, None, None, None) => Err(invalid(
                "session",
                anyhow!("no events selected: give a session, event ids, or a start and an end"),
            )),
            (Some(_), ..) => Err(conflict("session", "event, start or end")),
            (None, Some(_), ..) => Err(conflict("event", "start or end")),
        }
    }
}

/// What applying a batch did.
#[derive(Debug, Default)]
pub struct Applied {
    /// One line per request.
    pub lines: Vec<String>,
    /// Events whose stream changed.
    pub events_moved: u64,
    /// Time that changed stream (to, from or between streams, or to unassigned).
    pub direct_moved_ms: i64,
    pub delegated_moved_ms: i64,
}

impl Applied {
    /// "12 events changed stream; 1h 05m direct and 20m delegated time moved."
    pub fn summary(&self) -> String {
        format!(
            "{} changed stream; {} direct and {} delegated time moved.",
            plural(self.events_moved, "event"),
            duration(self.direct_moved_ms),
            duration(self.delegated_moved_ms)
        )
    }
}

fn plural(n: u64, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// Applies `requests` in order inside `tx`, each seeing the ones before it (a stream
/// made by `new` can be assigned to by name). The first that cannot be applied stops
/// the batch with [`Rejected`]; the caller then drops `tx` and nothing changes.
pub fn apply(
    tx: &Transaction,
    requests: &[Request],
    params: &Params,
    tz: &TimeZone,
    now: Timestamp,
) -> Result<Applied> {
    let mut corrections = super::load_corrections(tx)?;
    // Events not yet recomputed first: the recompute from the correction's earliest
    // event on does not reach those before it.
    recompute::run(tx, Scope::New, params, &corrections)?;
    let mut applied = Applied::default();
    let mut earliest: Option<Millis> = None;
    let mut created = BTreeSet::new();
    for (index, request) in requests.iter().enumerate() {
        let (op, effect) = resolve(tx, request, tz).map_err(|invalid| Rejected {
            index,
            op: request.op_name(),
            invalid,
        })?;
        table::append(tx, &op, now)?;
        corrections.push(&op);
        restructure(tx, &op)?;
        if let Op::New { stream, .. } = &op {
            created.insert(stream.clone());
        }
        if let Some(at) = effect.earliest {
            earliest = Some(earliest.map_or(at, |e| e.min(at)));
        }
        applied.lines.push(effect.line);
    }
    match earliest {
        Some(from) => {
            let before = table::time_by_stream(tx, from)?;
            let outcome = recompute::run(tx, Scope::From(from), params, &corrections)?;
            let after = table::time_by_stream(tx, from)?;
            applied.events_moved = outcome.changed;
            (applied.direct_moved_ms, applied.delegated_moved_ms) = moved(&before, &after);
        }
        None => {
            recompute::refresh_names(tx, &created, &corrections)?;
        }
    }
    Ok(applied)
}

/// Time that arrived somewhere: the sum of every stream's gains (unassigned counts as
/// one), per kind.
fn moved(
    before: &BTreeMap<Option<String>, (i64, i64)>,
    after: &BTreeMap<Option<String>, (i64, i64)>,
) -> (i64, i64) {
    let (mut direct, mut delegated) = (0, 0);
    for (stream, &(d1, g1)) in after {
        let (d0, g0) = before.get(stream).copied().unwrap_or((0, 0));
        direct += (d1 - d0).max(0);
        delegated += (g1 - g0).max(0);
    }
    (direct, delegated)
}

/// What a resolved request will do: its line for the user and the earliest event it
/// can move (None: it moves none).
struct Effect {
    line: String,
    earliest: Option<Millis>,
}

/// The changes to the `streams` and `stream_tags` tables a correction makes at once,
/// so the requests after it in a batch see them (the recompute follows at the end).
fn restructure(tx: &Transaction, op: &Op) -> Result<()> {
    match op {
        Op::New {
            stream,
            machine_id,
            name,
        } => {
            tx.execute(
                "INSERT INTO streams (id, machine_id, name, project, created_at, updated_at)
                 VALUES (?1, ?2, ?3, NULL, '', '')",
                params![stream, machine_id, name],
            )?;
        }
        Op::Rename { stream, name } => {
            tx.execute(
                "UPDATE streams SET name = ?2 WHERE id = ?1",
                params![stream, name],
            )?;
        }
        Op::Merge { into, from, .. } => {
            for (gone, _) in from {
                tx.execute(
                    "INSERT OR IGNORE INTO stream_tags (stream_id, tag)
                     SELECT ?1, tag FROM stream_tags WHERE stream_id = ?2",
                    params![into, gone],
                )?;
                // Its tags go with the row (ON DELETE CASCADE).
                tx.execute("DELETE FROM stream_tags WHERE stream_id = ?1", [gone])?;
                tx.execute("DELETE FROM streams WHERE id = ?1", [gone])?;
            }
        }
        Op::Assign { .. } | Op::Unassign { .. } => {}
    }
    Ok(())
}

/// A stream as the user named it: (id, name, machine and project).
fn stream(
    tx: &Transaction,
    field: &'static str,
    query: &str,
) -> Result<(String, String, StreamInfo), Invalid> {
    let (id, name) = streams::resolve(tx, query).map_err(|e| invalid(field, e))?;
    let info = tx
        .query_row(
            "SELECT machine_id, project FROM streams WHERE id = ?1",
            [&id],
            |r| {
                Ok(StreamInfo {
                    machine_id: r.get(0)?,
                    project: r.get(1)?,
                })
            },
        )
        .map_err(|e| invalid(field, e.into()))?;
    Ok((id, name, info))
}

fn machine(tx: &Transaction, field: &'static str, query: &str) -> Result<String, Invalid> {
    machines::resolve(tx, query).map_err(|e| invalid(field, e))
}

fn label(tx: &Transaction, machine_id: &str) -> String {
    machines::get(tx, machine_id)
        .ok()
        .flatten()
        .map_or_else(|| machine_id[..machine_id.len().min(8)].to_string(), |m| m.label)
}

/// A stream name the user chose: printable, and not another stream's.
fn check_name(tx: &Transaction, name: &str, except: Option<&str>) -> Result<(), Invalid> {
    if name.trim().is_empty() || name != name.trim() || name.chars().any(char::is_control) {
        return Err(invalid(
            "name",
            anyhow!("{name:?} is not a usable name: give a non-empty name without surrounding spaces"),
        ));
    }
    let taken: Option<String> = tx
        .query_row(
            "SELECT id FROM streams WHERE name = ?1 AND id IS NOT ?2",
            params![name, except],
            |r| r.get(0),
        )
        .optional()
        .map_err(|e| invalid("name", e.into()))?;
    if let Some(other) = taken {
        return Err(invalid(
            "name",
            anyhow!(
                "another stream ({}) is already called {name:?}; rename it first or choose another name",
                &other[..8.min(other.len())]
            ),
        ));
    }
    Ok(())
}

/// The project string that makes the id of a stream made by `tt streams new`: stable
/// across rebuilds, and never a real project (no path or git name holds a NUL).
fn created_project(name: &str) -> String {
    format!("\0new\0{name}")
}

fn resolve(tx: &Transaction, request: &Request, tz: &TimeZone) -> Result<(Op, Effect), Invalid> {
    let db = |field| move |e: rusqlite::Error| invalid(field, e.into());
    let anydb = |field| move |e: anyhow::Error| invalid(field, e);
    match request {
        Request::Assign {
            stream: target,
            selector,
        } => {
            let selector = resolve_selector(tx, selector, tz)?;
            let matched = table::matching(tx, &selector).map_err(anydb("event"))?;
            let (what, earliest) = (plural(matched.count, "event"), matched.earliest);
            match target {
                Some(query) => {
                    let (id, name, info) = stream(tx, "stream", query)?;
                    let mut line = format!("assign: {what} to {name}");
                    let others: Vec<String> = matched
                        .machines
                        .iter()
                        .filter(|m| **m != info.machine_id)
                        .map(|m| label(tx, m))
                        .collect();
                    if !others.is_empty() {
                        line.push_str(&format!(
                            " (across machines: events of {} go to a stream of {})",
                            others.join(", "),
                            label(tx, &info.machine_id)
                        ));
                    }
                    let op = Op::Assign {
                        stream: id,
                        info,
                        selector,
                    };
                    Ok((op, Effect { line, earliest }))
                }
                None => {
                    let line = format!("unassign: {what} back to inference");
                    Ok((Op::Unassign { selector }, Effect { line, earliest }))
                }
            }
        }
        Request::Rename { stream: query, name } => {
            let (id, old, _) = stream(tx, "stream", query)?;
            check_name(tx, name, Some(&id))?;
            let line = format!("rename: {old} is now {name}");
            let op = Op::Rename {
                stream: id,
                name: name.clone(),
            };
            Ok((op, Effect { line, earliest: None }))
        }
        Request::Merge { into, from } => {
            let (into_id, into_name, info) = stream(tx, "into", into)?;
            if from.is_empty() {
                return Err(invalid("from", anyhow!("no stream to merge: give at least one")));
            }
            let mut gone: Vec<(String, StreamInfo)> = Vec::new();
            let mut names = Vec::new();
            let mut other_machines = BTreeSet::new();
            for query in from {
                let (id, name, from_info) = stream(tx, "from", query)?;
                if id == into_id {
                    return Err(invalid(
                        "from",
                        anyhow!("{name} is the stream merged into; a stream cannot merge into itself"),
                    ));
                }
                if gone.iter().any(|(g, _)| *g == id) {
                    continue;
                }
                if from_info.machine_id != info.machine_id {
                    other_machines.insert(label(tx, &from_info.machine_id));
                }
                names.push(name);
                gone.push((id, from_info));
            }
            let mut earliest: Option<Millis> = None;
            let mut count = 0u64;
            for (id, _) in &gone {
                let (n, first): (i64, Option<String>) = tx
                    .query_row(
                        "SELECT count(*), min(timestamp) FROM events WHERE stream_id = ?1",
                        [id],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .map_err(db("from"))?;
                count += n as u64;
                if let Some(first) = first.and_then(|t| t.parse::<Timestamp>().ok()) {
                    let at = first.as_millis();
                    earliest = Some(earliest.map_or(at, |e| e.min(at)));
                }
            }
            let mut line = format!(
                "merge: {} into {into_name} ({}, with their tags; their projects keep going to {into_name})",
                names.join(", "),
                plural(count, "event")
            );
            if !other_machines.is_empty() {
                line.push_str(&format!(
                    "; across machines: {} merged into a stream of {}",
                    other_machines.into_iter().collect::<Vec<_>>().join(", "),
                    label(tx, &info.machine_id)
                ));
            }
            let op = Op::Merge {
                into: into_id,
                info,
                from: gone,
            };
            Ok((op, Effect { line, earliest }))
        }
        Request::New { name, machine: query } => {
            let machine_id = machine(tx, "machine", query)?;
            check_name(tx, name, None)?;
            let id = infer::stream_id(&machine_id, &created_project(name));
            let existing: Option<String> = tx
                .query_row("SELECT name FROM streams WHERE id = ?1", [&id], |r| r.get(0))
                .optional()
                .map_err(db("name"))?;
            if let Some(now_called) = existing {
                return Err(invalid(
                    "name",
                    anyhow!(
                        "a stream was already created as {name:?} on this machine (now called {now_called:?})"
                    ),
                ));
            }
            let line = format!("new: stream {name} on {}", label(tx, &machine_id));
            let op = Op::New {
                stream: id,
                machine_id,
                name: name.clone(),
            };
            Ok((op, Effect { line, earliest: None }))
        }
    }
}

fn resolve_selector(
    tx: &Transaction,
    selector: &SelectorRequest,
    tz: &TimeZone,
) -> Result<Selector, Invalid> {
    match selector {
        SelectorRequest::Session { id, machine: m } => {
            let machine_id = m.as_deref().map(|q| machine(tx, "machine", q)).transpose()?;
            let known =
                table::session_known(tx, id, machine_id.as_deref()).map_err(|e| invalid("session", e))?;
            if !known {
                return Err(invalid(
                    "session",
                    anyhow!("no agent session {id:?} in the database; 'tt context' lists them"),
                ));
            }
            Ok(Selector::Session {
                machine_id,
                session_id: id.clone(),
            })
        }
        SelectorRequest::Events(ids) => {
            if ids.is_empty() {
                return Err(invalid("event", anyhow!("no event ids given")));
            }
            let unknown = table::unknown_events(tx, ids).map_err(|e| invalid("event", e))?;
            if let Some(first) = unknown.first() {
                return Err(invalid(
                    "event",
                    anyhow!(
                        "no event {first:?} in the database{}; 'tt context' lists them",
                        if unknown.len() > 1 {
                            format!(" (and {} more unknown)", unknown.len() - 1)
                        } else {
                            String::new()
                        }
                    ),
                ));
            }
            Ok(Selector::Events { ids: ids.clone() })
        }
        SelectorRequest::Range {
            start,
            end,
            machine: m,
            cwd,
        } => {
            let start_ms = when::parse_instant(start, tz)
                .map_err(|e| invalid("start", e))?
                .as_millis();
            let end_ms = when::parse_instant(end, tz)
                .map_err(|e| invalid("end", e))?
                .as_millis();
            if end_ms <= start_ms {
                return Err(invalid(
                    "end",
                    anyhow!("{end:?} is not after the start {start:?}"),
                ));
            }
            let machine_id = m.as_deref().map(|q| machine(tx, "machine", q)).transpose()?;
            if let Some(cwd) = cwd
                && !cwd.starts_with('/')
            {
                return Err(invalid(
                    "cwd",
                    anyhow!("{cwd:?} is not an absolute directory (events record absolute ones)"),
                ));
            }
            Ok(Selector::Range {
                start: start_ms,
                end: end_ms,
                machine_id,
                cwd_prefix: cwd.clone(),
            })
        }
    }
}

/// Reads a `tt assign --apply` document: `{"operations": [{"op": ..., ...}]}` with the
/// commands' long flag and argument names as fields.
pub fn parse_document(text: &str) -> Result<Vec<Request>> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| anyhow!("the corrections document is not JSON ({e}); nothing was applied"))?;
    let Some(list) = value.get("operations").and_then(Value::as_array) else {
        return Err(anyhow!(
            "the corrections document has no \"operations\" list: expected {{\"operations\": [{{\"op\": \"assign\", ...}}]}}; nothing was applied"
        ));
    };
    let mut requests = Vec::with_capacity(list.len());
    for (index, entry) in list.iter().enumerate() {
        let op = entry.get("op").and_then(Value::as_str).unwrap_or("?");
        let reject = |field, error| Rejected {
            index,
            op: static_op(op),
            invalid: invalid(field, error),
        };
        let Some(map) = entry.as_object() else {
            return Err(reject("op", anyhow!("not an object")).into());
        };
        let request = parse_entry(map).map_err(|invalid| Rejected {
            index,
            op: static_op(op),
            invalid,
        })?;
        requests.push(request);
    }
    Ok(requests)
}

fn static_op(op: &str) -> &'static str {
    ["assign", "unassign", "rename", "merge", "new"]
        .into_iter()
        .find(|o| *o == op)
        .unwrap_or("unknown op")
}

/// The fields of one entry.
struct Fields<'a> {
    map: &'a Map<String, Value>,
}

impl Fields<'_> {
    /// Refuses a field the op does not take (a misspelling is named, not ignored).
    fn only(&self, allowed: &[&str]) -> Result<(), Invalid> {
        match self
            .map
            .keys()
            .find(|k| *k != "op" && !allowed.contains(&k.as_str()))
        {
            Some(unknown) => Err(invalid(
                unknown,
                anyhow!("not a field of this op (expected {})", allowed.join(", ")),
            )),
            None => Ok(()),
        }
    }

    fn string(&self, field: &str) -> Result<Option<String>, Invalid> {
        match self.map.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(invalid(field, anyhow!("must be a string"))),
        }
    }

    fn required(&self, field: &str) -> Result<String, Invalid> {
        self.string(field)?
            .ok_or_else(|| invalid(field, anyhow!("missing")))
    }

    /// A string or a list of strings.
    fn strings(&self, field: &str) -> Result<Option<Vec<String>>, Invalid> {
        let bad = || invalid(field, anyhow!("must be a string or a list of strings"));
        match self.map.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(vec![s.clone()])),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| v.as_str().map(str::to_string).ok_or_else(bad))
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(_) => Err(bad()),
        }
    }
}

fn parse_entry(map: &Map<String, Value>) -> Result<Request, Invalid> {
    let f = Fields { map };
    const SELECTOR: [&str; 6] = ["session", "event", "start", "end", "machine", "cwd"];
    let op = f.required("op")?;
    let request = match op.as_str() {
        "assign" | "unassign" => {
            let stream = if op == "assign" {
                f.only(&[&["stream"][..], &SELECTOR].concat())?;
                Some(f.required("stream")?)
            } else {
                f.only(&SELECTOR)?;
                None
            };
            let selector = SelectorRequest::from_parts(
                f.string("session")?,
                f.strings("event")?,
                f.string("start")?,
                f.string("end")?,
                f.string("machine")?,
                f.string("cwd")?,
            )?;
            Request::Assign { stream, selector }
        }
        "rename" => {
            f.only(&["stream", "name"])?;
            Request::Rename {
                stream: f.required("stream")?,
                name: f.required("name")?,
            }
        }
        "merge" => {
            f.only(&["into", "from"])?;
            Request::Merge {
                into: f.required("into")?,
                from: f
                    .strings("from")?
                    .ok_or_else(|| invalid("from", anyhow!("missing")))?,
            }
        }
        "new" => {
            f.only(&["name", "machine"])?;
            Request::New {
                name: f.required("name")?,
                machine: f.required("machine")?,
            }
        }
        other => {
            return Err(invalid(
                "op",
                anyhow!("unknown op {other:?}: expected assign, unassign, rename, merge or new"),
            ));
        }
    };
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rejected(text: &str) -> String {
        let err = parse_document(text).unwrap_err();
        err.to_string()
    }

    #[test]
    fn a_document_reads_every_op_with_the_flag_names() {
        let requests = parse_document(
            r#"{"operations": [
                {"op": "assign", "stream": "acme", "start": "2026-03-09 14:00", "end": "2026-03-09 15:00",
                 "machine": "devbox", "cwd": "/w"},
                {"op": "assign", "stream": "acme", "session": "s1"},
                {"op": "unassign", "event": ["e1", "e2"]},
                {"op": "rename", "stream": "acme", "name": "client"},
                {"op": "merge", "into": "acme", "from": "acme@gpu"},
                {"op": "new", "name": "scratch", "machine": "devbox"}
            ]}"#,
        )
        .unwrap();
        assert_eq!(requests.len(), 6);
        assert_eq!(
            requests[2],
            Request::Assign {
                stream: None,
                selector: SelectorRequest::Events(vec!["e1".into(), "e2".into()])
            }
        );
        assert_eq!(
            requests[4],
            Request::Merge {
                into: "acme".into(),
                from: vec!["acme@gpu".into()]
            }
        );
    }

    #[test]
    fn a_bad_entry_is_named_by_index_and_field() {
        let err = rejected(
            r#"{"operations": [{"op": "new", "name": "x", "machine": "m"},
                               {"op": "assign", "stream": "acme", "start": "2026-03-09 14:00"}]}"#,
        );
        assert!(err.starts_with("operation 1 (assign), field \"end\""), "{err}");
        let err = rejected(r#"{"operations": [{"op": "rename", "stream": "a", "nmae": "b"}]}"#);
        assert!(
            err.starts_with("operation 0 (rename), field \"nmae\": not a field of this op"),
            "{err}"
        );
        let err =
            rejected(r#"{"operations": [{"op": "assign", "stream": "a", "session": "s", "event": "e"}]}"#);
        assert!(err.contains("field \"session\""), "{err}");
        let err = rejected(r#"{"operations": [{"op": "split"}]}"#);
        assert!(err.contains("unknown op \"split\""), "{err}");
        assert!(rejected("[]").contains("no \"operations\" list"));
    }

    #[test]
    fn the_readme_example_document_reads() {
        let readme = include_str!("../../README.md");
        let start = readme
            .find("```json\n{\"operations\"")
            .expect("README has an example document")
            + "```json\n".len();
        let end = start + readme[start..].find("```").unwrap();
        let requests = parse_document(&readme[start..end]).unwrap();
        let ops: Vec<&str> = requests.iter().map(Request::op_name).collect();
        assert_eq!(
            ops,
            ["new", "assign", "assign", "assign", "unassign", "rename", "merge"]
        );
    }

    #[test]
    fn moved_time_counts_what_arrived_including_unassigned() {
        let before = BTreeMap::from([(None, (100, 0)), (Some("a".to_string()), (50, 30))]);
        let after = BTreeMap::from([
            (None, (0, 0)),
            (Some("a".to_string()), (50, 0)),
            (Some("b".to_string()), (100, 30)),
        ]);
        assert_eq!(moved(&before, &after), (100, 30));
    }
}
