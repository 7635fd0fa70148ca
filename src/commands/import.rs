use std::io;

use anyhow::{Context, Result};

use super::Ctx;
use crate::cli::ImportArgs;
use crate::store::Store;
use crate::store::import::{Quarantine, import_stream};

pub fn run(_args: &ImportArgs, ctx: &Ctx) -> Result<()> {
    let mut store = Store::open(&ctx.database_path())?;
    let input = io::BufReader::with_capacity(256 * 1024, io::stdin());
    let mut quarantine = Quarantine::new(&ctx.paths.quarantine_file(), "stdin", crate::clock::now()?);
    let result = import_stream(&mut store, input, &mut quarantine)
        .with_context(|| format!("cannot import into {}", store.path.display()));
    // What was rejected before a failure is reported too: it is in the quarantine.
    for bad in &quarantine.shown {
        eprintln!("line {}: {}", bad.line, bad.reason);
    }
    if quarantine.count > quarantine.shown.len() as u64 {
        eprintln!(
            "... and {} more rejected lines",
            quarantine.count - quarantine.shown.len() as u64
        );
    }
    if quarantine.count > 0 {
        eprintln!("rejected lines were kept in {}", quarantine.path().display());
    }
    let summary = result?;
    eprintln!(
        "imported {}, duplicates {}, rejected {}",
        summary.imported, summary.duplicates, summary.rejected
    );
    Ok(())
}
