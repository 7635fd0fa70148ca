//! `tt status` and `tt doctor` (issue 12) on real files, a real tmux server (on a
//! private TMUX_TMPDIR, so the user's own server is never seen) and a real ssh.
//!
//! The clock is pinned with `TT_NOW` where the output depends on it.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Command, Output};

use common::{Home, describe};
use serde_json::Value;

const NOW: &str = "2026-11-25T23:00:00.000Z";
const LAPTOP: &str = "11111111-1111-4111-8111-111111111111";
const DEVBOX: &str = "22222222-2222-4222-8222-222222222222";

/// A home whose tmux commands talk to a server of its own (none until started).
struct Env {
    home: Home,
}

impl Env {
    fn new() -> Env {
        let env = Env { home: Home::new() };
        fs::create_dir_all(env.tmux_dir()).unwrap();
        env
    }

    fn tmux_dir(&self) -> PathBuf {
        self.home.root().join("tmux")
    }

    fn tt(&self, args: &[&str]) -> Command {
        let mut cmd = self.home.tt(args);
        cmd.env_remove("TMUX")
            .env("TMUX_TMPDIR", self.tmux_dir())
            .env("TT_NOW", NOW)
            .env("TZ", "UTC");
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.tt(args).output().unwrap()
    }

    fn tmux(&self, args: &[&str]) -> Output {
        self.home
            .command("tmux")
            .env_remove("TMUX")
            .env("TMUX_TMPDIR", self.tmux_dir())
            .args(args)
            .output()
            .expect("tmux must be installed to run this test")
    }

    /// Starts the tmux server, with `tt hook tmux` sourced when `hooks`.
    fn start_tmux(&self, hooks: bool) {
        let conf = self.home.root().join("tmux.conf");
        let mut text = String::from("set -g default-shell /bin/sh\n");
        if hooks {
            let out = self.home.run(&["hook", "tmux"]);
            assert!(out.status.success(), "{}", describe(&out));
            let hooks_file = self.home.root().join("tt-hooks.conf");
            fs::write(&hooks_file, &out.stdout).unwrap();
            text.push_str(&format!("source-file '{}'\n", hooks_file.display()));
        }
        fs::write(&conf, text).unwrap();
        let out = self.tmux(&["-f", conf.to_str().unwrap(), "new-session", "-d", "-s", "work"]);
        assert!(out.status.success(), "{}", describe(&out));
    }

    fn import(&self, machine: &str, label: &str, lines: &[String]) {
        let mut input = format!(
            "{{\"record\":\"header\",\"machine_id\":\"{machine}\",\"label\":\"{label}\",\"tt_version\":\"0.1.0\",\"wire_version\":1}}\n"
        );
        for line in lines {
            input.push_str(line);
            input.push('\n');
        }
        self.home.ok_with_input(&["import"], input.as_bytes());
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
    }
}

fn focus(machine: &str, at: &str, cwd: Option<&str>) -> String {
    let cwd = cwd.map_or(String::new(), |c| format!(",\"cwd\":\"{c}\""));
    format!(
        "{{\"id\":\"{machine}:remote.tmux:tmux_pane_focus:{at}:%1\",\"timestamp\":\"{at}\",\
         \"source\":\"remote.tmux\",\"type\":\"tmux_pane_focus\",\"pane_id\":\"%1\",\
         \"session_name\":\"main\",\"window_index\":0{cwd}}}"
    )
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn status_of_a_fresh_hub_has_no_identity_and_no_database() {
    let env = Env::new();
    let out = env.run(&["status", "--json"]);
    assert!(out.status.success(), "{}", describe(&out));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["machine"], Value::Null);
    assert_eq!(json["database"]["size_bytes"], Value::Null);
    assert_eq!(json["machines"], serde_json::json!([]));
    let text = stdout(&env.run(&["status"]));
    assert!(
        text.contains("not created yet") && text.contains("machine    none"),
        "{text}"
    );
    assert!(
        !env.home.database().exists(),
        "status must not create the database"
    );
}

/// Two synced machines (devbox 30 minutes ago, laptop 2 hours ago), a configured
/// remote synced 2 days ago, a legacy directory, unassigned time this week.
fn synced_env() -> Env {
    let env = Env::new();
    env.home.init("hub");
    env.import(
        LAPTOP,
        "laptop",
        &[
            focus(LAPTOP, "2026-11-24T10:00:00.000Z", Some("/home/me/web")),
            focus(LAPTOP, "2026-11-24T10:10:00.000Z", None),
        ],
    );
    env.import(
        DEVBOX,
        "devbox",
        &[focus(DEVBOX, "2026-11-25T12:00:00.000Z", Some("/srv/api"))],
    );
    env.home.ok(&["recompute"]);
    // What a sync records; set here so the ages are fixed against TT_NOW.
    let db = env.home.db();
    db.execute(
        "UPDATE machines SET alias = 'devbox', last_sync_at = '2026-11-25T22:30:00.000Z' WHERE machine_id = ?1",
        [DEVBOX],
    )
    .unwrap();
    db.execute(
        "UPDATE machines SET alias = 'old-box', last_sync_at = '2026-11-23T21:00:00.000Z' WHERE machine_id = ?1",
        [LAPTOP],
    )
    .unwrap();
    drop(db);
    env.home
        .write_config("[[remotes]]\nalias = \"old-box\"\n\n[[remotes]]\nalias = \"devbox\"\n");
    fs::create_dir_all(env.home.root().join("home/.time-tracker")).unwrap();
    env
}

#[test]
fn status_json_shows_identity_sources_stale_machines_and_warnings() {
    let env = synced_env();
    let out = env.run(&["status", "--json"]);
    assert!(out.status.success(), "{}", describe(&out));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["machine"]["label"], "hub");
    assert_eq!(json["machine"]["machine_id"], env.home.machine_id());
    assert!(json["database"]["size_bytes"].as_u64().unwrap() > 0);
    let tmux = json["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["source"] == "remote.tmux")
        .unwrap();
    assert_eq!(tmux["last_event_at"], "2026-11-25T12:00:00.000Z");
    let machines = json["machines"].as_array().unwrap();
    let stale = |label: &str| machines.iter().find(|m| m["label"] == label).unwrap()["stale"].clone();
    assert_eq!(stale("devbox"), false, "synced 30 minutes ago");
    assert_eq!(stale("laptop"), true, "synced 2 days ago");
    assert_eq!(json["unassigned_this_week_ms"], 5 * 60_000);
    let warnings: Vec<&str> = json["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    let legacy = warnings
        .iter()
        .find(|w| w.contains(".time-tracker exists and is never migrated"))
        .expect("a legacy warning");
    let log = env.home.event_log();
    assert!(
        legacy.contains("jq -c") && legacy.contains(&format!(">> {}", log.display())),
        "{legacy}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("remote old-box was last synced 50h 00m ago")),
        "{warnings:?}"
    );
    assert!(
        !warnings.iter().any(|w| w.contains("remote devbox")),
        "{warnings:?}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("no hook has recorded an event")),
        "{warnings:?}"
    );
}

#[test]
fn status_text_marks_stale_machines() {
    let env = synced_env();
    let text = stdout(&env.run(&["status"]));
    let line = |label: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(label))
            .unwrap()
            .to_string()
    };
    assert!(line("laptop").ends_with("stale"), "{text}");
    assert!(!line("devbox").ends_with("stale"), "{text}");
    assert!(text.contains("unassigned this week  5m"), "{text}");
    assert!(text.contains("warning: remote old-box"), "{text}");
}

fn lines_with<'a>(text: &'a str, prefix: &str) -> Vec<&'a str> {
    text.lines().filter(|l| l.starts_with(prefix)).collect()
}

#[test]
fn doctor_on_a_fresh_hub_warns_but_does_not_fail() {
    let env = Env::new();
    let out = env.run(&["doctor"]);
    let text = stdout(&out);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(lines_with(&text, "fail").is_empty(), "{text}");
    assert!(
        text.contains("warn  no machine identity: run 'tt init'"),
        "{text}"
    );
    assert!(text.contains("warn  no running tmux server"), "{text}");
    assert!(text.contains("warn  no database at"), "{text}");
    assert!(text.contains("ok    data files are private"), "{text}");
}

#[test]
fn doctor_finds_the_hooks_in_a_running_tmux_server() {
    let env = Env::new();
    env.home.init("box");
    env.start_tmux(true);
    let out = env.run(&["doctor"]);
    let text = stdout(&out);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(text.contains("ok    the tt hooks are loaded"), "{text}");
    assert!(
        text.contains(&format!("ok    the hooks reach tt at {}", common::tt_bin())),
        "{text}"
    );
    assert!(text.contains("ok    machine identity"), "{text}");
}

#[test]
fn doctor_fails_when_tmux_runs_without_the_hooks() {
    let env = Env::new();
    env.start_tmux(false);
    let out = env.run(&["doctor"]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let text = stdout(&out);
    assert!(
        text.contains("fail  the tt hooks are not loaded") && text.contains("tt hook tmux"),
        "{text}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 check(s) failed"));
}

#[test]
fn doctor_fails_on_a_database_others_can_read() {
    let env = Env::new();
    env.import(
        LAPTOP,
        "laptop",
        &[focus(LAPTOP, "2026-11-24T10:00:00.000Z", None)],
    );
    env.home.ok(&["recompute"]);
    fs::set_permissions(env.home.database(), fs::Permissions::from_mode(0o644)).unwrap();
    let out = env.run(&["doctor"]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let text = stdout(&out);
    assert!(
        text.contains(&format!(
            "fail  other users can read tt's data: chmod 600 {}",
            env.home.database().display()
        )),
        "{text}"
    );
    // The same database: schema ok, an event without a directory, unassigned time.
    assert!(text.contains("ok    database schema version 8"), "{text}");
    assert!(
        text.contains("warn  1 focus or agent events have no directory"),
        "{text}"
    );
    assert!(text.contains("warn  5m of unassigned time this week"), "{text}");
}

#[test]
fn doctor_remotes_fails_for_an_unreachable_destination() {
    let env = Env::new();
    // Port 1 on the loopback refuses at once: ssh fails without a network.
    env.home.write_config(
        "[sync]\nssh_command = \"ssh -p 1 -o StrictHostKeyChecking=no\"\nconnect_timeout = \"3s\"\n\n[[remotes]]\nalias = \"127.0.0.1\"\n",
    );
    let without = env.run(&["doctor"]);
    assert!(
        !stdout(&without).contains("remote 127.0.0.1"),
        "--remotes is opt-in"
    );
    let out = env.run(&["doctor", "--remotes"]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let text = stdout(&out);
    assert!(
        text.contains("fail  remote 127.0.0.1 is not reachable or has no tt"),
        "{text}"
    );
}
