//! The `streams`, `stream_tags` and `intervals` tables as commands and reports read
//! them: listing with totals, resolving what a user typed to one stream, tags.

use std::collections::BTreeMap;

use anyhow::{Result, bail};
use rusqlite::{Connection, OptionalExtension, params};

/// One stream as `tt streams` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamRow {
    pub id: String,
    pub name: String,
    pub machine_id: String,
    pub machine_label: String,
    pub project: Option<String>,
    pub first_event_at: Option<String>,
    pub last_event_at: Option<String>,
    pub tags: Vec<String>,
    pub direct_ms: i64,
    pub delegated_ms: i64,
}

/// Every stream with its tags, most recently active first, and its direct and
/// delegated time in `[from, to)` (None: unbounded).
pub fn list(conn: &Connection, from: Option<i64>, to: Option<i64>) -> Result<Vec<StreamRow>> {
    let mut stmt = conn.prepare(
        "SELECT s.id, s.name, s.machine_id, coalesce(m.label, substr(s.machine_id, 1, 8)), s.project,
                nullif(s.created_at, ''), nullif(s.updated_at, '')
         FROM streams s LEFT JOIN machines m ON m.machine_id = s.machine_id
         ORDER BY s.updated_at DESC, s.name, s.id",
    )?;
    let mut rows: Vec<StreamRow> = stmt
        .query_map([], |r| {
            Ok(StreamRow {
                id: r.get(0)?,
                name: r.get(1)?,
                machine_id: r.get(2)?,
                machine_label: r.get(3)?,
                project: r.get(4)?,
                first_event_at: r.get(5)?,
                last_event_at: r.get(6)?,
                tags: Vec::new(),
                direct_ms: 0,
                delegated_ms: 0,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let tags = all_tags(conn)?;
    let totals = totals(conn, from, to)?;
    for row in &mut rows {
        row.tags = tags.get(&row.id).cloned().unwrap_or_default();
        if let Some(&(direct, delegated)) = totals.get(&row.id) {
            row.direct_ms = direct;
            row.delegated_ms = delegated;
        }
    }
    Ok(rows)
}

/// stream id -> its tags, sorted.
pub fn all_tags(conn: &Connection) -> Result<BTreeMap<String, Vec<String>>> {
    let mut stmt = conn.prepare("SELECT stream_id, tag FROM stream_tags ORDER BY stream_id, tag")?;
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        map.entry(r.get(0)?).or_default().push(r.get(1)?);
    }
    Ok(map)
}

/// stream id -> (direct_ms, delegated_ms) of the intervals clipped to `[from, to)`.
pub fn totals(conn: &Connection, from: Option<i64>, to: Option<i64>) -> Result<BTreeMap<String, (i64, i64)>> {
    let (from, to) = (from.unwrap_or(i64::MIN), to.unwrap_or(i64::MAX));
    let mut stmt = conn.prepare(
        "SELECT stream_id,
                sum(CASE WHEN kind = 'direct' THEN min(end_ms, ?2) - max(start_ms, ?1) ELSE 0 END),
                sum(CASE WHEN kind = 'delegated' THEN min(end_ms, ?2) - max(start_ms, ?1) ELSE 0 END)
         FROM intervals
         WHERE end_ms > ?1 AND start_ms < ?2 AND stream_id IS NOT NULL
         GROUP BY stream_id",
    )?;
    let map = stmt
        .query_map(params![from, to], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(map)
}

/// Finds the one stream `query` names: an id, a unique id prefix, or a unique name.
/// Unknown or ambiguous: an error listing the candidates.
pub fn resolve(conn: &Connection, query: &str) -> Result<(String, String)> {
    let exact: Option<(String, String)> = conn
        .query_row(
            "SELECT id, name FROM streams WHERE id = ?1 OR name = ?1 ORDER BY id = ?1 DESC LIMIT 1",
            [query],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    if let Some(found) = exact {
        return Ok(found);
    }
    let mut stmt = conn.prepare(
        "SELECT id, name FROM streams
         WHERE substr(id, 1, length(?1)) = ?1 OR instr(lower(name), lower(?1)) > 0
         ORDER BY name, id",
    )?;
    let candidates: Vec<(String, String)> = stmt
        .query_map([query], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let by_prefix: Vec<&(String, String)> = candidates
        .iter()
        .filter(|(id, _)| id.starts_with(query))
        .collect();
    if by_prefix.len() == 1 {
        return Ok(by_prefix[0].clone());
    }
    let list = |c: &[(String, String)]| {
        c.iter()
            .take(10)
            .map(|(id, name)| format!("{name} ({})", &id[..8.min(id.len())]))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if candidates.is_empty() {
        let count: i64 = conn.query_row("SELECT count(*) FROM streams", [], |r| r.get(0))?;
        if count == 0 {
            bail!("no stream {query:?}: there are no streams yet (run 'tt sync' or 'tt recompute')");
        }
        bail!("no stream {query:?}; 'tt streams' lists them");
    }
    if by_prefix.len() > 1 {
        let ambiguous: Vec<(String, String)> = by_prefix.into_iter().cloned().collect();
        bail!(
            "stream {query:?} is ambiguous: it could be {}; give more of the id",
            list(&ambiguous)
        );
    }
    bail!("no stream {query:?}; did you mean {}?", list(&candidates))
}

/// Adds `tags` to `stream`; returns how many were new.
pub fn tag(conn: &Connection, stream: &str, tags: &[String]) -> Result<usize> {
    let mut stmt =
        conn.prepare_cached("INSERT OR IGNORE INTO stream_tags (stream_id, tag) VALUES (?1, ?2)")?;
    let mut added = 0;
    for tag in tags {
        added += stmt.execute(params![stream, tag])?;
    }
    Ok(added)
}

/// Removes `tags` from `stream`; returns how many it had.
pub fn untag(conn: &Connection, stream: &str, tags: &[String]) -> Result<usize> {
    let mut stmt = conn.prepare_cached("DELETE FROM stream_tags WHERE stream_id = ?1 AND tag = ?2")?;
    let mut removed = 0;
    for tag in tags {
        removed += stmt.execute(params![stream, tag])?;
    }
    Ok(removed)
}
