use std::io::{self, BufWriter, Write};

use anyhow::{Result, bail};

use super::Ctx;
use crate::cli::EventsArgs;
use crate::store::Store;
use crate::store::events::{EventFilter, for_each_payload};
use crate::store::machines;
use crate::timestamp::Timestamp;

pub fn run(args: &EventsArgs, ctx: &Ctx) -> Result<()> {
    let Some(store) = Store::open_existing(&ctx.database_path())? else {
        return Ok(()); // no database yet: no events
    };
    let mut filter = EventFilter {
        after: args.after.map(|t| t.to_string()),
        before: args.before.map(|t| t.to_string()),
        machine_ids: None,
    };
    if let Some(wanted) = &args.machine {
        let ids: Vec<String> = machines::list(&store.conn)?
            .into_iter()
            .filter(|m| m.machine_id.eq_ignore_ascii_case(wanted) || m.label == *wanted)
            .map(|m| m.machine_id)
            .collect();
        if ids.is_empty() {
            bail!("no machine has the id or label {wanted:?}; 'tt machines' lists them");
        }
        filter.machine_ids = Some(ids);
    }
    let mut out = BufWriter::new(io::stdout().lock());
    for_each_payload(&store.conn, &filter, |payload| {
        out.write_all(payload.as_bytes())?;
        out.write_all(b"\n")?;
        Ok(())
    })?;
    out.flush()?;
    Ok(())
}

/// Parses `--after`/`--before`: an RFC 3339 UTC timestamp.
pub fn parse_timestamp(text: &str) -> Result<Timestamp, String> {
    text.parse::<Timestamp>().map_err(|e| e.to_string())
}
