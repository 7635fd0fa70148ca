//! Reports (issue 12): `tt report` (text, JSON, CSV), its shortcuts and `tt timeline`,
//! on one fixed data set imported with the real binary.
//!
//! Pinned inputs, so the snapshots never depend on when or where the tests run:
//! * `TZ=America/New_York` (UTC-5 in November) for every command;
//! * `TT_NOW=2026-11-25T23:00:00Z`, Wednesday 25 November 18:00 in New York, so "this
//!   week" is Monday 23 to Sunday 29 November and "yesterday" is Tuesday 24;
//! * fixed machine ids, so stream ids (derived from machine and project) are fixed.
//!
//! The data set: two machines (laptop, devbox); three tags, `acme` on a stream of each
//! machine, `frontend` with `acme` on laptop's `web`, `infra` on devbox's `deploy`; an
//! untagged stream (`notes`); unassigned time (a pane without a directory, an agent
//! session without one); parallel agents (two sessions at once in `api`, one in
//! `deploy` beside them); an agent run across local midnight.

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Output, Stdio};

use common::{Home, describe};
use serde_json::Value;
use tt::event::{Event, Timestamp, kind, source};
use tt::wire::{Header, Tagged, WIRE_VERSION, tagged_line};

const TZ: &str = "America/New_York";
const NOW: &str = "2026-11-25T23:00:00.000Z";
const LAPTOP: &str = "11111111-1111-4111-8111-111111111111";
const DEVBOX: &str = "22222222-2222-4222-8222-222222222222";
const MINUTE: i64 = 60_000;

struct Fixture {
    home: Home,
}

fn ts(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn focus(machine: &str, at: &str, pane: &str, cwd: Option<&str>) -> Event {
    let mut e = Event::new(machine, source::TMUX, kind::PANE_FOCUS, ts(at), pane);
    e.pane_id = Some(pane.into());
    e.session_name = Some("main".into());
    e.window_index = Some(0);
    e.cwd = cwd.map(str::to_string);
    e
}

fn tool(machine: &str, at: &str, session: &str, cwd: Option<&str>) -> Event {
    let mut e = Event::new(
        machine,
        source::AGENT,
        kind::AGENT_TOOL_USE,
        ts(at),
        &format!("{session}-{at}"),
    );
    e.agent = Some("claude-code".into());
    e.session_id = Some(session.into());
    e.cwd = cwd.map(str::to_string);
    e.tool = Some("Edit".into());
    e
}

fn ended(machine: &str, at: &str, session: &str, cwd: &str) -> Event {
    let mut e = Event::new(machine, source::AGENT, kind::AGENT_SESSION, ts(at), session);
    e.agent = Some("claude-code".into());
    e.session_id = Some(session.into());
    e.cwd = Some(cwd.into());
    e.action = Some("ended".into());
    e
}

fn export(machine: &str, label: &str, events: &[Event]) -> Vec<u8> {
    let mut out = tagged_line(Tagged::Header(Header {
        machine_id: machine.into(),
        label: label.into(),
        tt_version: "0.1.0".into(),
        wire_version: WIRE_VERSION,
    }));
    out.push('\n');
    for e in events {
        out.push_str(&e.to_json());
        out.push('\n');
    }
    out.into_bytes()
}

impl Fixture {
    /// The data set above, imported and recomputed with the real binary (times in UTC;
    /// New York is 5 hours behind).
    fn new() -> Fixture {
        let fixture = Fixture { home: Home::new() };
        let web = Some("/home/me/web");
        let laptop = [
            // Monday 23, 15:00 local: a little web work with an agent.
            focus(LAPTOP, "2026-11-23T20:00:00.000Z", "%1", web),
            tool(LAPTOP, "2026-11-23T20:01:00.000Z", "s-web-1", web),
            tool(LAPTOP, "2026-11-23T20:21:00.000Z", "s-web-1", web),
            // Tuesday 24, from 09:00 local.
            focus(LAPTOP, "2026-11-24T14:00:00.000Z", "%1", web),
            focus(LAPTOP, "2026-11-24T14:04:00.000Z", "%1", web),
            tool(LAPTOP, "2026-11-24T14:00:00.000Z", "s-web-2", web),
            tool(LAPTOP, "2026-11-24T14:10:00.000Z", "s-web-2", web),
            tool(LAPTOP, "2026-11-24T14:25:00.000Z", "s-web-2", web),
            ended(LAPTOP, "2026-11-24T14:40:00.000Z", "s-web-2", "/home/me/web"),
            focus(LAPTOP, "2026-11-24T14:20:00.000Z", "%2", Some("/home/me/notes")),
            // A pane whose directory tmux did not report: unassigned.
            focus(LAPTOP, "2026-11-24T14:30:00.000Z", "%3", None),
        ];
        let api = Some("/srv/api");
        let deploy = Some("/srv/deploy");
        let devbox = [
            focus(DEVBOX, "2026-11-24T15:00:00.000Z", "%1", api),
            // Two agents at once in api, a third in deploy beside them.
            tool(DEVBOX, "2026-11-24T15:00:00.000Z", "s-api-1", api),
            tool(DEVBOX, "2026-11-24T15:20:00.000Z", "s-api-1", api),
            tool(DEVBOX, "2026-11-24T15:40:00.000Z", "s-api-1", api),
            tool(DEVBOX, "2026-11-24T15:10:00.000Z", "s-api-2", api),
            tool(DEVBOX, "2026-11-24T15:30:00.000Z", "s-api-2", api),
            tool(DEVBOX, "2026-11-24T16:00:00.000Z", "s-api-2", api),
            tool(DEVBOX, "2026-11-24T15:30:00.000Z", "s-deploy", deploy),
            tool(DEVBOX, "2026-11-24T15:50:00.000Z", "s-deploy", deploy),
            tool(DEVBOX, "2026-11-24T16:10:00.000Z", "s-deploy", deploy),
            focus(DEVBOX, "2026-11-24T16:05:00.000Z", "%2", deploy),
            // An agent session that never said where it ran: unassigned.
            tool(DEVBOX, "2026-11-24T16:30:00.000Z", "s-lost", None),
            tool(DEVBOX, "2026-11-24T16:45:00.000Z", "s-lost", None),
            // Tuesday 23:50 to Wednesday 00:10 local.
            tool(DEVBOX, "2026-11-25T04:50:00.000Z", "s-api-3", api),
            tool(DEVBOX, "2026-11-25T05:10:00.000Z", "s-api-3", api),
        ];
        fixture.import(&export(LAPTOP, "laptop", &laptop));
        fixture.import(&export(DEVBOX, "devbox", &devbox));
        fixture.ok(&["recompute"]);
        fixture.ok(&["tag", "web", "acme", "frontend"]);
        fixture.ok(&["tag", "api", "acme"]);
        fixture.ok(&["tag", "deploy", "infra"]);
        fixture
    }

    fn import(&self, input: &[u8]) {
        let (_, stderr) = self.home.ok_with_input(&["import"], input);
        assert!(stderr.contains("rejected 0"), "{stderr}");
    }

    /// `tt ARGS` with the zone and the clock pinned.
    fn tt(&self, args: &[&str]) -> Command {
        let mut cmd = self.home.tt(args);
        cmd.env("TZ", TZ).env("TT_NOW", NOW).env_remove("NO_COLOR");
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.tt(args).output().unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(out.status.success(), "tt {args:?}: {}", describe(&out));
        String::from_utf8(out.stdout).unwrap()
    }

    fn json(&self, args: &[&str]) -> Value {
        serde_json::from_str(&self.ok(args)).unwrap()
    }
}

fn ms(value: &Value) -> i64 {
    value
        .as_i64()
        .unwrap_or_else(|| panic!("not an integer: {value}"))
}

fn sum(rows: &Value, field: &str) -> i64 {
    rows.as_array().unwrap().iter().map(|r| ms(&r[field])).sum()
}

#[test]
fn week_report_text() {
    let f = Fixture::new();
    insta::assert_snapshot!(f.ok(&["report"]));
}

#[test]
fn day_report_text_has_no_per_day_table() {
    let f = Fixture::new();
    let text = f.ok(&["yesterday"]);
    assert!(!text.contains("BY DAY"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn week_report_json() {
    let f = Fixture::new();
    let json = f.ok(&["report", "--json"]);
    insta::assert_snapshot!(json);
}

#[test]
fn json_totals_are_the_sums_of_the_stream_allocations() {
    let f = Fixture::new();
    let report = f.json(&["report", "--json"]);
    // What `tt streams` reports for each stream since Monday (all of the data set).
    let streams = f.json(&["streams", "--json", "--since", "2026-11-23"]);
    assert_eq!(ms(&report["direct_ms"]), sum(&streams["streams"], "direct_ms"));
    assert_eq!(
        ms(&report["delegated_ms"]),
        sum(&streams["streams"], "delegated_ms")
    );
    assert_eq!(ms(&report["direct_ms"]), sum(&report["streams"], "direct_ms"));
    assert_eq!(
        ms(&report["delegated_ms"]),
        sum(&report["by_machine"], "delegated_ms")
    );
    assert_eq!(ms(&report["direct_ms"]), sum(&report["by_day"], "direct_ms"));
    assert_eq!(ms(&report["total_ms"]), sum(&report["by_day"], "total_ms"));
    // Parallel agents in api count once there; across streams delegated time adds up.
    let api = report["streams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "api")
        .unwrap();
    assert_eq!(ms(&api["delegated_ms"]), (60 + 20) * MINUTE);
    assert!(ms(&report["total_ms"]) < ms(&report["direct_ms"]) + ms(&report["delegated_ms"]));
    assert_eq!(ms(&report["unassigned_ms"]), 5 * MINUTE + 15 * MINUTE);
}

#[test]
fn a_tag_on_streams_of_two_machines_rolls_up_under_one_entry() {
    let f = Fixture::new();
    let report = f.json(&["report", "--json"]);
    let acme: Vec<&Value> = report["by_tag"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["tag"] == "acme")
        .collect();
    assert_eq!(acme.len(), 1, "{report:#}");
    let streams = f.json(&["streams", "--json"]);
    let machines: std::collections::BTreeSet<&str> = acme[0]["streams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| {
            let s = streams["streams"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| &s["id"] == id)
                .unwrap();
            s["machine_label"].as_str().unwrap()
        })
        .collect();
    assert_eq!(machines, ["devbox", "laptop"].into());
    // web has two tags and counts fully under each.
    let web = report["streams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "web")
        .unwrap();
    let frontend = report["by_tag"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["tag"] == "frontend")
        .unwrap();
    assert_eq!(frontend["total_ms"], web["total_ms"]);
    assert!(ms(&acme[0]["total_ms"]) > ms(&web["total_ms"]));
}

#[test]
fn reports_of_adjacent_days_add_up_to_the_week() {
    let f = Fixture::new();
    let week = f.json(&["report", "--json"]);
    let days = [
        "2026-11-23",
        "2026-11-24",
        "2026-11-25",
        "2026-11-26",
        "2026-11-27",
        "2026-11-28",
        "2026-11-29",
        "2026-11-30",
    ];
    let (mut direct, mut delegated, mut total) = (0, 0, 0);
    for pair in days.windows(2) {
        let day = f.json(&["report", "--json", "--start", pair[0], "--end", pair[1]]);
        direct += ms(&day["direct_ms"]);
        delegated += ms(&day["delegated_ms"]);
        total += ms(&day["total_ms"]);
    }
    assert_eq!(direct, ms(&week["direct_ms"]));
    assert_eq!(delegated, ms(&week["delegated_ms"]));
    assert_eq!(total, ms(&week["total_ms"]));
    // The run across midnight is split between Tuesday and Wednesday, local time.
    let wednesday = f.json(&["report", "--json", "--start", "2026-11-25", "--end", "2026-11-26"]);
    assert_eq!(ms(&wednesday["delegated_ms"]), 10 * MINUTE);
    assert_eq!(wednesday["period"]["start_at"], "2026-11-25T05:00:00.000Z");
}

#[test]
fn csv_parses_with_python_and_sums_to_the_json_totals() {
    let f = Fixture::new();
    let report = f.json(&["report", "--json"]);
    let csv = f.ok(&["report", "--csv"]);
    let script = r#"
import csv, json, sys
rows = list(csv.DictReader(sys.stdin))
per_stream = {}
for r in rows:
    key = r["stream"]
    per_stream[key] = per_stream.get(key, 0) + int(r["total_ms"])
print(json.dumps({
    "header": list(rows[0].keys()),
    "rows": len(rows),
    "direct_ms": sum(int(r["direct_ms"]) for r in rows),
    "delegated_ms": sum(int(r["delegated_ms"]) for r in rows),
    "per_stream_total_ms": per_stream,
    "tags": sorted({r["tags"] for r in rows}),
    "machines": sorted({r["machine"] for r in rows}),
}))
"#;
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    child.stdin.take().unwrap().write_all(csv.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", describe(&out));
    let parsed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        parsed["header"],
        serde_json::json!([
            "date",
            "machine",
            "stream",
            "tags",
            "direct_ms",
            "delegated_ms",
            "total_ms"
        ])
    );
    assert_eq!(parsed["direct_ms"], report["direct_ms"]);
    assert_eq!(parsed["delegated_ms"], report["delegated_ms"]);
    let expected: BTreeMap<String, i64> = report["streams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap().to_string(), ms(&s["total_ms"])))
        .collect();
    let got: BTreeMap<String, i64> = serde_json::from_value(parsed["per_stream_total_ms"].clone()).unwrap();
    assert_eq!(got, expected);
    assert_eq!(
        parsed["tags"],
        serde_json::json!(["", "acme", "acme;frontend", "infra"])
    );
    assert_eq!(parsed["machines"], serde_json::json!(["devbox", "laptop"]));
    // api on Tuesday and Wednesday, web on Monday and Tuesday, notes, deploy.
    assert_eq!(parsed["rows"], 6);
}

#[test]
fn csv_quotes_fields_as_rfc_4180_says() {
    let f = Fixture::new();
    f.ok(&["tag", "notes", "client \"big\", inc"]);
    let csv = f.ok(&["report", "--csv"]);
    assert!(csv.contains(",\"client \"\"big\"\", inc\","), "{csv}");
    assert!(csv.ends_with("\r\n"));
}

#[test]
fn machine_and_tag_filters_keep_only_their_time() {
    let f = Fixture::new();
    let all = f.json(&["report", "--json"]);
    let devbox = f.json(&["report", "--json", "--machine", "devbox"]);
    let by_id = f.json(&["report", "--json", "--machine", &DEVBOX[..8]]);
    assert_eq!(devbox, by_id);
    let row = all["by_machine"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["label"] == "devbox")
        .unwrap();
    assert_eq!(devbox["total_ms"], row["total_ms"]);
    assert_eq!(devbox["by_machine"].as_array().unwrap().len(), 1);
    let both = f.json(&["report", "--json", "--machine", "devbox", "--machine", "laptop"]);
    assert_eq!(both["total_ms"], all["total_ms"]);

    let infra = f.json(&["report", "--json", "--tag", "infra"]);
    assert_eq!(infra["unassigned_ms"], 0);
    let deploy = all["streams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "deploy")
        .unwrap();
    assert_eq!(infra["total_ms"], deploy["total_ms"]);
}

#[test]
fn an_unknown_machine_or_tag_is_a_one_line_error_naming_the_known_ones() {
    let f = Fixture::new();
    let out = f.run(&["report", "--machine", "nope"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no machine \"nope\"") && err.contains("devbox, laptop"),
        "{err}"
    );
    let out = f.run(&["report", "--tag", "acmee"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("known tags: acme, frontend, infra"), "{err}");
}

#[test]
fn start_needs_end_and_periods_exclude_each_other() {
    let f = Fixture::new();
    assert_eq!(f.run(&["report", "--start", "2026-11-01"]).status.code(), Some(2));
    assert_eq!(f.run(&["report", "--day", "--week"]).status.code(), Some(2));
    assert_eq!(f.run(&["report", "--json", "--csv"]).status.code(), Some(2));
    let out = f.run(&["report", "--start", "2026-11-02", "--end", "2026-11-01"]);
    assert_eq!(out.status.code(), Some(1));
    let out = f.run(&["report", "--start", "2026-13-02", "--end", "2026-11-01"]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("YYYY-MM-DD"),
        "{}",
        describe(&out)
    );
}

#[test]
fn shortcuts_are_the_report_periods() {
    let f = Fixture::new();
    assert_eq!(f.ok(&["week"]), f.ok(&["report", "--week"]));
    assert_eq!(f.ok(&["report"]), f.ok(&["report", "--week"]));
    assert_eq!(f.ok(&["today", "--json"]), f.ok(&["report", "--day", "--json"]));
    assert_eq!(
        f.ok(&["yesterday", "--json"]),
        f.ok(&["report", "--last-day", "--json"])
    );
    let month = f.json(&["report", "--month", "--json"]);
    assert_eq!(month["period"]["start"], "2026-11-01");
    assert_eq!(month["period"]["end"], "2026-12-01");
    let week = f.json(&["report", "--json"]);
    assert_eq!(month["total_ms"], week["total_ms"]);
    let last = f.json(&["report", "--last-week", "--json"]);
    assert_eq!(last["total_ms"], 0);
    assert_eq!(last["period"]["start"], "2026-11-16");
}

#[test]
fn timeline_text() {
    let f = Fixture::new();
    insta::assert_snapshot!(f.ok(&["timeline", "--day", "2026-11-24"]));
}

#[test]
fn timeline_row_totals_equal_the_day_report() {
    let f = Fixture::new();
    let text = f.ok(&["timeline", "--day", "2026-11-24"]);
    let day = f.json(&["report", "--json", "--start", "2026-11-24", "--end", "2026-11-25"]);
    for stream in day["streams"].as_array().unwrap() {
        let name = stream["name"].as_str().unwrap();
        let total = tt::report::format::duration(ms(&stream["total_ms"]));
        let row = text
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no row for {name}:\n{text}"));
        assert!(
            row.trim_end().ends_with(&format!(" {total}")),
            "{name}: {total} expected in {row:?}"
        );
    }
    let unassigned: Vec<&str> = text.lines().filter(|l| l.contains("(unassigned)")).collect();
    assert_eq!(unassigned.len(), 2, "one unassigned row per machine:\n{text}");
}

#[test]
fn timeline_of_one_machine_shows_only_its_streams() {
    let f = Fixture::new();
    let text = f.ok(&["timeline", "--day", "2026-11-24", "--machine", "laptop"]);
    assert!(
        text.contains("web") && !text.contains("api") && !text.contains("devbox"),
        "{text}"
    );
}

#[test]
fn a_report_runs_while_a_sync_holds_the_write_lock_and_writes_nothing() {
    let f = Fixture::new();
    let files = || -> Vec<Vec<u8>> {
        ["tt.db", "tt.db-wal"]
            .iter()
            .map(|name| std::fs::read(f.home.data_dir().join(name)).unwrap_or_default())
            .collect()
    };
    let before = files();
    let conn = f.home.db();
    conn.execute_batch("BEGIN IMMEDIATE").unwrap();
    let report = f.ok(&["report", "--json"]);
    assert!(report.contains("\"by_tag\""));
    f.ok(&["timeline", "--day", "2026-11-24"]);
    conn.execute_batch("ROLLBACK").unwrap();
    drop(conn);
    assert!(files() == before, "the report changed the database files");
}

#[test]
fn a_report_without_a_database_is_empty_not_an_error() {
    let home = Home::new();
    let out = home
        .tt(&["report"])
        .env("TZ", TZ)
        .env("TT_NOW", NOW)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", describe(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("No time tracked"));
    assert!(!home.database().exists(), "a report must not create the database");
}

#[test]
fn tt_now_is_not_taken_for_an_unknown_configuration_key() {
    // The hidden clock pin was refused as configuration by every command that loads it.
    let home = Home::new();
    let out = home.tt(&["report"]).env("TT_NOW", NOW).output().unwrap();
    assert!(out.status.success(), "{}", describe(&out));
}

/// `tt ARGS` on a pseudo-terminal `columns` wide (util-linux `script`); its output.
fn on_a_terminal(f: &Fixture, columns: u16, args: &str, no_color: bool) -> String {
    let mut cmd = f.home.command("script");
    cmd.env("TZ", TZ)
        .env("TT_NOW", NOW)
        .env("TERM", "xterm")
        .env_remove("NO_COLOR");
    if no_color {
        cmd.env("NO_COLOR", "1");
    }
    let out = cmd
        .args([
            "-qec",
            &format!("stty rows 50 cols {columns}; '{}' {args}", common::tt_bin()),
            "/dev/null",
        ])
        .stdin(Stdio::null())
        .output()
        .expect("util-linux `script` is needed to test the terminal display");
    assert!(out.status.success(), "{}", describe(&out));
    String::from_utf8(out.stdout).unwrap()
}

fn strip_ansi(text: &str) -> String {
    console::strip_ansi_codes(text).into_owned()
}

#[test]
fn on_a_terminal_the_report_is_coloured_and_fits_its_width() {
    let f = Fixture::new();
    for columns in [100u16, 80, 60, 44, 32] {
        let text = on_a_terminal(&f, columns, "report", false);
        assert!(text.contains("\x1b["), "no colour at {columns} columns:\n{text}");
        let plain = strip_ansi(&text);
        for line in plain.lines() {
            let width = console::measure_text_width(line);
            assert!(
                width <= columns as usize,
                "{width} > {columns}: {line:?}\n{plain}"
            );
        }
        // Every number is still there however narrow.
        assert!(
            plain.contains("2h 46m") && plain.contains("notes") && plain.contains("direct 19m"),
            "{plain}"
        );
    }
}

#[test]
fn no_color_turns_colour_off_on_a_terminal() {
    let f = Fixture::new();
    let text = on_a_terminal(&f, 80, "report", true);
    assert!(!text.contains("\x1b["), "{text:?}");
    let timeline = on_a_terminal(&f, 80, "timeline --day 2026-11-24", true);
    assert!(
        !timeline.contains("\x1b[") && timeline.contains("▓"),
        "{timeline:?}"
    );
}

#[test]
fn narrow_terminal_report_text() {
    let f = Fixture::new();
    let text = strip_ansi(&on_a_terminal(&f, 44, "report", true)).replace("\r\n", "\n");
    insta::assert_snapshot!(text);
}

#[test]
fn the_timeline_axis_scales_to_the_terminal() {
    let f = Fixture::new();
    let wide = strip_ansi(&on_a_terminal(&f, 140, "timeline --day 2026-11-24", true));
    let axis = wide
        .lines()
        .find(|l| l.contains(" 12 "))
        .unwrap()
        .trim_end()
        .to_string();
    assert!(console::measure_text_width(&axis) > 120, "{wide}");
    assert!(
        wide.lines().all(|l| console::measure_text_width(l) <= 140),
        "{wide}"
    );
    let narrow = strip_ansi(&on_a_terminal(&f, 50, "timeline --day 2026-11-24", true));
    assert!(
        narrow.lines().all(|l| console::measure_text_width(l) <= 50),
        "{narrow}"
    );
}

#[test]
fn many_untagged_streams_are_listed_up_to_fifteen_then_counted() {
    let f = Fixture::new();
    let events: Vec<Event> = (0..20)
        .map(|i| {
            focus(
                LAPTOP,
                &format!("2026-11-24T20:{:02}:00.000Z", i * 2),
                "%9",
                Some(&format!("/tmp/scratch{i:02}")),
            )
        })
        .collect();
    f.import(&export(LAPTOP, "laptop", &events));
    f.ok(&["recompute"]);
    let text = f.ok(&["report"]);
    let json = f.json(&["report", "--json"]);
    assert_eq!(
        json["untagged"].as_array().unwrap().len(),
        21,
        "the JSON lists them all"
    );
    assert!(text.contains("  and 6 more with less time"), "{text}");
    let listed = text
        .lines()
        .filter(|l| l.trim_start().starts_with("scratch"))
        .count();
    assert_eq!(listed, 14, "notes and 14 scratch streams:\n{text}");
}
