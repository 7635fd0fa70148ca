//! `tt status [--json]` (SPEC §11, §12): identity, database, last event per source,
//! sync state per machine (stale after an hour), this week's unassigned time and
//! warnings. Reads the database read-only and the clock once.

use std::path::{Path, PathBuf};

use anyhow::Result;
use rusqlite::OptionalExtension;
use serde_json::json;

use super::Ctx;
use crate::cli::StatusArgs;
use crate::clock;
use crate::event::source;
use crate::machine::Machine;
use crate::report::format::duration;
use crate::report::period::{Period, Spec};
use crate::report::rollup;
use crate::store::{Store, machines, report as stored};
use crate::sync::summary::printable;
use crate::timestamp::Timestamp;
use crate::when;

/// A machine not synced for this long is `stale`.
pub const STALE_AFTER_MS: i64 = 3_600_000;
/// A configured remote not synced for this long gets a warning.
const REMOTE_WARN_AFTER_MS: i64 = 86_400_000;
/// This machine's event log untouched for this long: the hooks may not be firing.
const HOOKS_WARN_AFTER_MS: i64 = 86_400_000;

struct MachineState {
    machine_id: String,
    label: String,
    alias: Option<String>,
    last_sync_at: Option<String>,
    stale: bool,
}

struct Status {
    machine: Option<(String, String)>,
    database: PathBuf,
    database_bytes: Option<u64>,
    sources: Vec<(String, Option<String>)>,
    machines: Vec<MachineState>,
    unassigned_week_ms: i64,
    warnings: Vec<String>,
}

pub fn run(args: &StatusArgs, ctx: &Ctx) -> Result<()> {
    let now = clock::now()?;
    let status = gather(ctx, now)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&to_json(&status))?);
    } else {
        print!("{}", render(&status));
    }
    Ok(())
}

fn millis(text: &str) -> Option<i64> {
    text.parse::<Timestamp>().ok().map(Timestamp::as_millis)
}

fn gather(ctx: &Ctx, now: Timestamp) -> Result<Status> {
    let machine = Machine::load(&ctx.paths)?.map(|m| (m.id(), m.label.clone()));
    let database = ctx.database_path();
    let mut status = Status {
        machine,
        database_bytes: std::fs::metadata(&database).ok().map(|m| m.len()),
        database: database.clone(),
        sources: Vec::new(),
        machines: Vec::new(),
        unassigned_week_ms: 0,
        warnings: Vec::new(),
    };
    if let Some(store) = Store::open_read_only(&database)? {
        // Newest first along the time index: quick for any source still in use.
        let mut stmt = store
            .conn
            .prepare("SELECT timestamp FROM events WHERE source = ?1 ORDER BY timestamp DESC LIMIT 1")?;
        for name in [source::TMUX, source::AGENT, source::AFK] {
            let last: Option<String> = stmt.query_row([name], |r| r.get(0)).optional()?;
            status.sources.push((name.to_string(), last));
        }
        for row in machines::list(&store.conn)? {
            let stale = row
                .last_sync_at
                .as_deref()
                .and_then(millis)
                .is_none_or(|at| now.as_millis() - at > STALE_AFTER_MS);
            status.machines.push(MachineState {
                machine_id: row.machine_id,
                label: row.label,
                alias: row.alias,
                last_sync_at: row.last_sync_at,
                stale,
            });
        }
        let tz = when::local_zone();
        let week = Period::resolve(Spec::Week, now, &tz)?;
        let input = stored::load(&store.conn, week.start_ms, week.end_ms)?;
        status.unassigned_week_ms = rollup::rollup(&input, &week).unassigned_ms;
    }
    status.warnings = warnings(ctx, &status, now);
    Ok(status)
}

/// The legacy directory of the previous tool, when it exists.
pub fn legacy_dir() -> Option<PathBuf> {
    let home = std::env::var_os("HOME")?;
    let dir = Path::new(&home).join(".time-tracker");
    dir.is_dir().then_some(dir)
}

/// The manual migration steps (SPEC §4) with this machine's paths, on one line.
pub fn legacy_advice(dir: &Path, paths: &crate::paths::Paths) -> String {
    format!(
        "{} exists and is never migrated; to keep its events (after 'tt init'): \
         MACHINE_ID=$(jq -r .machine_id {}); jq -c \".id = \\\"${{MACHINE_ID}}:\\\" + .id\" \
         {}/events.jsonl >> {}",
        dir.display(),
        paths.machine_file().display(),
        dir.display(),
        paths.event_log().display()
    )
}

fn warnings(ctx: &Ctx, status: &Status, now: Timestamp) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(dir) = legacy_dir() {
        out.push(legacy_advice(&dir, &ctx.paths));
    }
    for remote in ctx.config.remotes.iter().filter(|r| r.enabled) {
        let synced = status
            .machines
            .iter()
            .filter(|m| m.alias.as_deref() == Some(remote.alias.as_str()))
            .filter_map(|m| m.last_sync_at.as_deref().and_then(millis))
            .max();
        match synced {
            None => out.push(format!(
                "remote {} has never been synced: run 'tt sync {}'",
                remote.alias, remote.alias
            )),
            Some(at) if now.as_millis() - at > REMOTE_WARN_AFTER_MS => out.push(format!(
                "remote {} was last synced {} ago: run 'tt sync {}' (or 'tt doctor --remotes')",
                remote.alias,
                duration(now.as_millis() - at),
                remote.alias
            )),
            Some(_) => {}
        }
    }
    if status.machine.is_some() {
        let log = ctx.paths.event_log();
        let modified = std::fs::metadata(&log)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_millis() as i64);
        match modified {
            Some(at) if now.as_millis() - at > HOOKS_WARN_AFTER_MS => out.push(format!(
                "no hook has recorded an event here for {}: are the tmux hooks loaded? ('tt doctor' checks)",
                duration(now.as_millis() - at)
            )),
            None => out.push(
                "no hook has recorded an event on this machine yet: load 'tt hook tmux' in tmux \
                 ('tt doctor' checks)"
                    .to_string(),
            ),
            Some(_) => {}
        }
    }
    out
}

fn to_json(s: &Status) -> serde_json::Value {
    json!({
        "machine": s.machine.as_ref().map(|(id, label)| json!({"machine_id": id, "label": label})),
        "database": {"path": s.database, "size_bytes": s.database_bytes},
        "sources": s.sources.iter().map(|(source, last)| json!({"source": source, "last_event_at": last})).collect::<Vec<_>>(),
        "machines": s.machines.iter().map(|m| json!({
            "machine_id": m.machine_id, "label": m.label, "last_sync_at": m.last_sync_at, "stale": m.stale,
        })).collect::<Vec<_>>(),
        "unassigned_this_week_ms": s.unassigned_week_ms,
        "warnings": s.warnings,
    })
}

fn render(s: &Status) -> String {
    let mut out = String::new();
    let mut line = |text: String| {
        out.push_str(&text);
        out.push('\n');
    };
    match &s.machine {
        Some((id, label)) => line(format!("machine    {} ({})", printable(label), id)),
        None => line("machine    none (a hub only; 'tt init' to record events here)".into()),
    }
    match s.database_bytes {
        Some(bytes) => line(format!(
            "database   {} ({:.1} MB)",
            s.database.display(),
            bytes as f64 / 1e6
        )),
        None => line(format!("database   {} (not created yet)", s.database.display())),
    }
    if !s.sources.is_empty() {
        line("last event per source".into());
        for (source, last) in &s.sources {
            line(format!("  {source:<14} {}", last.as_deref().unwrap_or("never")));
        }
    }
    if !s.machines.is_empty() {
        line("machines (last sync)".into());
        let w = s
            .machines
            .iter()
            .map(|m| printable(&m.label).chars().count())
            .max()
            .unwrap_or(0);
        for m in &s.machines {
            let label = printable(&m.label);
            line(format!(
                "  {label:<w$}  {}{}",
                m.last_sync_at.as_deref().unwrap_or("never synced"),
                if m.stale { "  stale" } else { "" }
            ));
        }
    }
    line(format!(
        "unassigned this week  {}",
        duration(s.unassigned_week_ms)
    ));
    for warning in &s.warnings {
        line(format!("warning: {warning}"));
    }
    out
}
