//! `tt ingest sessions` over a ~200 MB corpus of Claude Code logs.
//!
//! The corpus is the real logs of tests/fixtures/claude-projects replicated with new
//! session ids, generated in a temporary directory (nothing is committed). Measured:
//! - the baseline: every record of the corpus parsed by serde_json (borrowed,
//!   `IgnoredAny`: validation only, no allocation) in parallel with rayon;
//! - a cold `tt ingest sessions` (empty manifest, empty event log, new database; the
//!   logs in the page cache), the binary end to end;
//! - a warm re-run with nothing new, and (stderr) where its time goes in process.
//!
//! Goals (issue #7): cold >= 400 MB/s on 2 cores; warm >= 20x faster than cold.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use rayon::prelude::*;
use serde::de::IgnoredAny;
use tt::config::Config;
use tt::machine::Machine;
use tt::paths::Paths;

use crate::Ctx;
use crate::measure::{Row, Table, duration, median, median_of, speedup, time};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/claude-projects");

pub fn run(ctx: &Ctx, table: &mut Table) {
    let target_mb: u64 = ctx.scale(200, 20);
    let (cold_runs, warm_runs) = ctx.scale((3, 10), (1, 3));
    let tmp = tempfile::tempdir().expect("temp dir");
    let home = tmp.path();
    let projects = home.join("claude-projects");
    let tt = |args: &[&str]| {
        let mut cmd = Command::new(&ctx.tt);
        cmd.args(args)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", home)
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_STATE_HOME", home.join("state"))
            .env("TT_CLAUDE__PROJECTS_DIR", &projects);
        let out = cmd.output().expect("run tt");
        assert!(
            out.status.success(),
            "tt {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let (files, bytes) = generate(&projects, target_mb * 1_000_000);
    let mb = bytes as f64 / 1e6;
    eprintln!(
        "  corpus: {} logs, {mb:.1} MB, {} threads",
        files.len(),
        rayon::current_num_threads()
    );
    tt(&["init", "--label", "bench"]);

    // Page cache: read everything once.
    let _: u64 = files.par_iter().map(|f| fs::read(f).unwrap().len() as u64).sum();

    let base = median_of(cold_runs, || assert!(serde_baseline(&files) > 0));
    let state = home.join("state/tt");
    let data = home.join("data/tt");
    let reset = || {
        let _ = fs::remove_file(state.join("claude-manifest.json"));
        let _ = fs::remove_file(state.join("claude-emitted.bin"));
        let _ = fs::remove_file(state.join("claude-indexed.json"));
        for file in ["events.jsonl", "tt.db", "tt.db-wal", "tt.db-shm"] {
            let _ = fs::remove_file(data.join(file));
        }
    };
    let mut cold = Vec::new();
    for _ in 0..cold_runs {
        reset();
        cold.push(time(|| tt(&["ingest", "sessions"])));
    }
    let c = median(&mut cold);
    let w = median_of(warm_runs, || tt(&["ingest", "sessions"]));
    let events = fs::read(data.join("events.jsonl"))
        .map(|b| memchr::memchr_iter(b'\n', &b).count())
        .unwrap_or(0);
    eprintln!("  {events} events derived");
    warm_breakdown(home, &projects, warm_runs);

    let rate = |d: Duration| mb / d.as_secs_f64();
    table.add(
        Row::new(
            format!("`tt ingest sessions`, cold, {mb:.0} MB of Claude Code logs"),
            format!("{}, {:.0} MB/s", duration(c), rate(c)),
        )
        .baseline(
            format!(
                "serde_json parse of every record, parallel: {:.0} MB/s",
                rate(base)
            ),
            speedup(c, base),
        )
        .goal("≥ 400 MB/s", rate(c) >= 400.0),
    );
    let speedup = c.as_secs_f64() / w.as_secs_f64();
    table.add(
        Row::new("the same, warm (nothing new)", duration(w))
            .baseline("the cold run", format!("{speedup:.0}x faster"))
            .goal("≥ 20x", speedup >= 20.0),
    );
}

/// Where a warm run's time goes, in process: the scan alone, then opening the
/// database and upserting every session (which the command skips when nothing changed).
fn warm_breakdown(home: &Path, projects: &Path, runs: usize) {
    let paths = Paths {
        config_dir: home.join("config/tt"),
        data_dir: home.join("data/tt"),
        state_dir: home.join("state/tt"),
    };
    let mut config = Config::default();
    config.claude.projects_dir = projects.to_path_buf();
    let machine = Machine::require(&paths).unwrap();
    let (mut scan, mut index) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let mut outcome = None;
        scan.push(time(|| {
            outcome = Some(tt::claude::scan(&paths, &config, &machine).unwrap())
        }));
        let outcome = outcome.unwrap();
        index.push(time(|| {
            let mut store = tt::store::Store::open(&paths.default_database()).unwrap();
            let sessions = outcome.sessions.iter().map(|(s, _)| s);
            tt::store::sessions::upsert_all(&mut store.conn, &machine.id(), sessions).unwrap();
        }));
    }
    eprintln!(
        "  warm, in process: scan {} (an index of every row, skipped when nothing changed: {})",
        duration(median(&mut scan)),
        duration(median(&mut index))
    );
}

/// Replicates the fixtures with new session ids until `target` bytes are written.
fn generate(projects: &Path, target: u64) -> (Vec<PathBuf>, u64) {
    let mut sources = Vec::new();
    collect(Path::new(FIXTURES), &mut sources);
    let session_ids: Vec<String> = sources
        .iter()
        .filter_map(|p| p.file_stem()?.to_str().map(str::to_string))
        .filter(|stem| tt::event::is_uuid(stem))
        .collect();
    let texts: Vec<(PathBuf, String)> = sources
        .iter()
        .map(|p| {
            (
                p.strip_prefix(FIXTURES).unwrap().to_path_buf(),
                fs::read_to_string(p).unwrap(),
            )
        })
        .collect();
    let (mut files, mut bytes, mut copy) = (Vec::new(), 0u64, 0u64);
    while bytes < target {
        copy += 1;
        let rename = |text: &str| -> String {
            let mut text = text.to_string();
            for id in &session_ids {
                text = text.replace(id.as_str(), &format!("{}{copy:012x}", &id[..24]));
            }
            text
        };
        for (relative, text) in &texts {
            let path = projects.join(rename(relative.to_str().unwrap()));
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            let text = rename(text);
            bytes += text.len() as u64;
            fs::write(&path, text).unwrap();
            files.push(path);
        }
    }
    (files, bytes)
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "jsonl") {
            out.push(path);
        }
    }
}

/// Every line of every file through serde_json, one rayon task per file.
fn serde_baseline(files: &[PathBuf]) -> usize {
    files
        .par_iter()
        .map(|path| {
            let bytes = fs::read(path).unwrap();
            bytes
                .split(|&b| b == b'\n')
                .filter(|line| !line.is_empty())
                .filter(|line| serde_json::from_slice::<IgnoredAny>(line).is_ok())
                .count()
        })
        .sum()
}
