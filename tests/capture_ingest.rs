//! `tt ingest pane-focus|scroll` and `tt hook tmux`, run as the real binary.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread::sleep;
use std::time::Duration;

use common::{Home, fake_repo, tt_bin};
use tt::event::{Event, Timestamp};

/// `tt ingest pane-focus` for `pane` in `cwd`, asserting success.
fn focus(home: &Home, pane: &str, cwd: &Path) {
    let cwd = format!("--cwd={}", cwd.display());
    let out = home.run(&[
        "ingest",
        "pane-focus",
        &format!("--pane={pane}"),
        &cwd,
        "--session=main",
        "--window=1",
    ]);
    assert!(
        out.status.success(),
        "ingest failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn pane_focus_appends_one_event_in_the_wire_format_with_the_machine_prefixed_id() {
    let home = Home::initialised();
    let repo = home.root().join("home/src/acme");
    fake_repo(&repo, Some("git@github.com:someone/acme.git"));
    let cwd = repo.join("crates/core");
    fs::create_dir_all(&cwd).unwrap();

    let out = home.run(&[
        "ingest",
        "pane-focus",
        "--pane",
        "%3",
        "--cwd",
        cwd.to_str().unwrap(),
        "--session",
        "main",
        "--window",
        "2",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        out.stdout.is_empty() && out.stderr.is_empty(),
        "a hook must print nothing"
    );

    let lines = home.log_lines();
    assert_eq!(lines.len(), 1);
    let mode = fs::metadata(home.event_log()).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the log holds user data");
    let json: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
    let timestamp = json["timestamp"].as_str().unwrap();
    assert!(
        timestamp
            .parse::<Timestamp>()
            .is_ok_and(|ts| ts.to_string() == timestamp),
        "{timestamp}"
    );
    let expected = serde_json::json!({
        "id": format!("{}:remote.tmux:tmux_pane_focus:{timestamp}:%3", home.machine_id()),
        "timestamp": timestamp,
        "source": "remote.tmux",
        "type": "tmux_pane_focus",
        "pane_id": "%3",
        "session_name": "main",
        "window_index": 2,
        "cwd": cwd.to_str().unwrap(),
        "git_project": "acme",
    });
    assert_eq!(json, expected);
}

#[test]
fn scroll_appends_a_tmux_scroll_event_and_the_window_is_optional() {
    let home = Home::initialised();
    let out = home.run(&["ingest", "scroll", "--pane=%7", "--cwd=/", "--session=s"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let events = home.events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, "tmux_scroll");
    assert!(events[0].id.contains(":remote.tmux:tmux_scroll:"));
    assert_eq!(events[0].window_index, None);
    assert!(!home.log_lines()[0].contains("window_index"));
}

#[test]
fn ingest_without_identity_fails_with_the_exact_message_and_records_nothing() {
    let home = Home::new();
    let out = home.run(&["ingest", "pane-focus", "--pane=%1", "--cwd=/", "--session=s"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "No machine identity found. Run 'tt init' first.\n"
    );
    assert!(!home.event_log().exists());
}

#[test]
fn an_empty_cwd_is_recorded_as_no_cwd() {
    // tmux reports no current path while a new pane's shell is starting.
    let home = Home::initialised();
    let out = home.run(&["ingest", "pane-focus", "--pane=%1", "--cwd=", "--session="]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let event = &home.events()[0];
    assert_eq!(event.cwd, None);
    assert_eq!(event.git_project, None);
    assert_eq!(event.session_name.as_deref(), Some(""));
}

#[test]
fn capture_works_with_a_broken_configuration_file() {
    // The hot path reads no configuration, so a typo in config.toml cannot stop capture.
    let home = Home::initialised();
    fs::create_dir_all(home.config_dir()).unwrap();
    fs::write(home.config_dir().join("config.toml"), "sync = [broken\n").unwrap();
    focus(&home, "%1", home.root());
    assert_eq!(home.events().len(), 1);
}

#[test]
fn git_project_without_origin_is_the_top_level_directory_name() {
    let home = Home::initialised();
    let repo = home.root().join("home/src/beta");
    fake_repo(&repo, None);
    fs::create_dir_all(repo.join("docs")).unwrap();
    focus(&home, "%1", &repo.join("docs"));
    assert_eq!(home.events()[0].git_project.as_deref(), Some("beta"));
}

#[test]
fn a_directory_outside_any_repository_has_no_git_project() {
    let home = Home::initialised();
    focus(&home, "%1", &home.root().join("home"));
    assert_eq!(home.events()[0].git_project, None);
}

/// A real repository and a linked worktree made by git; tt then runs with a PATH where
/// no `git` can be found, so the project can only come from reading files.
#[test]
fn a_linked_worktree_belongs_to_its_repository_without_spawning_git() {
    let home = Home::initialised();
    let src = home.root().join("home/src");
    let main = src.join("gamma");
    fs::create_dir_all(&main).unwrap();
    let git = |args: &[&str]| {
        let out = home
            .command("git")
            .args(args)
            .current_dir(&main)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
            .output()
            .expect("git is needed to set up this test");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    git(&["init", "-q", "-b", "main"]);
    git(&["commit", "-q", "--allow-empty", "-m", "init"]);
    let worktree = src.join("gamma-feature");
    git(&[
        "worktree",
        "add",
        "-q",
        worktree.to_str().unwrap(),
        "-b",
        "feature",
    ]);

    let no_git = home.root().join("empty-path");
    fs::create_dir(&no_git).unwrap();
    let ingest = |pane: &str, cwd: &Path| {
        let out = home
            .tt(&["ingest", "pane-focus", &format!("--pane={pane}"), "--session=s"])
            .arg(format!("--cwd={}", cwd.display()))
            .env("PATH", &no_git)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    };
    ingest("%1", &worktree);
    git(&[
        "remote",
        "add",
        "origin",
        "https://git.example.invalid/team/gamma-service.git",
    ]);
    ingest("%2", &worktree);

    let projects: Vec<_> = home.events().into_iter().map(|e| e.git_project).collect();
    assert_eq!(
        projects,
        [Some("gamma".to_string()), Some("gamma-service".to_string())]
    );
}

#[test]
fn a_second_event_for_the_same_pane_within_500_ms_is_dropped() {
    let home = Home::initialised();
    focus(&home, "%1", home.root());
    sleep(Duration::from_millis(100));
    focus(&home, "%1", home.root());
    assert_eq!(home.log_lines().len(), 1);
}

#[test]
fn events_for_two_panes_100_ms_apart_are_both_kept() {
    let home = Home::initialised();
    focus(&home, "%1", home.root());
    sleep(Duration::from_millis(100));
    focus(&home, "%2", home.root());
    let panes: Vec<_> = home.events().into_iter().map(|e| e.pane_id.unwrap()).collect();
    assert_eq!(panes, ["%1", "%2"]);
}

#[test]
fn an_event_after_the_debounce_interval_is_kept() {
    let home = Home::initialised();
    focus(&home, "%1", home.root());
    sleep(Duration::from_millis(600));
    focus(&home, "%1", home.root());
    let events = home.events();
    assert_eq!(events.len(), 2);
    assert!(events[1].timestamp.as_millis() - events[0].timestamp.as_millis() >= 500);
}

#[test]
fn focus_and_scroll_of_one_pane_are_debounced_together() {
    let home = Home::initialised();
    focus(&home, "%1", home.root());
    let out = home.run(&["ingest", "scroll", "--pane=%1", "--cwd=/", "--session=main"]);
    assert!(out.status.success());
    assert_eq!(home.log_lines().len(), 1);
}

/// The debounce reads a bounded tail, not the log: a recent event of the pane that sits
/// before a megabyte of other events is not seen, and the new event is kept.
#[test]
fn the_debounce_looks_only_at_the_end_of_the_log() {
    let home = Home::initialised();
    focus(&home, "%1", home.root());
    let first = home.log_lines().remove(0);
    let other = first.replace("%1", "%2");
    let mut log = fs::OpenOptions::new()
        .append(true)
        .open(home.event_log())
        .unwrap();
    for _ in 0..(1 << 20) / other.len() {
        writeln!(log, "{other}").unwrap();
    }
    drop(log);
    focus(&home, "%1", home.root());
    let last = home.events().pop().unwrap();
    assert_eq!(last.pane_id.as_deref(), Some("%1"));
    assert_ne!(last.id, Event::from_json(&first).unwrap().id);
}

#[test]
fn an_event_after_a_torn_last_line_starts_on_its_own_line() {
    let home = Home::initialised();
    focus(&home, "%1", home.root());
    let mut log = fs::OpenOptions::new()
        .append(true)
        .open(home.event_log())
        .unwrap();
    log.write_all(br#"{"id":"cut short by a crash","#).unwrap();
    drop(log);
    focus(&home, "%2", home.root());
    let lines = home.log_lines();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[1], r#"{"id":"cut short by a crash","#);
    assert_eq!(
        Event::from_json(&lines[2]).unwrap().pane_id.as_deref(),
        Some("%2")
    );
}

#[test]
fn two_hundred_concurrent_ingests_leave_exactly_two_hundred_valid_lines() {
    let home = Home::initialised();
    let cwd = format!("--cwd={}", home.root().display());
    let children: Vec<_> = (0..200)
        .map(|i| {
            home.tt(&[
                "ingest",
                "pane-focus",
                &format!("--pane=%{i}"),
                &cwd,
                "--session=load",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn tt")
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let text = fs::read_to_string(home.event_log()).unwrap();
    assert!(text.ends_with('\n'));
    let events = home.events();
    assert_eq!(events.len(), 200);
    let panes: BTreeSet<_> = events.iter().map(|e| e.pane_id.clone().unwrap()).collect();
    assert_eq!(panes, (0..200).map(|i| format!("%{i}")).collect());
    let ids: BTreeSet<_> = events.iter().map(|e| &e.id).collect();
    assert_eq!(ids.len(), 200);
}

#[test]
fn hook_tmux_prints_the_shipped_hooks_calling_this_tt_by_absolute_path() {
    let home = Home::new();
    let out = home.run(&["hook", "tmux"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let printed = String::from_utf8(out.stdout).unwrap();
    let exe = fs::canonicalize(tt_bin()).unwrap();
    let call = format!("; \"{}\" ingest ", exe.display());
    assert_eq!(printed.matches(&call).count(), 9, "{printed}");

    let shipped = fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/capture/tmux.conf")).unwrap();
    assert_eq!(printed, shipped.replace("; tt ingest ", &call));
    assert!(shipped.contains("\nset -g focus-events on\n"));
    for hook in [
        "pane-focus-in",
        "after-select-pane",
        "session-window-changed",
        "client-session-changed",
    ] {
        let line = shipped
            .lines()
            .find(|l| l.starts_with(&format!("set-hook -g {hook}[100] {{")))
            .unwrap();
        assert!(
            line.contains("run-shell -b '") && line.contains("tt ingest pane-focus"),
            "{line}"
        );
    }
    let scroll = shipped
        .lines()
        .find(|l| l.starts_with("set-hook -g pane-mode-changed[100] {"))
        .unwrap();
    assert!(
        scroll.contains("run-shell -b '") && scroll.contains("tt ingest scroll"),
        "{scroll}"
    );
    for (hook, action) in [
        ("client-focus-in", "focus_in"),
        ("client-focus-out", "focus_out"),
        ("client-attached", "attached"),
        ("client-detached", "detached"),
    ] {
        let line = shipped
            .lines()
            .find(|l| l.starts_with(&format!("set-hook -g {hook}[100] {{")))
            .unwrap();
        assert!(
            line.contains("run-shell -b '") && line.contains(&format!("tt ingest client --action={action} ")),
            "{line}"
        );
    }
}

#[test]
fn every_tmux_value_in_the_hooks_is_shell_quoted() {
    let shipped = fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/capture/tmux.conf")).unwrap();
    let commands: Vec<_> = shipped.lines().filter(|l| l.starts_with("set-hook")).collect();
    assert_eq!(commands.len(), 9);
    for line in commands {
        let command = &line[line.find("run-shell").unwrap()..];
        // Every #{...} in the shell command is #{q;...}: nothing reaches sh unescaped.
        let formats = command.matches("#{").count();
        assert_eq!(formats, 5, "{command}");
        assert_eq!(
            command.matches("#{q;s/([^ -~])/\"\\1\"/:").count(),
            formats,
            "{command}"
        );
        assert!(command.contains(r#">>"$d/hook.log" 2>&1 || "#), "{command}");
        assert!(
            command.ends_with(r#"2>/dev/null; true' }"#) || command.ends_with(r#"2>/dev/null; true' } }"#),
            "{command}"
        );
    }
}

#[test]
fn ingest_is_a_group_whose_help_lists_the_tmux_subcommands() {
    let out = Command::new(tt_bin())
        .args(["ingest", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(
        help.contains("pane-focus") && help.contains("scroll") && help.contains("client"),
        "{help}"
    );
}

/// `tt ingest ARGS` with the clock pinned at `now`, asserting success.
fn ingest_at(home: &Home, now: &str, args: &[&str]) {
    let out = home
        .tt(&[&["ingest"], args].concat())
        .env("TT_NOW", now)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

const NOW: &str = "2025-01-29T14:32:01.000Z";

#[test]
fn client_appends_a_tmux_client_event_with_the_action_and_the_clients_pane() {
    let home = Home::initialised();
    let repo = home.root().join("home/src/acme");
    fake_repo(&repo, Some("git@github.com:someone/acme.git"));
    let cwd = format!("--cwd={}", repo.display());
    let out = home
        .tt(&[
            "ingest",
            "client",
            "--action=focus_out",
            "--pane=%3",
            &cwd,
            "--session=main",
            "--window=2",
            "--server=/tmp/tmux-1000/default",
        ])
        .env("TT_NOW", NOW)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stdout.is_empty() && out.stderr.is_empty());

    let lines = home.log_lines();
    assert_eq!(lines.len(), 1);
    let json: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
    let expected = serde_json::json!({
        "id": format!(
            "{}:remote.tmux:tmux_client:{NOW}:focus_out@/tmp/tmux-1000/default",
            home.machine_id()
        ),
        "timestamp": NOW,
        "source": "remote.tmux",
        "type": "tmux_client",
        "action": "focus_out",
        "pane_id": "%3",
        "session_name": "main",
        "window_index": 2,
        "tmux_server": "/tmp/tmux-1000/default",
        "cwd": repo.to_str().unwrap(),
        "git_project": "acme",
    });
    assert_eq!(json, expected);
}

#[test]
fn client_accepts_exactly_the_four_actions() {
    let home = Home::initialised();
    for action in ["focus_in", "focus_out", "attached", "detached"] {
        ingest_at(
            &home,
            NOW,
            &[
                "client",
                &format!("--action={action}"),
                "--pane=%1",
                "--cwd=/",
                "--session=s",
            ],
        );
    }
    let actions: Vec<_> = home.events().into_iter().map(|e| e.action.unwrap()).collect();
    assert_eq!(actions, ["focus_in", "focus_out", "attached", "detached"]);

    let out = home.run(&[
        "ingest",
        "client",
        "--action=focus-in",
        "--pane=%1",
        "--cwd=/",
        "--session=s",
    ]);
    assert_eq!(out.status.code(), Some(2), "a usage error");
    assert_eq!(home.log_lines().len(), 4);
}

/// A client whose session is gone has no pane, but its detach still ends attention.
#[test]
fn a_client_event_without_a_pane_is_kept_without_pane_id() {
    let home = Home::initialised();
    ingest_at(
        &home,
        NOW,
        &["client", "--action=detached", "--pane=", "--cwd=", "--session="],
    );
    let events = home.events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].pane_id, None);
    assert_eq!(events[0].cwd, None);
    assert_eq!(events[0].action.as_deref(), Some("detached"));
}

#[test]
fn client_events_are_debounced_per_action_not_per_pane() {
    let home = Home::initialised();
    let client = |action: &str, pane: &str| {
        ingest_at(
            &home,
            NOW,
            &[
                "client",
                &format!("--action={action}"),
                &format!("--pane={pane}"),
                "--cwd=/",
                "--session=s",
            ],
        );
    };
    client("focus_out", "%1");
    client("focus_in", "%1"); // another action: kept
    client("focus_in", "%2"); // the same action, another pane: dropped
    focus_at(&home, NOW, "%1", None); // a pane event is not a client event: kept
    let kept: Vec<_> = home
        .events()
        .into_iter()
        .map(|e| (e.kind, e.action, e.pane_id.unwrap()))
        .collect();
    assert_eq!(
        kept,
        [
            (
                "tmux_client".to_string(),
                Some("focus_out".to_string()),
                "%1".to_string()
            ),
            (
                "tmux_client".to_string(),
                Some("focus_in".to_string()),
                "%1".to_string()
            ),
            ("tmux_pane_focus".to_string(), None, "%1".to_string()),
        ]
    );
}

/// `tt ingest pane-focus` for `pane` on `server` with the clock at `now`.
fn focus_at(home: &Home, now: &str, pane: &str, server: Option<&str>) {
    let pane = format!("--pane={pane}");
    let mut args = vec!["pane-focus", &pane, "--cwd=/", "--session=s"];
    let server = server.map(|server| format!("--server={server}"));
    args.extend(server.as_deref());
    ingest_at(home, now, &args);
}

/// Pane ids are numbered per tmux server: `%1` of `tmux -L work` is another pane than
/// `%1` of the default server, and both are kept, with distinct ids, even in one
/// millisecond.
#[test]
fn the_same_pane_id_on_two_tmux_servers_is_debounced_separately() {
    let home = Home::initialised();
    focus_at(&home, NOW, "%1", Some("/tmp/tmux-1000/default"));
    focus_at(&home, NOW, "%1", Some("/tmp/tmux-1000/work"));
    focus_at(
        &home,
        "2025-01-29T14:32:01.400Z",
        "%1",
        Some("/tmp/tmux-1000/work"),
    );
    focus_at(
        &home,
        "2025-01-29T14:32:01.400Z",
        "%1",
        Some("/tmp/tmux-1000/default"),
    );
    focus_at(&home, "2025-01-29T14:32:02.000Z", "%1", None);
    let events = home.events();
    let servers: Vec<_> = events.iter().map(|e| e.tmux_server.as_deref()).collect();
    assert_eq!(
        servers,
        [Some("/tmp/tmux-1000/default"), Some("/tmp/tmux-1000/work"), None]
    );
    assert_ne!(events[0].id, events[1].id);
    assert!(
        events[1].id.ends_with(":%1@/tmp/tmux-1000/work"),
        "{}",
        events[1].id
    );
    assert!(events[2].id.ends_with(":%1"), "{}", events[2].id);

    // Client events too: the same action on two servers is two observations.
    for server in [
        "/tmp/tmux-1000/default",
        "/tmp/tmux-1000/work",
        "/tmp/tmux-1000/work",
    ] {
        ingest_at(
            &home,
            NOW,
            &[
                "client",
                "--action=focus_in",
                "--pane=%1",
                "--cwd=/",
                "--session=s",
                &format!("--server={server}"),
            ],
        );
    }
    assert_eq!(home.events().len(), 5);
}

#[test]
fn the_debounce_compares_pinned_times_to_the_millisecond() {
    let home = Home::initialised();
    focus_at(&home, "2025-01-29T14:32:01.000Z", "%1", Some("/s"));
    focus_at(&home, "2025-01-29T14:32:01.499Z", "%1", Some("/s"));
    focus_at(&home, "2025-01-29T14:32:01.500Z", "%1", Some("/s"));
    let times: Vec<_> = home
        .events()
        .into_iter()
        .map(|e| e.timestamp.to_string())
        .collect();
    assert_eq!(times, ["2025-01-29T14:32:01.000Z", "2025-01-29T14:32:01.500Z"]);
}

#[test]
fn a_bad_tt_now_is_an_error_that_names_it_and_records_nothing() {
    let home = Home::initialised();
    let out = home
        .tt(&["ingest", "pane-focus", "--pane=%1", "--cwd=/", "--session=s"])
        .env("TT_NOW", "yesterday")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("TT_NOW: ") && stderr.lines().count() == 1,
        "{stderr}"
    );
    assert!(home.log_lines().is_empty());
}

/// Hooks of an older tt (no --server) may still be installed in a running tmux beside
/// the new ones: both fire for one pane switch, and the second event is dropped.
#[test]
fn an_event_that_names_no_server_debounces_the_same_pane_of_any_server() {
    let home = Home::initialised();
    focus_at(&home, NOW, "%1", None);
    focus_at(
        &home,
        "2025-01-29T14:32:01.100Z",
        "%1",
        Some("/tmp/tmux-1000/default"),
    );
    focus_at(&home, NOW, "%2", Some("/tmp/tmux-1000/default"));
    focus_at(&home, "2025-01-29T14:32:01.100Z", "%2", None);
    let client = |server: Option<&str>| {
        let server = server.map(|server| format!("--server={server}"));
        let mut args = vec![
            "client",
            "--action=attached",
            "--pane=%1",
            "--cwd=/",
            "--session=s",
        ];
        args.extend(server.as_deref());
        ingest_at(&home, NOW, &args);
    };
    client(Some("/tmp/tmux-1000/default"));
    client(None);
    let kept: Vec<_> = home
        .events()
        .into_iter()
        .map(|e| (e.kind, e.pane_id.unwrap(), e.tmux_server))
        .collect();
    assert_eq!(
        kept,
        [
            ("tmux_pane_focus".to_string(), "%1".to_string(), None),
            (
                "tmux_pane_focus".to_string(),
                "%2".to_string(),
                Some("/tmp/tmux-1000/default".to_string())
            ),
            (
                "tmux_client".to_string(),
                "%1".to_string(),
                Some("/tmp/tmux-1000/default".to_string())
            ),
        ]
    );
}
