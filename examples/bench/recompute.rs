//! `tt recompute` on the shared 1,000,000-event data set (see dataset.rs), issue 10:
//!
//! * the first `tt recompute --all` after the import (every event gets its stream), on
//!   a fresh copy of the imported database each run;
//! * `tt recompute --all` again on the recomputed database (steady state);
//!
//! both against `sqlite3` reading every event in time order, alternated with them in
//! the same run (goal: at most 4x that scan, peak memory under 300 MB, the resident set
//! of that child from wait4's rusage). For reference, the first row also shows what
//! the `sqlite3` shell takes to write a stream id into every event of a fresh copy
//! (`UPDATE events SET stream_id = machine_id`), a floor for the first recompute; and
//!
//! * the `tt recompute` that follows a sync: 10,000 newer events of the same machines
//!   (the day after the data set) imported into a copy of the recomputed database, then
//!   `tt recompute` without `--all` (goal: at most a tenth of the steady `--all`). A
//!   `tt recompute --all` after it must change nothing: the intervals and streams are
//!   compared before and after.

use std::collections::BTreeSet;
use std::fs::File;
use std::hash::{DefaultHasher, Hasher};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::Ctx;
use crate::dataset::{self, SCAN, Workspace};
use crate::fleet_gen::{self, Options};
use crate::measure::{Row, Table, duration, median, megabytes, ratio, run_measured, thousands};

const PEAK_GOAL: u64 = 300_000_000;

pub fn run(ctx: &Ctx, table: &mut Table) {
    let data = dataset::shared(ctx);
    let runs = ctx.scale(5, 1);
    let ws = Workspace::new(ctx);
    let db = ws.database();
    let all = || ws.tt(ctx, &["recompute", "--all"]);

    let (mut scan, mut first, mut steady) = (Vec::new(), Vec::new(), Vec::new());
    let mut write = Vec::new();
    let (mut first_peak, mut steady_peak) = (0, 0);
    for run in 0..runs {
        eprintln!("  run {} of {runs}", run + 1);
        // What writing a stream into every event costs SQLite alone, as a reference
        // for the first recompute (which must do it).
        ws.load(&data.imported);
        let mut update = Command::new("sqlite3");
        update.arg(&db).arg("UPDATE events SET stream_id = machine_id");
        write.push(run_measured(&mut update).0);
        ws.load(&data.imported);
        let (t, peak) = run_measured(&mut all());
        first.push(t);
        first_peak = first_peak.max(peak);
        dataset::settle();
        scan.push(run_measured(&mut dataset::scan(&db)).0);
        let (t, peak) = run_measured(&mut all());
        steady.push(t);
        steady_peak = steady_peak.max(peak);
    }
    let (scan, first, steady) = (median(&mut scan), median(&mut first), median(&mut steady));
    let write = median(&mut write);
    let baseline = format!("{SCAN}: {}", duration(scan));
    let events = thousands(data.options.events);
    let fits = |t: Duration, peak: u64| t.as_secs_f64() <= 4.0 * scan.as_secs_f64() && peak < PEAK_GOAL;
    table.add(
        Row::new(
            format!(
                "`tt recompute --all`, {events} events of {} machines over {} days, first after the import",
                data.options.machines, data.options.days
            ),
            format!("{}, peak {}", duration(first), megabytes(first_peak)),
        )
        .baseline(
            format!(
                "{baseline} (for reference, `sqlite3 db \"UPDATE events SET stream_id = machine_id\"`: {}, {})",
                duration(write),
                ratio(write, scan)
            ),
            ratio(first, scan),
        )
        .goal("≤ 4x, < 300 MB", fits(first, first_peak)),
    );
    table.add(
        Row::new(
            "the same again, already recomputed",
            format!("{}, peak {}", duration(steady), megabytes(steady_peak)),
        )
        .baseline("same", ratio(steady, scan))
        .goal("≤ 4x, < 300 MB", fits(steady, steady_peak)),
    );

    after_sync(ctx, table, &ws, data, runs, steady);
}

/// The recompute after a sync of newer events, against the steady `--all`.
fn after_sync(
    ctx: &Ctx,
    table: &mut Table,
    ws: &Workspace,
    data: &dataset::Dataset,
    runs: usize,
    steady: Duration,
) {
    let options = Options {
        start: data.next_day(),
        ..Options::new(data.options.machines, ctx.scale(10_000, 1_000), 1)
    };
    let mut newer = Vec::new();
    let summary = fleet_gen::write_jsonl(&options, &mut newer).unwrap();
    let file = ws.root().join("newer.jsonl");
    std::fs::write(&file, fresh_sessions(&String::from_utf8(newer).unwrap())).unwrap();
    let mut ids: Vec<String> = summary.machines.iter().map(|(id, _)| id.clone()).collect();
    ids.sort();
    assert_eq!(
        ids,
        data.machine_ids(),
        "the newer events must extend the data set's machines"
    );
    eprintln!(
        "  {} newer events of the same {} machines from {}",
        thousands(summary.events),
        ids.len(),
        options.start
    );

    let db = ws.database();
    let sessions_before = sessions(&data.recomputed);
    let mut times = Vec::new();
    let mut peak = 0;
    let mut unchanged = true;
    for run in 0..runs {
        ws.load(&data.recomputed);
        let out = ws
            .tt(ctx, &["import"])
            .stdin(File::open(&file).unwrap())
            .output()
            .unwrap();
        assert!(out.status.success(), "tt import of the newer events failed");
        dataset::settle();
        if run == 0 {
            // New sessions, not old ones resumed 9 days later (that would make the
            // recompute reach back to them).
            let sessions = sessions(&db);
            assert_eq!(
                sessions,
                sessions_before + summary.sessions,
                "the newer events reuse session ids of the data set"
            );
        }
        let (t, p) = run_measured(&mut ws.tt(ctx, &["recompute"]));
        times.push(t);
        peak = peak.max(p);
        if run == 0 {
            let before = allocation(&db);
            ws.ok(ctx, &["recompute", "--all"]);
            let after = allocation(&db);
            unchanged = before == after;
            eprintln!(
                "  intervals and streams after the sync's recompute: {:016x} ({} bytes); after --all: {:016x} ({} bytes): {}",
                hash(&before),
                before.len(),
                hash(&after),
                after.len(),
                if unchanged { "unchanged" } else { "CHANGED" }
            );
        }
    }
    let t = median(&mut times);
    table.add(
        Row::new(
            format!(
                "`tt recompute` after a sync of {} newer events into that database",
                thousands(summary.events)
            ),
            format!("{}, peak {}", duration(t), megabytes(peak)),
        )
        .baseline(
            format!("the steady `--all`: {}", duration(steady)),
            ratio(t, steady),
        )
        .goal("≤ 0.1x", t.as_secs_f64() <= 0.1 * steady.as_secs_f64()),
    );
    table.add(
        Row::new(
            "`tt recompute --all` after it (intervals and streams compared)",
            if unchanged { "unchanged" } else { "changed" },
        )
        .goal("unchanged", unchanged),
    );
}

/// The generator draws session ids from each machine's seeded sequence whatever the
/// start date, so a fleet generated from a later day reuses the first sessions' ids
/// of the data set: as resumed sessions, they would reach back 9 days. Gives every
/// top-level session (its subagents are `SESSION/agent-ID`) a new id.
fn fresh_sessions(jsonl: &str) -> String {
    fn collect(value: &serde_json::Value, ids: &mut BTreeSet<String>) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, value) in map {
                    match value.as_str() {
                        Some(id) if key == "session_id" && !id.contains('/') => {
                            ids.insert(id.to_string());
                        }
                        _ => collect(value, ids),
                    }
                }
            }
            serde_json::Value::Array(values) => values.iter().for_each(|v| collect(v, ids)),
            _ => {}
        }
    }
    let mut ids = BTreeSet::new();
    for line in jsonl.lines() {
        collect(&serde_json::from_str(line).unwrap(), &mut ids);
    }
    let mut out = jsonl.to_string();
    for (n, id) in ids.iter().enumerate() {
        assert!(
            id.len() == 36 && id.is_char_boundary(8),
            "session ids are UUIDs: {id}"
        );
        out = out.replace(id.as_str(), &format!("{:08x}{}", 0x5e55_0000 + n, &id[8..]));
    }
    out
}

fn sessions(db: &Path) -> u64 {
    let conn = rusqlite::Connection::open(db).unwrap();
    let count: i64 = conn
        .query_row("SELECT count(*) FROM agent_sessions", [], |row| row.get(0))
        .unwrap();
    count as u64
}

/// What a recompute decides, as `sqlite3` prints it.
fn allocation(db: &Path) -> Vec<u8> {
    let out = Command::new("sqlite3")
        .arg(db)
        .arg(
            "SELECT start_ms,end_ms,kind,stream_id,machine_id FROM intervals ORDER BY 1,2,3,4,5; \
             SELECT * FROM streams ORDER BY id",
        )
        .output()
        .unwrap();
    assert!(out.status.success(), "sqlite3 failed");
    out.stdout
}

fn hash(bytes: &[u8]) -> u64 {
    let mut hasher = DefaultHasher::new();
    hasher.write(bytes);
    hasher.finish()
}
