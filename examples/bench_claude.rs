//! Benchmark of `tt ingest sessions` over a ~200 MB corpus of Claude Code logs.
//!
//! The corpus is the real logs of tests/fixtures/claude-projects replicated with new
//! session ids, generated in a temporary directory (nothing is committed). It prints:
//! - the baseline: every record of the corpus parsed by serde_json (borrowed,
//!   `IgnoredAny`: validation only, no allocation) in parallel with rayon;
//! - a cold `tt ingest sessions` (empty manifest, empty event log, new database; the
//!   logs in the page cache), end to end in this process and, when target/release/tt
//!   exists, as a subprocess;
//! - a warm re-run with nothing new.
//!
//! Goals (issue #7): cold >= 400 MB/s on 2 cores; warm >= 20x faster than cold.
//!
//!     cargo run --release --example bench_claude [-- MB]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use clap::Parser;
use rayon::prelude::*;
use serde::de::IgnoredAny;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/claude-projects");
const COLD_RUNS: usize = 3;
const WARM_RUNS: usize = 10;

fn main() {
    let target_mb: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200);
    let tmp = tempfile::tempdir().expect("temp dir");
    let home = tmp.path();
    let projects = home.join("claude-projects");
    // Set before any thread exists (rayon's pool starts on first use).
    // SAFETY: single-threaded at this point.
    unsafe {
        std::env::set_var("HOME", home);
        std::env::set_var("XDG_CONFIG_HOME", home.join("config"));
        std::env::set_var("XDG_DATA_HOME", home.join("data"));
        std::env::set_var("XDG_STATE_HOME", home.join("state"));
        std::env::set_var("TT_CLAUDE__PROJECTS_DIR", &projects);
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("TT_") && key != "TT_CLAUDE__PROJECTS_DIR" {
                std::env::remove_var(key);
            }
        }
    }
    let (files, bytes) = generate(&projects, target_mb * 1_000_000);
    let mb = bytes as f64 / 1e6;
    println!(
        "corpus: {} logs, {mb:.1} MB, {} threads",
        files.len(),
        rayon::current_num_threads()
    );
    tt(&["init", "--label", "bench"]);

    // Page cache: read everything once.
    let _: u64 = files.par_iter().map(|f| fs::read(f).unwrap().len() as u64).sum();

    let mut baseline = Vec::new();
    for _ in 0..COLD_RUNS {
        let start = Instant::now();
        let records = serde_baseline(&files);
        baseline.push(start.elapsed());
        assert!(records > 0);
    }

    let state = home.join("state/tt");
    let data = home.join("data/tt");
    let reset = || {
        let _ = fs::remove_file(state.join("claude-manifest.json"));
        let _ = fs::remove_file(data.join("events.jsonl"));
        let _ = fs::remove_file(data.join("tt.db"));
        let _ = fs::remove_file(data.join("tt.db-wal"));
        let _ = fs::remove_file(data.join("tt.db-shm"));
    };
    let mut cold = Vec::new();
    let mut warm = Vec::new();
    for _ in 0..COLD_RUNS {
        reset();
        cold.push(timed(|| tt(&["ingest", "sessions"])));
    }
    for _ in 0..WARM_RUNS {
        warm.push(timed(|| tt(&["ingest", "sessions"])));
    }
    // Where the warm time goes: the scan alone, then opening the database and upserting.
    let paths = tt::paths::Paths::from_env().unwrap();
    let config = tt::config::Config::load(&paths.config_file(), false).unwrap();
    let machine = tt::machine::Machine::require(&paths).unwrap();
    let mut warm_scan = Vec::new();
    let mut warm_index = Vec::new();
    for _ in 0..WARM_RUNS {
        let mut outcome = None;
        warm_scan.push(timed(|| {
            outcome = Some(tt::claude::scan(&paths, &config, &machine).unwrap())
        }));
        let outcome = outcome.unwrap();
        warm_index.push(timed(|| {
            let mut store = tt::store::Store::open(&data.join("tt.db")).unwrap();
            let sessions = outcome.sessions.iter().map(|(s, _)| s);
            tt::store::sessions::upsert_all(&mut store.conn, &machine.id(), sessions).unwrap();
        }));
    }
    let events = fs::read(data.join("events.jsonl"))
        .map(|b| memchr::memchr_iter(b'\n', &b).count())
        .unwrap_or(0);

    let binary = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.join("tt")))
        .filter(|path| path.is_file());
    let (mut cold_bin, mut warm_bin) = (Vec::new(), Vec::new());
    if let Some(binary) = &binary {
        for _ in 0..COLD_RUNS {
            reset();
            cold_bin.push(timed(|| run_binary(binary)));
        }
        for _ in 0..WARM_RUNS {
            warm_bin.push(timed(|| run_binary(binary)));
        }
    }

    let base = median(&mut baseline);
    let (c, w) = (median(&mut cold), median(&mut warm));
    println!("{events} events derived");
    println!(
        "baseline  serde_json borrowed parse, parallel  {:>8.1} ms  {:>7.0} MB/s",
        ms(base),
        mb / base.as_secs_f64()
    );
    println!(
        "cold      tt ingest sessions (in process)       {:>8.1} ms  {:>7.0} MB/s  ({:.2}x baseline; goal >= 400 MB/s)",
        ms(c),
        mb / c.as_secs_f64(),
        base.as_secs_f64() / c.as_secs_f64()
    );
    println!(
        "warm      tt ingest sessions, nothing new       {:>8.1} ms  cold/warm {:.0}x (goal >= 20x)",
        ms(w),
        c.as_secs_f64() / w.as_secs_f64()
    );
    println!(
        "          of which scan {:.2} ms (an index of every row, skipped when nothing changed: {:.2} ms)",
        ms(median(&mut warm_scan)),
        ms(median(&mut warm_index))
    );
    if binary.is_some() {
        let (c, w) = (median(&mut cold_bin), median(&mut warm_bin));
        println!(
            "cold      target/release/tt ingest sessions     {:>8.1} ms  {:>7.0} MB/s",
            ms(c),
            mb / c.as_secs_f64()
        );
        println!(
            "warm      target/release/tt ingest sessions     {:>8.1} ms  cold/warm {:.0}x",
            ms(w),
            c.as_secs_f64() / w.as_secs_f64()
        );
    } else {
        println!("(build target/release/tt to also time the binary as a subprocess)");
    }
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

fn tt(args: &[&str]) {
    let cli = tt::cli::Cli::parse_from(std::iter::once("tt").chain(args.iter().copied()));
    tt::commands::dispatch(cli).expect("tt command");
}

fn run_binary(binary: &Path) {
    let out = Command::new(binary)
        .args(["ingest", "sessions"])
        .output()
        .expect("run tt");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

fn timed(f: impl FnOnce()) -> Duration {
    let start = Instant::now();
    f();
    start.elapsed()
}

fn median(samples: &mut [Duration]) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
