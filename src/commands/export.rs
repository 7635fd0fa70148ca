//! STUB (sync branch, throwaway): `tt export`, until issue 6 lands.

use anyhow::Result;

use super::Ctx;
use crate::cli::ExportArgs;
use crate::machine::Machine;

pub fn run(args: &ExportArgs, ctx: &Ctx) -> Result<()> {
    let machine = Machine::require(&ctx.paths)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    crate::export::write_export(&ctx.paths, &ctx.config, &machine, args.after.as_deref(), &mut out)
}
