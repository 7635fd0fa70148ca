//! The wire path (issue 6): `tt import` of 1,000,000 synthetic events into a fresh
//! database against the `sqlite3` shell importing the same rows into a table of the
//! same shape in one transaction; a re-import of the same file (all duplicates); and
//! `tt export --after` an id near the end of a 1,000,000-line log against a full
//! export. Needs `sqlite3` on PATH. BENCH_DIR keeps the generated files.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use tt::event::{Event, kind, source};
use tt::store::schema;
use tt::timestamp::Timestamp;
use tt::wire::{End, Header, Tagged, tagged_line};

use crate::Ctx;
use crate::measure::{Row, Table, duration, median, ratio, thousands, time};

const MACHINE: &str = "0b6c2f0e-8d1a-4c3e-9f5b-2a7d4e6f8a90";

pub fn run(ctx: &Ctx, table: &mut Table) {
    let count: usize = ctx.scale(1_000_000, 100_000);
    let runs: usize = ctx.scale(3, 1);
    let tt = ctx.tt.as_path();
    let dir = tempfile::tempdir().expect("temp dir");
    let kept = std::env::var_os("BENCH_DIR").map(PathBuf::from);
    let home = kept.as_deref().unwrap_or(dir.path());

    let events = synthetic_events(count);
    let export = home.join("export.jsonl");
    write_export_file(&export, &events);
    let csv = home.join("rows.csv");
    write_csv(&csv, &events);
    let size = fs::metadata(&export).unwrap().len();
    eprintln!(
        "  {count} events, export file {:.1} MB, {runs} runs each",
        size as f64 / 1e6
    );

    let mut tt_import = Vec::new();
    let mut tt_reimport = Vec::new();
    let mut sqlite_import = Vec::new();
    for run in 0..runs {
        let db = home.join(format!("tt-{run}.db"));
        tt_import.push(time(|| run_tt(tt, home, &db, &["import"], Some(&export))));
        tt_reimport.push(time(|| run_tt(tt, home, &db, &["import"], Some(&export))));
        let baseline = home.join(format!("sqlite-{run}.db"));
        sqlite_import.push(time(|| sqlite_baseline(&baseline, &csv)));
        for file in [&db, &baseline] {
            for suffix in ["", "-wal", "-shm"] {
                fs::remove_file(format!("{}{suffix}", file.display())).ok();
            }
        }
    }
    let (import, reimport, sqlite) = (
        median(&mut tt_import),
        median(&mut tt_reimport),
        median(&mut sqlite_import),
    );
    let n = thousands(count as u64);
    table.add(
        Row::new(
            format!("`tt import` of {n} events into a fresh database"),
            duration(import),
        )
        .baseline(
            format!(
                "`sqlite3` shell importing the same rows into the same table: {}",
                duration(sqlite)
            ),
            ratio(import, sqlite),
        )
        .goal(
            "≤ 1.0x and < 5 s",
            import <= sqlite && import < Duration::from_secs(5),
        ),
    );
    table.add(
        Row::new("re-import of the same file, all duplicates", duration(reimport))
            .goal("< 2 s", reimport < Duration::from_secs(2)),
    );

    // Export: the machine's own log of `count` lines, full vs. after an id 1% from the end.
    let data = home.join("data/tt");
    fs::create_dir_all(&data).unwrap();
    fs::write(
        data.join("machine.json"),
        format!("{{\"machine_id\":\"{MACHINE}\",\"label\":\"bench\"}}"),
    )
    .unwrap();
    let mut log = BufWriter::new(File::create(data.join("events.jsonl")).unwrap());
    for event in &events {
        writeln!(log, "{}", event.to_json()).unwrap();
    }
    log.flush().unwrap();
    drop(log);
    let cursor = events[count - count / 100 - 1].id.clone();
    let db = home.join("unused.db");
    let mut full = Vec::new();
    let mut incremental = Vec::new();
    for _ in 0..runs.max(3) {
        full.push(time(|| drain_tt(tt, home, &db, &["export"])));
        incremental.push(time(|| drain_tt(tt, home, &db, &["export", "--after", &cursor])));
    }
    let (f, i) = (median(&mut full), median(&mut incremental));
    let speedup = f.as_secs_f64() / i.as_secs_f64();
    table.add(
        Row::new(
            format!("`tt export --after` the last 1% of a {n}-line log"),
            duration(i),
        )
        .baseline(
            format!("full export, read by a pipe: {}", duration(f)),
            format!("{speedup:.0}x faster"),
        )
        .goal("≥ 20x", speedup >= 20.0),
    );
}

fn synthetic_events(count: usize) -> Vec<Event> {
    let start = Timestamp::from_millis(1_767_225_600_000); // 2026-01-01
    (0..count)
        .map(|i| {
            let ts = Timestamp::from_millis(start.as_millis() + i as i64 * 1500);
            let project = format!("project-{}", i % 17);
            let mut event = if i % 3 == 0 {
                let mut e = Event::new(
                    MACHINE,
                    source::AGENT,
                    kind::AGENT_TOOL_USE,
                    ts,
                    &format!("toolu_{i:012}"),
                );
                e.agent = Some("claude-code".into());
                e.session_id = Some(format!("5e55{:04x}-0000-4000-8000-000000000000", i % 500));
                e.tool = Some("Edit".into());
                e.file = Some(format!("/home/dev/{project}/src/module_{}.rs", i % 40));
                e
            } else {
                let pane = format!("%{}", i % 23);
                let mut e = Event::new(MACHINE, source::TMUX, kind::PANE_FOCUS, ts, &pane);
                e.pane_id = Some(pane);
                e.session_name = Some("main".into());
                e.window_index = Some((i % 5) as u32);
                e
            };
            event.cwd = Some(format!("/home/dev/{project}"));
            event.git_project = Some(project);
            event
        })
        .collect()
}

fn write_export_file(path: &Path, events: &[Event]) {
    let mut out = BufWriter::new(File::create(path).unwrap());
    let header = Header {
        machine_id: MACHINE.into(),
        label: "bench".into(),
        tt_version: "bench".into(),
        wire_version: tt::wire::WIRE_VERSION,
    };
    writeln!(out, "{}", tagged_line(Tagged::Header(header))).unwrap();
    for event in events {
        writeln!(out, "{}", event.to_json()).unwrap();
    }
    let end = End {
        events: events.len() as u64,
        sessions: 0,
    };
    writeln!(out, "{}", tagged_line(Tagged::End(end))).unwrap();
    out.flush().unwrap();
}

/// The same rows tt stores, as CSV for the sqlite3 shell's `.import`.
fn write_csv(path: &Path, events: &[Event]) {
    let mut out = BufWriter::new(File::create(path).unwrap());
    let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    for e in events {
        let opt = |s: &Option<String>| s.as_deref().map(q).unwrap_or_default();
        writeln!(
            out,
            "{},{},{},{},{},{},{},{},{}",
            q(&e.id),
            q(e.machine_id().unwrap()),
            q(&e.timestamp.to_string()),
            q(&e.source),
            q(&e.kind),
            opt(&e.cwd),
            opt(&e.git_project),
            opt(&e.session_id),
            q(&e.to_json())
        )
        .unwrap();
    }
    out.flush().unwrap();
}

fn sqlite_baseline(db: &Path, csv: &Path) {
    // The events table exactly as tt creates it (same columns, same indexes).
    let create: String = schema::CREATE
        .split(';')
        .map(|stmt| {
            stmt.lines()
                .filter(|l| !l.trim_start().starts_with("--"))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .filter(|stmt| stmt.contains("TABLE events") || stmt.contains("ON events"))
        .map(|stmt| format!("{stmt};\n"))
        .collect();
    let script = format!(
        "PRAGMA journal_mode=WAL;\nPRAGMA synchronous=NORMAL;\n{create}\
         CREATE TEMP TABLE staging (id, machine_id, timestamp, source, type, cwd, git_project, session_id, payload);\n\
         .mode csv\n.import {} staging\n\
         BEGIN;\nINSERT OR IGNORE INTO events (id, machine_id, timestamp, source, type, cwd, git_project, session_id, payload)\n\
         SELECT id, machine_id, timestamp, source, type, nullif(cwd, ''), nullif(git_project, ''), nullif(session_id, ''), payload FROM staging;\nCOMMIT;\n",
        csv.display()
    );
    let mut child = Command::new("sqlite3")
        .arg(db)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("sqlite3 on PATH (the import baseline)");
    child.stdin.take().unwrap().write_all(script.as_bytes()).unwrap();
    assert!(child.wait().unwrap().success(), "sqlite3 baseline failed");
}

fn run_tt(tt: &Path, home: &Path, db: &Path, args: &[&str], stdin: Option<&Path>) {
    let mut cmd = tt_command(tt, home, db, args);
    cmd.stdout(Stdio::null());
    cmd.stdin(match stdin {
        Some(path) => Stdio::from(File::open(path).unwrap()),
        None => Stdio::null(),
    });
    assert!(cmd.status().unwrap().success(), "tt {args:?} failed");
}

fn tt_command(tt: &Path, home: &Path, db: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(tt);
    cmd.args(args)
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("TT_DATABASE_PATH", db)
        .env("TT_CLAUDE__PROJECTS_DIR", home.join("no-claude"))
        .stderr(Stdio::null());
    cmd
}

/// Runs tt and reads its whole stdout, as ssh does on the hub.
fn drain_tt(tt: &Path, home: &Path, db: &Path, args: &[&str]) {
    let mut child = tt_command(tt, home, db, args)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let bytes = std::io::copy(&mut stdout, &mut std::io::sink()).unwrap();
    assert!(child.wait().unwrap().success() && bytes > 0, "tt {args:?} failed");
}
