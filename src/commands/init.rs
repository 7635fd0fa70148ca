use anyhow::Result;

use super::Ctx;
use crate::cli::InitArgs;
use crate::machine::Machine;
use crate::wire::clean_label;

pub fn run(args: &InitArgs, ctx: &Ctx) -> Result<()> {
    if let Some(label) = &args.label
        && (label.trim().is_empty() || label.contains(['\n', '\r']))
    {
        anyhow::bail!("the label must be a non-empty single line");
    }
    // Control and bidi characters would reach every hub's terminal: they go here.
    let label = args
        .label
        .as_deref()
        .map(clean_label)
        .map(|l| l.ok_or_else(|| anyhow::anyhow!("the label has no printable characters")));
    let label = label.transpose()?;
    let existed = Machine::load(&ctx.paths)?.is_some();
    let (machine, changed) = Machine::init(&ctx.paths, label.as_deref())?;
    let what = match (existed, changed) {
        (false, _) => "Created machine identity",
        (true, true) => "Updated label of machine",
        (true, false) => "Machine identity exists",
    };
    println!("{what}: {} ({})", machine.id(), machine.label);
    Ok(())
}
