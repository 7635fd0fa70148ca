//! What a correction costs (issue 11): `tt assign`, `unassign`, `streams merge` and
//! `rename` as the library applies them (resolve, store, recompute from the earliest
//! event they move), against two baselines measured on the same database in the same
//! run: the incremental recompute a sync makes after an hour of new events, and a full
//! `tt recompute --all`.
//!
//! The data: 4 machines, 30 working days of 8 hours, a pane focus every 20 s rotating
//! over 6 projects per machine, and an agent session of tool uses each hour. Each
//! measured correction runs in a transaction that is rolled back, so every run does
//! the same work.
//!
//!     cargo run --release --example bench_corrections [-- DAYS RUNS]

use std::time::{Duration, Instant};

use jiff::tz::TimeZone;
use tt::event::{Event, Timestamp, kind, source};
use tt::store::Store;
use tt::streams::allocate::Params;
use tt::streams::apply::{Request, SelectorRequest, apply};
use tt::streams::recompute::{Scope, recompute};

const MACHINES: [&str; 4] = [
    "a0000000-0000-4000-8000-000000000001",
    "b0000000-0000-4000-8000-000000000002",
    "c0000000-0000-4000-8000-000000000003",
    "d0000000-0000-4000-8000-000000000004",
];

const PARAMS: Params = Params {
    attention_window: 5 * 60_000,
    agent_timeout: 30 * 60_000,
};

const DAY: i64 = 24 * 3_600_000;

fn base() -> i64 {
    "2026-01-05T08:00:00Z".parse::<Timestamp>().unwrap().as_millis()
}

/// Events of `day` (0-based) for every machine.
fn day_events(day: i64, from_ms: i64, to_ms: i64) -> Vec<Event> {
    let mut events = Vec::new();
    for (m, machine) in MACHINES.iter().enumerate() {
        let mut t = base() + day * DAY + from_ms;
        let end = base() + day * DAY + to_ms;
        let mut i = 0i64;
        while t < end {
            let slot = (t - base()) / (30 * 60_000);
            let project = format!("proj{}-{}", m, (slot + m as i64) % 6);
            let cwd = format!("/home/me/{project}");
            let ts = Timestamp::from_millis(t);
            if i % 180 < 30 {
                // An agent at work for ten minutes of each hour.
                let session = format!("sess-{m}-{}", (t - base()) / 3_600_000);
                let mut e = Event::new(machine, source::AGENT, kind::AGENT_TOOL_USE, ts, &format!("{i}"));
                e.session_id = Some(session);
                e.cwd = Some(cwd.clone());
                e.tool = Some("Edit".into());
                events.push(e);
            }
            let mut e = Event::new(machine, source::TMUX, kind::PANE_FOCUS, ts, "%1");
            e.pane_id = Some("%1".into());
            e.cwd = Some(cwd);
            e.git_project = Some(project);
            events.push(e);
            t += 20_000;
            i += 1;
        }
    }
    events
}

fn insert(store: &mut Store, events: &[Event]) {
    let payloads: Vec<String> = events.iter().map(Event::to_json).collect();
    let tx = store.conn.transaction().unwrap();
    for machine in MACHINES {
        tt::store::machines::ensure(&tx, machine).unwrap();
    }
    tt::store::import::insert_events(&tx, events.iter().zip(payloads.iter().map(String::as_str))).unwrap();
    tx.commit().unwrap();
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// Applies `request` in a transaction that is rolled back; returns the time taken.
fn correction(store: &mut Store, request: &Request) -> Duration {
    let now: Timestamp = "2026-03-01T00:00:00Z".parse().unwrap();
    let tx = store.conn.transaction().unwrap();
    let start = Instant::now();
    apply(&tx, std::slice::from_ref(request), &PARAMS, &TimeZone::UTC, now).unwrap();
    let took = start.elapsed();
    drop(tx);
    took
}

fn main() {
    let mut args = std::env::args().skip(1);
    let days: i64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(30);
    let runs: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(5);
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("tt.db")).unwrap();
    let mut all = Vec::new();
    for day in 0..days {
        all.extend(day_events(day, 0, 7 * 3_600_000));
    }
    insert(&mut store, &all);
    let none = tt::streams::load_corrections(&store.conn).unwrap();
    recompute(&mut store, Scope::All, &PARAMS, &none).unwrap();
    println!(
        "{} events, {days} days, 4 machines, {runs} runs each (medians)",
        all.len()
    );

    // Baseline 1: a sync's recompute after one more hour of events (rolled back each run).
    let hour = day_events(days - 1, 7 * 3_600_000, 8 * 3_600_000);
    let mut sync = Vec::new();
    for _ in 0..runs {
        let tx = store.conn.transaction().unwrap();
        let payloads: Vec<String> = hour.iter().map(Event::to_json).collect();
        tt::store::import::insert_events(&tx, hour.iter().zip(payloads.iter().map(String::as_str))).unwrap();
        let start = Instant::now();
        tt::streams::recompute::run(&tx, Scope::New, &PARAMS, &none).unwrap();
        sync.push(start.elapsed());
        drop(tx);
    }
    // Baseline 2: recompute --all.
    let mut full = Vec::new();
    for _ in 0..runs.min(3) {
        let start = Instant::now();
        recompute(&mut store, Scope::All, &PARAMS, &none).unwrap();
        full.push(start.elapsed());
    }
    let (sync, full) = (median(sync), median(full));
    println!("baseline: sync recompute of 1 new hour   {:>10}", ms(sync));
    println!("baseline: recompute --all                 {:>10}", ms(full));

    let last_day = base() + (days - 1) * DAY;
    let at = |ms: i64| Timestamp::from_millis(ms).to_string();
    let cases: Vec<(&str, Request)> = vec![
        (
            "assign the last hour, one machine",
            Request::Assign {
                stream: Some("proj0-1".into()),
                selector: SelectorRequest::Range {
                    start: at(last_day + 6 * 3_600_000),
                    end: at(last_day + 7 * 3_600_000),
                    machine: Some(MACHINES[0][..8].into()),
                    cwd: None,
                },
            },
        ),
        (
            "assign a session of the last day",
            Request::Assign {
                stream: Some("proj0-1".into()),
                selector: SelectorRequest::Session {
                    id: format!("sess-0-{}", (last_day + 3_600_000 - base()) / 3_600_000),
                    machine: None,
                },
            },
        ),
        (
            "unassign a range a week back",
            Request::Assign {
                stream: None,
                selector: SelectorRequest::Range {
                    start: at(last_day - 7 * DAY),
                    end: at(last_day - 7 * DAY + 3_600_000),
                    machine: None,
                    cwd: None,
                },
            },
        ),
        (
            "merge two streams (whole history)",
            Request::Merge {
                into: "proj0-1".into(),
                from: vec!["proj0-2".into()],
            },
        ),
        (
            "rename",
            Request::Rename {
                stream: "proj0-1".into(),
                name: "acme".into(),
            },
        ),
    ];
    for (name, request) in &cases {
        let times: Vec<Duration> = (0..runs).map(|_| correction(&mut store, request)).collect();
        let t = median(times);
        println!(
            "{name:<40} {:>10}  {:>5.2}x sync  {:>5.2}x --all",
            ms(t),
            t.as_secs_f64() / sync.as_secs_f64(),
            t.as_secs_f64() / full.as_secs_f64()
        );
    }
}
