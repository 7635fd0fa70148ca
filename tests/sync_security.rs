//! Remote output and remote-derived values are untrusted (SPEC §9 step 6).

mod common;

use std::fs;

use common::fleet::{Fleet, summary_line};
use common::{describe, write_script};

#[test]
fn a_destination_starting_with_a_dash_is_refused_before_ssh_runs() {
    let fleet = Fleet::new(&["alpha"]);
    let ran = fleet.dir.path().join("ssh-ran");
    let pwned = fleet.dir.path().join("pwned");
    let spy = fleet.dir.path().join("spy-ssh");
    write_script(&spy, &format!("touch '{}'\nexec ssh \"$@\"", ran.display()));
    fleet.write_hub_config(
        &[("ssh_command", &format!("{:?}", spy.display().to_string()))],
        &[],
    );

    let evil = format!("-oProxyCommand=touch {}", pwned.display());
    let output = fleet.sync(&["alpha", "--", &evil]);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("would be read by ssh as an option"),
        "{}",
        describe(&output)
    );
    assert!(!ran.exists(), "ssh ran although a destination was refused");
    assert!(!pwned.exists());

    // The same from config.toml.
    fleet.write_hub_config(
        &[("ssh_command", &format!("{:?}", spy.display().to_string()))],
        &[("-F/dev/null", None)],
    );
    let output = fleet.sync(&[]);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    assert!(!ran.exists());
}

#[test]
fn events_under_another_machines_prefix_are_rejected_and_counted() {
    let fleet = Fleet::new(&["alpha"]);
    let alpha = fleet.remote("alpha").machine_id();
    let other = "0badc0de-0000-4000-8000-000000000000";
    fleet.remote("alpha").add_events(&alpha, 0, 3);
    let forged = fleet.remote("alpha").add_events(other, 10, 2);
    fleet.remote("alpha").add_events(&alpha, 20, 1);

    let output = fleet.sync(&[]);
    assert!(output.status.success(), "{}", describe(&output));
    assert!(
        summary_line(&output, "alpha").contains("4 new events, 2 rejected"),
        "{}",
        describe(&output)
    );
    assert_eq!(fleet.stored_events(&alpha), (4, 4));
    let stored: i64 = fleet
        .hub
        .db()
        .query_row(
            "SELECT count(*) FROM events WHERE id IN (?1, ?2) OR machine_id = ?3",
            [&forged[0], &forged[1], other],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(stored, 0);
    // Rejected, not lost: both lines are kept in the hub's quarantine.
    let quarantine = fs::read_to_string(fleet.hub.state_dir().join("quarantine.jsonl")).unwrap();
    assert_eq!(
        quarantine.lines().filter(|l| l.contains(other)).count(),
        2,
        "{quarantine}"
    );
}

/// Makes `alias` record the arguments its tt receives, one per line, then run tt.
fn record_arguments(fleet: &Fleet, alias: &str) -> std::path::PathBuf {
    let args = fleet.dir.path().join(format!("{alias}-args"));
    fleet.set_wrapper(
        alias,
        &format!(
            "printf '%s\\n' \"$@\" > '{}'\nexec \"$tt\" \"$@\"",
            args.display()
        ),
    );
    args
}

#[test]
fn a_crafted_cursor_reaches_the_remote_as_one_word_and_runs_nothing() {
    let fleet = Fleet::new(&["alpha"]);
    let alpha = fleet.remote("alpha").machine_id();
    fleet.remote("alpha").add_events(&alpha, 0, 2);
    assert!(fleet.sync(&[]).status.success());

    let pwned = fleet.dir.path().join("pwned");
    // No whitespace, so it passes the shape check; every shell metacharacter in it
    // would run `touch` if the cursor were pasted into the remote command unquoted.
    let crafted = format!(
        "{alpha}:x';touch${{IFS}}{p};'$(touch${{IFS}}{p})`touch${{IFS}}{p}`",
        p = pwned.display()
    );
    fleet
        .hub
        .db()
        .execute("UPDATE machines SET last_event_id = ?1", [&crafted])
        .unwrap();
    let args = record_arguments(&fleet, "alpha");

    let output = fleet.sync(&[]);
    assert!(output.status.success(), "{}", describe(&output));
    assert!(!pwned.exists(), "the cursor ran a command on the remote");
    let received = fs::read_to_string(&args).unwrap();
    assert_eq!(
        received.lines().collect::<Vec<_>>(),
        ["export", "--after", crafted.as_str()]
    );
    // An unknown cursor means a full export; import is idempotent.
    assert_eq!(fleet.stored_events(&alpha), (2, 2));
}

#[test]
fn a_stored_cursor_that_is_not_an_event_id_is_not_sent() {
    let fleet = Fleet::new(&["alpha"]);
    let alpha = fleet.remote("alpha").machine_id();
    fleet.remote("alpha").add_events(&alpha, 0, 2);
    assert!(fleet.sync(&[]).status.success());
    fleet
        .hub
        .db()
        .execute("UPDATE machines SET last_event_id = 'x; rm -rf ~'", [])
        .unwrap();
    let args = record_arguments(&fleet, "alpha");

    let output = fleet.sync(&[]);
    assert!(output.status.success(), "{}", describe(&output));
    assert_eq!(fs::read_to_string(&args).unwrap(), "export\n");
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("alpha: the stored sync cursor is not an event id"),
        "{}",
        describe(&output)
    );
}

#[test]
fn a_remote_claiming_to_be_the_hub_is_refused() {
    let fleet = Fleet::new(&["alpha"]);
    let hub = fleet.hub.init("laptop");
    // alpha pretends to be the hub: same machine.json, events under the hub's id.
    fs::copy(
        fleet.hub.data_dir().join("machine.json"),
        fleet.remote("alpha").data_dir().join("machine.json"),
    )
    .unwrap();
    fleet.remote("alpha").add_events(&hub, 0, 3);

    let output = fleet.sync(&[]);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    assert!(
        summary_line(&output, "alpha").contains("claims to be this machine"),
        "{}",
        describe(&output)
    );
    assert_eq!(fleet.stored_events(&hub), (0, 0));
}

#[test]
fn a_remote_label_cannot_smuggle_terminal_escapes() {
    let fleet = Fleet::new(&["alpha"]);
    fleet.remote("alpha").init("\x1b]0;owned\x07\x1b[2Jbox");
    let output = fleet.sync(&[]);
    assert!(output.status.success(), "{}", describe(&output));
    let machines = fleet.machines_json();
    let label = machines["machines"][0]["label"].as_str().unwrap();
    assert!(!label.chars().any(char::is_control), "{label:?}");
    assert!(label.ends_with("box"), "{label:?}");
}

#[test]
fn two_destinations_with_one_machine_id_are_reported_as_a_cloned_identity() {
    let fleet = Fleet::new(&["alpha", "beta"]);
    let first = fleet.sync(&["alpha"]);
    assert!(first.status.success(), "{}", describe(&first));
    // beta's disk was cloned from alpha's: same machine.json.
    fs::copy(
        fleet.remote("alpha").data_dir().join("machine.json"),
        fleet.remote("beta").data_dir().join("machine.json"),
    )
    .unwrap();
    let second = fleet.sync(&["beta"]);
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(
        stderr.contains("beta has the machine id") && stderr.contains("that alpha had"),
        "{}",
        describe(&second)
    );
    assert!(stderr.contains("run 'tt init' there"), "{}", describe(&second));
}
