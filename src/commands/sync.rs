use anyhow::Result;

use super::Ctx;
use crate::cli::SyncArgs;
use crate::sync::{SyncOptions, run as sync};

pub fn run(args: &SyncArgs, ctx: &Ctx) -> Result<()> {
    sync(SyncOptions {
        paths: &ctx.paths,
        config: &ctx.config,
        database: ctx.database_path(),
        config_file: &ctx.config_file,
        destinations: &args.destinations,
        jobs: args.jobs.map(usize::from),
    })
}
