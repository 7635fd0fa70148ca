//! Peak memory and speed of `tt import` and of a first `tt sync` at 1,000,000 and
//! 4,000,000 events (issue 16), each against a baseline measured in the same run:
//!
//! * import: the `sqlite3` shell inserting the same rows into the same schema, in one
//!   transaction (as in `bench_wire`: CSV `.import` into a staging table, then
//!   `INSERT OR IGNORE ... SELECT`).
//! * sync: `ssh HOST tt export > file` followed by `tt import < file`, through the
//!   same real local sshd as the sync.
//!
//! Peak memory is the child's maximum resident set as `/usr/bin/time -f %M` reports
//! it (getrusage of the waited-for child). The events are synthetic and deterministic:
//! pane focus events 1.5 s apart, across a handful of panes and projects.
//!
//!     cargo build --release --bin tt --example bench_memory
//!     target/release/examples/bench_memory [EVENTS...]   # default 1000000 4000000
//!
//! `BENCH_RUNS` sets the runs per figure (default 3; sizes above 1M run once unless
//! it is set); the median is reported.

#[path = "../tests/common/mod.rs"]
mod common;

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::fleet::Fleet;
use common::tt_bin;
use tt::event::{Event, Timestamp, kind, source};

const GOAL_PEAK_MB: f64 = 64.0;
/// First sync against export-to-file then import.
const GOAL_SYNC_RATIO: f64 = 1.15;
/// Import against the sqlite3 shell.
const GOAL_IMPORT_RATIO: f64 = 1.0;

/// Wall time (s) and peak resident set (MB) of one command.
#[derive(Debug, Clone, Copy)]
struct Measure {
    secs: f64,
    peak_mb: f64,
}

/// Writes every dirty page out (sync(2)), so that a measurement does not pay for the
/// write-back of the files the previous step produced.
fn settle() {
    // SAFETY: sync(2) takes no arguments and cannot fail.
    unsafe { libc::sync() };
}

/// Runs `command` under `/usr/bin/time`, stdin and stdout as given, and reads its figures.
fn measure(command: Command, stdin: Option<&Path>, stdout: Option<&Path>, scratch: &Path) -> Measure {
    let report = scratch.join("time.out");
    let program = command.get_program().to_owned();
    let args: Vec<_> = command.get_args().map(|a| a.to_owned()).collect();
    let envs: Vec<_> = command
        .get_envs()
        .map(|(k, v)| (k.to_owned(), v.map(|v| v.to_owned())))
        .collect();
    settle();
    let mut timed = Command::new("/usr/bin/time");
    timed
        .arg("-f")
        .arg("%e %M")
        .arg("-o")
        .arg(&report)
        .arg(program)
        .args(args);
    for (key, value) in envs {
        match value {
            Some(value) => timed.env(key, value),
            None => timed.env_remove(key),
        };
    }
    timed.stdin(match stdin {
        Some(path) => Stdio::from(File::open(path).unwrap()),
        None => Stdio::null(),
    });
    timed.stdout(match stdout {
        Some(path) => Stdio::from(File::create(path).unwrap()),
        None => Stdio::null(),
    });
    let output = timed.stderr(Stdio::piped()).output().unwrap();
    assert!(
        output.status.success(),
        "{timed:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = fs::read_to_string(&report).unwrap();
    let mut words = text.split_whitespace();
    let secs: f64 = words.next().unwrap().parse().unwrap();
    let kb: f64 = words.next().unwrap().parse().unwrap();
    Measure {
        secs,
        peak_mb: kb / 1024.0,
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// The synthetic events of one machine.
fn events(machine_id: &str, count: u64) -> impl Iterator<Item = Event> + '_ {
    let start = 1_767_225_600_000i64; // 2026-01-01
    (0..count).map(move |i| {
        let ts = Timestamp::from_millis(start + i as i64 * 1500);
        let pane = format!("%{}", i % 7);
        let mut event = Event::new(machine_id, source::TMUX, kind::PANE_FOCUS, ts, &pane);
        event.pane_id = Some(pane);
        event.session_name = Some("main".into());
        event.window_index = Some((i % 3) as u32);
        event.cwd = Some(format!("/home/me/project-{}", i % 5));
        event.git_project = Some(format!("project-{}", i % 5));
        event
    })
}

/// Writes the events as JSONL (the remote's log, or `tt import` input), and the same
/// rows as CSV with the script the sqlite3 shell runs for them (the method of
/// `bench_wire`: `.import` into a staging table, then one `INSERT OR IGNORE ...
/// SELECT` transaction into tt's own schema).
fn write_inputs(machine_id: &str, count: u64, jsonl: &Path, csv: &Path, sql: &Path) {
    let mut lines = BufWriter::with_capacity(1 << 20, File::create(jsonl).unwrap());
    let mut rows = BufWriter::with_capacity(1 << 20, File::create(csv).unwrap());
    let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    for event in events(machine_id, count) {
        let json = event.to_json();
        writeln!(lines, "{json}").unwrap();
        writeln!(
            rows,
            "{},{},{},{},{},{},{},,{}",
            q(&event.id),
            q(machine_id),
            q(&event.timestamp.to_string()),
            q(&event.source),
            q(&event.kind),
            q(event.cwd.as_deref().unwrap()),
            q(event.git_project.as_deref().unwrap()),
            q(&json),
        )
        .unwrap();
    }
    lines.flush().unwrap();
    rows.flush().unwrap();
    fs::write(
        sql,
        format!(
            "PRAGMA synchronous=NORMAL;\n\
             CREATE TEMP TABLE staging (id, machine_id, timestamp, source, type, cwd, git_project, session_id, payload);\n\
             .mode csv\n.import {} staging\n\
             BEGIN;\nINSERT OR IGNORE INTO events (id, machine_id, timestamp, source, type, cwd, git_project, session_id, payload)\n\
             SELECT id, machine_id, timestamp, source, type, nullif(cwd, ''), nullif(git_project, ''), nullif(session_id, ''), payload FROM staging;\nCOMMIT;\n",
            csv.display()
        ),
    )
    .unwrap();
}

/// A fresh, empty tt database (schema created by tt itself).
fn fresh_database(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = fs::remove_file(format!("{}{suffix}", path.display()));
    }
    drop(tt::store::Store::open(path).unwrap());
}

fn remove_database(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

struct Row {
    figure: String,
    tt: String,
    baseline: String,
    ratio: f64,
    goal: String,
    met: bool,
}

fn main() {
    let sizes: Vec<u64> = {
        let args: Vec<u64> = std::env::args()
            .skip(1)
            .map(|a| a.parse().expect("EVENTS is a number"))
            .collect();
        if args.is_empty() {
            vec![1_000_000, 4_000_000]
        } else {
            args
        }
    };
    let runs_env: Option<usize> = std::env::var("BENCH_RUNS").ok().map(|r| r.parse().unwrap());
    let fleet = Fleet::new(&["big"]);
    let machine_id = fleet.remote("big").machine_id();
    let scratch: PathBuf = fleet.dir.path().join("bench");
    fs::create_dir_all(&scratch).unwrap();
    let jsonl = scratch.join("events.jsonl");
    let sql = scratch.join("rows.sql");
    let csv = scratch.join("rows.csv");
    let exported = scratch.join("exported.jsonl");
    let import_db = scratch.join("import.db");
    let sqlite_db = scratch.join("sqlite.db");
    let hub_db = fleet.hub.database();
    let remote_command = fleet.dir.path().join("tt-remote");

    let mut rows = Vec::new();
    for &count in &sizes {
        let runs = runs_env.unwrap_or(if count > 1_000_000 { 1 } else { 3 });
        eprintln!("generating {count} events...");
        write_inputs(&machine_id, count, &jsonl, &csv, &sql);
        fs::copy(&jsonl, fleet.remote("big").event_log()).unwrap();

        let (mut tt_import, mut sqlite) = (Vec::new(), Vec::new());
        let (mut sync, mut export_import) = (Vec::new(), Vec::new());
        for run in 0..runs {
            eprintln!("{count} events, run {}/{runs}", run + 1);
            // tt import into an empty database.
            remove_database(&import_db);
            let mut import = fleet
                .hub
                .tt(&["--database", import_db.to_str().unwrap(), "import"]);
            import.stdin(Stdio::null());
            tt_import.push(measure(import, Some(&jsonl), None, &scratch));

            // The sqlite3 shell, the same rows into the same (empty) schema.
            fresh_database(&sqlite_db);
            let mut shell = Command::new("sqlite3");
            shell.arg(&sqlite_db).arg(format!(".read {}", sql.display()));
            sqlite.push(measure(shell, None, None, &scratch));

            // First sync into an empty hub database.
            remove_database(&hub_db);
            let _ = fs::remove_file(fleet.hub.state_dir().join("quarantine.jsonl"));
            sync.push(measure(fleet.hub.tt(&["sync", "big"]), None, None, &scratch));

            // ssh HOST tt export > file, then tt import < file.
            remove_database(&import_db);
            let mut ssh = Command::new("ssh");
            ssh.arg("-F")
                .arg(&fleet.ssh_config)
                .args(["-o", "BatchMode=yes", "big"])
                .arg(format!("'{}' export", remote_command.display()));
            let transfer = measure(ssh, None, Some(&exported), &scratch);
            let import = fleet
                .hub
                .tt(&["--database", import_db.to_str().unwrap(), "import"]);
            let import = measure(import, Some(&exported), None, &scratch);
            export_import.push(Measure {
                secs: transfer.secs + import.secs,
                peak_mb: transfer.peak_mb.max(import.peak_mb),
            });
        }
        let secs = |m: &[Measure]| median(m.iter().map(|m| m.secs).collect());
        let peak = |m: &[Measure]| median(m.iter().map(|m| m.peak_mb).collect());
        let n = if count % 1_000_000 == 0 {
            format!("{}M", count / 1_000_000)
        } else {
            count.to_string()
        };
        for (what, tt, base, base_name) in [
            ("import", &tt_import, &sqlite, "sqlite3"),
            ("sync", &sync, &export_import, "export>file+import"),
        ] {
            let (t, b) = (peak(tt), peak(base));
            rows.push(Row {
                figure: format!("{what} {n} peak memory"),
                tt: format!("{t:.1} MB"),
                baseline: format!("{b:.1} MB ({base_name})"),
                ratio: t / b,
                goal: format!("< {GOAL_PEAK_MB:.0} MB"),
                met: t < GOAL_PEAK_MB,
            });
            let (t, b) = (secs(tt), secs(base));
            let goal = if what == "import" {
                GOAL_IMPORT_RATIO
            } else {
                GOAL_SYNC_RATIO
            };
            rows.push(Row {
                figure: format!("{what} {n} time"),
                tt: format!("{t:.2} s"),
                baseline: format!("{b:.2} s ({base_name})"),
                ratio: t / b,
                goal: format!("<= {goal:.2}x"),
                met: t / b <= goal,
            });
        }
        print_table(&rows);
    }
    let _ = fs::remove_file(&jsonl);
    let _ = fs::remove_file(&sql);
    let _ = fs::remove_file(&csv);
    let _ = fs::remove_file(&exported);
    if rows.iter().any(|r| !r.met) {
        eprintln!("some goals were not met");
    }
    let _ = tt_bin;
}

fn print_table(rows: &[Row]) {
    println!(
        "\n{:<26} {:>10} {:>34} {:>7} {:>9} {:>4}",
        "figure", "tt", "baseline", "ratio", "goal", "met"
    );
    for row in rows {
        println!(
            "{:<26} {:>10} {:>34} {:>6.2}x {:>9} {:>4}",
            row.figure,
            row.tt,
            row.baseline,
            row.ratio,
            row.goal,
            if row.met { "yes" } else { "no" }
        );
    }
}
