//! Generates a synthetic fleet for demos, tests and benchmarks: N machines, M events
//! over D days, K Claude sessions with parallel agents and subagents, AFK and
//! focus-out gaps, several projects per machine (one shared by two machines). The
//! same options and seed always give the same bytes. See examples/common/fleet_gen.rs
//! for what is generated.
//!
//!     cargo run --release --example gen_fleet -- --machines 8 --events 1000000 --days 9 --jsonl fleet.jsonl
//!     tt import < fleet.jsonl
//!
//!     cargo run --release --example gen_fleet -- --machines 3 --events 20000 --out-dir fleet
//!     # fleet/<label>/{machine.json, events.jsonl, claude/projects/...} per machine

#[path = "common/fleet_gen.rs"]
mod fleet_gen;

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;

/// Generate a synthetic tt fleet: per-machine files, or one stream for `tt import`.
#[derive(Parser)]
#[command(group = clap::ArgGroup::new("output").required(true).args(["out_dir", "jsonl"]))]
struct Args {
    /// Machines in the fleet.
    #[arg(long, default_value_t = 3)]
    machines: usize,
    /// Events of the whole fleet, agent events included.
    #[arg(long, default_value_t = 20_000)]
    events: u64,
    /// Top-level Claude sessions of the whole fleet [default: 3 per machine and day].
    #[arg(long)]
    sessions: Option<u64>,
    /// Days of work, from --start.
    #[arg(long, default_value_t = 5)]
    days: u32,
    /// Seed of the generator: the same seed gives the same bytes.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// First day, YYYY-MM-DD (UTC).
    #[arg(long, default_value = "2026-01-05")]
    start: jiff::civil::Date,
    /// Write DIR/<label>/machine.json, events.jsonl and claude/projects/ per machine.
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
    /// Write one JSONL stream for `tt import` to FILE (`-`: standard output).
    #[arg(long, value_name = "FILE")]
    jsonl: Option<PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    if args.machines == 0 || args.days == 0 {
        eprintln!("error: --machines and --days must be at least 1");
        return ExitCode::from(2);
    }
    let options = fleet_gen::Options {
        machines: args.machines,
        events: args.events,
        sessions: args
            .sessions
            .unwrap_or_else(|| fleet_gen::default_sessions(args.machines, args.days)),
        days: args.days,
        seed: args.seed,
        start: args.start,
    };
    let started = Instant::now();
    let result = match (&args.out_dir, &args.jsonl) {
        (Some(dir), _) => fleet_gen::write_dir(&options, dir),
        (None, Some(path)) if path.as_os_str() == "-" => {
            fleet_gen::write_jsonl(&options, &mut io::stdout().lock())
        }
        (None, Some(path)) => std::fs::File::create(path).and_then(|mut file| {
            let summary = fleet_gen::write_jsonl(&options, &mut file)?;
            file.flush()?;
            Ok(summary)
        }),
        (None, None) => unreachable!("clap requires one output"),
    };
    match result {
        Ok(summary) => {
            let labels: Vec<&str> = summary.machines.iter().map(|(_, label)| label.as_str()).collect();
            eprintln!(
                "{} events ({} from agents), {} sessions ({} subagents), machines {} in {:.2} s",
                summary.events,
                summary.agent_events,
                summary.sessions,
                summary.subagents,
                labels.join(", "),
                started.elapsed().as_secs_f64()
            );
            if summary.events != options.events {
                eprintln!(
                    "note: {} events asked, but the sessions and breaks alone need more",
                    options.events
                );
            }
            ExitCode::SUCCESS
        }
        Err(err) if err.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: cannot write the fleet: {err}");
            ExitCode::FAILURE
        }
    }
}
