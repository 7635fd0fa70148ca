//! Every clap definition. Doc comments are the `--help` text; the logic lives in
//! `commands/`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Passive time tracking for tmux and AI coding agents across a fleet of dev servers.
#[derive(Debug, Parser)]
#[command(name = "tt", version, about, propagate_version = true)]
pub struct Cli {
    /// Configuration file to read instead of $XDG_CONFIG_HOME/tt/config.toml
    #[arg(long, global = true, value_name = "PATH", env = "TT_CONFIG")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create this machine's identity (idempotent; --label renames it)
    Init(InitArgs),
    /// Print the effective configuration (defaults, config.toml, TT_* variables) as TOML
    Config(ConfigArgs),
    /// Pull events from remotes over ssh and merge them (no argument: every enabled remote)
    Sync(SyncArgs),
    /// List known machines: id, label, alias, last sync, events
    Machines(MachinesArgs),
    /// Print a shell completion script
    Completions(CompletionsArgs),
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Display name of this machine (default: the host name)
    #[arg(long, value_name = "NAME")]
    pub label: Option<String>,
}

#[derive(Debug, Args)]
pub struct ConfigArgs {}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// Shell to generate completions for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// SSH destinations (config aliases or user@host); default: every enabled [[remotes]] entry
    #[arg(value_name = "DESTINATION")]
    pub destinations: Vec<String>,

    /// Remotes transferred at once (overrides sync.parallelism)
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,
}

#[derive(Debug, Args)]
pub struct MachinesArgs {
    /// Print JSON: {"machines": [{machine_id, label, alias, last_sync_at, last_event_id, events}]}
    #[arg(long)]
    pub json: bool,
}
