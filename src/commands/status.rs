//! `tt status [--json]` (SPEC §11, §12).

use anyhow::Result;

use super::Ctx;
use crate::cli::StatusArgs;

pub fn run(_args: &StatusArgs, _ctx: &Ctx) -> Result<()> {
    anyhow::bail!("tt status is not written yet")
}
