use std::io;

use anyhow::Result;

use super::Ctx;
use crate::cli::ExportArgs;
use crate::export::write_export;
use crate::machine::Machine;

pub fn run(args: &ExportArgs, ctx: &Ctx) -> Result<()> {
    let machine = Machine::require(&ctx.paths)?;
    let stdout = io::stdout();
    write_export(
        &ctx.paths,
        &ctx.config,
        &machine,
        args.after.as_deref(),
        &mut stdout.lock(),
    )?;
    Ok(())
}
