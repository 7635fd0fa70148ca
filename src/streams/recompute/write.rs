//! Writing what the recompute decided: intervals, the project maps, the streams rows
//! and their names, each only where it changed.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use anyhow::Result;
use rusqlite::{OptionalExtension, Transaction, params};

use super::Scope;
use super::read::Loaded;
use crate::streams::allocate::{Interval, Kind, Millis};
use crate::streams::corrections::Corrections;
use crate::streams::infer::{self, NameRequest, ProjectMap};
use crate::timestamp::Timestamp;

pub(super) fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Direct => "direct",
        Kind::Delegated => "delegated",
    }
}

/// Replaces the stored intervals from `cut` on (everything when `cut` is None) with
/// `intervals`, joining those that touch at `cut`.
pub(super) fn write_intervals(
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
            // Those crossing `cut` end there; one that then touches a new interval of
            // the same kind, stream and machine is joined with it.
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
pub(super) fn same_intervals(tx: &Transaction, intervals: &[Interval], loaded: &Loaded) -> Result<bool> {
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

pub(super) fn write_maps(tx: &Transaction, maps: &HashMap<String, ProjectMap>, scope: Scope) -> Result<()> {
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
pub(super) type StoredStream = (String, Option<String>, Option<String>, Option<String>);

/// First and last event per stream, as far as this recompute knows them.
pub(super) struct Spans<'a> {
    /// Over the events read.
    pub(super) seen: HashMap<String, (Millis, Millis)>,
    /// Whether every event was read.
    pub(super) complete: bool,
    /// Streams that lost events: their span is looked up again.
    pub(super) lost: &'a BTreeSet<String>,
}

impl Spans<'_> {
    /// The spans of the streams that lost events, in one pass over the events (rare:
    /// after a directory got a project, or a correction).
    pub(super) fn rescan(&self, tx: &Transaction) -> Result<HashMap<String, (String, String)>> {
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
pub(super) fn refresh_streams(
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
pub(super) fn rename_all(tx: &Transaction, corrections: &Corrections) -> Result<u64> {
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
