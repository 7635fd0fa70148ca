//! Report speed and memory on a large database, against SQLite reading every event.
//!
//! Builds (once, then reused from target/) a database of 1,000,000 synthetic events
//! from 8 machines over 9 days with the real binary (`tt import`, `tt recompute --all`),
//! deterministic. Then measures, as medians of several runs:
//!
//! * a week report, `tt report --json --start D --end D+7`, and
//! * a full-range report over all 9 days,
//!
//! against the baseline measured in the same run: `sqlite3 DB "SELECT * FROM events
//! ORDER BY timestamp" > /dev/null`, i.e. what reading every event in time order costs
//! (what a report that replays the events would at least pay). Peak memory is the
//! largest resident set of a report run (wait4's rusage of each child).
//!
//! Goals: a week report at most half of the scan, the full range at most the scan,
//! peak memory under 200 MB.
//!
//!     cargo build --release --bin tt --example bench_report
//!     target/release/examples/bench_report [EVENTS]      # default 1000000

#[path = "../tests/common/mod.rs"]
mod common;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tt::event::{Event, Timestamp, kind, source};
use tt::wire::{Header, Tagged, WIRE_VERSION, tagged_line};

const RUNS: usize = 5;
const MACHINES: u64 = 8;
const DAYS: i64 = 9;
const PROJECTS: u64 = 12;
/// Data from Monday 2 November 2026, UTC.
const FIRST_DAY: &str = "2026-11-02";
const START: &str = "2026-11-02T00:00:00.000Z";

/// A small deterministic generator (SplitMix64), so every run builds the same data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn machine_id(m: u64) -> String {
    format!("{:08x}-0000-4000-8000-{:012x}", 0xbe0c_0000u64 + m, m)
}

/// One machine's export: pane focus and user prompts (direct time), tool uses of a few
/// agent sessions at once (delegated time), spread over the 9 days.
fn write_machine(path: &Path, m: u64, events: u64) {
    let mut out = BufWriter::new(File::create(path).unwrap());
    let id = machine_id(m);
    let header = tagged_line(Tagged::Header(Header {
        machine_id: id.clone(),
        label: format!("box{m}"),
        tt_version: env!("CARGO_PKG_VERSION").into(),
        wire_version: WIRE_VERSION,
    }));
    writeln!(out, "{header}").unwrap();
    let start: Timestamp = START.parse().unwrap();
    let span = DAYS * 86_400_000;
    let step = span / events as i64;
    let mut rng = Rng(m + 1);
    for i in 0..events {
        let at = start.as_millis() + i as i64 * step + rng.below(step.max(1) as u64) as i64;
        let ts = Timestamp::from_millis(at);
        let project = rng.below(PROJECTS);
        let cwd = format!("/home/dev/p{project}/src");
        let roll = rng.below(100);
        let mut e = if roll < 25 {
            let pane = format!("%{project}");
            let mut e = Event::new(&id, source::TMUX, kind::PANE_FOCUS, ts, &format!("{pane}-{i}"));
            e.pane_id = Some(pane);
            e.session_name = Some("main".into());
            e.window_index = Some(0);
            e.git_project = Some(format!("p{project}"));
            e
        } else {
            // Sessions rotate every two hours; four run at once, each in one project.
            let slot = rng.below(4);
            let session = format!("s{m}-{}-{slot}", at / 7_200_000);
            let session_project = (at / 7_200_000) as u64 * 7 + slot;
            let kind = if roll < 30 {
                kind::USER_MESSAGE
            } else {
                kind::AGENT_TOOL_USE
            };
            let mut e = Event::new(&id, source::AGENT, kind, ts, &format!("{session}-{i}"));
            e.agent = Some("claude-code".into());
            e.session_id = Some(session);
            e.tool = (kind == kind::AGENT_TOOL_USE).then(|| "Edit".to_string());
            e.cwd = Some(format!("/home/dev/p{}/src", session_project % PROJECTS));
            e
        };
        if e.cwd.is_none() {
            e.cwd = Some(cwd);
        }
        writeln!(out, "{}", e.to_json()).unwrap();
    }
    out.flush().unwrap();
}

// The child is reaped by wait4, which std's Child does not know about.
#[allow(clippy::zombie_processes)]
fn run(cmd: &mut Command) -> (Duration, u64) {
    let started = Instant::now();
    let child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let pid = child.id() as libc::pid_t;
    // wait4 reaps the child and gives its own resource use (peak resident set in KiB).
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let elapsed = started.elapsed();
    assert_eq!(waited, pid, "wait4 failed");
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "{cmd:?} failed"
    );
    (elapsed, usage.ru_maxrss as u64 * 1024)
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// Builds the database unless a previous run left it.
fn database(events: u64) -> (common::Home, PathBuf) {
    let home = common::Home::new();
    let exe = std::env::current_exe().unwrap();
    let cache = exe.parent().unwrap().join(format!("bench-report-{events}.db"));
    let db = home.database();
    std::fs::create_dir_all(db.parent().unwrap()).unwrap();
    if cache.exists() {
        eprintln!("reusing {}", cache.display());
        std::fs::copy(&cache, &db).unwrap();
        return (home, db);
    }
    let per_machine = events / MACHINES;
    let started = Instant::now();
    for m in 0..MACHINES {
        let file = home.root().join(format!("machine{m}.jsonl"));
        write_machine(&file, m, per_machine);
        let out = home
            .tt(&["import"])
            .stdin(File::open(&file).unwrap())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", common::describe(&out));
        std::fs::remove_file(&file).unwrap();
    }
    eprintln!("imported {events} events in {:.1?}", started.elapsed());
    let started = Instant::now();
    home.ok(&["recompute", "--all"]);
    eprintln!("recompute --all in {:.1?}", started.elapsed());
    // One file to copy: fold the WAL into the database.
    let conn = home.db();
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)").unwrap();
    drop(conn);
    std::fs::copy(&db, &cache).unwrap();
    (home, db)
}

fn date_plus(days: i64) -> String {
    let first: jiff::civil::Date = FIRST_DAY.parse().unwrap();
    (first + jiff::Span::new().days(days)).to_string()
}

fn main() {
    let events: u64 = std::env::args()
        .nth(1)
        .map_or(1_000_000, |n| n.parse().expect("EVENTS is a number"));
    let (home, db) = database(events);
    let conn = home.db();
    let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
    eprintln!(
        "{} events, {} intervals, {} streams, {:.0} MB database",
        count("SELECT count(*) FROM events"),
        count("SELECT count(*) FROM intervals"),
        count("SELECT count(*) FROM streams"),
        std::fs::metadata(&db).unwrap().len() as f64 / 1e6
    );
    drop(conn);

    let report = |start: i64, end: i64| {
        let mut cmd = home.tt(&[
            "report",
            "--json",
            "--start",
            &date_plus(start),
            "--end",
            &date_plus(end),
        ]);
        cmd.env("TZ", "UTC");
        cmd
    };
    let scan = || {
        let mut cmd = Command::new("sqlite3");
        cmd.arg(&db).arg("SELECT * FROM events ORDER BY timestamp");
        cmd
    };
    // Warm the page cache once for each.
    run(&mut scan());
    run(&mut report(0, DAYS));

    let (mut t_scan, mut t_week, mut t_full) = (Vec::new(), Vec::new(), Vec::new());
    let mut peak = 0;
    for _ in 0..RUNS {
        t_scan.push(run(&mut scan()).0);
        let (t, rss) = run(&mut report(1, 8));
        t_week.push(t);
        peak = peak.max(rss);
        let (t, rss) = run(&mut report(0, DAYS));
        t_full.push(t);
        peak = peak.max(rss);
    }
    let (scan, week, full) = (median(t_scan), median(t_week), median(t_full));
    let ms = |d: Duration| format!("{:.0} ms", d.as_secs_f64() * 1000.0);
    let ratio = |a: Duration| a.as_secs_f64() / scan.as_secs_f64();
    let yes = |ok: bool| if ok { "yes" } else { "NO" };
    let rows = [
        [
            "week report".to_string(),
            ms(week),
            ms(scan),
            format!("{:.2}", ratio(week)),
            "<= 0.5x scan".into(),
            yes(ratio(week) <= 0.5).into(),
        ],
        [
            "full-range report (9 days)".to_string(),
            ms(full),
            ms(scan),
            format!("{:.2}", ratio(full)),
            "<= 1x scan".into(),
            yes(ratio(full) <= 1.0).into(),
        ],
        [
            "peak memory of a report".to_string(),
            format!("{:.0} MB", peak as f64 / 1e6),
            "-".into(),
            "-".into(),
            "< 200 MB".into(),
            yes(peak < 200_000_000).into(),
        ],
    ];
    let header = ["figure", "tt", "baseline (sqlite3 scan)", "ratio", "goal", "met"];
    let widths: Vec<usize> = (0..6)
        .map(|c| {
            rows.iter()
                .map(|r| r[c].len())
                .chain([header[c].len()])
                .max()
                .unwrap()
        })
        .collect();
    let line = |cells: &[&str]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        println!("{}", padded.join("  ").trim_end());
    };
    println!("{events} events, 8 machines, 9 days; medians of {RUNS} runs");
    line(&header);
    for row in &rows {
        line(&row.iter().map(String::as_str).collect::<Vec<_>>());
    }
}
