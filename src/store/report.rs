//! What reports read: the stored allocation (`intervals`) clipped to a period, with the
//! streams, tags and machines it refers to. Never the events, and never a write.

use std::collections::HashMap;

use anyhow::Result;
use rusqlite::{Connection, params};

use crate::report::rollup::{Input, Kind, Machine, Piece, Stream};

/// The allocation in `[from_ms, to_ms)`: every interval that overlaps it, clipped to
/// it, sorted by start; every machine and stream (with tags) known.
pub fn load(conn: &Connection, from_ms: i64, to_ms: i64) -> Result<Input> {
    let mut machines: Vec<Machine> = Vec::new();
    let mut machine_ix: HashMap<String, u32> = HashMap::new();
    let mut add_machine = |machines: &mut Vec<Machine>, id: String, label: Option<String>| -> u32 {
        if let Some(&ix) = machine_ix.get(&id) {
            return ix;
        }
        let ix = machines.len() as u32;
        machines.push(Machine {
            label: label.unwrap_or_else(|| id.chars().take(8).collect()),
            id: id.clone(),
        });
        machine_ix.insert(id, ix);
        ix
    };
    let mut stmt = conn.prepare("SELECT machine_id, label FROM machines ORDER BY label, machine_id")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        add_machine(&mut machines, r.get(0)?, r.get(1)?);
    }

    let tags = super::streams::all_tags(conn)?;
    let mut streams: Vec<Stream> = Vec::new();
    let mut stream_ix: HashMap<String, u32> = HashMap::new();
    let mut stmt = conn.prepare("SELECT id, name, machine_id FROM streams ORDER BY name, id")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let id: String = r.get(0)?;
        let machine = add_machine(&mut machines, r.get(2)?, None);
        stream_ix.insert(id.clone(), streams.len() as u32);
        streams.push(Stream {
            tags: tags.get(&id).cloned().unwrap_or_default(),
            id,
            name: r.get(1)?,
            machine,
        });
    }

    let mut pieces = Vec::new();
    // No intervals table yet (a database never recomputed): nothing allocated.
    let has_intervals: bool = conn.query_row(
        "SELECT count(*) > 0 FROM sqlite_schema WHERE name = 'intervals'",
        [],
        |r| r.get(0),
    )?;
    if has_intervals {
        let mut stmt = conn.prepare(
            "SELECT max(start_ms, ?1), min(end_ms, ?2), kind = 'direct', stream_id, machine_id
             FROM intervals
             WHERE end_ms > ?1 AND start_ms < ?2
             ORDER BY start_ms",
        )?;
        let mut rows = stmt.query(params![from_ms, to_ms])?;
        let mut last_machine: Option<(String, u32)> = None;
        while let Some(r) = rows.next()? {
            let machine_id: String = r.get(4)?;
            let machine = match &last_machine {
                Some((id, ix)) if *id == machine_id => *ix,
                _ => {
                    let ix = add_machine(&mut machines, machine_id.clone(), None);
                    last_machine = Some((machine_id, ix));
                    ix
                }
            };
            let stream = match r.get_ref(3)?.as_str_or_null()? {
                // A stream removed since (it cannot be: the recompute writes both in one
                // transaction) would count as unassigned rather than vanish.
                Some(id) => stream_ix.get(id).copied(),
                None => None,
            };
            pieces.push(Piece {
                start: r.get(0)?,
                end: r.get(1)?,
                kind: if r.get(2)? { Kind::Direct } else { Kind::Delegated },
                stream,
                machine,
            });
        }
    }
    Ok(Input {
        machines,
        streams,
        pieces,
    })
}
