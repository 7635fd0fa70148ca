//! Every clap definition. Doc comments are the `--help` text; the logic lives in
//! `commands/`.

use std::path::PathBuf;

use clap::builder::{OsStringValueParser, TypedValueParser};
use clap::{ArgGroup, Args, Parser, Subcommand};

/// Passive time tracking for tmux and AI coding agents across a fleet of dev servers.
#[derive(Debug, Parser)]
#[command(name = "tt", version, about, propagate_version = true)]
pub struct Cli {
    /// Configuration file to read instead of $XDG_CONFIG_HOME/tt/config.toml
    #[arg(long, global = true, value_name = "PATH", env = "TT_CONFIG")]
    pub config: Option<PathBuf>,

    /// Database to use instead of database_path from the configuration
    #[arg(long, global = true, value_name = "PATH")]
    pub database: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create this machine's identity (idempotent; --label renames it)
    Init(InitArgs),
    /// Print the configuration that installs tt's hooks into another program
    Hook(HookArgs),
    /// Record an observation in this machine's event log (run by hooks, not by hand)
    Ingest(IngestArgs),
    /// Pull events from remotes over ssh and merge them (no argument: every enabled remote)
    Sync(SyncArgs),
    /// List known machines: id, label, alias, last sync, events
    Machines(MachinesArgs),
    /// Print events from the database as JSONL
    Events(EventsArgs),
    /// List streams (a project on a machine) with their time, tags and last activity
    Streams(StreamsArgs),
    /// Add tags to a stream (reports roll streams up by tag)
    Tag(TagArgs),
    /// Remove tags from a stream
    Untag(TagArgs),
    /// Move events to a stream (your decision wins over inference), or --apply a JSON document of corrections
    Assign(AssignArgs),
    /// Hand events back to inference
    Unassign(UnassignArgs),
    /// Events, agent sessions, streams and gaps in a range, for deciding corrections
    Context(ContextArgs),
    /// Re-infer streams and re-allocate time (tt sync does this for what is new)
    Recompute(RecomputeArgs),
    /// Report tracked time by tag, stream, machine and day (default: this week)
    Report(ReportArgs),
    /// Today's report (tt report --day)
    Today(ReportOptions),
    /// Yesterday's report (tt report --last-day)
    Yesterday(ReportOptions),
    /// This week's report (tt report --week)
    Week(ReportOptions),
    /// One day drawn on an hour axis: a row per stream, direct and delegated time
    Timeline(TimelineArgs),
    /// Identity, database, last events, sync state per machine, warnings
    Status(StatusArgs),
    /// Check the installation (identity, hooks, permissions, database); exit 1 on a failure
    Doctor(DoctorArgs),
    /// Print this machine's events as JSONL (the sync wire format) on stdout
    Export(ExportArgs),
    /// Read JSONL events (or whole exports) from stdin into the database
    Import(ImportArgs),
    /// Print the effective configuration (defaults, config.toml, TT_* variables) as TOML
    Config(ConfigArgs),
    /// Print a shell completion script
    Completions(CompletionsArgs),
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Only what was appended after this event id (the hub's sync cursor)
    #[arg(long, value_name = "EVENT_ID")]
    pub after: Option<String>,
}

#[derive(Debug, Args)]
pub struct ImportArgs {}

#[derive(Debug, Args)]
pub struct EventsArgs {
    /// Only events at or after this time (RFC 3339 UTC, e.g. 2025-01-29T14:00:00Z)
    #[arg(long, value_name = "TS", value_parser = crate::commands::events::parse_timestamp)]
    pub after: Option<crate::timestamp::Timestamp>,
    /// Only events before this time
    #[arg(long, value_name = "TS", value_parser = crate::commands::events::parse_timestamp)]
    pub before: Option<crate::timestamp::Timestamp>,
    /// Only events of this machine (id or label)
    #[arg(long, value_name = "ID|LABEL")]
    pub machine: Option<String>,
}

#[derive(Debug, Args)]
pub struct StreamsArgs {
    /// Print JSON: {"streams": [{id, name, machine_id, machine_label, project, direct_ms,
    /// delegated_ms, tags, first_event_at, last_event_at}]}
    #[arg(long)]
    pub json: bool,
    /// Count time from this local date (YYYY-MM-DD) on instead of all time
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,

    #[command(subcommand)]
    pub command: Option<StreamsCommand>,
}

#[derive(Debug, Subcommand)]
pub enum StreamsCommand {
    /// Give a stream a name of your choice (its id and tags stay)
    Rename {
        /// The stream: its id, a unique id prefix, or its unique name
        #[arg(value_name = "STREAM")]
        stream: String,
        /// The new name
        #[arg(value_name = "NAME")]
        name: String,
    },
    /// Fold streams into INTO: their events and tags move, and their projects keep
    /// going to INTO for future events (streams of different machines may be merged)
    Merge {
        /// The stream that remains
        #[arg(value_name = "INTO")]
        into: String,
        /// The streams merged into it
        #[arg(value_name = "FROM", required = true)]
        from: Vec<String>,
    },
    /// Create a stream inference would not create (then 'tt assign' events to it)
    New {
        /// Its name
        #[arg(value_name = "NAME")]
        name: String,
        /// The machine it belongs to (id, id prefix or label)
        #[arg(long, value_name = "ID|LABEL")]
        machine: String,
    },
}

/// Which events a correction applies to: one agent session, events by id, or a time
/// range (optionally of one machine and below one directory).
#[derive(Debug, Args)]
pub struct SelectorArgs {
    /// An agent session, its subagents included
    #[arg(long, value_name = "ID", conflicts_with_all = ["events", "start", "end", "cwd"])]
    pub session: Option<String>,
    /// Events by id (several may follow one --event)
    #[arg(long = "event", value_name = "ID", num_args = 1.., conflicts_with_all = ["start", "end", "machine", "cwd"])]
    pub events: Vec<String>,
    /// Start of a range: RFC 3339 (2026-03-09T14:00:00Z) or local 'YYYY-MM-DD HH:MM'
    #[arg(long, value_name = "T", requires = "end")]
    pub start: Option<String>,
    /// End of the range (excluded), in the same forms
    #[arg(long, value_name = "T", requires = "start")]
    pub end: Option<String>,
    /// Only events of this machine (id, id prefix or label)
    #[arg(long, value_name = "ID|LABEL")]
    pub machine: Option<String>,
    /// Only events in this directory or below it (with --start/--end)
    #[arg(long, value_name = "PREFIX", requires = "start")]
    pub cwd: Option<String>,
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("selector").args(["session", "events", "start", "apply"]).required(true)))]
pub struct AssignArgs {
    /// The stream: its id, a unique id prefix, or its unique name
    #[arg(value_name = "STREAM", required_unless_present = "apply")]
    pub stream: Option<String>,
    #[command(flatten)]
    pub selector: SelectorArgs,
    /// Apply a JSON document of corrections ('-': stdin) in one transaction:
    /// {"operations": [{"op": "assign"|"unassign"|"rename"|"merge"|"new", ...}]}
    #[arg(long, value_name = "FILE|-", exclusive = true)]
    pub apply: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("selector").args(["session", "events", "start"]).required(true)))]
pub struct UnassignArgs {
    #[command(flatten)]
    pub selector: SelectorArgs,
}

#[derive(Debug, Args)]
pub struct ContextArgs {
    /// From this time on (RFC 3339 or local 'YYYY-MM-DD HH:MM'; default: 24 hours before --end)
    #[arg(long, value_name = "T")]
    pub start: Option<String>,
    /// Up to this time, excluded (default: now)
    #[arg(long, value_name = "T")]
    pub end: Option<String>,
    /// Only events that belong to no stream, and the sessions and gaps around them
    #[arg(long)]
    pub unassigned: bool,
    /// Print JSON (for tools that propose corrections through 'tt assign --apply')
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct TagArgs {
    /// The stream: its id, a unique id prefix, or its unique name
    #[arg(value_name = "STREAM")]
    pub stream: String,
    /// Tags, e.g. acme or client:acme
    #[arg(value_name = "TAG", required = true)]
    pub tags: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RecomputeArgs {
    /// Redo everything instead of what events not yet recomputed can change
    #[arg(long)]
    pub all: bool,
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
pub struct IngestSessionsArgs {}

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

#[derive(Debug, Args)]
pub struct IngestArgs {
    #[command(subcommand)]
    pub command: IngestCommand,
}

#[derive(Debug, Subcommand)]
pub enum IngestCommand {
    /// Record that a tmux pane got focus (a `tmux_pane_focus` event)
    PaneFocus(PaneEventArgs),
    /// Record that a tmux pane entered copy mode (a `tmux_scroll` event)
    Scroll(PaneEventArgs),
    /// Record what the terminal around tmux did: its window gained or lost focus, a
    /// client attached or detached (a `tmux_client` event)
    Client(ClientEventArgs),
    /// Read new Claude Code log lines (claude.projects_dir), append the derived agent
    /// events to the event log and index the sessions in the local database
    Sessions(IngestSessionsArgs),
}

/// What the tmux hooks pass about the pane. A second event for the same pane of the
/// same tmux server within 500 ms of the previous one is dropped (tmux fires several
/// hooks per switch).
#[derive(Debug, Args)]
pub struct PaneEventArgs {
    /// tmux pane id, e.g. %3 (#{pane_id})
    #[arg(long, value_name = "ID")]
    pub pane: String,
    /// The pane's current directory (#{pane_current_path}); may be empty
    #[arg(long, value_name = "PATH", value_parser = OsStringValueParser::new().map(PathBuf::from))]
    pub cwd: PathBuf,
    /// tmux session name (#{session_name})
    #[arg(long, value_name = "NAME")]
    pub session: String,
    /// tmux window index (#{window_index})
    #[arg(long, value_name = "N")]
    pub window: Option<u32>,
    /// The tmux server's socket path (#{socket_path}): pane ids repeat across servers
    #[arg(long, value_name = "PATH", value_parser = OsStringValueParser::new().map(PathBuf::from))]
    pub server: Option<PathBuf>,
}

/// What the tmux client hooks pass: the action and the client's active pane. A second
/// event with the same action from the same tmux server within 500 ms is dropped.
#[derive(Debug, Args)]
pub struct ClientEventArgs {
    /// What happened to the client
    #[arg(long, value_enum)]
    pub action: crate::capture::ClientAction,
    #[command(flatten)]
    pub pane: PaneEventArgs,
}

#[derive(Debug, Args)]
pub struct HookArgs {
    #[command(subcommand)]
    pub command: HookCommand,
}

#[derive(Debug, Subcommand)]
pub enum HookCommand {
    /// Print the tmux hooks that record pane focus and scrolling; source the output from tmux.conf
    Tmux,
}

/// Which period a report covers (one of these; default: this week).
#[derive(Debug, Args)]
#[group(id = "period", multiple = false)]
pub struct PeriodArgs {
    /// Today
    #[arg(long)]
    pub day: bool,
    /// Yesterday
    #[arg(long)]
    pub last_day: bool,
    /// This week, Monday to Sunday (the default)
    #[arg(long)]
    pub week: bool,
    /// Last week
    #[arg(long)]
    pub last_week: bool,
    /// This calendar month
    #[arg(long)]
    pub month: bool,
    /// Last calendar month
    #[arg(long)]
    pub last_month: bool,
    /// First local date of a range (YYYY-MM-DD); needs --end
    #[arg(long, value_name = "DATE", requires = "end")]
    pub start: Option<String>,
}

/// Filters and output format shared by tt report and its shortcuts.
#[derive(Debug, Args)]
pub struct ReportOptions {
    /// Only this machine's time (id, id prefix or label); repeatable
    #[arg(long, value_name = "ID|LABEL")]
    pub machine: Vec<String>,
    /// Only streams with this tag; repeatable (a stream with any of them counts)
    #[arg(long, value_name = "TAG")]
    pub tag: Vec<String>,
    /// Print JSON: {period, timezone, total_ms, direct_ms, delegated_ms, unassigned_ms,
    /// by_tag, untagged, by_machine, by_day, streams}
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// Print CSV, one row per day and stream: date, machine, stream, tags, direct_ms,
    /// delegated_ms, total_ms
    #[arg(long)]
    pub csv: bool,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub period: PeriodArgs,
    /// Local date a --start range stops before (excluded)
    #[arg(long, value_name = "DATE", requires = "start")]
    pub end: Option<String>,
    #[command(flatten)]
    pub options: ReportOptions,
}

#[derive(Debug, Args)]
pub struct TimelineArgs {
    /// The local date to draw (YYYY-MM-DD; default today)
    #[arg(long, value_name = "DATE")]
    pub day: Option<String>,
    /// Only this machine (id, id prefix or label); repeatable
    #[arg(long, value_name = "ID|LABEL")]
    pub machine: Vec<String>,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Print JSON: {machine, database, sources, machines, warnings}
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Also connect to each configured remote over ssh and check its tt
    #[arg(long)]
    pub remotes: bool,
}
