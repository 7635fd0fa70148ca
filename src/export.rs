//! STUB (sync branch, throwaway): the lead's exporter, until issue 6 lands.
//! Linear scan of the log; the real one seeks.

use std::io::{BufRead, BufReader, Write};

use anyhow::Result;

use crate::config::Config;
use crate::machine::Machine;
use crate::paths::Paths;
use crate::wire::{End, Header, WIRE_VERSION};

pub fn write_export(
    paths: &Paths,
    _config: &Config,
    machine: &Machine,
    after: Option<&str>,
    out: &mut dyn Write,
) -> Result<()> {
    let header = Header {
        machine_id: machine.id(),
        label: machine.label.clone(),
        tt_version: env!("CARGO_PKG_VERSION").to_string(),
        wire_version: WIRE_VERSION,
    };
    let mut value = serde_json::to_value(&header)?;
    let mut tagged = serde_json::Map::new();
    tagged.insert("record".into(), "header".into());
    tagged.append(value.as_object_mut().expect("object"));
    writeln!(out, "{}", serde_json::Value::Object(tagged))?;
    let lines: Vec<String> = match std::fs::File::open(paths.event_log()) {
        Ok(f) => BufReader::new(f).lines().collect::<std::io::Result<_>>()?,
        Err(_) => Vec::new(),
    };
    let ids: Vec<Option<String>> = lines
        .iter()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l)
                .ok()
                .and_then(|v| v["id"].as_str().map(String::from))
        })
        .collect();
    let start = after
        .and_then(|a| ids.iter().position(|id| id.as_deref() == Some(a)))
        .map_or(0, |p| p + 1);
    let mut n = 0;
    for line in &lines[start..] {
        writeln!(out, "{line}")?;
        n += 1;
    }
    writeln!(
        out,
        "{}",
        serde_json::json!({"record": "end", "events": n, "sessions": 0})
    )?;
    let _ = End {
        events: 0,
        sessions: 0,
    };
    out.flush()?;
    Ok(())
}
