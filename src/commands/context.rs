//! `tt context [--start T] [--end T] [--unassigned] [--json]` (SPEC §11): what happened
//! in a range, compactly, for a person or a tool deciding corrections: runs of events
//! (consecutive events of one machine in one directory, session and stream), the agent
//! sessions with their first prompt, the streams, and the gaps with no tracked time.

use std::collections::BTreeMap;

use anyhow::{Result, bail};
use rusqlite::Connection;
use serde::Serialize;
use serde_json::json;

use super::Ctx;
use crate::cli::ContextArgs;
use crate::clock;
use crate::report::format::duration;
use crate::store::Store;
use crate::store::streams::{self, StreamRow};
use crate::streams::allocate::Millis;
use crate::sync::summary::printable;
use crate::timestamp::Timestamp;
use crate::when;

/// The default range: the last day.
const DEFAULT_SPAN_MS: Millis = 24 * 3_600_000;
/// Shorter stretches without tracked time are not worth a line.
const MIN_GAP_MS: Millis = 5 * 60_000;
/// First prompts are cut to this many characters.
const PROMPT_CHARS: usize = 300;

/// Consecutive events of one machine with the same directory, session and stream.
#[derive(Debug, Clone, Serialize)]
struct Run {
    start: String,
    end: String,
    events: u64,
    machine_id: String,
    machine: String,
    cwd: Option<String>,
    project: Option<String>,
    session_id: Option<String>,
    stream: Option<String>,
    stream_name: Option<String>,
    /// `inferred` or `user` (a correction put them there).
    assignment: Option<String>,
    types: Vec<String>,
    first_event_id: String,
    last_event_id: String,
}

#[derive(Debug, Clone, Serialize)]
struct Session {
    session_id: String,
    machine_id: String,
    machine: String,
    parent_session_id: Option<String>,
    project_path: Option<String>,
    start: Option<String>,
    end: Option<String>,
    stream: Option<String>,
    stream_name: Option<String>,
    starting_prompt: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
struct Gap {
    start: String,
    end: String,
    duration_ms: Millis,
}

pub fn run(args: &ContextArgs, ctx: &Ctx) -> Result<()> {
    let tz = when::local_zone();
    let end = match &args.end {
        Some(text) => when::parse_instant(text, &tz)?.as_millis(),
        None => clock::now()?.as_millis(),
    };
    let start = match &args.start {
        Some(text) => when::parse_instant(text, &tz)?.as_millis(),
        None => end - DEFAULT_SPAN_MS,
    };
    if end <= start {
        bail!("--end must be after --start");
    }
    let Some(store) = Store::open_existing(&ctx.database_path())? else {
        bail!("no database yet: run 'tt sync' first");
    };
    let conn = &store.conn;
    let labels = labels(conn)?;
    let all_streams = streams::list(conn, Some(start), Some(end))?;
    let names: BTreeMap<&str, &str> = all_streams
        .iter()
        .map(|s| (s.id.as_str(), s.name.as_str()))
        .collect();
    let runs = runs(conn, start, end, args.unassigned, &labels, &names)?;
    let sessions = sessions(conn, start, end, &labels, &names, &runs, args.unassigned)?;
    let gaps = gaps(conn, start, end)?;
    if args.json {
        let value = json!({
            "period": {"start": ts(start), "end": ts(end)},
            "events": runs,
            "sessions": sessions,
            "streams": all_streams.iter().map(stream_json).collect::<Vec<_>>(),
            "gaps": gaps,
        });
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(());
    }
    let local = |t: &str| {
        t.parse::<Timestamp>()
            .map(|t| tz.to_datetime(t.to_jiff()).strftime("%m-%d %H:%M").to_string())
            .unwrap_or_else(|_| t.to_string())
    };
    println!("Context {} to {}", local(&ts(start)), local(&ts(end)));
    println!("\nStreams with time in the range:");
    let active: Vec<&StreamRow> = all_streams
        .iter()
        .filter(|s| s.direct_ms + s.delegated_ms > 0)
        .collect();
    if active.is_empty() {
        println!("  (none)");
    }
    for s in active {
        println!(
            "  {}  {} on {}: {} direct, {} delegated{}",
            &s.id[..8.min(s.id.len())],
            printable(&s.name),
            printable(&s.machine_label),
            duration(s.direct_ms),
            duration(s.delegated_ms),
            if s.tags.is_empty() {
                String::new()
            } else {
                format!(" [{}]", printable(&s.tags.join(", ")))
            }
        );
    }
    println!("\nAgent sessions:");
    if sessions.is_empty() {
        println!("  (none)");
    }
    for s in &sessions {
        let prompt = s.starting_prompt.as_deref().unwrap_or("");
        let first_line: String = prompt.lines().next().unwrap_or("").chars().take(80).collect();
        println!(
            "  {}  {}  {}  {}  {:?}",
            s.start.as_deref().map_or("-".to_string(), local),
            printable(&s.machine),
            printable(&s.session_id),
            printable(s.stream_name.as_deref().unwrap_or("(no stream)")),
            first_line
        );
    }
    println!("\nEvents:");
    if runs.is_empty() {
        println!("  (none)");
    }
    for r in &runs {
        println!(
            "  {}-{}  {}  {}  {}  {} event{} ({}){}",
            local(&r.start),
            local(&r.end).get(6..).unwrap_or(""),
            printable(&r.machine),
            printable(r.cwd.as_deref().unwrap_or("-")),
            printable(r.stream_name.as_deref().unwrap_or("(no stream)")),
            r.events,
            if r.events == 1 { "" } else { "s" },
            printable(&r.types.join(", ")),
            if r.assignment.as_deref() == Some("user") {
                " [assigned]"
            } else {
                ""
            }
        );
    }
    println!("\nGaps without tracked time:");
    if gaps.is_empty() {
        println!("  (none)");
    }
    for g in &gaps {
        println!(
            "  {} to {}  {}",
            local(&g.start),
            local(&g.end),
            duration(g.duration_ms)
        );
    }
    Ok(())
}

fn ts(ms: Millis) -> String {
    Timestamp::from_millis(ms).to_string()
}

fn stream_json(s: &StreamRow) -> serde_json::Value {
    json!({
        "id": s.id,
        "name": s.name,
        "machine_id": s.machine_id,
        "machine": s.machine_label,
        "project": s.project,
        "tags": s.tags,
        "direct_ms": s.direct_ms,
        "delegated_ms": s.delegated_ms,
        "last_event_at": s.last_event_at,
    })
}

fn labels(conn: &Connection) -> Result<BTreeMap<String, String>> {
    let mut stmt = conn.prepare("SELECT machine_id, label FROM machines")?;
    let map = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(map)
}

fn label_of(labels: &BTreeMap<String, String>, machine_id: &str) -> String {
    labels
        .get(machine_id)
        .cloned()
        .unwrap_or_else(|| machine_id[..machine_id.len().min(8)].to_string())
}

fn runs(
    conn: &Connection,
    start: Millis,
    end: Millis,
    unassigned: bool,
    labels: &BTreeMap<String, String>,
    names: &BTreeMap<&str, &str>,
) -> Result<Vec<Run>> {
    let filter = if unassigned {
        // Events without a directory (afk changes) belong to no stream by nature.
        "AND stream_id IS NULL AND cwd IS NOT NULL"
    } else {
        ""
    };
    let mut stmt = conn.prepare(&format!(
        "SELECT id, machine_id, timestamp, type, cwd, git_project, session_id, stream_id, assignment_source
         FROM events WHERE timestamp >= ?1 AND timestamp < ?2 {filter}
         ORDER BY machine_id, timestamp, id"
    ))?;
    let mut rows = stmt.query([ts(start), ts(end)])?;
    let mut runs: Vec<Run> = Vec::new();
    while let Some(r) = rows.next()? {
        let id: String = r.get(0)?;
        let machine_id: String = r.get(1)?;
        let at: String = r.get(2)?;
        let kind: String = r.get(3)?;
        let cwd: Option<String> = r.get(4)?;
        let git: Option<String> = r.get(5)?;
        let session: Option<String> = r.get(6)?;
        let stream: Option<String> = r.get(7)?;
        let assignment: Option<String> = r.get(8)?;
        if let Some(last) = runs.last_mut()
            && last.machine_id == machine_id
            && last.cwd == cwd
            && last.session_id == session
            && last.stream == stream
            && last.assignment == assignment
        {
            last.end = at;
            last.events += 1;
            last.last_event_id = id;
            if !last.types.contains(&kind) {
                last.types.push(kind);
            }
            if last.project.is_none() {
                last.project = git;
            }
            continue;
        }
        runs.push(Run {
            start: at.clone(),
            end: at,
            events: 1,
            machine: label_of(labels, &machine_id),
            machine_id,
            cwd,
            project: git,
            session_id: session,
            stream_name: stream
                .as_deref()
                .and_then(|s| names.get(s))
                .map(|s| s.to_string()),
            stream,
            assignment,
            types: vec![kind],
            first_event_id: id.clone(),
            last_event_id: id,
        });
    }
    runs.sort_by(|a, b| (&a.start, &a.machine_id).cmp(&(&b.start, &b.machine_id)));
    Ok(runs)
}

fn sessions(
    conn: &Connection,
    start: Millis,
    end: Millis,
    labels: &BTreeMap<String, String>,
    names: &BTreeMap<&str, &str>,
    runs: &[Run],
    unassigned: bool,
) -> Result<Vec<Session>> {
    // The stream of each session: the one most of its events in the range went to.
    let mut streams_of: BTreeMap<(&str, &str), BTreeMap<Option<&str>, u64>> = BTreeMap::new();
    for run in runs {
        if let Some(session) = &run.session_id {
            *streams_of
                .entry((run.machine_id.as_str(), session.as_str()))
                .or_default()
                .entry(run.stream.as_deref())
                .or_default() += run.events;
        }
    }
    let mut stmt = conn.prepare(
        "SELECT session_id, machine_id, parent_session_id, project_path, start_time, end_time, starting_prompt
         FROM agent_sessions
         WHERE coalesce(start_time, end_time) < ?2 AND coalesce(end_time, start_time) >= ?1
         ORDER BY start_time, session_id",
    )?;
    let mut rows = stmt.query([ts(start), ts(end)])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let session_id: String = r.get(0)?;
        let machine_id: String = r.get(1)?;
        let counts = streams_of.get(&(machine_id.as_str(), session_id.as_str()));
        if unassigned && counts.is_none() {
            continue;
        }
        let stream = counts
            .and_then(|c| c.iter().max_by_key(|(_, n)| **n))
            .and_then(|(s, _)| s.map(str::to_string));
        let prompt: Option<String> = r.get(6)?;
        out.push(Session {
            machine: label_of(labels, &machine_id),
            stream_name: stream
                .as_deref()
                .and_then(|s| names.get(s))
                .map(|s| s.to_string()),
            stream,
            session_id,
            machine_id,
            parent_session_id: r.get(2)?,
            project_path: r.get(3)?,
            start: r.get(4)?,
            end: r.get(5)?,
            starting_prompt: prompt.map(|p| p.chars().take(PROMPT_CHARS).collect()),
        });
    }
    // Sessions known only from their events (not indexed yet): no prompt to show.
    for run in runs {
        let Some(session_id) = &run.session_id else {
            continue;
        };
        if out
            .iter()
            .any(|s| s.session_id == *session_id && s.machine_id == run.machine_id)
        {
            continue;
        }
        out.push(Session {
            session_id: session_id.clone(),
            machine_id: run.machine_id.clone(),
            machine: run.machine.clone(),
            parent_session_id: None,
            project_path: run.cwd.clone(),
            start: Some(run.start.clone()),
            end: None,
            stream: run.stream.clone(),
            stream_name: run.stream_name.clone(),
            starting_prompt: None,
        });
    }
    out.sort_by(|a, b| (&a.start, &a.session_id).cmp(&(&b.start, &b.session_id)));
    Ok(out)
}

/// Stretches of at least [`MIN_GAP_MS`] in `[start, end)` with no direct or delegated
/// time on any machine.
fn gaps(conn: &Connection, start: Millis, end: Millis) -> Result<Vec<Gap>> {
    let mut stmt = conn.prepare(
        "SELECT max(start_ms, ?1), min(end_ms, ?2) FROM intervals
         WHERE end_ms > ?1 AND start_ms < ?2 ORDER BY start_ms",
    )?;
    let spans = stmt
        .query_map([start, end], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut gaps = Vec::new();
    let mut covered = start;
    let mut gap = |from: Millis, to: Millis| {
        if to - from >= MIN_GAP_MS {
            gaps.push(Gap {
                start: ts(from),
                end: ts(to),
                duration_ms: to - from,
            });
        }
    };
    for (s, e) in spans {
        if s > covered {
            gap(covered, s);
        }
        covered = covered.max(e);
    }
    if end > covered {
        gap(covered, end);
    }
    Ok(gaps)
}
