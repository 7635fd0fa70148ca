//! STUB (sync branch, throwaway): the lead's `machines` queries, until issue 6 lands.

use anyhow::Result;
use rusqlite::{Connection, OptionalExtension, params};

#[derive(Debug, Clone, PartialEq)]
pub struct MachineRow {
    pub machine_id: String,
    pub label: String,
    pub alias: Option<String>,
    pub last_sync_at: Option<String>,
    pub last_event_id: Option<String>,
    pub events: u64,
}

const SELECT: &str = "SELECT m.machine_id, m.label, m.alias, m.last_sync_at, m.last_event_id,
    (SELECT count(*) FROM events e WHERE e.machine_id = m.machine_id) FROM machines m";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<MachineRow> {
    Ok(MachineRow {
        machine_id: r.get(0)?,
        label: r.get(1)?,
        alias: r.get(2)?,
        last_sync_at: r.get(3)?,
        last_event_id: r.get(4)?,
        events: r.get::<_, i64>(5)? as u64,
    })
}

pub fn get(conn: &Connection, machine_id: &str) -> Result<Option<MachineRow>> {
    Ok(conn
        .query_row(
            &format!("{SELECT} WHERE m.machine_id = ?1"),
            params![machine_id],
            row,
        )
        .optional()?)
}

pub fn by_alias(conn: &Connection, alias: &str) -> Result<Option<MachineRow>> {
    Ok(conn
        .query_row(
            &format!("{SELECT} WHERE m.alias = ?1 ORDER BY m.last_sync_at DESC LIMIT 1"),
            params![alias],
            row,
        )
        .optional()?)
}

pub fn list(conn: &Connection) -> Result<Vec<MachineRow>> {
    let mut stmt = conn.prepare(&format!("{SELECT} ORDER BY m.label"))?;
    let rows = stmt.query_map([], row)?.collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}
