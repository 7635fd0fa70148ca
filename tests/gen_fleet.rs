//! The fleet generator (examples/gen_fleet.rs): its output is what the real `tt`
//! accepts, the same seed gives the same bytes, and its two outputs describe one fleet.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

use common::{Home, copy_dir, stderr};
use tt::event::{Event, kind};
use tt::wire::{Record, Tagged};

mod common;
#[path = "../examples/common/fleet_gen.rs"]
mod fleet_gen;

use fleet_gen::{Options, SHARED_PROJECT};

/// A small fleet in the past (tt closes sessions idle at the real clock's now).
fn options(machines: usize, events: u64, days: u32) -> Options {
    let mut options = Options::new(machines, events, days);
    options.start = jiff::civil::date(2025, 3, 6); // a Thursday: the days span a weekend
    options
}

fn jsonl(options: &Options) -> (Vec<u8>, fleet_gen::Summary) {
    let mut out = Vec::new();
    let summary = fleet_gen::write_jsonl(options, &mut out).unwrap();
    (out, summary)
}

/// The event lines of the stream, per machine id, in stream order.
fn event_lines(stream: &[u8]) -> BTreeMap<String, Vec<String>> {
    let mut machines: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in std::str::from_utf8(stream).unwrap().lines() {
        if let Record::Event(event) = Record::parse(line).unwrap() {
            let machine = event.machine_id().unwrap().to_string();
            machines.entry(machine).or_default().push(line.to_string());
        }
    }
    machines
}

#[test]
fn the_generated_stream_imports_with_zero_rejected_lines() {
    let options = options(3, 6000, 4);
    let (stream, summary) = jsonl(&options);
    assert_eq!(summary.events, 6000, "the event count is exact");
    let home = Home::new();
    let (_, err) = home.ok_with_input(&["import"], &stream);
    assert!(
        err.contains(&format!("imported {}, duplicates 0, rejected 0", summary.events)),
        "{err}"
    );

    let db = home.db();
    let count = |sql: &str| -> i64 { db.query_row(sql, [], |r| r.get(0)).unwrap() };
    assert_eq!(count("SELECT count(*) FROM events") as u64, summary.events);
    assert_eq!(
        count("SELECT count(*) FROM agent_sessions") as u64,
        summary.sessions
    );
    assert_eq!(count("SELECT count(*) FROM machines"), 3);
    assert_eq!(
        count("SELECT count(DISTINCT machine_id) FROM events WHERE git_project = 'platform'"),
        2,
        "{SHARED_PROJECT} is worked on from two machines"
    );
    assert!(count("SELECT count(*) FROM agent_sessions WHERE parent_session_id IS NOT NULL") > 0);
    assert_eq!(
        count(
            "SELECT count(*) FROM agent_sessions WHERE parent_session_id IS NOT NULL
             AND session_id <> parent_session_id || '/agent-' || substr(session_id, length(parent_session_id) + 8)"
        ),
        0,
        "subagent sessions are named <parent>/agent-<id>"
    );
    let actions: BTreeSet<String> = db
        .prepare("SELECT DISTINCT json_extract(payload, '$.action') FROM events WHERE type = 'tmux_client'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        actions,
        ["attached", "detached", "focus_in", "focus_out"]
            .map(String::from)
            .into()
    );
    assert!(
        count(
            "SELECT count(*) FROM events WHERE type = 'afk_change'
             AND json_extract(payload, '$.status') = 'idle' AND json_extract(payload, '$.idle_duration_ms') > 0"
        ) > 0
    );
    assert!(
        count(
            "SELECT count(*) FROM events WHERE type = 'tmux_pane_focus' AND git_project IS NULL AND cwd LIKE '/home/dev/src/%/%'"
        ) > 0,
        "some panes sit in a project's subdirectory without its git project"
    );
    assert_eq!(
        count(
            "SELECT count(*) FROM events WHERE source = 'remote.agent' AND (cwd IS NULL OR session_id IS NULL)"
        ),
        0,
        "every agent event carries its session and the session's cwd"
    );
    let parallel = count(
        "SELECT count(*) FROM agent_sessions a JOIN agent_sessions b
         ON a.machine_id = b.machine_id AND a.session_id < b.session_id
         AND a.parent_session_id IS NULL AND b.parent_session_id IS NULL
         AND a.start_time < b.end_time AND b.start_time < a.end_time",
    );
    assert!(parallel > 0, "some top-level sessions run in parallel");
}

#[test]
fn each_machines_events_are_in_time_order() {
    let options = options(2, 4000, 3);
    let (stream, _) = jsonl(&options);
    for (machine, lines) in event_lines(&stream) {
        let times: Vec<_> = lines
            .iter()
            .map(|l| Event::from_json(l).unwrap().timestamp)
            .collect();
        assert!(times.is_sorted(), "events of {machine} out of order");
    }
    let dir = tempfile::tempdir().unwrap();
    fleet_gen::write_dir(&options, dir.path()).unwrap();
    for entry in fs::read_dir(dir.path()).unwrap() {
        let log = fs::read_to_string(entry.unwrap().path().join("events.jsonl")).unwrap();
        let times: Vec<_> = log
            .lines()
            .map(|l| Event::from_json(l).unwrap().timestamp)
            .collect();
        assert!(!times.is_empty() && times.is_sorted());
    }
}

#[test]
fn the_same_seed_gives_the_same_bytes_and_another_seed_differs() {
    let options = options(3, 3000, 2);
    assert_eq!(jsonl(&options).0, jsonl(&options).0);
    let mut other = options.clone();
    other.seed = 2;
    assert_ne!(jsonl(&options).0, jsonl(&other).0);

    let (a, b, c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    fleet_gen::write_dir(&options, a.path()).unwrap();
    fleet_gen::write_dir(&options, b.path()).unwrap();
    fleet_gen::write_dir(&other, c.path()).unwrap();
    let (files_a, files_b, files_c) = (tree(a.path()), tree(b.path()), tree(c.path()));
    assert!(files_a.len() > 10, "machine files and Claude logs: {files_a:?}");
    assert_eq!(files_a, files_b);
    assert_ne!(files_a, files_c);
}

/// Every file under `dir`: relative path -> bytes.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        for entry in fs::read_dir(&next).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                files.insert(relative, fs::read(&path).unwrap());
            }
        }
    }
    files
}

#[test]
fn tt_ingest_sessions_reads_the_claude_logs_into_exactly_the_streams_agent_events() {
    let options = options(2, 3000, 2);
    let dir = tempfile::tempdir().unwrap();
    let written = fleet_gen::write_dir(&options, dir.path()).unwrap();
    let (stream, summary) = jsonl(&options);
    assert_eq!(
        written,
        fleet_gen::Summary {
            claude_logs: written.claude_logs,
            ..summary.clone()
        }
    );
    assert_eq!(written.claude_logs, summary.sessions);
    let expected_lines = event_lines(&stream);
    let mut expected_sessions: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut machine = String::new();
    for line in std::str::from_utf8(&stream).unwrap().lines() {
        match Record::parse(line).unwrap() {
            Record::Header(header) => machine = header.machine_id,
            Record::Session(session) => expected_sessions
                .entry(machine.clone())
                .or_default()
                .push(serde_json::to_string(&Tagged::AgentSession(session)).unwrap()),
            _ => {}
        }
    }

    for (id, label) in &summary.machines {
        // The machine as the generator left it: identity, hook log, Claude logs.
        let generated = dir.path().join(label);
        let home = Home::new();
        fs::create_dir_all(home.data_dir()).unwrap();
        fs::copy(
            generated.join("machine.json"),
            home.data_dir().join("machine.json"),
        )
        .unwrap();
        fs::copy(generated.join("events.jsonl"), home.event_log()).unwrap();
        copy_dir(&generated.join("claude/projects"), &home.claude_projects());
        assert_eq!(&home.machine_id(), id);

        let out = home.run(&["ingest", "sessions"]);
        assert!(
            out.status.success() && stderr(&out).is_empty(),
            "{}",
            stderr(&out)
        );
        let mut log = home.log_lines();
        let mut expected = expected_lines[id].clone();
        assert!(
            home.events().iter().any(|e| e.kind == kind::AGENT_TOOL_USE),
            "agent events were derived"
        );
        log.sort();
        expected.sort();
        assert_same(
            &log,
            &expected,
            &format!("{label}: the log after ingest against the stream's events"),
        );

        // And the session summaries tt made are the stream's session records.
        let db = home.db();
        let mut stmt = db
            .prepare(
                "SELECT session_id, parent_session_id, agent, project_path, project_name, start_time,
                 end_time, message_count, tool_call_count, user_prompt_count, starting_prompt
                 FROM agent_sessions",
            )
            .unwrap();
        let mut stored: Vec<String> = stmt
            .query_map([], |r| {
                let session = tt::wire::AgentSession {
                    session_id: r.get(0)?,
                    machine_id: None,
                    parent_session_id: r.get(1)?,
                    agent: r.get(2)?,
                    project_path: r.get(3)?,
                    project_name: r.get(4)?,
                    start_time: r.get::<_, Option<String>>(5)?.map(|t| t.parse().unwrap()),
                    end_time: r.get::<_, Option<String>>(6)?.map(|t| t.parse().unwrap()),
                    message_count: r.get::<_, i64>(7)? as u64,
                    tool_call_count: r.get::<_, i64>(8)? as u64,
                    user_prompt_count: r.get::<_, i64>(9)? as u64,
                    starting_prompt: r.get(10)?,
                };
                Ok(serde_json::to_string(&Tagged::AgentSession(session)).unwrap())
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let mut sessions = expected_sessions[id].clone();
        stored.sort();
        sessions.sort();
        assert_same(&stored, &sessions, &format!("{label}: agent sessions"));
    }
}

/// Equal sorted lists, or a failure that shows only the lines that differ.
fn assert_same(actual: &[String], expected: &[String], what: &str) {
    if actual == expected {
        return;
    }
    let (a, e): (BTreeSet<&String>, BTreeSet<&String>) = (actual.iter().collect(), expected.iter().collect());
    let extra: Vec<_> = a.difference(&e).take(5).collect();
    let missing: Vec<_> = e.difference(&a).take(5).collect();
    panic!(
        "{what}: {} lines against {} expected\nunexpected: {extra:#?}\nmissing: {missing:#?}",
        actual.len(),
        expected.len()
    );
}
