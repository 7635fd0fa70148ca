//! The data path hardened (issue 16): one validator and one merge for `tt import` and
//! `tt sync`, private WAL files, a tolerant environment, exact cursors, one time
//! library, and the sync's edges (Ctrl-C, a missing remote tt, racing inits). Each
//! test is named for the fault it pins.

mod common;

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::fleet::{Fleet, summary_line};
use common::{Home, describe, stderr};

const MID: &str = "0b6c2f0e-8d1a-4c3e-9f5b-2a7d4e6f8a90";

fn header(machine_id: &str, label: &str) -> String {
    serde_json::json!({
        "record": "header",
        "machine_id": machine_id,
        "label": label,
        "tt_version": "0.1.0",
        "wire_version": 1
    })
    .to_string()
}

fn event_line(machine_id: &str, n: u32, timestamp: &str) -> String {
    format!(
        r#"{{"id":"{machine_id}:remote.tmux:tmux_pane_focus:{timestamp}:%{n}","timestamp":"{timestamp}","source":"remote.tmux","type":"tmux_pane_focus","pane_id":"%{n}","cwd":"/home/me/acme"}}"#
    )
}

/// Runs `tt import` with `lines` on stdin, whatever its exit status.
fn import(home: &Home, lines: &[String]) -> std::process::Output {
    let mut child = home
        .tt(&["import"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all((lines.join("\n") + "\n").as_bytes()).unwrap();
    drop(stdin);
    child.wait_with_output().unwrap()
}

fn stored_count(home: &Home) -> i64 {
    home.db()
        .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
        .unwrap()
}

fn quarantine_lines(home: &Home) -> Vec<String> {
    fs::read_to_string(home.state_dir().join("quarantine.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

// --- one way into the database ---

#[test]
fn import_accepted_a_header_whose_machine_id_is_not_a_uuid() {
    let home = Home::new();
    let out = import(
        &home,
        &[
            header("not-a-uuid", "evil"),
            event_line(MID, 1, "2025-01-29T14:00:00.000Z"),
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    assert!(
        stderr(&out).contains("line 1") && stderr(&out).contains("not a UUID"),
        "{}",
        describe(&out)
    );
    let bogus: i64 = home
        .db()
        .query_row(
            "SELECT count(*) FROM machines WHERE machine_id = 'not-a-uuid'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(bogus, 0);
}

#[test]
fn import_stored_a_header_label_with_terminal_escapes_and_bidi_overrides() {
    let home = Home::new();
    let out = import(
        &home,
        &[
            header(MID, "dev\u{202E}xob\u{1b}[2J\u{2066}"),
            event_line(MID, 1, "2025-01-29T14:00:00.000Z"),
        ],
    );
    assert!(out.status.success(), "{}", describe(&out));
    let label: String = home
        .db()
        .query_row("SELECT label FROM machines WHERE machine_id = ?1", [MID], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(label, "dev?xob?[2J?");
}

#[test]
fn events_printed_a_timestamp_as_it_was_mis_written_with_a_lower_case_t() {
    let home = Home::new();
    // Valid RFC 3339, odd spelling: lower-case t and z, no milliseconds.
    let line = event_line(MID, 1, "2025-01-29t14:32:01z");
    let out = import(&home, &[line]);
    assert!(out.status.success(), "{}", describe(&out));
    let printed = home.ok(&["events"]);
    let event: serde_json::Value = serde_json::from_str(printed.trim()).unwrap();
    assert_eq!(event["timestamp"], "2025-01-29T14:32:01.000Z", "{printed}");
    assert!(!printed.contains("t14:32:01z\""), "{printed}");
}

#[test]
fn a_session_record_without_a_header_was_reported_at_line_0() {
    let home = Home::new();
    let session = r#"{"record":"agent_session","session_id":"s1","agent":"claude-code"}"#;
    let out = import(
        &home,
        &[
            event_line(MID, 1, "2025-01-29T14:00:00.000Z"),
            session.to_string(),
        ],
    );
    assert!(out.status.success(), "{}", describe(&out));
    assert!(
        stderr(&out).contains("line 2: agent session record without a header"),
        "{}",
        describe(&out)
    );
    let kept = quarantine_lines(&home);
    assert_eq!(kept.len(), 1, "{kept:?}");
    let entry: serde_json::Value = serde_json::from_str(&kept[0]).unwrap();
    assert_eq!(entry["line"], 2);
}

// --- one time library ---

#[test]
fn a_timestamp_before_year_0000_was_clamped_instead_of_rejected() {
    let home = Home::new();
    let out = import(
        &home,
        &[
            event_line(MID, 1, "-000001-06-01T00:00:00Z"),
            event_line(MID, 2, "2025-01-29T14:00:00.000Z"),
        ],
    );
    assert!(out.status.success(), "{}", describe(&out));
    assert!(
        stderr(&out).contains("line 1:") && stderr(&out).contains("out of range"),
        "{}",
        describe(&out)
    );
    assert_eq!(stored_count(&home), 1);
    assert!(!home.ok(&["events"]).contains("0000-06-01"));
}

#[test]
fn a_leap_second_was_silently_moved_to_second_59() {
    let home = Home::new();
    let out = import(&home, &[event_line(MID, 1, "2016-12-31T23:59:60Z")]);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(
        stderr(&out).contains("line 1:") && stderr(&out).contains("leap second"),
        "{}",
        describe(&out)
    );
    assert_eq!(stored_count(&home), 0);
}

// --- private files ---

#[test]
fn wal_and_shm_files_were_created_readable_by_others() {
    let home = Home::new();
    let dir = home.root().join("elsewhere");
    fs::create_dir(&dir).unwrap();
    let db = dir.join("custom.db");
    // tt holds the database open while it waits for stdin: its -wal and -shm exist.
    let mut child = home
        .tt(&["--database", db.to_str().unwrap(), "import"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let wal = dir.join("custom.db-wal");
    let shm = dir.join("custom.db-shm");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !(wal.exists() && shm.exists()) {
        assert!(Instant::now() < deadline, "tt never created {}", wal.display());
        std::thread::sleep(Duration::from_millis(10));
    }
    let modes: Vec<u32> = [&db, &wal, &shm]
        .iter()
        .map(|p| fs::metadata(p).unwrap().permissions().mode() & 0o777)
        .collect();
    drop(child.stdin.take());
    assert!(child.wait().unwrap().success());
    assert_eq!(modes, [0o600, 0o600, 0o600]);
}

// --- a tolerant environment ---

#[test]
fn a_foreign_tt_variable_made_every_command_fail() {
    let home = Home::new();
    let out = home
        .tt(&["machines"])
        .env("TT_LOG", "debug")
        .env("TT_SOMETHING_ELSE", "1")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", describe(&out));
    let out = home.tt(&["config"]).env("TT_LOG", "debug").output().unwrap();
    assert!(out.status.success(), "{}", describe(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.lines()
            .any(|l| l.starts_with('#') && l.contains("ignored") && l.contains("TT_LOG")),
        "{text}"
    );
}

#[test]
fn a_bad_environment_value_was_blamed_on_config_toml() {
    let home = Home::new();
    home.write_config("[sync]\nparallelism = 2\n");
    let out = home
        .tt(&["config"])
        .env("TT_SYNC__PARALLELISM", "many")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("environment variable TT_SYNC__PARALLELISM"), "{err}");
    assert!(!err.contains("config.toml"), "{err}");
    // Durations still read as users write them, from a file or the environment.
    let out = home
        .tt(&["config"])
        .env("TT_ALLOCATION__ATTENTION_WINDOW", "90s")
        .env("TT_SYNC__TIMEOUT", "1h")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", describe(&out));
    let out = home
        .tt(&["config"])
        .env("TT_SYNC__CONNECT_TIMEOUT", "ten")
        .output()
        .unwrap();
    let err = stderr(&out);
    assert!(
        err.contains("TT_SYNC__CONNECT_TIMEOUT") && err.contains("expected a duration such as \"90s\""),
        "{err}"
    );
}

// --- racing inits ---

#[test]
fn two_racing_inits_created_two_identities() {
    for _ in 0..5 {
        let home = Home::new();
        let children: Vec<_> = (0..8)
            .map(|_| home.tt(&["init"]).stdout(Stdio::piped()).spawn().unwrap())
            .collect();
        let printed: Vec<String> = children
            .into_iter()
            .map(|child| {
                let out = child.wait_with_output().unwrap();
                assert!(out.status.success());
                let text = String::from_utf8(out.stdout).unwrap();
                text.split(": ")
                    .nth(1)
                    .unwrap()
                    .split(' ')
                    .next()
                    .unwrap()
                    .to_string()
            })
            .collect();
        let id = home.machine_id();
        assert!(printed.iter().all(|p| *p == id), "{printed:?} vs {id}");
    }
}

// --- sync ---

#[test]
fn a_rejected_line_at_the_end_of_a_remote_log_was_quarantined_on_every_sync() {
    let fleet = Fleet::new(&["alpha"]);
    let alpha = fleet.remote("alpha").machine_id();
    fleet.remote("alpha").add_events(&alpha, 0, 2);
    // A line with an id but an impossible timestamp, last in the log.
    let mut log = fs::OpenOptions::new()
        .append(true)
        .open(fleet.remote("alpha").event_log())
        .unwrap();
    writeln!(log, "{}", event_line(&alpha, 9, "2025-02-30T00:00:00.000Z")).unwrap();
    drop(log);

    for _ in 0..3 {
        let out = fleet.sync(&[]);
        assert!(out.status.success(), "{}", describe(&out));
    }
    let kept = quarantine_lines(&fleet.hub);
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(fleet.stored_events(&alpha), (2, 2));
    // And what comes after the bad line still arrives.
    fleet.remote("alpha").add_events(&alpha, 10, 1);
    let out = fleet.sync(&[]);
    assert!(
        summary_line(&out, "alpha").contains("1 new event"),
        "{}",
        describe(&out)
    );
    assert_eq!(quarantine_lines(&fleet.hub).len(), 1);
}

#[test]
fn one_machine_reached_through_two_destinations_got_a_full_export_each_time() {
    let mut fleet = Fleet::new(&["alpha"]);
    fleet.add_route("alpha-vpn", "alpha");
    let alpha = fleet.remote("alpha").machine_id();
    fleet.remote("alpha").add_events(&alpha, 0, 3);
    let args = fleet.dir.path().join("args");
    fleet.set_wrapper(
        "alpha",
        &format!(
            "printf '%s\\n' \"$@\" > '{}'\nexec \"$tt\" \"$@\"",
            args.display()
        ),
    );
    let sent_cursor = || fs::read_to_string(&args).unwrap().lines().any(|l| l == "--after");

    for destination in ["alpha", "alpha-vpn"] {
        let out = fleet.sync(&[destination]);
        assert!(out.status.success(), "{}", describe(&out));
    }
    // Both destinations are known now: each sends the machine's cursor.
    for destination in ["alpha", "alpha-vpn", "alpha"] {
        let out = fleet.sync(&[destination]);
        assert!(out.status.success(), "{}", describe(&out));
        assert!(sent_cursor(), "{destination}: no cursor sent\n{}", describe(&out));
        assert!(
            summary_line(&out, destination).contains("0 new events"),
            "{}",
            describe(&out)
        );
    }
    assert_eq!(fleet.stored_events(&alpha), (3, 3));
}

#[test]
fn ctrl_c_at_the_label_prompt_was_ignored_until_enter() {
    let fleet = Fleet::new(&["alpha"]);
    let alpha = fleet.remote("alpha").machine_id();
    fleet.remote("alpha").add_events(&alpha, 0, 3);
    let mut child = fleet
        .hub
        .command("script")
        .env("TERM", "xterm")
        .args(["-qec", &format!("'{}' sync", common::tt_bin()), "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("util-linux `script` is needed for the terminal tests");
    let mut stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (seen, prompt) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut stdout = BufReader::new(stdout);
        let mut all = Vec::new();
        let mut byte = [0u8; 1];
        let mut told = false;
        while stdout.read(&mut byte).unwrap_or(0) == 1 {
            all.push(byte[0]);
            if !told && String::from_utf8_lossy(&all).contains("Label? [alpha]: ") {
                told = true;
                let _ = seen.send(());
            }
        }
        let _ = stdout.fill_buf();
        String::from_utf8_lossy(&all).into_owned()
    });
    prompt
        .recv_timeout(Duration::from_secs(30))
        .expect("the label prompt appears");
    // Ctrl-C typed at the terminal: the line discipline sends SIGINT to tt.
    stdin.write_all(b"\x03").unwrap();
    stdin.flush().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    drop(stdin);
    let output = reader.join().unwrap();
    let status = status.unwrap_or_else(|| panic!("tt kept waiting at the prompt:\n{output}"));
    assert_eq!(status.code(), Some(130), "{output}");
    assert_eq!(fleet.stored_events(&alpha), (0, 0));
    assert!(
        fleet.machines_json()["machines"].as_array().unwrap().is_empty(),
        "{output}"
    );
}
