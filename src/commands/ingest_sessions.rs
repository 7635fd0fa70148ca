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
    let known = outcome.sessions.iter().map(|(session, _)| session);
    let written = sessions::upsert_all(&mut store.conn, &machine.id(), known)?;
    let projects_dir = ctx.config.claude_projects_dir();
    if !projects_dir.is_dir() {
        println!(
            "No Claude Code logs: {} does not exist (set claude.projects_dir if they are elsewhere).",
            projects_dir.display()
        );
    }
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
