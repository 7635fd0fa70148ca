//! The one wire format: export -> import -> events gives back every field; the cursor
//! delivers exactly what is new; bad lines are quarantined, never lost (issue 6).

mod common;

use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::io::Write;

use common::{Home, claude_fixtures, copy_dir, stderr};
use serde_json::Value;

/// Appends tmux-like events to a machine's log the way the hooks would.
fn append_tmux_events(home: &Home, machine_id: &str, first_second: u32, count: u32) -> Vec<String> {
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(home.event_log())
        .unwrap();
    let mut ids = Vec::new();
    for i in 0..count {
        let s = first_second + i;
        let ts = format!("2026-03-01T10:{:02}:{:02}.000Z", s / 60, s % 60);
        let id = format!("{machine_id}:remote.tmux:tmux_pane_focus:{ts}:%{i}");
        let line = serde_json::json!({
            "id": id, "timestamp": ts, "source": "remote.tmux", "type": "tmux_pane_focus",
            "pane_id": format!("%{i}"), "session_name": "main", "window_index": i % 3,
            "cwd": format!("/home/me/project-{}", i % 2), "git_project": format!("project-{}", i % 2),
            "future_field": {"kept": [i, "verbatim"]},
        });
        writeln!(file, "{line}").unwrap();
        ids.push(id);
    }
    ids
}

fn lines_by_id(jsonl: &str) -> BTreeMap<String, Value> {
    jsonl
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v.get("record").is_none())
        .map(|v| (v["id"].as_str().unwrap().to_string(), v))
        .collect()
}

#[test]
fn export_import_events_gives_back_every_field_of_every_event() {
    let remote = Home::new();
    let id = remote.init("remote");
    append_tmux_events(&remote, &id, 0, 50);
    let export = remote.ok(&["export"]);
    let sent = lines_by_id(&export);
    assert_eq!(sent.len(), 50);

    let hub = Home::new();
    let (_, summary) = hub.ok_with_input(&["import"], export.as_bytes());
    assert!(
        summary.contains("imported 50, duplicates 0, rejected 0"),
        "{summary}"
    );
    let back = lines_by_id(&hub.ok(&["events"]));
    assert_eq!(back, sent, "every field of every event, unknown ones included");
    assert_eq!(
        back.values().next().unwrap()["future_field"]["kept"][1],
        "verbatim"
    );
}

#[test]
fn the_export_starts_with_a_header_and_ends_with_counts() {
    let remote = Home::new();
    let id = remote.init("devbox");
    append_tmux_events(&remote, &id, 0, 3);
    let export = remote.ok(&["export"]);
    let lines: Vec<Value> = export.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines[0]["record"], "header");
    assert_eq!(lines[0]["machine_id"], id.as_str());
    assert_eq!(lines[0]["label"], "devbox");
    assert_eq!(lines[0]["wire_version"], 1);
    assert!(lines[0]["tt_version"].is_string());
    let last = lines.last().unwrap();
    assert_eq!(last["record"], "end");
    assert_eq!(last["events"], 3);
}

#[test]
fn reimporting_the_same_export_adds_nothing() {
    let remote = Home::new();
    let id = remote.init("remote");
    append_tmux_events(&remote, &id, 0, 20);
    let export = remote.ok(&["export"]);
    let hub = Home::new();
    hub.ok_with_input(&["import"], export.as_bytes());
    let (_, summary) = hub.ok_with_input(&["import"], export.as_bytes());
    assert!(
        summary.contains("imported 0, duplicates 20, rejected 0"),
        "{summary}"
    );
    assert_eq!(hub.ok(&["events"]).lines().count(), 20);
}

#[test]
fn importing_two_machines_exports_gives_the_sum() {
    let (a, b) = (Home::new(), Home::new());
    let (id_a, id_b) = (a.init("a"), b.init("b"));
    // Same timestamps and panes on both: only the machine prefix differs.
    append_tmux_events(&a, &id_a, 0, 30);
    append_tmux_events(&b, &id_b, 0, 12);
    let hub = Home::new();
    hub.ok_with_input(&["import"], a.ok(&["export"]).as_bytes());
    hub.ok_with_input(&["import"], b.ok(&["export"]).as_bytes());
    assert_eq!(hub.ok(&["events"]).lines().count(), 42);
    assert_eq!(hub.ok(&["events", "--machine", "b"]).lines().count(), 12);
    assert_eq!(hub.ok(&["events", "--machine", &id_a]).lines().count(), 30);
}

#[test]
fn export_after_the_cursor_sends_exactly_the_new_events() {
    let remote = Home::new();
    let id = remote.init("remote");
    let old = append_tmux_events(&remote, &id, 0, 40);
    let first = lines_by_id(&remote.ok(&["export"]));
    assert_eq!(first.len(), 40);
    let cursor = old.last().unwrap();

    // New events, some with timestamps older than the cursor's (as late-parsed logs are).
    let new_late = append_tmux_events(&remote, &id, 1000, 5);
    let new_early = append_tmux_events(&remote, &id, 100, 0);
    let mut expected: Vec<String> = new_late.into_iter().chain(new_early).collect();
    let mut file = OpenOptions::new().append(true).open(remote.event_log()).unwrap();
    let early_ts = "2026-02-01T09:00:00.000Z";
    let early_id = format!("{id}:remote.tmux:tmux_scroll:{early_ts}:%9");
    writeln!(
        file,
        r#"{{"id":"{early_id}","timestamp":"{early_ts}","source":"remote.tmux","type":"tmux_scroll","pane_id":"%9"}}"#
    )
    .unwrap();
    expected.push(early_id);

    let delta = lines_by_id(&remote.ok(&["export", "--after", cursor]));
    let mut got: Vec<String> = delta.keys().cloned().collect();
    got.sort();
    expected.sort();
    assert_eq!(
        got, expected,
        "exactly the new events, none missing, none repeated"
    );

    // Nothing new: nothing sent.
    let last_line = std::fs::read_to_string(remote.event_log()).unwrap();
    let last: Value = serde_json::from_str(last_line.lines().last().unwrap()).unwrap();
    assert!(lines_by_id(&remote.ok(&["export", "--after", last["id"].as_str().unwrap()])).is_empty());
}

#[test]
fn events_sharing_the_cursors_millisecond_are_not_dropped() {
    let remote = Home::new();
    let id = remote.init("remote");
    let ts = "2026-03-01T10:00:00.000Z";
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(remote.event_log())
        .unwrap();
    for pane in ["%1", "%2", "%3"] {
        writeln!(
            file,
            r#"{{"id":"{id}:remote.tmux:tmux_pane_focus:{ts}:{pane}","timestamp":"{ts}","source":"remote.tmux","type":"tmux_pane_focus","pane_id":"{pane}"}}"#
        )
        .unwrap();
    }
    let cursor = format!("{id}:remote.tmux:tmux_pane_focus:{ts}:%1");
    let delta = lines_by_id(&remote.ok(&["export", "--after", &cursor]));
    assert_eq!(delta.len(), 2);
}

#[test]
fn an_unknown_cursor_falls_back_to_a_full_export_with_a_warning() {
    let remote = Home::new();
    let id = remote.init("remote");
    append_tmux_events(&remote, &id, 0, 7);
    let out = remote.run(&["export", "--after", &format!("{id}:gone")]);
    assert!(out.status.success());
    assert!(stderr(&out).contains("warning"), "{}", stderr(&out));
    assert_eq!(lines_by_id(&String::from_utf8(out.stdout).unwrap()).len(), 7);
}

#[test]
fn the_cursor_is_found_across_read_blocks_of_a_large_log() {
    let remote = Home::new();
    let id = remote.init("remote");
    let ids = append_tmux_events(&remote, &id, 0, 3000); // ~900 KB: several 256 KiB blocks
    for (n, cursor) in ids.iter().enumerate().step_by(97) {
        let delta = lines_by_id(&remote.ok(&["export", "--after", cursor]));
        assert_eq!(delta.len(), ids.len() - n - 1, "cursor at line {n}");
    }
}

#[test]
fn garbage_lines_are_quarantined_with_line_numbers_and_the_rest_imported() {
    let remote = Home::new();
    let id = remote.init("remote");
    append_tmux_events(&remote, &id, 0, 3000);
    let export = remote.ok(&["export"]);
    let mut lines: Vec<String> = export.lines().map(str::to_string).collect();
    // Line numbers are 1-based over the whole input, header included.
    lines.insert(10, "this is not json".into());
    lines.insert(
        500,
        r#"{"id":"no-machine-prefix","timestamp":"2026-03-01T10:00:00.000Z","source":"x","type":"y"}"#.into(),
    );
    lines.insert(
        1500,
        format!(r#"{{"id":"{id}:x","timestamp":"2026-03-01T12:00:00+02:00","source":"x","type":"y"}}"#),
    );
    lines.insert(2500, format!(r#"{{"id":"{id}:x","source":"x","type":"y"}}"#));
    lines.insert(2600, r#"{"id":"truncated"#.into());
    let input = lines.join("\n") + "\n";

    let hub = Home::new();
    let (_, summary) = hub.ok_with_input(&["import"], input.as_bytes());
    assert!(
        summary.contains("imported 3000, duplicates 0, rejected 5"),
        "{summary}"
    );
    for line in [11, 501, 1501, 2501, 2601] {
        assert!(
            summary.contains(&format!("line {line}:")),
            "line {line} reported: {summary}"
        );
    }
    assert!(summary.contains("not UTC"), "{summary}");
    assert!(summary.contains("missing field `timestamp`"), "{summary}");
    let quarantine = std::fs::read_to_string(hub.state_dir().join("quarantine.jsonl")).unwrap();
    let kept: Vec<Value> = quarantine
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(kept.len(), 5);
    assert_eq!(kept[0]["line"], 11);
    assert_eq!(kept[0]["text"], "this is not json");
    assert_eq!(hub.ok(&["events"]).lines().count(), 3000);
}

#[test]
fn an_event_from_another_machine_under_a_header_is_rejected() {
    let (remote, other) = (Home::new(), Home::new());
    let id = remote.init("remote");
    let other_id = other.init("other");
    append_tmux_events(&remote, &id, 0, 3);
    let mut lines: Vec<String> = remote.ok(&["export"]).lines().map(str::to_string).collect();
    let forged = lines[1].replace(&id, &other_id);
    lines.insert(2, forged);
    let hub = Home::new();
    let (_, summary) = hub.ok_with_input(&["import"], (lines.join("\n") + "\n").as_bytes());
    assert!(
        summary.contains("imported 3, duplicates 0, rejected 1"),
        "{summary}"
    );
    let stored = hub.ok(&["events"]);
    assert_eq!(stored.lines().count(), 3);
    assert!(!stored.contains(&other_id), "the forged event must not be stored");
}

#[test]
fn export_writes_nothing_to_stdout_but_records() {
    let remote = Home::new();
    let id = remote.init("remote");
    append_tmux_events(&remote, &id, 0, 5);
    let out = remote.run(&["export", "--after", "not-a-known-cursor"]);
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let v: Value = serde_json::from_str(line).expect("every stdout line is a JSON record");
        assert!(v.get("record").is_some() || v.get("id").is_some());
    }
}

#[test]
fn import_refuses_an_export_of_another_wire_format() {
    let remote = Home::new();
    let id = remote.init("remote");
    append_tmux_events(&remote, &id, 0, 2);
    let export = remote
        .ok(&["export"])
        .replace("\"wire_version\":1", "\"wire_version\":99");
    let hub = Home::new();
    let mut child = hub
        .tt(&["import"])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(export.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("too new"), "{}", stderr(&out));
    assert!(hub.ok(&["events"]).is_empty());
}

/// Regression: a Claude log read again from the start (lost manifest, replaced log)
/// used to re-append its events; a cursor naming one of them was then found at the
/// later copy and the tmux events in between were never exported.
#[test]
fn a_lost_manifest_appends_no_duplicate_and_the_cursor_still_sends_everything_new() {
    let remote = Home::new();
    let id = remote.init("remote");
    copy_dir(claude_fixtures(), &remote.claude_projects());
    let first = remote.ok(&["export"]);
    let last_event: Value = first
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .rfind(|v| v.get("id").is_some())
        .unwrap();
    assert_eq!(
        last_event["source"], "remote.agent",
        "the scan appends agent events last"
    );
    let cursor = last_event["id"].as_str().unwrap().to_string();

    let tmux = append_tmux_events(&remote, &id, 0, 4);
    std::fs::remove_file(remote.state_dir().join("claude-manifest.json")).unwrap();
    let delta = lines_by_id(&remote.ok(&["export", "--after", &cursor]));
    let got: Vec<&String> = delta.keys().collect();
    let mut want: Vec<&String> = tmux.iter().collect();
    want.sort();
    assert_eq!(got, want, "exactly the tmux events appended after the cursor");

    let log = std::fs::read_to_string(remote.event_log()).unwrap();
    let mut ids: Vec<String> = log
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let total = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), total, "no event is in the log twice");
}
