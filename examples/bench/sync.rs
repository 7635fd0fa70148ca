//! Sync overhead against the bare transfer, through a real local sshd (the one the
//! sync tests use, see tests/common).
//!
//! Baselines measured in the same run, alternated with tt: `ssh alias tt export >
//! /dev/null` (the bytes over ssh, no parsing, no database) for a full sync into an
//! empty database, and `ssh alias true` (the connection alone) for an incremental sync
//! with nothing new.

use std::process::{Command, Stdio};

use crate::Ctx;
use crate::common::fleet::Fleet;
use crate::measure::{Row, Table, duration, median, ratio, thousands, time};

pub fn run(ctx: &Ctx, table: &mut Table) {
    let events: u64 = ctx.scale(20_000, 2_000);
    let runs = ctx.scale(5, 2);
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
        ctx.tt.display()
    );

    let (mut raw, mut full) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        raw.push(time(|| run_ok(&mut ssh(&export))));
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
        }
        full.push(time(|| run_ok(&mut fleet.hub.tt(&["sync"]))));
    }
    let (mut connect, mut incremental) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        connect.push(time(|| run_ok(&mut ssh("true"))));
        incremental.push(time(|| run_ok(&mut fleet.hub.tt(&["sync"]))));
    }
    let (raw, full) = (median(&mut raw), median(&mut full));
    let (connect, incremental) = (median(&mut connect), median(&mut incremental));
    table.add(
        Row::new(
            format!(
                "`tt sync` of {} events over a real local sshd, fresh hub",
                thousands(events)
            ),
            duration(full),
        )
        .baseline(
            format!("`ssh host tt export > /dev/null`: {}", duration(raw)),
            ratio(full, raw),
        ),
    );
    table.add(
        Row::new("`tt sync` with nothing new", duration(incremental)).baseline(
            format!("`ssh host true`: {}", duration(connect)),
            ratio(incremental, connect),
        ),
    );
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
