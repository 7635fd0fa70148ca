//! The `corrections` table (the user's decisions, in order) and the queries the
//! corrections commands make to say what a correction moves.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result};
use rusqlite::{Connection, params};

use crate::streams::allocate::Millis;
use crate::streams::corrections::{EventRef, Op, Selector};
use crate::timestamp::Timestamp;

/// Every stored correction, oldest first.
pub fn load(conn: &Connection) -> Result<Vec<Op>> {
    let mut stmt = conn.prepare("SELECT seq, op FROM corrections ORDER BY seq")?;
    let mut rows = stmt.query([])?;
    let mut ops = Vec::new();
    while let Some(r) = rows.next()? {
        let seq: i64 = r.get(0)?;
        let text: &str = r.get_ref(1)?.as_str()?;
        let op = serde_json::from_str(text).with_context(|| {
            format!("correction {seq} in the database is unreadable (written by a newer tt?)")
        })?;
        ops.push(op);
    }
    Ok(ops)
}

/// Stores `op` after the others.
pub fn append(conn: &Connection, op: &Op, created_at: Timestamp) -> Result<()> {
    conn.execute(
        "INSERT INTO corrections (created_at, op) VALUES (?1, ?2)",
        params![created_at.to_string(), serde_json::to_string(op)?],
    )?;
    Ok(())
}

/// The events `selector` matches.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Matched {
    pub count: u64,
    /// The earliest (None: none matched).
    pub earliest: Option<Millis>,
    pub machines: BTreeSet<String>,
}

/// The events `selector` matches, as the recompute will match them.
pub fn matching(conn: &Connection, selector: &Selector) -> Result<Matched> {
    const COLUMNS: &str = "SELECT id, machine_id, timestamp, cwd, session_id FROM events";
    let (sql, args): (String, Vec<String>) = match selector {
        Selector::Session { session_id, .. } => (
            // The session and its subagents (`<id>/agent-...`), by index range.
            format!(
                "{COLUMNS} WHERE session_id = ?1 OR (session_id >= ?1 || '/' AND session_id < ?1 || '0')"
            ),
            vec![session_id.clone()],
        ),
        Selector::Events { ids } => {
            let marks = (1..=ids.len())
                .map(|i| format!("?{i}"))
                .collect::<Vec<_>>()
                .join(", ");
            (format!("{COLUMNS} WHERE id IN ({marks})"), ids.clone())
        }
        Selector::Range { start, end, .. } => (
            format!("{COLUMNS} WHERE timestamp >= ?1 AND timestamp < ?2"),
            vec![
                Timestamp::from_millis(*start).to_string(),
                Timestamp::from_millis(*end).to_string(),
            ],
        ),
    };
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query(rusqlite::params_from_iter(args))?;
    let mut matched = Matched::default();
    while let Some(r) = rows.next()? {
        let ts: &str = r.get_ref(2)?.as_str()?;
        let at = ts
            .parse::<Timestamp>()
            .with_context(|| format!("event with an unreadable timestamp {ts:?} in the database"))?
            .as_millis();
        let event = EventRef {
            id: r.get_ref(0)?.as_str_or_null()?,
            machine_id: r.get_ref(1)?.as_str()?,
            at,
            cwd: r.get_ref(3)?.as_str_or_null()?,
            session_id: r.get_ref(4)?.as_str_or_null()?,
        };
        // The SQL narrows; the rule itself decides, as the recompute will.
        if selector.matches(&event) {
            matched.count += 1;
            matched.earliest = Some(matched.earliest.map_or(at, |e| e.min(at)));
            if !matched.machines.contains(event.machine_id) {
                matched.machines.insert(event.machine_id.to_string());
            }
        }
    }
    Ok(matched)
}

/// Direct and delegated time per stream (None: unassigned) from `from` on.
pub fn time_by_stream(conn: &Connection, from: Millis) -> Result<BTreeMap<Option<String>, (i64, i64)>> {
    let mut stmt = conn.prepare(
        "SELECT stream_id,
                sum(CASE WHEN kind = 'direct' THEN end_ms - max(start_ms, ?1) ELSE 0 END),
                sum(CASE WHEN kind = 'delegated' THEN end_ms - max(start_ms, ?1) ELSE 0 END)
         FROM intervals WHERE end_ms > ?1 GROUP BY stream_id",
    )?;
    let map = stmt
        .query_map([from], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(map)
}

/// The ids of `ids` that are not in the database.
pub fn unknown_events(conn: &Connection, ids: &[String]) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached("SELECT 1 FROM events WHERE id = ?1")?;
    let mut unknown = Vec::new();
    for id in ids {
        if !stmt.exists([id])? {
            unknown.push(id.clone());
        }
    }
    Ok(unknown)
}

/// Whether the database knows agent session `session_id` (of `machine_id`, if given):
/// from its events or the session index.
pub fn session_known(conn: &Connection, session_id: &str, machine_id: Option<&str>) -> Result<bool> {
    let in_events = conn
        .prepare_cached(
            "SELECT 1 FROM events WHERE session_id = ?1 AND (?2 IS NULL OR machine_id = ?2) LIMIT 1",
        )?
        .exists(params![session_id, machine_id])?;
    if in_events {
        return Ok(true);
    }
    Ok(conn
        .prepare_cached(
            "SELECT 1 FROM agent_sessions WHERE session_id = ?1 AND (?2 IS NULL OR machine_id = ?2)",
        )?
        .exists(params![session_id, machine_id])?)
}
