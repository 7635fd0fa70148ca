//! `tt doctor [--remotes]` (SPEC §11).

use anyhow::Result;

use super::Ctx;
use crate::cli::DoctorArgs;

pub fn run(_args: &DoctorArgs, _ctx: &Ctx) -> Result<()> {
    anyhow::bail!("tt doctor is not written yet")
}
