//! One remote failing never stops the others, and a failed remote commits nothing.
//! Real sshd; failures are wrapper scripts run on the remote side or unreachable
//! aliases.

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::describe;
use common::fleet::{Fleet, summary_line};

#[test]
fn unreachable_and_cut_off_remotes_fail_alone_commit_nothing_and_a_fixed_resync_has_no_duplicates() {
    let mut fleet = Fleet::new(&["alpha", "beta"]);
    fleet.add_unreachable("down");
    fleet.write_hub_config(&[], &[("alpha", None), ("beta", None), ("down", None)]);
    let alpha = fleet.remote("alpha").machine_id();
    let beta = fleet.remote("beta").machine_id();
    fleet.remote("alpha").add_events(&alpha, 0, 10);
    fleet.remote("beta").add_events(&beta, 0, 20);
    // beta's stream stops after 300 bytes: a header and part of an event, no end.
    fleet.set_wrapper("beta", "\"$tt\" \"$@\" | head -c 300");

    let output = fleet.sync(&[]);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    assert!(
        summary_line(&output, "alpha").contains("  10 new events"),
        "{}",
        describe(&output)
    );
    let beta_line = summary_line(&output, "beta");
    assert!(beta_line.contains("failed"), "{}", describe(&output));
    let down_line = summary_line(&output, "down");
    assert!(
        down_line.contains("failed")
            && down_line.contains("ssh failed")
            && down_line.contains("Connection refused"),
        "{}",
        describe(&output)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("2 of 3 remotes failed to sync"), "{stderr}");

    assert_eq!(fleet.stored_events(&alpha), (10, 10));
    assert_eq!(
        fleet.stored_events(&beta),
        (0, 0),
        "a cut-off transfer must commit nothing"
    );
    let machines = fleet.machines_json();
    assert_eq!(machines["machines"].as_array().unwrap().len(), 1, "{machines}");

    // Fixed: beta sends everything once, alpha nothing twice.
    fleet.clear_wrapper("beta");
    fleet.write_hub_config(&[], &[("alpha", None), ("beta", None)]);
    let output = fleet.sync(&[]);
    assert!(output.status.success(), "{}", describe(&output));
    assert!(
        summary_line(&output, "beta").contains("20 new events"),
        "{}",
        describe(&output)
    );
    assert!(
        !summary_line(&output, "alpha").contains("duplicate"),
        "{}",
        describe(&output)
    );
    assert_eq!(fleet.stored_events(&alpha), (10, 10));
    assert_eq!(fleet.stored_events(&beta), (20, 20));
}

#[test]
fn a_remote_that_dies_mid_stream_keeps_its_old_cursor() {
    let fleet = Fleet::new(&["alpha"]);
    let alpha = fleet.remote("alpha").machine_id();
    fleet.remote("alpha").add_events(&alpha, 0, 3);
    assert!(fleet.sync(&[]).status.success());
    let cursor_before: String = fleet
        .hub
        .db()
        .query_row("SELECT last_event_id FROM machines", [], |r| r.get(0))
        .unwrap();

    fleet.remote("alpha").add_events(&alpha, 10, 30);
    fleet.set_wrapper("alpha", "\"$tt\" \"$@\" | head -c 2000");
    let output = fleet.sync(&[]);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let cursor_after: String = fleet
        .hub
        .db()
        .query_row("SELECT last_event_id FROM machines", [], |r| r.get(0))
        .unwrap();
    assert_eq!(cursor_after, cursor_before);
    assert_eq!(fleet.stored_events(&alpha), (3, 3));
}

#[test]
fn a_remote_that_floods_stderr_still_transfers() {
    let fleet = Fleet::new(&["alpha"]);
    let alpha = fleet.remote("alpha").machine_id();
    fleet.remote("alpha").add_events(&alpha, 0, 50);
    // 2 MB of noise on stderr before and while the export runs.
    fleet.set_wrapper(
        "alpha",
        "head -c 1000000 /dev/zero | tr '\\0' 'x' >&2\n\"$tt\" \"$@\"\nhead -c 1000000 /dev/zero | tr '\\0' 'y' >&2",
    );
    let output = fleet.sync(&[]);
    assert!(output.status.success(), "{}", describe(&output));
    assert_eq!(fleet.stored_events(&alpha), (50, 50));
}

#[test]
fn a_transfer_slower_than_sync_timeout_fails_and_commits_nothing() {
    let fleet = Fleet::new(&["alpha", "beta"]);
    // 3 s: enough for alpha's real ssh round trip on a loaded 2-core CI machine.
    fleet.write_hub_config(&[("timeout", "\"3s\"")], &[("alpha", None), ("beta", None)]);
    let alpha = fleet.remote("alpha").machine_id();
    let beta = fleet.remote("beta").machine_id();
    fleet.remote("alpha").add_events(&alpha, 0, 2);
    fleet.remote("beta").add_events(&beta, 0, 2);
    fleet.set_wrapper("beta", "echo 'still thinking' >&2\nsleep 20\nexec \"$tt\" \"$@\"");

    let started = Instant::now();
    let output = fleet.sync(&[]);
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "the timeout did not stop the transfer"
    );
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let line = summary_line(&output, "beta");
    assert!(
        line.contains("failed") && line.contains("timed out after 3s"),
        "{}",
        describe(&output)
    );
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("| still thinking"),
        "{}",
        describe(&output)
    );
    assert_eq!(fleet.stored_events(&beta), (0, 0));
    assert_eq!(fleet.stored_events(&alpha), (2, 2));
}

#[test]
fn a_remote_with_another_wire_format_is_told_to_upgrade() {
    let fleet = Fleet::new(&["newer"]);
    let id = fleet.remote("newer").machine_id();
    fleet.remote("newer").add_events(&id, 0, 2);
    fleet.set_wrapper(
        "newer",
        "\"$tt\" \"$@\" | sed '1s/\"wire_version\":1/\"wire_version\":99/'",
    );
    let output = fleet.sync(&[]);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let line = summary_line(&output, "newer");
    assert!(
        line.contains("is too new") && line.contains("upgrade"),
        "{}",
        describe(&output)
    );
    assert_eq!(fleet.stored_events(&id), (0, 0));
}

#[test]
fn a_remote_without_tt_fails_with_a_path_hint_and_garbage_output_with_a_reason() {
    let fleet = Fleet::new(&["missing", "garbage"]);
    fleet.set_wrapper("missing", "echo 'sh: 1: tt: not found' >&2\nexit 127");
    fleet.set_wrapper("garbage", "echo 'Welcome to devbox!'\necho 'motd'");
    let output = fleet.sync(&[]);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    // Exit status 127 is the shell's "command not found": the hint names the fix.
    let missing = summary_line(&output, "missing");
    assert!(
        missing.contains("exit status 127): sh: 1: tt: not found")
            && missing.contains("non-interactive ssh has a shorter PATH")
            && missing.contains("set sync.remote_command to the full path")
            && missing.contains("~/.nix-profile/bin/tt"),
        "{}",
        describe(&output)
    );
    assert!(
        summary_line(&output, "garbage").contains("failed"),
        "{}",
        describe(&output)
    );
}

#[test]
fn ctrl_c_exits_130_keeps_merged_remotes_and_leaves_the_rest_untouched() {
    let fleet = Fleet::new(&["fast", "slow"]);
    let fast = fleet.remote("fast").machine_id();
    let slow = fleet.remote("slow").machine_id();
    fleet.remote("fast").add_events(&fast, 0, 4);
    fleet.remote("slow").add_events(&slow, 0, 4);
    fleet.set_wrapper("slow", "sleep 30\nexec \"$tt\" \"$@\"");

    let mut child = fleet
        .hub
        .tt(&["sync"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "tt exited early:\n{seen}"
        );
        seen.push_str(&line);
        if line.starts_with("fast: done") {
            break;
        }
    }
    let interrupted_at = Instant::now();
    // SAFETY: signalling our own child process.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let output = child.wait_with_output().unwrap();
    assert!(
        interrupted_at.elapsed() < Duration::from_secs(5),
        "Ctrl-C did not stop the transfers"
    );
    // 130, as a shell reports a command stopped by Ctrl-C.
    assert_eq!(output.status.code(), Some(130), "{}", describe(&output));
    assert!(
        summary_line(&output, "slow").contains("interrupted"),
        "{}",
        describe(&output)
    );
    assert_eq!(fleet.stored_events(&fast), (4, 4));
    assert_eq!(fleet.stored_events(&slow), (0, 0));
    let machines = fleet.machines_json();
    assert_eq!(machines["machines"].as_array().unwrap().len(), 1, "{machines}");
}
