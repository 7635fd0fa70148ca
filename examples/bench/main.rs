//! Every benchmark of tt behind one entry point, printing one table: figure, tt's
//! measurement, the baseline measured in the same run, ratio, goal, met or not. The
//! README's Performance table is its output.
//!
//!     cargo build --release --bin tt     # or `cargo build-static`, the shipped binary
//!     cargo run --release --example bench                 # every benchmark
//!     cargo run --release --example bench -- ingest wire  # some of them
//!     cargo run --release --example bench -- --quick      # smaller inputs, a smoke run
//!
//! A benchmark is a module with `pub fn run(&Ctx, &mut Table)` plus one line in
//! [`BENCHMARKS`]. It measures tt and its baseline in the same run (interleaved or
//! alternated, so machine noise hits both), reports medians, and adds its rows.
//! Progress and details go to stderr, the table to stdout.

#[path = "../../tests/common/mod.rs"]
mod common;
#[path = "../common/fleet_gen.rs"]
mod fleet_gen;

mod claude;
mod corrections;
mod dataset;
mod ingest;
mod measure;
mod memory;
mod recompute;
mod report;
mod sync;
mod wire;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::process::ExitCode;

use measure::{Row, Table};

/// What every benchmark gets.
pub struct Ctx {
    /// The tt binary under test: target/<profile>/tt, next to this example's directory.
    pub tt: PathBuf,
    /// Smaller inputs and fewer runs: checks that everything works, measures little.
    pub quick: bool,
}

impl Ctx {
    /// `full`, or `quick` under --quick.
    pub fn scale<T>(&self, full: T, quick: T) -> T {
        if self.quick { quick } else { full }
    }
}

struct Benchmark {
    name: &'static str,
    about: &'static str,
    run: fn(&Ctx, &mut Table),
}

const BENCHMARKS: &[Benchmark] = &[
    Benchmark {
        name: "ingest",
        about: "one tmux hook end to end against a shell hook and /bin/true",
        run: ingest::run,
    },
    Benchmark {
        name: "wire",
        about: "tt import of 1M events against the sqlite3 shell; incremental export",
        run: wire::run,
    },
    Benchmark {
        name: "claude",
        about: "tt ingest sessions over ~200 MB of Claude Code logs, cold and warm",
        run: claude::run,
    },
    Benchmark {
        name: "sync",
        about: "tt sync through a real local sshd against ssh alone",
        run: sync::run,
    },
    Benchmark {
        name: "memory",
        about: "peak memory and time of tt import and a first tt sync of 1M and 4M events",
        run: memory::run,
    },
    Benchmark {
        name: "recompute",
        about: "tt recompute of 1M events (first, steady, after a sync) against a sqlite3 scan",
        run: recompute::run,
    },
    Benchmark {
        name: "report",
        about: "tt report of a week and of 9 days of 1M events against a sqlite3 scan",
        run: report::run,
    },
    Benchmark {
        name: "corrections",
        about: "assign/unassign/merge/rename against a sync's recompute and a full one",
        run: corrections::run,
    },
];

fn usage() -> String {
    let mut text = String::from("usage: bench [--quick] [NAME...]   (no NAME: all)\n\nbenchmarks:\n");
    for b in BENCHMARKS {
        text.push_str(&format!("  {:<11} {}\n", b.name, b.about));
    }
    text
}

fn main() -> ExitCode {
    let mut quick = false;
    let mut chosen: Vec<&Benchmark> = Vec::new();
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--quick" => quick = true,
            "-h" | "--help" => {
                print!("{}", usage());
                return ExitCode::SUCCESS;
            }
            name => match BENCHMARKS.iter().find(|b| b.name == name) {
                Some(b) => chosen.push(b),
                None => {
                    eprint!("unknown benchmark {name:?}\n{}", usage());
                    return ExitCode::from(2);
                }
            },
        }
    }
    if chosen.is_empty() {
        chosen = BENCHMARKS.iter().collect();
    }
    let tt = PathBuf::from(common::tt_bin());
    let ctx = Ctx { tt, quick };
    eprintln!("tt under test: {}", ctx.tt.display());

    let mut table = Table::default();
    let mut failed = 0;
    for benchmark in chosen {
        eprintln!("\n== {}: {}", benchmark.name, benchmark.about);
        // One benchmark failing (no sqlite3, no sshd) still lets the others report.
        if catch_unwind(AssertUnwindSafe(|| (benchmark.run)(&ctx, &mut table))).is_err() {
            failed += 1;
            table.add(Row::new(format!("{} (failed, see stderr)", benchmark.name), "-"));
        }
    }
    println!("\n{}", table.markdown());
    eprintln!("{} goals missed", table.missed());
    // A missed goal is a result; a benchmark that could not run is a failure.
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        eprintln!("{failed} benchmarks failed");
        ExitCode::FAILURE
    }
}
