//! `tt hook tmux`: print the tmux hooks, calling this very binary.

use std::io::Write;

use anyhow::{Context, Result};

use crate::capture::tmux;
use crate::cli::{HookArgs, HookCommand};

pub fn run(args: &HookArgs) -> Result<()> {
    match args.command {
        HookCommand::Tmux => {
            let exe = std::env::current_exe()
                .context("cannot find the path of the running tt to put in the hooks")?;
            let hooks = tmux::hooks_for(&exe)?;
            std::io::stdout().write_all(hooks.as_bytes())?;
            Ok(())
        }
    }
}
