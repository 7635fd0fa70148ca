use std::os::unix::fs::MetadataExt;
use std::path::Path;

use anyhow::Result;
use serde::{Deserialize, Serialize};

use super::Ctx;
use crate::claude;
use crate::cli::IngestSessionsArgs;
use crate::machine::Machine;
use crate::paths::write_private_atomic;
use crate::store::Store;
use crate::store::sessions;

pub fn run(_args: &IngestSessionsArgs, ctx: &Ctx) -> Result<()> {
    let machine = Machine::require(&ctx.paths)?;
    let outcome = claude::scan(&ctx.paths, &ctx.config, &machine)?;
    for warning in &outcome.warnings {
        eprintln!("warning: {warning}");
    }

    // Every known session goes to the database, not only those this scan changed:
    // `tt export` scans too, and a database moved aside must be refilled. The marker
    // skips the database when it already holds exactly this state of the manifest.
    let database = ctx.database_path();
    let marker_path = ctx.paths.claude_indexed_marker();
    let marker = Indexed::load(&marker_path);
    let current = Indexed::of(&database, outcome.manifest_revision);
    let written = if marker.is_some() && marker == current {
        0
    } else {
        let mut store = Store::open(&database)?;
        let known = outcome.sessions.iter().map(|(session, _)| session);
        let written = sessions::upsert_all(&mut store.conn, &machine.id(), known)?;
        if let Some(indexed) = Indexed::of(&database, outcome.manifest_revision) {
            // Only an optimisation: failing to save it costs a re-index next time.
            let _ = write_private_atomic(&marker_path, &serde_json::to_vec(&indexed)?);
        }
        written
    };

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

/// Which manifest revision was last indexed into which database file
/// (`$XDG_STATE_HOME/tt/claude-indexed.json`). A database moved aside or replaced
/// is another file (inode), so it is filled again.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Indexed {
    database: String,
    dev: u64,
    ino: u64,
    manifest_revision: u64,
}

impl Indexed {
    fn of(database: &Path, manifest_revision: u64) -> Option<Indexed> {
        let meta = std::fs::metadata(database).ok()?;
        let database = database.to_str()?.to_string();
        Some(Indexed {
            database,
            dev: meta.dev(),
            ino: meta.ino(),
            manifest_revision,
        })
    }

    fn load(path: &Path) -> Option<Indexed> {
        serde_json::from_slice(&std::fs::read(path).ok()?).ok()
    }
}
