//! Peak memory and speed of `tt import` and of a first `tt sync` at 1,000,000 and
//! 4,000,000 events (issue 16), each against a baseline measured in the same run:
//!
//! * import: the `sqlite3` shell inserting the same rows into the same (empty) schema
//!   in one transaction (the method of `wire`: CSV `.import` into a staging table,
//!   then `INSERT OR IGNORE ... SELECT`). Goal: at most its time, under 64 MB.
//! * first sync into an empty hub: `ssh host tt export > file` then `tt import <
//!   file`, through the same real local sshd. Goal: at most 1.15x its time, under
//!   64 MB.
//!
//! Peak memory is the maximum resident set GNU time reports for tt (for the baseline
//! pair the larger of the two; see `measure::run_measured_io`), the largest over the
//! runs; times are medians. Runs alternate tt and its baseline. The events are
//! synthetic and deterministic: pane focus events 1.5 s apart over a handful of panes
//! and projects. 3 runs of each size (the whole module takes about 10 minutes on the
//! 2-core machine); --quick runs 20,000 events once.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use tt::event::{Event, Timestamp, kind, source};

use crate::Ctx;
use crate::common::fleet::Fleet;
use crate::dataset::settle;
use crate::measure::{Row, Table, duration, megabytes, ratio, run_measured_io, thousands};

const PEAK_GOAL: u64 = 64_000_000;
/// First sync against export-to-file then import.
const SYNC_GOAL: f64 = 1.15;
/// Import against the sqlite3 shell.
const IMPORT_GOAL: f64 = 1.0;

pub fn run(ctx: &Ctx, table: &mut Table) {
    let sizes: Vec<(u64, usize)> = ctx.scale(vec![(1_000_000, 3), (4_000_000, 3)], vec![(20_000, 1)]);
    let fleet = Fleet::new(&["big"]);
    let machine_id = fleet.remote("big").machine_id();
    let scratch = fleet.dir.path().join("bench");
    fs::create_dir_all(&scratch).unwrap();
    let jsonl = scratch.join("events.jsonl");
    let sql = scratch.join("rows.sql");
    let csv = scratch.join("rows.csv");
    let exported = scratch.join("exported.jsonl");
    let import_db = scratch.join("import.db");
    let sqlite_db = scratch.join("sqlite.db");
    let hub_db = fleet.hub.database();
    let remote_command = fleet.dir.path().join("tt-remote");
    let import = |from: &Path| {
        let command = fleet
            .hub
            .tt(&["--database", import_db.to_str().unwrap(), "import"]);
        (command, Some(from.to_owned()))
    };

    for (count, runs) in sizes {
        eprintln!("  generating {} events", thousands(count));
        write_inputs(&machine_id, count, &jsonl, &csv, &sql);
        fs::copy(&jsonl, fleet.remote("big").event_log()).unwrap();

        let (mut tt_import, mut sqlite) = (Vec::new(), Vec::new());
        let (mut sync, mut export_import) = (Vec::new(), Vec::new());
        for run in 0..runs {
            eprintln!("  {} events, run {}/{runs}", thousands(count), run + 1);
            // tt import into an empty database.
            remove_database(&import_db);
            tt_import.push(measured(import(&jsonl), None));

            // The sqlite3 shell, the same rows into the same (empty) schema.
            remove_database(&sqlite_db);
            drop(tt::store::Store::open(&sqlite_db).unwrap());
            let mut shell = Command::new("sqlite3");
            shell.arg(&sqlite_db).arg(format!(".read {}", sql.display()));
            sqlite.push(measured((shell, None), None));

            // First sync into an empty hub database.
            remove_database(&hub_db);
            let _ = fs::remove_file(fleet.hub.state_dir().join("quarantine.jsonl"));
            sync.push(measured((fleet.hub.tt(&["sync", "big"]), None), None));

            // ssh host tt export > file, then tt import < file.
            remove_database(&import_db);
            let mut ssh = Command::new("ssh");
            ssh.arg("-F")
                .arg(&fleet.ssh_config)
                .args(["-o", "BatchMode=yes", "big"])
                .arg(format!("'{}' export", remote_command.display()));
            let transfer = measured((ssh, None), Some(&exported));
            let imported = measured(import(&exported), None);
            export_import.push((transfer.0 + imported.0, transfer.1.max(imported.1)));
        }
        let n = thousands(count);
        add(
            table,
            format!("`tt import` of {n} pane-focus events, fresh database"),
            &tt_import,
            "`sqlite3` shell, the same rows into the same schema",
            &sqlite,
            IMPORT_GOAL,
        );
        add(
            table,
            format!("first `tt sync` of a {n}-event remote, fresh hub"),
            &sync,
            "`ssh host tt export > file; tt import < file`",
            &export_import,
            SYNC_GOAL,
        );
    }
    for file in [&jsonl, &sql, &csv, &exported] {
        let _ = fs::remove_file(file);
    }
}

/// One row: median time and largest peak of tt and of its baseline, the time ratio,
/// and the goal (at most `goal` times the baseline's time, peak under 64 MB).
fn add(
    table: &mut Table,
    figure: String,
    tt: &[(Duration, u64)],
    baseline: &str,
    base: &[(Duration, u64)],
    goal: f64,
) {
    let (t, t_peak) = summary(tt);
    let (b, b_peak) = summary(base);
    table.add(
        Row::new(figure, format!("{}, peak {}", duration(t), megabytes(t_peak)))
            .baseline(
                format!("{baseline}: {}, peak {}", duration(b), megabytes(b_peak)),
                ratio(t, b),
            )
            .goal(
                format!("≤ {goal:.2}x, < 64 MB"),
                t.as_secs_f64() <= goal * b.as_secs_f64() && t_peak < PEAK_GOAL,
            ),
    );
}

/// The median time and the largest peak of some runs.
fn summary(runs: &[(Duration, u64)]) -> (Duration, u64) {
    let mut times: Vec<Duration> = runs.iter().map(|r| r.0).collect();
    let peak = runs.iter().map(|r| r.1).max().unwrap();
    (crate::measure::median(&mut times), peak)
}

/// Time and peak resident set of one command, stdin from the given file (else
/// /dev/null), stdout to `stdout` (else discarded), after writing back whatever the
/// previous step left dirty.
fn measured((mut command, stdin): (Command, Option<PathBuf>), stdout: Option<&Path>) -> (Duration, u64) {
    settle();
    let input = match stdin {
        Some(path) => Stdio::from(File::open(path).unwrap()),
        None => Stdio::null(),
    };
    let out = match stdout {
        Some(path) => Stdio::from(File::create(path).unwrap()),
        None => Stdio::null(),
    };
    run_measured_io(&mut command, input, out)
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

/// Writes the events as JSONL (the remote's log, and `tt import`'s input), and the
/// same rows as CSV with the script the sqlite3 shell runs for them.
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

fn remove_database(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = fs::remove_file(format!("{}{suffix}", path.display()));
    }
}
