//! One module per subcommand, each with `pub fn run(args, &Ctx) -> Result<()>`.

pub mod assign;
pub mod completions;
pub mod config;
pub mod context;
pub mod doctor;
pub mod events;
pub mod export;
pub mod hook;
pub mod import;
pub mod ingest;
pub mod ingest_sessions;
pub mod init;
pub mod machines;
pub mod recompute;
pub mod report;
pub mod status;
pub mod streams;
pub mod sync;
pub mod tag;
pub mod timeline;

use std::path::PathBuf;

use anyhow::Result;

use crate::cli::{Cli, Command};
use crate::config::{Config, config_file_path};
use crate::paths::Paths;
use crate::report::period::Spec;

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

/// Runs the command; errors SQLite reports tersely are turned into advice.
pub fn dispatch(cli: Cli) -> Result<()> {
    run(cli).map_err(explain)
}

/// A database held by another process past the busy timeout is the one SQLite error
/// users meet in normal use (a report during a long sync); say what to do.
fn explain(err: anyhow::Error) -> anyhow::Error {
    let busy = err.chain().any(|cause| {
        cause.downcast_ref::<rusqlite::Error>().is_some_and(|e| {
            matches!(
                e.sqlite_error_code(),
                Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
            )
        })
    });
    if busy {
        let what = err.to_string();
        return anyhow::anyhow!(
            "{what}: another process kept the database busy for too long (a running 'tt sync'?); \
             try again when it has finished (what is already stored is not duplicated)"
        );
    }
    err
}

fn run(cli: Cli) -> Result<()> {
    // These need no configuration: they work even when config.toml is broken.
    match &cli.command {
        Command::Completions(args) => return completions::run(args),
        Command::Hook(args) => return hook::run(args),
        // The tmux hooks run on every pane switch and need only the data directory:
        // loading the configuration would be wasted time on the hot path.
        Command::Ingest(args) => {
            if let Some((observed, pane)) = ingest::tmux_event(args) {
                return ingest::record_tmux_event(observed, pane, &Paths::from_env()?);
            }
        }
        _ => {}
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
        Command::Streams(args) => streams::run(&args, &ctx),
        Command::Tag(args) => tag::run(&args, &ctx, tag::Change::Add),
        Command::Untag(args) => tag::run(&args, &ctx, tag::Change::Remove),
        Command::Assign(args) => assign::run(&args, &ctx),
        Command::Unassign(args) => assign::run_unassign(&args, &ctx),
        Command::Context(args) => context::run(&args, &ctx),
        Command::Recompute(args) => recompute::run(&args, &ctx),
        Command::Report(args) => report::run(&args, &ctx),
        Command::Today(options) => report::shortcut(Spec::Day, &options, &ctx),
        Command::Yesterday(options) => report::shortcut(Spec::LastDay, &options, &ctx),
        Command::Week(options) => report::shortcut(Spec::Week, &options, &ctx),
        Command::Timeline(args) => timeline::run(&args, &ctx),
        Command::Status(args) => status::run(&args, &ctx),
        Command::Doctor(args) => doctor::run(&args, &ctx),
        Command::Ingest(args) => ingest::run(&args, &ctx),
        Command::Completions(_) | Command::Hook(_) => unreachable!("handled above"),
    }
}
