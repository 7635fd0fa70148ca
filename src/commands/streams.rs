//! `tt streams [--json] [--since DATE]` (SPEC §10, §12); `tt streams rename|merge|new`
//! are corrections, applied by `commands::assign`.

use anyhow::Result;
use serde_json::json;

use super::Ctx;
use crate::cli::{StreamsArgs, StreamsCommand};
use crate::report::format::{columns, duration};
use crate::store::Store;
use crate::store::streams::{self, StreamRow};
use crate::streams::apply::Request;
use crate::sync::summary::printable;
use crate::when;

pub fn run(args: &StreamsArgs, ctx: &Ctx) -> Result<()> {
    if let Some(command) = &args.command {
        let request = match command {
            StreamsCommand::Rename { stream, name } => Request::Rename {
                stream: stream.clone(),
                name: name.clone(),
            },
            StreamsCommand::Merge { into, from } => Request::Merge {
                into: into.clone(),
                from: from.clone(),
            },
            StreamsCommand::New { name, machine } => Request::New {
                name: name.clone(),
                machine: machine.clone(),
            },
        };
        return super::assign::apply_one(ctx, request);
    }
    let since = match &args.since {
        Some(text) => {
            let date = when::parse_date(text)?;
            Some(when::start_of_day(date, &when::local_zone())?.as_millis())
        }
        None => None,
    };
    let rows = match Store::open_existing(&ctx.database_path())? {
        Some(store) => streams::list(&store.conn, since, None)?,
        None => Vec::new(),
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&to_json(&rows))?);
        return Ok(());
    }
    if rows.is_empty() {
        println!("No streams yet: 'tt sync' pulls events and infers them.");
        return Ok(());
    }
    for line in render(&rows) {
        println!("{line}");
    }
    Ok(())
}

fn to_json(rows: &[StreamRow]) -> serde_json::Value {
    let streams: Vec<_> = rows
        .iter()
        .map(|s| {
            json!({
                "id": s.id,
                "name": s.name,
                "machine_id": s.machine_id,
                "machine_label": s.machine_label,
                "project": s.project,
                "direct_ms": s.direct_ms,
                "delegated_ms": s.delegated_ms,
                "tags": s.tags,
                "first_event_at": s.first_event_at,
                "last_event_at": s.last_event_at,
            })
        })
        .collect();
    json!({ "streams": streams })
}

/// A table: short id, name, machine, direct, delegated, tags, last activity.
fn render(rows: &[StreamRow]) -> Vec<String> {
    let header = [
        "ID",
        "STREAM",
        "MACHINE",
        "DIRECT",
        "DELEGATED",
        "LAST ACTIVE",
        "TAGS",
    ]
    .map(String::from);
    let mut table = vec![header];
    for s in rows {
        table.push([
            s.id[..8.min(s.id.len())].to_string(),
            printable(&s.name),
            printable(&s.machine_label),
            duration(s.direct_ms),
            duration(s.delegated_ms),
            s.last_event_at
                .as_deref()
                .map_or("-".to_string(), |t| t.get(..16).unwrap_or(t).replace('T', " ")),
            if s.tags.is_empty() {
                "-".to_string()
            } else {
                printable(&s.tags.join(", "))
            },
        ]);
    }
    // DIRECT and DELEGATED are numbers: right-aligned.
    columns(&table, &[3, 4])
}
