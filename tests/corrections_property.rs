//! A property of corrections: whatever corrections are applied between imports (each
//! recomputing only from the earliest event it can move), the database ends with
//! exactly the rows of one full recompute of all the events with the same stored
//! corrections. This is what makes a rebuild from events plus corrections give the
//! same result, and it checks the bound each correction recomputes from.

mod common;

use jiff::tz::TimeZone;
use proptest::prelude::*;
use tt::event::{Event, Timestamp, kind, source};
use tt::store::Store;
use tt::streams::allocate::Params;
use tt::streams::apply::{Request, SelectorRequest, apply};
use tt::streams::recompute::{Scope, recompute};

const M1: &str = "11111111-1111-4111-8111-111111111111";
const M2: &str = "22222222-2222-4222-8222-222222222222";

const PARAMS: Params = Params {
    attention_window: 5 * 60_000,
    agent_timeout: 30 * 60_000,
};

fn at(minute: i64) -> Timestamp {
    let base: Timestamp = "2026-03-02T09:00:00.000Z".parse().unwrap();
    Timestamp::from_millis(base.as_millis() + minute * 60_000)
}

fn random_event() -> impl Strategy<Value = Event> {
    let cwds = prop_oneof![
        Just(("/w/acme", Some("acme"))),
        Just(("/w/acme/sub", None)),
        Just(("/w/tools", Some("tools"))),
        Just(("/tmp/x", None)),
    ];
    (0i64..180, prop_oneof![Just(M1), Just(M2)], cwds, 0u8..3, 0u8..3).prop_map(
        |(minute, machine, (cwd, git), what, session)| {
            let (src, kind_) = if what == 0 {
                (source::AGENT, kind::AGENT_TOOL_USE)
            } else {
                (source::TMUX, kind::PANE_FOCUS)
            };
            let mut e = Event::new(machine, src, kind_, at(minute), &format!("{what}{session}{cwd}"));
            e.cwd = Some(cwd.into());
            e.git_project = git.map(str::to_string);
            if what == 0 {
                e.session_id = Some(if session == 2 {
                    "s0/agent-a".to_string()
                } else {
                    format!("s{session}")
                });
            }
            e
        },
    )
}

fn random_request() -> impl Strategy<Value = Request> {
    let names = prop_oneof![
        Just("acme@11111111"),
        Just("acme@22222222"),
        Just("tools@11111111"),
        Just("x@22222222"),
        Just("meetings"),
        Just("renamed"),
    ];
    let machine = prop_oneof![Just(None), Just(Some("11111111")), Just(Some("22222222"))];
    let cwd = prop_oneof![Just(None), Just(Some("/w/acme")), Just(Some("/tmp"))];
    let range =
        (0i64..180, 1i64..90, machine, cwd).prop_map(|(start, len, machine, cwd)| SelectorRequest::Range {
            start: at(start).to_string(),
            end: at(start + len).to_string(),
            machine: machine.map(str::to_string),
            cwd: cwd.map(str::to_string),
        });
    let session = prop_oneof![Just("s0"), Just("s1")].prop_map(|s| SelectorRequest::Session {
        id: s.to_string(),
        machine: None,
    });
    let selector = prop_oneof![3 => range, 1 => session];
    prop_oneof![
        3 => (names.clone(), selector.clone()).prop_map(|(s, selector)| Request::Assign {
            stream: Some(s.to_string()),
            selector,
        }),
        1 => selector.prop_map(|selector| Request::Assign { stream: None, selector }),
        1 => (names.clone(), names.clone()).prop_map(|(into, from)| Request::Merge {
            into: into.to_string(),
            from: vec![from.to_string()],
        }),
        1 => names.clone().prop_map(|s| Request::Rename {
            stream: s.to_string(),
            name: "renamed".into(),
        }),
        1 => Just(Request::New {
            name: "meetings".into(),
            machine: "22222222".into(),
        }),
    ]
}

fn insert(store: &mut Store, events: &[Event]) {
    let payloads: Vec<String> = events.iter().map(Event::to_json).collect();
    let tx = store.conn.transaction().unwrap();
    for machine in [M1, M2] {
        tt::store::machines::ensure(&tx, machine).unwrap();
    }
    tt::store::import::insert_events(&tx, events.iter().zip(payloads.iter().map(String::as_str))).unwrap();
    tx.commit().unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn corrections_between_imports_give_the_rows_of_a_full_recompute(
        events in proptest::collection::vec(random_event(), 1..50),
        split in 0usize..50,
        requests in proptest::collection::vec(random_request(), 1..6),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let split = split.min(events.len());
        let now: Timestamp = "2026-03-03T00:00:00.000Z".parse().unwrap();

        let mut steps = Store::open(&dir.path().join("steps.db")).unwrap();
        insert(&mut steps, &events[..split]);
        let none = tt::streams::load_corrections(&steps.conn).unwrap();
        recompute(&mut steps, Scope::New, &PARAMS, &none).unwrap();
        for request in &requests {
            // One transaction each; one that cannot be applied (an unknown stream)
            // leaves nothing behind.
            let tx = steps.conn.transaction().unwrap();
            if apply(&tx, std::slice::from_ref(request), &PARAMS, &TimeZone::UTC, now).is_ok() {
                tx.commit().unwrap();
            }
        }
        insert(&mut steps, &events[split..]);
        let corrections = tt::streams::load_corrections(&steps.conn).unwrap();
        recompute(&mut steps, Scope::New, &PARAMS, &corrections).unwrap();

        let mut full = Store::open(&dir.path().join("full.db")).unwrap();
        insert(&mut full, &events);
        steps
            .conn
            .execute(
                &format!(
                    "ATTACH DATABASE '{}' AS full",
                    dir.path().join("full.db").display()
                ),
                [],
            )
            .unwrap();
        steps
            .conn
            .execute("INSERT INTO full.corrections SELECT * FROM main.corrections", [])
            .unwrap();
        steps.conn.execute("DETACH DATABASE full", []).unwrap();
        recompute(&mut full, Scope::All, &PARAMS, &corrections).unwrap();
        drop((steps, full));
        prop_assert_eq!(common::derived_rows(&dir.path().join("steps.db")), common::derived_rows(&dir.path().join("full.db")));
    }
}
