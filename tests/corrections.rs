//! Corrections (SPEC §10) on the real binary: `tt assign`/`unassign`, `tt streams
//! rename|merge|new`, `tt assign --apply`, `tt context`. Events arrive by `tt import`
//! of whole exports (header, events, session records), the way a sync merges them.

mod common;

use std::fs;

use common::{Home, describe, stderr};
use serde_json::Value;
use tt::event::{Event, Timestamp, kind, source};
use tt::wire::{AgentSession, End, Header, Tagged, tagged_line};

const DEVBOX: &str = "11111111-1111-4111-8111-111111111111";
const GPU: &str = "22222222-2222-4222-8222-222222222222";

/// 2026-03-09T10:00Z plus `minutes`.
fn at(minutes: f64) -> Timestamp {
    let base: Timestamp = "2026-03-09T10:00:00.000Z".parse().unwrap();
    Timestamp::from_millis(base.as_millis() + (minutes * 60_000.0) as i64)
}

fn rfc(minutes: f64) -> String {
    at(minutes).to_string()
}

/// A pane focus on `machine` in `cwd` (with its git project, if any).
fn focus(machine: &str, minutes: f64, cwd: &str, git: Option<&str>) -> Event {
    let mut e = Event::new(machine, source::TMUX, kind::PANE_FOCUS, at(minutes), "%1");
    e.pane_id = Some("%1".into());
    e.session_name = Some("main".into());
    e.window_index = Some(0);
    e.cwd = Some(cwd.into());
    e.git_project = git.map(str::to_string);
    e
}

/// An agent tool use of `session` in `cwd`.
fn tool(machine: &str, minutes: f64, session: &str, cwd: &str) -> Event {
    let mut e = Event::new(machine, source::AGENT, kind::AGENT_TOOL_USE, at(minutes), session);
    e.agent = Some("claude-code".into());
    e.session_id = Some(session.into());
    e.tool = Some("Edit".into());
    e.cwd = Some(cwd.into());
    e
}

fn session(id: &str, cwd: &str, start: f64, end: f64, prompt: &str) -> AgentSession {
    AgentSession {
        session_id: id.into(),
        machine_id: None,
        parent_session_id: None,
        agent: "claude-code".into(),
        project_path: Some(cwd.into()),
        project_name: None,
        start_time: Some(at(start)),
        end_time: Some(at(end)),
        message_count: 2,
        tool_call_count: 1,
        user_prompt_count: 1,
        starting_prompt: Some(prompt.into()),
    }
}

/// A whole export of `machine` (labelled `label`), as `tt export` writes it.
fn export(machine: &str, label: &str, events: &[Event], sessions: &[AgentSession]) -> String {
    let mut text = tagged_line(Tagged::Header(Header {
        machine_id: machine.into(),
        label: label.into(),
        tt_version: "test".into(),
        wire_version: tt::wire::WIRE_VERSION,
    }));
    text.push('\n');
    for e in events {
        text.push_str(&e.to_json());
        text.push('\n');
    }
    for s in sessions {
        text.push_str(&tagged_line(Tagged::AgentSession(s.clone())));
        text.push('\n');
    }
    text.push_str(&tagged_line(Tagged::End(End {
        events: events.len() as u64,
        sessions: sessions.len() as u64,
    })));
    text.push('\n');
    text
}

/// Imports an export and recomputes what is new, as a sync does.
fn sync(home: &Home, machine: &str, label: &str, events: &[Event], sessions: &[AgentSession]) {
    home.ok_with_input(&["import"], export(machine, label, events, sessions).as_bytes());
    home.ok(&["recompute"]);
}

fn streams(home: &Home) -> Vec<Value> {
    let out = home.ok(&["streams", "--json"]);
    let value: Value = serde_json::from_str(&out).unwrap();
    value["streams"].as_array().unwrap().clone()
}

fn stream_named<'a>(list: &'a [Value], name: &str) -> &'a Value {
    list.iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no stream {name} in {list:#?}"))
}

/// (stream id, assignment source) of an event.
fn placement(home: &Home, event: &Event) -> (Option<String>, Option<String>) {
    home.db()
        .query_row(
            "SELECT stream_id, assignment_source FROM events WHERE id = ?1",
            [&event.id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
}

/// Focus every minute in [from, to).
fn focus_run(machine: &str, from: u32, to: u32, cwd: &str, git: Option<&str>) -> Vec<Event> {
    (from..to).map(|m| focus(machine, m as f64, cwd, git)).collect()
}

/// devbox: acme (git) minutes 0-10, a scratch directory minutes 10-20; gpu: the
/// scratch directory of its own, minutes 0-20.
fn two_machines() -> (Home, Vec<Event>, Vec<Event>) {
    let home = Home::new();
    let mut devbox = focus_run(DEVBOX, 0, 10, "/w/acme", Some("acme"));
    devbox.extend(focus_run(DEVBOX, 10, 20, "/w/scratch", None));
    let gpu = focus_run(GPU, 30, 50, "/w/scratch", None);
    sync(&home, DEVBOX, "devbox", &devbox, &[]);
    sync(&home, GPU, "gpu", &gpu, &[]);
    (home, devbox, gpu)
}

#[test]
fn an_assigned_range_survives_recompute_all_and_later_events_follow_inference() {
    let (home, devbox, gpu) = two_machines();
    let before = streams(&home);
    let acme = stream_named(&before, "acme")["id"].as_str().unwrap().to_string();
    let scratch = stream_named(&before, "scratch@devbox")["id"]
        .as_str()
        .unwrap()
        .to_string();

    // devbox's scratch minutes 10-15 were acme work; gpu's events in the range are not touched.
    let out = home.ok(&[
        "assign",
        "acme",
        "--start",
        &rfc(10.0),
        "--end",
        &rfc(15.0),
        "--machine",
        "devbox",
    ]);
    assert!(out.contains("assign: 5 events to acme"), "{out}");
    assert!(out.contains("5 events changed stream; 5m direct"), "{out}");
    let check = |home: &Home| {
        for e in &devbox[10..15] {
            assert_eq!(
                placement(home, e),
                (Some(acme.clone()), Some("user".into())),
                "{}",
                e.id
            );
        }
        for e in &devbox[15..] {
            assert_eq!(
                placement(home, e),
                (Some(scratch.clone()), Some("inferred".into()))
            );
        }
        assert_ne!(placement(home, &gpu[0]).0, Some(acme.clone()));
    };
    check(&home);
    let after = streams(&home);
    assert_eq!(stream_named(&after, "acme")["direct_ms"], 15 * 60_000);

    home.ok(&["recompute", "--all"]);
    check(&home);
    assert_eq!(streams(&home), after, "recompute --all changed nothing");

    // Later events of that project: inference, unless they fall in the assigned range.
    let later = focus_run(DEVBOX, 60, 63, "/w/scratch", None);
    let late_in_range = focus(DEVBOX, 12.5, "/w/scratch", None);
    let mut batch = later.clone();
    batch.push(late_in_range.clone());
    sync(&home, DEVBOX, "devbox", &batch, &[]);
    check(&home);
    for e in &later {
        assert_eq!(
            placement(&home, e),
            (Some(scratch.clone()), Some("inferred".into()))
        );
    }
    assert_eq!(
        placement(&home, &late_in_range),
        (Some(acme.clone()), Some("user".into()))
    );
    let incremental = streams(&home);
    home.ok(&["recompute", "--all"]);
    assert_eq!(
        streams(&home),
        incremental,
        "the sync's recompute equals a full one"
    );
}

#[test]
fn local_times_are_read_in_the_local_zone() {
    let (home, devbox, _) = two_machines();
    let out = home
        .tt(&[
            "assign",
            "acme",
            "--start",
            "2026-03-09 11:10",
            "--end",
            "2026-03-09 11:12",
            "--machine",
            "devbox",
        ])
        .env("TZ", "Europe/Paris")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", describe(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("2 events"),
        "{}",
        describe(&out)
    );
    assert_eq!(placement(&home, &devbox[10]).1.as_deref(), Some("user"));
    assert_eq!(placement(&home, &devbox[12]).1.as_deref(), Some("inferred"));
}

#[test]
fn a_merge_moves_events_tags_and_time_and_later_events_of_from_land_in_into() {
    let home = Home::new();
    // The same project on two machines, and agent work on each at different times.
    let mut devbox = focus_run(DEVBOX, 0, 10, "/w/acme", Some("acme"));
    devbox.extend((0..5).map(|m| tool(DEVBOX, m as f64 * 2.0, "s-dev", "/w/acme")));
    let mut gpu = focus_run(GPU, 20, 30, "/srv/acme", Some("acme"));
    gpu.extend((0..5).map(|m| tool(GPU, 40.0 + m as f64 * 2.0, "s-gpu", "/srv/acme")));
    sync(&home, DEVBOX, "devbox", &devbox, &[]);
    sync(&home, GPU, "gpu", &gpu, &[]);
    home.ok(&["tag", "acme@devbox", "acme"]);
    home.ok(&["tag", "acme@gpu", "client:acme"]);
    let before = streams(&home);
    let into = stream_named(&before, "acme@devbox").clone();
    let from = stream_named(&before, "acme@gpu").clone();
    assert!(from["direct_ms"].as_i64().unwrap() > 0 && from["delegated_ms"].as_i64().unwrap() > 0);

    let out = home.ok(&["streams", "merge", "acme@devbox", "acme@gpu"]);
    assert!(out.contains("across machines: gpu"), "{out}");

    let check = |home: &Home| {
        let after = streams(home);
        assert_eq!(after.len(), 1, "{after:#?}");
        let merged = &after[0];
        assert_eq!(merged["id"], into["id"]);
        let sum = |field: &str| into[field].as_i64().unwrap() + from[field].as_i64().unwrap();
        assert_eq!(merged["direct_ms"].as_i64().unwrap(), sum("direct_ms"));
        assert_eq!(merged["delegated_ms"].as_i64().unwrap(), sum("delegated_ms"));
        assert_eq!(merged["tags"], serde_json::json!(["acme", "client:acme"]));
        // The only one of its name now: the machine suffix goes.
        assert_eq!(merged["name"], "acme");
    };
    check(&home);
    home.ok(&["recompute", "--all"]);
    check(&home);

    // gpu keeps working on acme: it goes to the merged stream.
    let later = focus(GPU, 90.0, "/srv/acme/src", Some("acme"));
    sync(&home, GPU, "gpu", std::slice::from_ref(&later), &[]);
    assert_eq!(
        placement(&home, &later),
        (into["id"].as_str().map(str::to_string), Some("inferred".into()))
    );
    assert_eq!(streams(&home).len(), 1);
}

#[test]
fn a_rename_keeps_the_id_and_tags_through_recompute_all() {
    let (home, _, _) = two_machines();
    home.ok(&["tag", "scratch@gpu", "ml"]);
    let id = stream_named(&streams(&home), "scratch@gpu")["id"].clone();
    let out = home.ok(&["streams", "rename", "scratch@gpu", "training"]);
    assert!(out.contains("scratch@gpu is now training"), "{out}");
    home.ok(&["recompute", "--all"]);
    let list = streams(&home);
    let renamed = stream_named(&list, "training");
    assert_eq!(renamed["id"], id);
    assert_eq!(renamed["tags"], serde_json::json!(["ml"]));
    // The other scratch is alone with its name now.
    stream_named(&list, "scratch");
    home.ok(&["tag", "training", "gpu-work"]);

    // A name another stream has is refused.
    let out = home.run(&["streams", "rename", "training", "acme"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("already called \"acme\""),
        "{}",
        describe(&out)
    );
}

#[test]
fn unassign_returns_a_session_and_its_subagents_to_inference() {
    let home = Home::new();
    let mut events = focus_run(DEVBOX, 0, 5, "/w/acme", Some("acme"));
    events.extend(focus_run(DEVBOX, 5, 10, "/w/tools", Some("tools")));
    events.extend((0..4).map(|m| tool(DEVBOX, 20.0 + m as f64, "s1", "/w/acme")));
    events.extend((0..3).map(|m| tool(DEVBOX, 21.0 + m as f64, "s1/agent-a1", "/w/acme")));
    sync(&home, DEVBOX, "devbox", &events, &[]);
    let list = streams(&home);
    let acme = stream_named(&list, "acme")["id"].as_str().unwrap().to_string();
    let tools = stream_named(&list, "tools")["id"].as_str().unwrap().to_string();

    let out = home.ok(&["assign", "tools", "--session", "s1"]);
    assert!(out.contains("assign: 7 events to tools"), "{out}");
    for e in &events[10..] {
        assert_eq!(placement(&home, e), (Some(tools.clone()), Some("user".into())));
    }
    assert_eq!(stream_named(&streams(&home), "acme")["delegated_ms"], 0);

    let out = home.ok(&["unassign", "--session", "s1"]);
    assert!(out.contains("unassign: 7 events back to inference"), "{out}");
    for e in &events[10..] {
        assert_eq!(placement(&home, e), (Some(acme.clone()), Some("inferred".into())));
    }
    assert_eq!(streams(&home), list, "everything as before the assign");
    home.ok(&["recompute", "--all"]);
    assert_eq!(streams(&home), list);
}

#[test]
fn a_new_stream_takes_assigned_events_by_id_and_survives_recompute_all() {
    let (home, devbox, _) = two_machines();
    let out = home.ok(&["streams", "new", "meetings", "--machine", "devbox"]);
    assert!(out.contains("new: stream meetings on devbox"), "{out}");
    let ids: Vec<&str> = devbox[3..5].iter().map(|e| e.id.as_str()).collect();
    let mut args = vec!["assign", "meetings", "--event"];
    args.extend(&ids);
    home.ok(&args);
    home.ok(&["recompute", "--all"]);
    let list = streams(&home);
    let meetings = stream_named(&list, "meetings");
    assert_eq!(meetings["machine_id"], DEVBOX);
    assert_eq!(meetings["direct_ms"], 2 * 60_000);
    assert_eq!(placement(&home, &devbox[3]).0.as_deref(), meetings["id"].as_str());
}

#[test]
fn an_apply_document_with_one_bad_entry_changes_nothing() {
    let (home, _, _) = two_machines();
    home.ok(&["assign", "acme", "--start", &rfc(10.0), "--end", &rfc(12.0)]);
    let bytes = fs::read(home.database()).unwrap();
    let document = serde_json::json!({"operations": [
        {"op": "new", "name": "meetings", "machine": "devbox"},
        {"op": "assign", "stream": "meetings", "start": rfc(0.0), "end": rfc(5.0), "machine": "devbox"},
        {"op": "rename", "stream": "acme", "name": "acme-web"},
        {"op": "assign", "stream": "acme-web", "start": "half past ten", "end": rfc(30.0)},
        {"op": "merge", "into": "scratch@devbox", "from": ["scratch@gpu"]},
    ]});
    let out = home
        .tt(&["assign", "--apply", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(document.to_string().as_bytes())?;
            child.wait_with_output()
        })
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let err = stderr(&out);
    assert!(err.contains("operation 3 (assign), field \"start\""), "{err}");
    assert!(err.contains("nothing was applied"), "{err}");
    assert_eq!(
        fs::read(home.database()).unwrap(),
        bytes,
        "the database is byte-identical"
    );

    // An unknown stream is named the same way.
    let file = home.root().join("doc.json");
    fs::write(
        &file,
        r#"{"operations": [{"op": "rename", "stream": "acme", "name": "x"},
                           {"op": "merge", "into": "x", "from": ["nosuch"]}]}"#,
    )
    .unwrap();
    let out = home.run(&["assign", "--apply", file.to_str().unwrap()]);
    assert!(
        stderr(&out).contains("operation 1 (merge), field \"from\": no stream \"nosuch\""),
        "{}",
        describe(&out)
    );
    assert_eq!(fs::read(home.database()).unwrap(), bytes);
}

#[test]
fn an_apply_document_applies_its_operations_in_order_in_one_go() {
    let (home, devbox, _) = two_machines();
    let file = home.root().join("doc.json");
    let document = serde_json::json!({"operations": [
        {"op": "new", "name": "meetings", "machine": "devbox"},
        {"op": "assign", "stream": "meetings", "start": rfc(0.0), "end": rfc(5.0), "machine": "devbox"},
        {"op": "rename", "stream": "acme", "name": "acme-web"},
        {"op": "merge", "into": "scratch@devbox", "from": "scratch@gpu"},
        {"op": "unassign", "event": devbox[0].id},
    ]});
    fs::write(&file, document.to_string()).unwrap();
    let out = home.ok(&["assign", "--apply", file.to_str().unwrap()]);
    assert!(out.starts_with("Applied 5 operations:"), "{out}");
    let list = streams(&home);
    let names: Vec<&str> = list.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(list.len(), 3, "{names:?}");
    assert_eq!(stream_named(&list, "meetings")["direct_ms"], 4 * 60_000);
    assert_eq!(stream_named(&list, "acme-web")["direct_ms"], 6 * 60_000);
    // devbox 10:10-10:24 and gpu 10:30-10:54 (each last focus lasts the 5-minute window).
    assert_eq!(stream_named(&list, "scratch")["direct_ms"], 38 * 60_000);
    home.ok(&["recompute", "--all"]);
    assert_eq!(streams(&home), list);
}

#[test]
fn a_database_rebuilt_from_the_same_events_and_corrections_is_the_same() {
    let (home, devbox, gpu) = two_machines();
    home.ok(&[
        "assign",
        "acme",
        "--start",
        &rfc(10.0),
        "--end",
        &rfc(14.0),
        "--cwd",
        "/w/scratch/",
    ]);
    home.ok(&["streams", "merge", "scratch@devbox", "scratch@gpu"]);
    home.ok(&["streams", "rename", "scratch", "misc"]);
    home.ok(&["streams", "new", "meetings", "--machine", "gpu"]);
    let original = streams(&home);

    let rebuilt = Home::new();
    // Corrections first, events after: the order things arrive in does not matter.
    rebuilt.ok_with_input(
        &["import"],
        export(DEVBOX, "devbox", &devbox[..1], &[]).as_bytes(),
    );
    let ops: Vec<(String, String)> = {
        let db = home.db();
        let mut stmt = db
            .prepare("SELECT created_at, op FROM corrections ORDER BY seq")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    assert_eq!(ops.len(), 4);
    {
        let db = rebuilt.db();
        for (created_at, op) in &ops {
            db.execute(
                "INSERT INTO corrections (created_at, op) VALUES (?1, ?2)",
                [created_at, op],
            )
            .unwrap();
        }
    }
    sync(&rebuilt, DEVBOX, "devbox", &devbox, &[]);
    sync(&rebuilt, GPU, "gpu", &gpu, &[]);
    assert_eq!(streams(&rebuilt), original);
    rebuilt.ok(&["recompute", "--all"]);
    assert_eq!(streams(&rebuilt), original);
}

#[test]
fn context_lists_events_sessions_with_their_prompt_streams_and_gaps() {
    let home = Home::new();
    let mut events = focus_run(DEVBOX, 0, 5, "/w/acme", Some("acme"));
    events.extend((0..3).map(|m| tool(DEVBOX, 60.0 + m as f64, "s1", "/w/acme")));
    events.push(focus(DEVBOX, 70.0, "/tmp/x", None));
    // A session whose index record has not arrived: listed from its events.
    events.push(tool(DEVBOX, 80.0, "s2", "/tmp/x"));
    sync(
        &home,
        DEVBOX,
        "devbox",
        &events,
        &[session(
            "s1",
            "/w/acme",
            59.0,
            63.0,
            "Fix the login page for ACME",
        )],
    );
    let out = home
        .tt(&["context", "--start", &rfc(0.0), "--end", &rfc(120.0), "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", describe(&out));
    let value: Value = serde_json::from_slice(&out.stdout).unwrap();
    let runs = value["events"].as_array().unwrap();
    assert_eq!(runs.len(), 4, "{runs:#?}");
    assert_eq!(runs[0]["events"], 5);
    assert_eq!(runs[0]["stream_name"], "acme");
    assert_eq!(runs[0]["first_event_id"], events[0].id);
    assert_eq!(runs[1]["session_id"], "s1");
    let sessions = value["sessions"].as_array().unwrap();
    assert_eq!(sessions[0]["starting_prompt"], "Fix the login page for ACME");
    assert_eq!(sessions[0]["stream_name"], "acme");
    assert_eq!(sessions[1]["session_id"], "s2");
    assert_eq!(sessions[1]["starting_prompt"], Value::Null);
    assert!(
        value["streams"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["name"] == "acme")
    );
    // 10:05-11:00 had no tracked time (focus ends after the 5-minute attention window).
    assert_eq!(value["gaps"][0]["start"], rfc(9.0));
    assert_eq!(value["gaps"][0]["end"], rfc(60.0));

    // The events no stream holds: none here (every event has a directory).
    let out = home.ok(&[
        "context",
        "--start",
        &rfc(0.0),
        "--end",
        &rfc(120.0),
        "--unassigned",
        "--json",
    ]);
    let value: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(value["events"], serde_json::json!([]));
    // People get the same in text.
    let text = home.ok(&["context", "--start", &rfc(0.0), "--end", &rfc(120.0)]);
    assert!(text.contains("Fix the login page for ACME"), "{text}");

    // Without a range: the 24 hours before now.
    let out = home
        .tt(&["context", "--json"])
        .env("TT_NOW", rfc(120.0))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", describe(&out));
    let value: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(value["period"]["start"], "2026-03-08T12:00:00.000Z");
    assert_eq!(value["period"]["end"], rfc(120.0));
    assert_eq!(value["events"].as_array().unwrap().len(), 4);
}

#[test]
fn assigning_events_of_another_machine_says_so() {
    let (home, _, gpu) = two_machines();
    let out = home.ok(&[
        "assign",
        "acme",
        "--start",
        &rfc(30.0),
        "--end",
        &rfc(32.0),
        "--machine",
        "gpu",
    ]);
    assert!(
        out.contains("assign: 2 events to acme (across machines: events of gpu go to a stream of devbox)"),
        "{out}"
    );
    let acme = stream_named(&streams(&home), "acme")["id"]
        .as_str()
        .map(str::to_string);
    assert_eq!(placement(&home, &gpu[0]), (acme, Some("user".into())));
}

#[test]
fn through_real_syncs_a_merge_and_an_assignment_hold_for_later_events() {
    let fleet = common::fleet::Fleet::new(&["devbox", "gpu"]);
    let (devbox, gpu) = (fleet.remote("devbox"), fleet.remote("gpu"));
    let (devbox_id, gpu_id) = (devbox.machine_id(), gpu.machine_id());
    let append = |home: &Home, events: &[Event]| tt::eventlog::append(&home.event_log(), events).unwrap();
    append(devbox, &focus_run(&devbox_id, 0, 10, "/w/acme", Some("acme")));
    append(devbox, &focus_run(&devbox_id, 10, 20, "/w/scratch", None));
    append(gpu, &focus_run(&gpu_id, 20, 30, "/srv/acme", Some("acme")));
    let out = fleet.sync(&[]);
    assert!(out.status.success(), "{}", describe(&out));
    let hub = &fleet.hub;
    let into = stream_named(&streams(hub), "acme@devbox")["id"].clone();
    hub.ok(&["streams", "merge", "acme@devbox", "acme@gpu"]);
    hub.ok(&[
        "assign",
        "acme",
        "--start",
        &rfc(10.0),
        "--end",
        &rfc(15.0),
        "--cwd",
        "/w/scratch",
    ]);

    // Both remotes keep working: gpu on acme, devbox in the scratch directory, one
    // event of which falls in the assigned range (a late arrival).
    let gpu_later = focus(&gpu_id, 40.0, "/srv/acme", Some("acme"));
    let scratch_later = focus(&devbox_id, 41.0, "/w/scratch", None);
    let scratch_late = focus(&devbox_id, 12.5, "/w/scratch", None);
    append(gpu, std::slice::from_ref(&gpu_later));
    append(devbox, &[scratch_later.clone(), scratch_late.clone()]);
    let out = fleet.sync(&[]);
    assert!(out.status.success(), "{}", describe(&out));

    let into = into.as_str().map(str::to_string);
    assert_eq!(
        placement(hub, &gpu_later),
        (into.clone(), Some("inferred".into()))
    );
    assert_eq!(placement(hub, &scratch_late), (into.clone(), Some("user".into())));
    let scratch = stream_named(&streams(hub), "scratch")["id"]
        .as_str()
        .map(str::to_string);
    assert_ne!(scratch, into);
    assert_eq!(placement(hub, &scratch_later), (scratch, Some("inferred".into())));
    let synced = streams(hub);
    hub.ok(&["recompute", "--all"]);
    assert_eq!(streams(hub), synced);
}

#[test]
fn a_correction_without_a_selector_or_with_two_is_a_usage_error() {
    let home = Home::new();
    for args in [
        &["assign", "acme"][..],
        &["unassign"],
        &["assign", "acme", "--start", "2026-03-09 10:00"],
        &["assign", "acme", "--session", "s1", "--event", "e1"],
        &["assign", "acme", "--apply", "-"],
    ] {
        let out = home.run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", describe(&out));
    }
    assert!(!home.database().exists(), "nothing was created");
}
