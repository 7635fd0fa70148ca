//! Streams and allocation end to end: the real binary on real SQLite files, a real
//! sync, and a property test that an incremental recompute after any split of the
//! events into imports equals `tt recompute --all`.

mod common;

use std::collections::BTreeMap;

use common::Home;
use common::fleet::Fleet;
use proptest::prelude::*;
use serde_json::Value;
use tt::event::{Event, Timestamp, kind, source};
use tt::store::Store;
use tt::streams::allocate::Params;
use tt::streams::corrections::Corrections;
use tt::streams::recompute::{Scope, recompute};

const M1: &str = "11111111-1111-4111-8111-111111111111";
const M2: &str = "22222222-2222-4222-8222-222222222222";
const BASE: &str = "2026-03-02T09:00:00.000Z";

fn at(minute: i64) -> Timestamp {
    let base: Timestamp = BASE.parse().unwrap();
    Timestamp::from_millis(base.as_millis() + minute * 60_000)
}

fn pane(machine: &str, minute: i64, cwd: &str, git: Option<&str>) -> Event {
    let mut e = Event::new(
        machine,
        source::TMUX,
        kind::PANE_FOCUS,
        at(minute),
        &format!("%{minute}"),
    );
    e.pane_id = Some(format!("%{minute}"));
    e.session_name = Some("main".into());
    e.window_index = Some(0);
    e.cwd = Some(cwd.into());
    e.git_project = git.map(str::to_string);
    e
}

fn tool(machine: &str, minute: i64, session: &str, cwd: &str) -> Event {
    let mut e = Event::new(
        machine,
        source::AGENT,
        kind::AGENT_TOOL_USE,
        at(minute),
        &format!("{session}:{minute}"),
    );
    e.agent = Some("claude-code".into());
    e.session_id = Some(session.into());
    e.cwd = Some(cwd.into());
    e.tool = Some("Bash".into());
    e
}

fn client(machine: &str, minute: i64, action: &str, cwd: &str) -> Event {
    let mut e = Event::new(
        machine,
        source::TMUX,
        kind::CLIENT,
        at(minute),
        &format!("{action}:{minute}"),
    );
    e.action = Some(action.into());
    e.pane_id = Some("%1".into());
    e.session_name = Some("main".into());
    e.cwd = Some(cwd.into());
    e
}

fn idle(machine: &str, minute: i64, idle_minutes: u64) -> Event {
    let mut e = Event::new(machine, source::AFK, kind::AFK_CHANGE, at(minute), "idle");
    e.status = Some("idle".into());
    e.idle_duration_ms = Some(idle_minutes * 60_000);
    e
}

fn jsonl(events: &[Event]) -> String {
    events.iter().map(|e| e.to_json() + "\n").collect()
}

fn streams_json(home: &Home) -> Vec<Value> {
    let out: Value = serde_json::from_str(&home.ok(&["streams", "--json"])).unwrap();
    out["streams"].as_array().unwrap().clone()
}

fn by_name(streams: &[Value]) -> BTreeMap<String, Value> {
    streams
        .iter()
        .map(|s| (s["name"].as_str().unwrap().to_string(), s.clone()))
        .collect()
}

/// A morning on two machines: acme on both, a subdirectory of acme without a git
/// project, a scratch directory, an agent, a terminal focus-out.
fn morning() -> Vec<Event> {
    vec![
        pane(M1, 0, "/home/me/acme", Some("acme")),
        pane(M1, 3, "/home/me/acme/src", None),
        tool(M1, 4, "s1", "/home/me/acme"),
        tool(M1, 24, "s1", "/home/me/acme"),
        pane(M1, 10, "/tmp/scratch", None),
        client(M1, 12, "focus_out", "/tmp/scratch"),
        pane(M2, 30, "/srv/acme", Some("acme")),
        pane(M2, 33, "/srv/tools", Some("tools")),
    ]
}

#[test]
fn import_recompute_list_tag_and_recompute_again_keeps_ids_and_tags() {
    let home = Home::new();
    home.ok_with_input(&["import"], jsonl(&morning()).as_bytes());
    home.ok(&["recompute"]);
    let first = by_name(&streams_json(&home));
    assert_eq!(
        first.keys().collect::<Vec<_>>(),
        ["acme@11111111", "acme@22222222", "scratch", "tools"],
        "the same project on two machines is two streams, named apart by machine"
    );
    let acme1 = &first["acme@11111111"];
    // 0-3 and 3-8 (the subdirectory belongs to acme): 8 minutes direct; 4-24 delegated.
    assert_eq!(acme1["direct_ms"], 8 * 60_000);
    assert_eq!(acme1["delegated_ms"], 20 * 60_000);
    assert_eq!(acme1["first_event_at"], "2026-03-02T09:00:00.000Z");
    assert_eq!(acme1["last_event_at"], "2026-03-02T09:24:00.000Z");
    assert_eq!(acme1["project"], "acme");
    // Focus at 10, terminal focus-out at 12.
    assert_eq!(first["scratch"]["direct_ms"], 2 * 60_000);
    assert_eq!(first["scratch"]["project"], "/tmp/scratch");

    let id = acme1["id"].as_str().unwrap();
    home.ok(&["tag", &id[..8], "client:acme"]);
    home.ok(&["tag", "acme@22222222", "client:acme", "gpu"]);
    home.ok(&["untag", "acme@22222222", "gpu"]);
    let before_db = common::derived_rows(&home.database());
    home.ok(&["recompute", "--all"]);
    let again = by_name(&streams_json(&home));
    for name in first.keys() {
        assert_eq!(again[name]["id"], first[name]["id"], "{name} kept its id");
    }
    assert_eq!(again["acme@11111111"]["tags"], serde_json::json!(["client:acme"]));
    assert_eq!(again["acme@22222222"]["tags"], serde_json::json!(["client:acme"]));
    assert_eq!(
        common::derived_rows(&home.database()),
        before_db,
        "--all after incremental changed nothing"
    );
}

#[test]
fn unknown_and_ambiguous_streams_are_errors_that_list_candidates() {
    let home = Home::new();
    home.ok_with_input(&["import"], jsonl(&morning()).as_bytes());
    home.ok(&["recompute"]);
    let out = home.run(&["tag", "acme", "x"]);
    assert_eq!(out.status.code(), Some(1));
    let err = common::stderr(&out);
    assert!(
        err.contains("acme@11111111") && err.contains("acme@22222222"),
        "{err}"
    );
    let out = home.run(&["tag", "nothing-like-it", "x"]);
    assert!(common::stderr(&out).contains("no stream \"nothing-like-it\""));
}

#[test]
fn a_second_hub_importing_the_same_exports_gets_the_same_stream_ids() {
    let events = morning();
    let (a, b) = (Home::new(), Home::new());
    a.ok_with_input(&["import"], jsonl(&events).as_bytes());
    a.ok(&["recompute"]);
    // The other hub receives them in another order, in two parts.
    let mut reversed = events.clone();
    reversed.reverse();
    b.ok_with_input(&["import"], jsonl(&reversed[..3]).as_bytes());
    b.ok(&["recompute"]);
    b.ok_with_input(&["import"], jsonl(&reversed[3..]).as_bytes());
    b.ok(&["recompute"]);
    assert_eq!(streams_json(&a), streams_json(&b));
}

#[test]
fn an_idle_report_cuts_direct_time_back_and_recompute_needs_no_clock() {
    let home = Home::new();
    let events = vec![
        pane(M1, 0, "/home/me/acme", Some("acme")),
        pane(M1, 2, "/home/me/acme", Some("acme")),
        idle(M1, 6, 3),
    ];
    home.ok_with_input(&["import"], jsonl(&events).as_bytes());
    home.ok(&["recompute"]);
    assert_eq!(streams_json(&home)[0]["direct_ms"], 3 * 60_000);
}

#[test]
fn sync_recomputes_what_it_merged() {
    let fleet = Fleet::new(&["devbox"]);
    fleet.write_hub_config(&[], &[("devbox", None)]);
    let remote = fleet.remote("devbox");
    let id = remote.machine_id();
    tt::eventlog::append(
        &remote.event_log(),
        &[
            pane(&id, 0, "/home/me/acme", Some("acme")),
            pane(&id, 2, "/home/me/web", Some("web")),
        ],
    )
    .unwrap();
    let out = fleet.sync(&[]);
    assert!(out.status.success(), "{}", common::describe(&out));
    let streams = by_name(&streams_json(&fleet.hub));
    assert_eq!(streams["acme"]["direct_ms"], 2 * 60_000);
    assert_eq!(streams["web"]["machine_label"], "devbox");
    // New events of the same project extend it on the next sync.
    tt::eventlog::append(
        &remote.event_log(),
        &[pane(&id, 4, "/home/me/acme", Some("acme"))],
    )
    .unwrap();
    assert!(fleet.sync(&[]).status.success());
    let streams = by_name(&streams_json(&fleet.hub));
    assert_eq!(streams["acme"]["direct_ms"], (2 + 5) * 60_000);
    assert_eq!(streams["web"]["direct_ms"], 2 * 60_000);
}

fn insert(store: &mut Store, events: &[Event]) {
    let payloads: Vec<String> = events.iter().map(Event::to_json).collect();
    let tx = store.conn.transaction().unwrap();
    tt::store::import::insert_events(&tx, events.iter().zip(payloads.iter().map(String::as_str))).unwrap();
    tx.commit().unwrap();
}

const PARAMS: Params = Params {
    attention_window: 5 * 60_000,
    agent_timeout: 30 * 60_000,
};

fn random_event() -> impl Strategy<Value = Event> {
    let cwds = prop_oneof![
        Just(("/w/acme", Some("acme"))),
        Just(("/w/acme/sub", None)),
        Just(("/w/acme", None)),
        Just(("/w/tools", Some("tools"))),
        Just(("/w/tools/deep/er", None)),
        Just(("/tmp/x", None)),
        Just(("", None)),
    ];
    (0i64..240, prop_oneof![Just(M1), Just(M2)], cwds, 0u8..10, 0u8..3).prop_map(
        |(minute, machine, (cwd, git), what, session)| {
            let session = format!("s{session}");
            let mut e = match what {
                0..=3 => pane(machine, minute, cwd, git),
                4..=6 => tool(machine, minute, &session, cwd),
                7 => client(
                    machine,
                    minute,
                    if minute % 2 == 0 { "focus_out" } else { "focus_in" },
                    cwd,
                ),
                8 => idle(machine, minute, (minute % 7) as u64),
                _ => {
                    let mut e = Event::new(
                        machine,
                        source::AGENT,
                        kind::AGENT_SESSION,
                        at(minute),
                        &format!("{session}:ended"),
                    );
                    e.action = Some("ended".into());
                    e.session_id = Some(session.clone());
                    e.cwd = Some(cwd.into());
                    e
                }
            };
            // Distinct ids even for equal draws of one minute.
            e.id.push_str(&format!(":{what}{cwd}"));
            e
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Events split across several imports, each followed by the incremental
    /// recompute a sync runs, give exactly the rows of one `--all` over all of them.
    #[test]
    fn incremental_recompute_after_any_split_equals_recompute_all(
        events in proptest::collection::vec(random_event(), 1..60),
        splits in proptest::collection::vec(0usize..60, 0..4),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let none = Corrections::default();

        let mut full = Store::open(&dir.path().join("full.db")).unwrap();
        insert(&mut full, &events);
        recompute(&mut full, Scope::All, &PARAMS, &none).unwrap();

        let mut parts = Store::open(&dir.path().join("parts.db")).unwrap();
        let mut cuts: Vec<usize> = splits.into_iter().map(|s| s.min(events.len())).collect();
        cuts.push(0);
        cuts.push(events.len());
        cuts.sort();
        for pair in cuts.windows(2) {
            insert(&mut parts, &events[pair[0]..pair[1]]);
            recompute(&mut parts, Scope::New, &PARAMS, &none).unwrap();
        }
        drop((full, parts));
        prop_assert_eq!(common::derived_rows(&dir.path().join("parts.db")), common::derived_rows(&dir.path().join("full.db")));
    }
}
