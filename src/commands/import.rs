use std::io;

use anyhow::{Context, Result};

use super::Ctx;
use crate::cli::ImportArgs;
use crate::store::Store;
use crate::store::import::{import_stream, quarantine};

/// Rejected lines listed on stderr before the rest is only counted.
const SHOWN_REJECTIONS: usize = 20;

pub fn run(_args: &ImportArgs, ctx: &Ctx) -> Result<()> {
    let mut store = Store::open(&ctx.database_path())?;
    let input = io::BufReader::with_capacity(1 << 20, io::stdin());
    let (summary, rejected) = import_stream(&mut store, input)
        .with_context(|| format!("cannot import into {}", store.path.display()))?;
    let quarantine_file = ctx.paths.quarantine_file();
    quarantine(&quarantine_file, "stdin", &rejected)?;
    for bad in rejected.iter().take(SHOWN_REJECTIONS) {
        eprintln!("line {}: {}", bad.line, bad.reason);
    }
    if rejected.len() > SHOWN_REJECTIONS {
        eprintln!(
            "... and {} more rejected lines",
            rejected.len() - SHOWN_REJECTIONS
        );
    }
    if !rejected.is_empty() {
        eprintln!("rejected lines were kept in {}", quarantine_file.display());
    }
    eprintln!(
        "imported {}, duplicates {}, rejected {}",
        summary.imported, summary.duplicates, summary.rejected
    );
    Ok(())
}
