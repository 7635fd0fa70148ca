//! STUB (sync branch, throwaway): the lead's merge, until issue 6 lands.

use anyhow::Result;
use rusqlite::params;

use crate::store::Store;
use crate::timestamp::Timestamp;
use crate::wire::Batch;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MergeSummary {
    pub imported: u64,
    pub duplicates: u64,
    pub rejected: u64,
}

pub fn merge_remote(
    store: &mut Store,
    batch: &Batch,
    alias: Option<&str>,
    label: &str,
) -> Result<MergeSummary> {
    let tx = store.conn.transaction()?;
    let mut summary = MergeSummary {
        rejected: batch.rejected.len() as u64,
        ..Default::default()
    };
    {
        let mut insert = tx.prepare(
            "INSERT OR IGNORE INTO events (id, machine_id, timestamp, source, type, cwd, git_project, session_id, payload)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?;
        for e in &batch.events {
            let n = insert.execute(params![
                e.id,
                batch.header.machine_id,
                e.timestamp.to_string(),
                e.source,
                e.kind,
                e.cwd,
                e.git_project,
                e.session_id,
                e.to_json()
            ])?;
            if n == 1 {
                summary.imported += 1
            } else {
                summary.duplicates += 1
            }
        }
    }
    let last = batch.events.last().map(|e| e.id.clone());
    tx.execute(
        "INSERT INTO machines (machine_id, label, alias, last_sync_at, last_event_id, tt_version)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (machine_id) DO UPDATE SET label = excluded.label,
           alias = coalesce(excluded.alias, machines.alias), last_sync_at = excluded.last_sync_at,
           last_event_id = coalesce(excluded.last_event_id, machines.last_event_id),
           tt_version = excluded.tt_version",
        params![
            batch.header.machine_id,
            label,
            alias,
            Timestamp::now().to_string(),
            last,
            batch.header.tt_version
        ],
    )?;
    tx.commit()?;
    Ok(summary)
}
