//! `tt sync` end to end against a real sshd: three remotes, each its own home behind
//! its own `Host` alias.

mod common;

use std::time::{Duration, Instant};

use common::describe;
use common::fleet::{Fleet, summary_line};

fn assert_success(output: &std::process::Output) {
    assert!(output.status.success(), "{}", describe(output));
}

#[test]
fn sync_without_arguments_imports_every_remote_once_and_later_only_what_is_new() {
    let fleet = Fleet::new(&["alpha", "beta", "gamma"]);
    fleet.write_hub_config(
        &[],
        &[("alpha", None), ("beta", Some("Beta Box")), ("gamma", None)],
    );
    let ids: Vec<String> = fleet.remotes.iter().map(|(_, home)| home.machine_id()).collect();
    for ((_, home), (id, count)) in fleet.remotes.iter().zip(ids.iter().zip([5, 7, 3])) {
        home.add_events(id, 0, count);
    }

    let first = fleet.sync(&[]);
    assert_success(&first);
    assert!(
        summary_line(&first, "alpha").contains("  5 new events"),
        "{}",
        describe(&first)
    );
    assert!(
        summary_line(&first, "beta").contains("7 new events (Beta Box)"),
        "{}",
        describe(&first)
    );
    assert!(
        summary_line(&first, "gamma").contains("3 new events"),
        "{}",
        describe(&first)
    );
    assert_eq!(fleet.stored_events(&ids[0]), (5, 5));
    assert_eq!(fleet.stored_events(&ids[1]), (7, 7));
    assert_eq!(fleet.stored_events(&ids[2]), (3, 3));

    // Nothing new: every remote resumes from its cursor and sends nothing.
    let second = fleet.sync(&[]);
    assert_success(&second);
    for alias in ["alpha", "beta", "gamma"] {
        let line = summary_line(&second, alias);
        assert!(
            line.contains("  0 new events") && !line.contains("duplicate"),
            "{}",
            describe(&second)
        );
    }

    // New events on one remote arrive on the next sync, and only those travel.
    fleet.remote("beta").add_events(&ids[1], 100, 2);
    let third = fleet.sync(&[]);
    assert_success(&third);
    let beta = summary_line(&third, "beta");
    assert!(
        beta.contains("2 new events") && !beta.contains("duplicate"),
        "{}",
        describe(&third)
    );
    assert!(summary_line(&third, "alpha").contains("0 new events"));
    assert_eq!(fleet.stored_events(&ids[1]), (9, 9));

    let machines = fleet.machines_json();
    let machines = machines["machines"].as_array().unwrap();
    assert_eq!(machines.len(), 3, "{machines:?}");
    for (id, (label, alias, events)) in ids.iter().zip([
        ("alpha", "alpha", 5),
        ("Beta Box", "beta", 9),
        ("gamma", "gamma", 3),
    ]) {
        let row = machines.iter().find(|m| m["machine_id"] == id.as_str()).unwrap();
        assert_eq!(row["label"], label);
        assert_eq!(row["alias"], alias);
        assert_eq!(row["events"], events);
        assert!(row["last_sync_at"].as_str().unwrap().ends_with('Z'));
        assert!(row["last_event_id"].as_str().unwrap().starts_with(id.as_str()));
    }

    let table = fleet.hub.run(&["machines"]);
    assert_success(&table);
    let text = String::from_utf8_lossy(&table.stdout);
    for id in &ids {
        let line = text
            .lines()
            .find(|l| l.starts_with(id.as_str()))
            .unwrap_or_else(|| panic!("{text}"));
        assert!(line.contains("just now"), "{text}");
    }
    assert!(text.contains("Beta Box"), "{text}");
}

#[test]
fn named_destinations_sync_only_those_even_without_a_config_entry() {
    let fleet = Fleet::new(&["alpha", "beta"]);
    fleet.write_hub_config(&[], &[]);
    let alpha = fleet.remote("alpha").machine_id();
    let beta = fleet.remote("beta").machine_id();
    fleet.remote("alpha").add_events(&alpha, 0, 4);
    fleet.remote("beta").add_events(&beta, 0, 4);

    let output = fleet.sync(&["beta"]);
    assert_success(&output);
    assert_eq!(fleet.stored_events(&beta), (4, 4));
    assert_eq!(fleet.stored_events(&alpha), (0, 0));
    // Not in config.toml: the machine is labelled with the label it chose itself.
    let machines = fleet.machines_json();
    assert_eq!(machines["machines"][0]["label"], "beta");
    assert_eq!(machines["machines"][0]["alias"], "beta");
}

#[test]
fn transfers_run_in_parallel() {
    let fleet = Fleet::new(&["alpha", "beta", "gamma"]);
    for (alias, home) in &fleet.remotes {
        home.add_events(&home.machine_id(), 0, 3);
        fleet.set_wrapper(alias, "sleep 2\nexec \"$tt\" \"$@\"");
    }
    let started = Instant::now();
    let output = fleet.sync(&[]);
    let elapsed = started.elapsed();
    assert_success(&output);
    assert!(elapsed >= Duration::from_secs(2), "{elapsed:?}");
    assert!(
        elapsed < Duration::from_millis(4500),
        "three 2 s remotes took {elapsed:?}: not parallel"
    );
}

#[test]
fn jobs_flag_bounds_how_many_remotes_transfer_at_once() {
    let fleet = Fleet::new(&["alpha", "beta", "gamma"]);
    for (alias, _) in &fleet.remotes {
        fleet.set_wrapper(alias, "sleep 1\nexec \"$tt\" \"$@\"");
    }
    let started = Instant::now();
    let output = fleet.sync(&["--jobs", "1"]);
    let elapsed = started.elapsed();
    assert_success(&output);
    assert!(
        elapsed >= Duration::from_secs(3),
        "--jobs 1 ran three 1 s remotes in {elapsed:?}"
    );
}

#[test]
fn a_hub_with_an_identity_brings_in_its_own_events_without_ssh() {
    let fleet = Fleet::new(&["alpha"]);
    let hub_id = fleet.hub.init("laptop");
    fleet.hub.add_events(&hub_id, 0, 6);
    let alpha = fleet.remote("alpha").machine_id();
    fleet.remote("alpha").add_events(&alpha, 0, 2);

    let output = fleet.sync(&[]);
    assert_success(&output);
    assert!(
        summary_line(&output, "this").contains("6 new events"),
        "{}",
        describe(&output)
    );
    assert_eq!(fleet.stored_events(&hub_id), (6, 6));
    assert_eq!(fleet.stored_events(&alpha), (2, 2));

    fleet.hub.add_events(&hub_id, 50, 1);
    let again = fleet.sync(&[]);
    assert_success(&again);
    let line = summary_line(&again, "this");
    assert!(
        line.contains(" 1 new event") && !line.contains("duplicate"),
        "{}",
        describe(&again)
    );
    let machines = fleet.machines_json();
    let hub = machines["machines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["machine_id"] == hub_id.as_str())
        .unwrap();
    assert_eq!(hub["label"], "laptop");
    assert!(hub["alias"].is_null());
}

#[test]
fn without_a_terminal_progress_is_plain_log_lines() {
    let fleet = Fleet::new(&["alpha"]);
    let alpha = fleet.remote("alpha").machine_id();
    fleet.remote("alpha").add_events(&alpha, 0, 3);
    let output = fleet.sync(&[]);
    assert_success(&output);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains('\x1b'), "escape codes in a pipe: {stderr:?}");
    assert!(stderr.lines().any(|l| l == "alpha: connecting"), "{stderr}");
    assert!(
        stderr.lines().any(|l| l.starts_with("alpha: received 3 events")),
        "{stderr}"
    );
    assert!(
        stderr.lines().any(|l| l.starts_with("alpha: done: 3 new events")),
        "{stderr}"
    );
}

/// Runs `tt sync` under a pseudo-terminal (util-linux `script`), typing `answer`.
fn sync_on_a_terminal(fleet: &Fleet, answer: &str) -> String {
    use std::io::{Read, Write};
    use std::process::Stdio;
    let mut child = fleet
        .hub
        .command("script")
        .env("TERM", "xterm")
        .args(["-qec", &format!("'{}' sync", common::tt_bin()), "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("util-linux `script` is needed to test the terminal display");
    // stdin stays open until tt is done: `script` would pass an early EOF on.
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(answer.as_bytes()).unwrap();
    let mut output = String::new();
    child.stdout.take().unwrap().read_to_string(&mut output).unwrap();
    drop(stdin);
    assert!(child.wait().unwrap().success(), "{output}");
    output
}

#[test]
fn on_a_terminal_a_new_machine_asks_for_its_label_once_and_progress_is_drawn() {
    let fleet = Fleet::new(&["alpha"]);
    let alpha = fleet.remote("alpha").machine_id();
    fleet.remote("alpha").add_events(&alpha, 0, 3);

    let output = sync_on_a_terminal(&fleet, "workstation\n");
    assert!(
        output.contains(&format!("New machine {}. Label? [alpha]: ", &alpha[..8])),
        "{output:?}"
    );
    assert!(
        output.contains("\x1b["),
        "no progress display on a terminal: {output:?}"
    );
    assert!(output.contains("done: 3 new events"), "{output:?}");
    assert_eq!(fleet.machines_json()["machines"][0]["label"], "workstation");

    // Known now: no question the second time.
    let output = sync_on_a_terminal(&fleet, "");
    assert!(!output.contains("New machine"), "{output:?}");
    assert_eq!(fleet.machines_json()["machines"][0]["label"], "workstation");
}

#[test]
fn tt_ssh_command_overrides_the_configured_ssh_command() {
    let fleet = Fleet::new(&["alpha"]);
    let ssh = format!("ssh -F '{}'", fleet.ssh_config.display());
    fleet.write_hub_config(&[("ssh_command", "\"/nonexistent/ssh\"")], &[("alpha", None)]);
    let alpha = fleet.remote("alpha").machine_id();
    fleet.remote("alpha").add_events(&alpha, 0, 2);

    let broken = fleet.sync(&[]);
    assert_eq!(broken.status.code(), Some(1), "{}", describe(&broken));
    assert!(
        summary_line(&broken, "alpha").contains("cannot run \"/nonexistent/ssh\""),
        "{}",
        describe(&broken)
    );

    let output = fleet
        .hub
        .tt(&["sync"])
        .env("TT_SSH_COMMAND", &ssh)
        .output()
        .unwrap();
    assert_success(&output);
    assert_eq!(fleet.stored_events(&alpha), (2, 2));
}
