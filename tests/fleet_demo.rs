//! The README's first set-up command, `cargo run --example fleet_demo`, runs this same
//! story (tests/common/demo.rs); here it runs end to end with its output captured and
//! checked: every machine synced and reported, direct and delegated time, a tag that
//! spans two machines, and a timeline whose rows add up to the day report.

mod common;

use std::collections::BTreeMap;

use common::demo::{Demo, Mode};
use serde_json::Value;
use tt::report::format::duration;

#[test]
fn the_fleet_demo_syncs_three_remotes_and_the_hub_and_reports_their_week() {
    let dir = tempfile::tempdir().unwrap();
    let demo = Demo::create(dir.path(), std::path::Path::new(common::tt_bin()));
    let transcript = demo.run(Mode::Capture);
    for step in [
        "$ tt sync",
        "$ tt machines",
        "$ tt report --week",
        "$ tt timeline --day",
    ] {
        assert!(transcript.contains(step), "{step} missing from:\n{transcript}");
    }
    assert!(
        !transcript.contains('\u{1b}'),
        "output in a pipe carries no escape codes:\n{transcript}"
    );

    let report: Value = serde_json::from_str(&demo.must(&demo.hub, &["report", "--week", "--json"])).unwrap();
    let labels: Vec<&str> = report["by_machine"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["label"].as_str().unwrap())
        .collect();
    for label in ["devbox", "gpu-server", "build-box", "laptop"] {
        assert!(labels.contains(&label), "{label} missing from {labels:?}");
    }
    assert!(report["direct_ms"].as_i64().unwrap() > 0);
    assert!(report["delegated_ms"].as_i64().unwrap() > 0);

    // client:acme rolls up acme-api of devbox and of build-box (and acme-web).
    let acme = report["by_tag"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["tag"] == "client:acme")
        .expect("the client:acme tag");
    let streams: Value = serde_json::from_str(&demo.must(&demo.hub, &["streams", "--json"])).unwrap();
    let machine_of: BTreeMap<&str, &str> = streams["streams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["id"].as_str().unwrap(), s["machine_label"].as_str().unwrap()))
        .collect();
    let machines: std::collections::BTreeSet<&str> = acme["streams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| machine_of[id.as_str().unwrap()])
        .collect();
    assert_eq!(machines.into_iter().collect::<Vec<_>>(), ["build-box", "devbox"]);

    // The timeline of the busiest day shows the numbers of that day's report.
    let day = demo.busiest_day();
    let timeline = demo.must(&demo.hub, &["timeline", "--day", &day]);
    let day_report: Value = serde_json::from_str(&demo.must(
        &demo.hub,
        &["report", "--start", &day, "--end", &next(&day), "--json"],
    ))
    .unwrap();
    let day_streams = day_report["streams"].as_array().unwrap();
    assert!(!day_streams.is_empty());
    for stream in day_streams {
        let name = stream["name"].as_str().unwrap();
        let total = duration(stream["total_ms"].as_i64().unwrap());
        let row = timeline
            .lines()
            .find(|line| line.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("no timeline row for {name}:\n{timeline}"));
        assert!(
            row.trim_end().ends_with(&total),
            "{name}: {total} expected in {row:?}"
        );
    }
}

/// The date after `day` (YYYY-MM-DD).
fn next(day: &str) -> String {
    let date: jiff::civil::Date = day.parse().unwrap();
    date.tomorrow().unwrap().to_string()
}
