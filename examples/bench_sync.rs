//! Sync overhead against the bare transfer, through a real local sshd.
//!
//! Baselines measured in the same run: `ssh alias tt export > /dev/null` (the bytes
//! over ssh, no parsing, no database) for a full sync into an empty database, and
//! `ssh alias true` (the connection alone) for an incremental sync with nothing new.
//!
//!     cargo build --release --bin tt --example bench_sync
//!     target/release/examples/bench_sync [EVENTS]      # default 20000

#[path = "../tests/common/mod.rs"]
mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::fleet::Fleet;
use common::tt_bin;

const RUNS: usize = 5;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn time(mut f: impl FnMut()) -> Duration {
    let started = Instant::now();
    f();
    started.elapsed()
}

fn run_ok(command: &mut Command) {
    let output = command
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn main() {
    let events: u64 = std::env::args()
        .nth(1)
        .map_or(20_000, |n| n.parse().expect("EVENTS is a number"));
    let fleet = Fleet::new(&["alpha"]);
    let id = fleet.remote("alpha").machine_id();
    fleet.remote("alpha").add_events(&id, 0, events);
    let db = fleet.hub.database();
    let ssh = |remote: &str| {
        let mut command = Command::new("ssh");
        command.arg("-F").arg(&fleet.ssh_config).arg("alpha").arg(remote);
        command
    };
    let export = format!(
        "XDG_DATA_HOME='{}' '{}' export",
        fleet.remote("alpha").root().join("data").display(),
        tt_bin()
    );

    let mut raw = Vec::new();
    let mut full = Vec::new();
    for _ in 0..RUNS {
        raw.push(time(|| run_ok(&mut ssh(&export))));
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
        }
        full.push(time(|| run_ok(&mut fleet.hub.tt(&["sync"]))));
    }
    let mut connect = Vec::new();
    let mut incremental = Vec::new();
    for _ in 0..RUNS {
        connect.push(time(|| run_ok(&mut ssh("true"))));
        incremental.push(time(|| run_ok(&mut fleet.hub.tt(&["sync"]))));
    }
    let (raw, full, connect, incremental) = (median(raw), median(full), median(connect), median(incremental));
    println!("events: {events}, runs: {RUNS}, medians");
    println!(
        "full sync into an empty database   {:>8.1} ms   ssh + export > /dev/null {:>8.1} ms   ratio {:.2}",
        full.as_secs_f64() * 1e3,
        raw.as_secs_f64() * 1e3,
        full.as_secs_f64() / raw.as_secs_f64()
    );
    println!(
        "incremental sync, nothing new      {:>8.1} ms   ssh true                 {:>8.1} ms   ratio {:.2}",
        incremental.as_secs_f64() * 1e3,
        connect.as_secs_f64() * 1e3,
        incremental.as_secs_f64() / connect.as_secs_f64()
    );
}
