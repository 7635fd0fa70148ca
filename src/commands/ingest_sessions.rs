use anyhow::Result;

use super::Ctx;
use crate::claude;
use crate::cli::IngestSessionsArgs;
use crate::machine::Machine;
use crate::store::Store;
use crate::store::sessions;

pub fn run(_args: &IngestSessionsArgs, ctx: &Ctx) -> Result<()> {
    let machine = Machine::require(&ctx.paths)?;
    let outcome = claude::scan(&ctx.paths, &ctx.config, &machine)?;
    for warning in &outcome.warnings {
        eprintln!("warning: {warning}");
    }
    // Every known session, not only those changed in this scan: `tt export` scans too,
    // and a database moved aside must be refilled. Unchanged rows are not rewritten.
    let mut store = Store::open(&ctx.database_path())?;
    let written = sessions::upsert_all(
        &mut store.conn,
        &machine.id(),
        outcome.sessions.iter().map(|(s, _)| s),
    )?;
    println!(
        "{} Claude Code sessions indexed ({written} updated), {} new events from {} of {} logs ({:.1} MB read)",
        outcome.sessions.len(),
        outcome.new_events,
        outcome.files_read,
        outcome.files,
        outcome.bytes_read as f64 / 1e6,
    );
    Ok(())
}
