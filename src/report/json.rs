//! `tt report --json` (SPEC §12). The same [`Report`] the text shows, so the numbers
//! agree by construction.

use serde_json::{Value, json};

use super::period::Period;
use super::rollup::{Input, Report, Totals};
use crate::timestamp::Timestamp;

pub fn render(input: &Input, period: &Period, zone: &str, report: &Report) -> Value {
    let stream = |s: u32| &input.streams[s as usize];
    let machine = |m: u32| &input.machines[m as usize];
    let by_tag: Vec<Value> = report
        .by_tag
        .iter()
        .map(|t| {
            let ids: Vec<&str> = t.streams.iter().map(|&s| stream(s).id.as_str()).collect();
            json!({"tag": t.tag, "total_ms": t.totals.total_ms, "direct_ms": t.totals.direct_ms,
                   "delegated_ms": t.totals.delegated_ms, "streams": ids})
        })
        .collect();
    let untagged: Vec<Value> = report
        .untagged
        .iter()
        .map(|r| {
            let s = stream(r.stream);
            with_totals(json!({"id": s.id, "name": s.name}), &r.totals)
        })
        .collect();
    let streams: Vec<Value> = report
        .streams
        .iter()
        .map(|r| {
            let s = stream(r.stream);
            let m = machine(s.machine);
            with_totals(
                json!({"id": s.id, "name": s.name, "machine_id": m.id, "machine_label": m.label,
                       "tags": s.tags}),
                &r.totals,
            )
        })
        .collect();
    let by_machine: Vec<Value> = report
        .by_machine
        .iter()
        .map(|r| {
            let m = machine(r.machine);
            with_totals(json!({"machine_id": m.id, "label": m.label}), &r.totals)
        })
        .collect();
    let by_day: Vec<Value> = period
        .days
        .iter()
        .zip(&report.by_day)
        .map(|(day, t)| with_totals(json!({"date": day.date.to_string()}), t))
        .collect();
    json!({
        "period": {
            "start": period.first.to_string(),
            "end": period.end.to_string(),
            "start_at": Timestamp::from_millis(period.start_ms).to_string(),
            "end_at": Timestamp::from_millis(period.end_ms).to_string(),
        },
        "timezone": zone,
        "total_ms": report.totals.total_ms,
        "direct_ms": report.totals.direct_ms,
        "delegated_ms": report.totals.delegated_ms,
        "unassigned_ms": report.unassigned_ms,
        "by_tag": by_tag,
        "untagged": untagged,
        "by_machine": by_machine,
        "by_day": by_day,
        "streams": streams,
    })
}

fn with_totals(mut value: Value, t: &Totals) -> Value {
    let map = value.as_object_mut().expect("an object");
    map.insert("total_ms".into(), t.total_ms.into());
    map.insert("direct_ms".into(), t.direct_ms.into());
    map.insert("delegated_ms".into(), t.delegated_ms.into());
    value
}
