//! Reading events back out of the database.

use anyhow::Result;
use rusqlite::{Connection, params_from_iter, types::Value};

/// Filters of `tt events`; all optional, combined with AND.
#[derive(Debug, Default, Clone)]
pub struct EventFilter {
    /// Inclusive lower bound (canonical timestamp text).
    pub after: Option<String>,
    /// Exclusive upper bound.
    pub before: Option<String>,
    pub machine_ids: Option<Vec<String>>,
}

/// Calls `each` with the payload (wire JSON) of every matching event, in time order.
pub fn for_each_payload(
    conn: &Connection,
    filter: &EventFilter,
    mut each: impl FnMut(&str) -> Result<()>,
) -> Result<()> {
    let mut sql = String::from("SELECT payload FROM events WHERE 1 = 1");
    let mut args: Vec<Value> = Vec::new();
    if let Some(after) = &filter.after {
        sql.push_str(" AND timestamp >= ?");
        args.push(Value::Text(after.clone()));
    }
    if let Some(before) = &filter.before {
        sql.push_str(" AND timestamp < ?");
        args.push(Value::Text(before.clone()));
    }
    if let Some(ids) = &filter.machine_ids {
        sql.push_str(" AND machine_id IN (");
        sql.push_str(&vec!["?"; ids.len()].join(", "));
        sql.push(')');
        args.extend(ids.iter().map(|id| Value::Text(id.clone())));
    }
    sql.push_str(" ORDER BY timestamp, id");
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query(params_from_iter(args))?;
    while let Some(row) = rows.next()? {
        let payload: &str = row.get_ref(0)?.as_str()?;
        each(payload)?;
    }
    Ok(())
}
