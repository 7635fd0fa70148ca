//! `tt recompute [--all]` (SPEC §10).

use anyhow::Result;

use super::Ctx;
use crate::cli::RecomputeArgs;
use crate::store::Store;
use crate::streams;
use crate::streams::recompute::{Scope, recompute};

pub fn run(args: &RecomputeArgs, ctx: &Ctx) -> Result<()> {
    let mut store = Store::open(&ctx.database_path())?;
    let scope = if args.all { Scope::All } else { Scope::New };
    let corrections = streams::load_corrections(&store.conn)?;
    let outcome = recompute(&mut store, scope, &(&ctx.config.allocation).into(), &corrections)?;
    if outcome.from.is_none() {
        println!("Nothing new to recompute.");
    } else {
        println!(
            "Recomputed {} events ({} changed stream); {} streams.",
            outcome.inferred, outcome.changed, outcome.streams
        );
    }
    Ok(())
}
