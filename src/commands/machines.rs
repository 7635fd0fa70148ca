//! `tt machines [--json]` (SPEC §9, §12): the machines the hub knows.

use anyhow::Result;
use serde_json::json;

use super::Ctx;
use crate::cli::MachinesArgs;
use crate::machine::Machine;
use crate::report::format::columns;
use crate::store::Store;
use crate::store::machines::{self, MachineRow};
use crate::sync::summary::printable;
use crate::timestamp::Timestamp;

pub fn run(args: &MachinesArgs, ctx: &Ctx) -> Result<()> {
    let rows = match Store::open_existing(&ctx.database_path())? {
        Some(store) => {
            let mut rows = machines::list(&store.conn)?;
            machines::count_events(&store.conn, &mut rows)?;
            rows
        }
        None => Vec::new(),
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&to_json(&rows))?);
        return Ok(());
    }
    if rows.is_empty() {
        println!("No machines known yet: run 'tt sync' to pull your remotes.");
        return Ok(());
    }
    let own = Machine::load(&ctx.paths).ok().flatten().map(|m| m.id());
    for line in render(&rows, own.as_deref(), crate::clock::now()?) {
        println!("{line}");
    }
    Ok(())
}

fn to_json(rows: &[MachineRow]) -> serde_json::Value {
    let machines: Vec<_> = rows
        .iter()
        .map(|row| {
            json!({
                "machine_id": row.machine_id,
                "label": row.label,
                "alias": row.alias,
                "last_sync_at": row.last_sync_at,
                "last_event_id": row.last_event_id,
                "events": row.events,
            })
        })
        .collect();
    json!({ "machines": machines })
}

/// A table: full machine id, label, alias, last sync relative to `now`, events.
fn render(rows: &[MachineRow], own_id: Option<&str>, now: Timestamp) -> Vec<String> {
    let header = ["MACHINE", "LABEL", "ALIAS", "LAST SYNC", "EVENTS"].map(String::from);
    let mut table = vec![header];
    for row in rows {
        let mut label = printable(&row.label);
        if own_id == Some(row.machine_id.as_str()) {
            label.push_str(" (this machine)");
        }
        let last_sync = match &row.last_sync_at {
            Some(at) => match at.parse::<Timestamp>() {
                Ok(at) => relative(at, now),
                Err(_) => printable(at),
            },
            None => "never".to_string(),
        };
        table.push([
            row.machine_id.clone(),
            label,
            row.alias
                .as_deref()
                .map(printable)
                .unwrap_or_else(|| "-".to_string()),
            last_sync,
            row.events.map_or_else(|| "-".to_string(), |n| n.to_string()),
        ]);
    }
    // EVENTS is a count: right-aligned.
    columns(&table, &[4])
}

/// `just now`, `5 minutes ago`, `3 hours ago`, `2 days ago`.
fn relative(then: Timestamp, now: Timestamp) -> String {
    let secs = (now.as_millis() - then.as_millis()) / 1000;
    if secs < 0 {
        return "in the future".to_string();
    }
    let (n, unit) = match secs {
        0..60 => return "just now".to_string(),
        60..3600 => (secs / 60, "minute"),
        3600..86_400 => (secs / 3600, "hour"),
        _ => (secs / 86_400, "day"),
    };
    format!("{n} {unit}{} ago", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: &str = "2025-01-29T14:32:01.000Z";

    fn ago(secs: i64) -> Timestamp {
        Timestamp::from_millis(NOW.parse::<Timestamp>().unwrap().as_millis() - secs * 1000)
    }

    #[test]
    fn last_sync_is_shown_relative_to_now() {
        let now: Timestamp = NOW.parse().unwrap();
        assert_eq!(relative(ago(5), now), "just now");
        assert_eq!(relative(ago(60), now), "1 minute ago");
        assert_eq!(relative(ago(5 * 60 + 59), now), "5 minutes ago");
        assert_eq!(relative(ago(2 * 3600), now), "2 hours ago");
        assert_eq!(relative(ago(3 * 86_400), now), "3 days ago");
    }

    #[test]
    fn table_lists_id_label_alias_last_sync_and_events_with_the_hub_marked() {
        let rows = [
            MachineRow {
                machine_id: "a1b2c3d4-e5f6-4890-abcd-ef1234567890".into(),
                label: "devbox".into(),
                alias: Some("devbox".into()),
                last_sync_at: Some(ago(120).to_string()),
                last_event_id: None,
                events: Some(1234),
            },
            MachineRow {
                machine_id: "b1b2c3d4-e5f6-4890-abcd-ef1234567890".into(),
                label: "laptop".into(),
                alias: None,
                last_sync_at: None,
                last_event_id: None,
                events: Some(7),
            },
        ];
        let lines = render(
            &rows,
            Some("b1b2c3d4-e5f6-4890-abcd-ef1234567890"),
            NOW.parse().unwrap(),
        );
        assert_eq!(
            lines,
            [
                "MACHINE                               LABEL                  ALIAS   LAST SYNC      EVENTS",
                "a1b2c3d4-e5f6-4890-abcd-ef1234567890  devbox                 devbox  2 minutes ago    1234",
                "b1b2c3d4-e5f6-4890-abcd-ef1234567890  laptop (this machine)  -       never               7",
            ]
        );
    }

    #[test]
    fn json_has_the_documented_fields() {
        let rows = [MachineRow {
            machine_id: "a1b2c3d4-e5f6-4890-abcd-ef1234567890".into(),
            label: "devbox".into(),
            alias: None,
            last_sync_at: None,
            last_event_id: None,
            events: Some(0),
        }];
        let value = to_json(&rows);
        let machine = value["machines"][0].as_object().unwrap();
        let mut keys: Vec<_> = machine.keys().map(String::as_str).collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "alias",
                "events",
                "label",
                "last_event_id",
                "last_sync_at",
                "machine_id"
            ]
        );
    }
}
