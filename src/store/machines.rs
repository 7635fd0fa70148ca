//! The `machines` table: one row per machine whose events the hub holds, with the
//! sync cursor (`last_event_id`) of each.

use anyhow::Result;
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MachineRow {
    pub machine_id: String,
    pub label: String,
    pub alias: Option<String>,
    pub last_sync_at: Option<String>,
    pub last_event_id: Option<String>,
    /// Events of this machine in the database, once [`count_events`] has counted
    /// them. Counting reads the whole events table, so the lookups the sync makes for
    /// its cursors leave it out.
    pub events: Option<u64>,
}

const SELECT: &str = "SELECT m.machine_id, m.label, m.alias, m.last_sync_at, m.last_event_id
    FROM machines m";

fn from_row(row: &Row<'_>) -> rusqlite::Result<MachineRow> {
    Ok(MachineRow {
        machine_id: row.get(0)?,
        label: row.get(1)?,
        alias: row.get(2)?,
        last_sync_at: row.get(3)?,
        last_event_id: row.get(4)?,
        events: None,
    })
}

pub fn get(conn: &Connection, machine_id: &str) -> Result<Option<MachineRow>> {
    Ok(conn
        .query_row(
            &format!("{SELECT} WHERE m.machine_id = ?1"),
            [machine_id],
            from_row,
        )
        .optional()?)
}

/// The machine last synced through `alias` (an alias may be re-pointed at a new
/// machine; the most recent wins).
pub fn by_alias(conn: &Connection, alias: &str) -> Result<Option<MachineRow>> {
    Ok(conn
        .query_row(
            &format!("{SELECT} WHERE m.alias = ?1 ORDER BY m.last_sync_at DESC LIMIT 1"),
            [alias],
            from_row,
        )
        .optional()?)
}

/// The machine last reached through `destination`: from the destinations table, else
/// (a database synced before it existed) the machine whose alias it is.
pub fn by_destination(conn: &Connection, destination: &str) -> Result<Option<MachineRow>> {
    let found = conn
        .query_row(
            &format!(
                "{SELECT} JOIN sync_destinations d ON d.machine_id = m.machine_id WHERE d.destination = ?1"
            ),
            [destination],
            from_row,
        )
        .optional()?;
    match found {
        Some(row) => Ok(Some(row)),
        None => by_alias(conn, destination),
    }
}

/// Every destination a machine was reached through, oldest first.
pub fn destinations_of(conn: &Connection, machine_id: &str) -> Result<Vec<String>> {
    let mut stmt =
        conn.prepare("SELECT destination FROM sync_destinations WHERE machine_id = ?1 ORDER BY rowid")?;
    let rows = stmt
        .query_map([machine_id], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(rows)
}

/// Fills in `events` of every row, with one pass over the events table.
pub fn count_events(conn: &Connection, rows: &mut [MachineRow]) -> Result<()> {
    let mut stmt = conn.prepare("SELECT machine_id, count(*) FROM events GROUP BY machine_id")?;
    let counts = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64)))?
        .collect::<rusqlite::Result<std::collections::HashMap<_, _>>>()?;
    for row in rows {
        row.events = Some(counts.get(&row.machine_id).copied().unwrap_or(0));
    }
    Ok(())
}

/// Every known machine, by label.
pub fn list(conn: &Connection) -> Result<Vec<MachineRow>> {
    let mut stmt = conn.prepare(&format!("{SELECT} ORDER BY m.label, m.machine_id"))?;
    let rows = stmt
        .query_map([], from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Records a sync (or an import) of `machine_id`. `alias` and `last_event_id` keep
/// their old values when `None`; `last_sync_at` is only set by syncs.
pub fn record_sync(
    conn: &Connection,
    machine_id: &str,
    label: &str,
    alias: Option<&str>,
    last_sync_at: Option<&str>,
    last_event_id: Option<&str>,
    tt_version: Option<&str>,
) -> Result<()> {
    conn.execute(
        "INSERT INTO machines (machine_id, label, alias, last_sync_at, last_event_id, tt_version)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (machine_id) DO UPDATE SET
            label = excluded.label,
            alias = coalesce(excluded.alias, alias),
            last_sync_at = coalesce(excluded.last_sync_at, last_sync_at),
            last_event_id = coalesce(excluded.last_event_id, last_event_id),
            tt_version = coalesce(excluded.tt_version, tt_version)",
        params![machine_id, label, alias, last_sync_at, last_event_id, tt_version],
    )?;
    if let Some(destination) = alias {
        conn.execute(
            "INSERT INTO sync_destinations (destination, machine_id) VALUES (?1, ?2)
             ON CONFLICT (destination) DO UPDATE SET machine_id = excluded.machine_id",
            params![destination, machine_id],
        )?;
    }
    Ok(())
}

/// Makes sure a row exists for a machine seen only through imported events, labelled
/// with its short id until a sync names it.
pub fn ensure(conn: &Connection, machine_id: &str) -> Result<()> {
    conn.execute(
        "INSERT OR IGNORE INTO machines (machine_id, label) VALUES (?1, ?2)",
        params![machine_id, &machine_id[..machine_id.len().min(8)]],
    )?;
    Ok(())
}

/// The machine id `query` names: a machine id, a unique id prefix, or a unique label.
/// Unknown or ambiguous: an error listing the machines.
pub fn resolve(conn: &Connection, query: &str) -> Result<String> {
    let all = list(conn)?;
    let known = || {
        all.iter()
            .map(|m| format!("{} ({})", m.label, &m.machine_id[..8.min(m.machine_id.len())]))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(m) = all.iter().find(|m| m.machine_id.eq_ignore_ascii_case(query)) {
        return Ok(m.machine_id.clone());
    }
    let by_label: Vec<&MachineRow> = all.iter().filter(|m| m.label == query).collect();
    let by_prefix: Vec<&MachineRow> = all
        .iter()
        .filter(|m| {
            !query.is_empty()
                && m.machine_id
                    .to_ascii_lowercase()
                    .starts_with(&query.to_ascii_lowercase())
        })
        .collect();
    match (by_label.as_slice(), by_prefix.as_slice()) {
        ([one], _) | ([], [one]) => Ok(one.machine_id.clone()),
        ([], []) if all.is_empty() => {
            anyhow::bail!("no machine {query:?}: no machine is known yet (run 'tt sync')")
        }
        ([], []) => anyhow::bail!("no machine {query:?}; known machines: {}", known()),
        _ => anyhow::bail!("machine {query:?} is ambiguous; give its full id: {}", known()),
    }
}
