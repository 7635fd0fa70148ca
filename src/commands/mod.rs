//! One module per subcommand, each with `pub fn run(args, &Ctx) -> Result<()>`.

pub mod completions;
pub mod config;
pub mod events;
pub mod export;
pub mod import;
pub mod ingest_sessions;
pub mod init;
pub mod machines;
pub mod sync;

use std::path::PathBuf;

use anyhow::Result;

use crate::cli::{Cli, Command, IngestCommand};
use crate::config::{Config, config_file_path};
use crate::paths::Paths;

/// What every command gets: resolved directories and the merged configuration.
pub struct Ctx {
    pub paths: Paths,
    pub config: Config,
    pub config_file: PathBuf,
}

impl Ctx {
    pub fn load(cli: &Cli) -> Result<Ctx> {
        let paths = Paths::from_env()?;
        let (config_file, explicit) = config_file_path(cli.config.as_deref(), &paths);
        let mut config = Config::load(&config_file, explicit)?;
        // Flags are the top layer.
        if let Some(database) = &cli.database {
            config.database_path = Some(database.clone());
        }
        Ok(Ctx {
            paths,
            config,
            config_file,
        })
    }

    pub fn database_path(&self) -> PathBuf {
        self.config.database_path(&self.paths)
    }
}

pub fn dispatch(cli: Cli) -> Result<()> {
    if let Command::Completions(args) = &cli.command {
        // Needs no configuration: works even when config.toml is broken.
        return completions::run(args);
    }
    let ctx = Ctx::load(&cli)?;
    match cli.command {
        Command::Init(args) => init::run(&args, &ctx),
        Command::Config(args) => config::run(&args, &ctx),
        Command::Export(args) => export::run(&args, &ctx),
        Command::Import(args) => import::run(&args, &ctx),
        Command::Events(args) => events::run(&args, &ctx),
        Command::Sync(args) => sync::run(&args, &ctx),
        Command::Machines(args) => machines::run(&args, &ctx),
        Command::Ingest(args) => match args.command {
            IngestCommand::Sessions(args) => ingest_sessions::run(&args, &ctx),
        },
        Command::Completions(_) => unreachable!("handled above"),
    }
}
