//! Layered configuration (SPEC §3): built-in defaults < `config.toml` < `TT_*`
//! environment variables < command-line flags.
//!
//! Every key is declared here with its default; unknown keys and wrong types are
//! refused with a message naming the file (or variable), the key and what was expected.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Result, anyhow};
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

use crate::paths::{Paths, expand_tilde};

/// The `TT_*` variables read as configuration keys: these prefixes (after `TT_`)
/// name the known sections, and inside them every key is checked strictly. Any other
/// `TT_*` variable (`TT_LOG`, `TT_NOW`, another tool's) is not ours to refuse.
const KEY_PREFIXES: &[&str] = &["DATABASE_PATH", "SYNC__", "ALLOCATION__", "CLAUDE__"];

/// `TT_*` variables tt reads that are not configuration keys.
const OTHER_VARS: &[&str] = &["TT_CONFIG", "TT_SSH_COMMAND", "TT_NOW"];

/// Whether `TT_<rest>` is read as a configuration key.
fn is_key_var(rest: &str) -> bool {
    let rest = rest.to_ascii_uppercase();
    KEY_PREFIXES.iter().any(|p| {
        if p.ends_with("__") {
            rest.starts_with(p)
        } else {
            rest == *p
        }
    })
}

/// The `TT_*` variables of the environment that configuration ignores, sorted, for
/// `tt config` to list.
pub fn ignored_env_vars() -> Vec<String> {
    let mut names: Vec<String> = std::env::vars_os()
        .filter_map(|(key, _)| key.into_string().ok())
        .filter(|key| {
            key.strip_prefix("TT_")
                .is_some_and(|rest| !is_key_var(rest) && !OTHER_VARS.contains(&key.as_str()))
        })
        .collect();
    names.sort();
    names
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// SQLite database; defaults to `$XDG_DATA_HOME/tt/tt.db`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_path: Option<PathBuf>,
    pub sync: SyncConfig,
    pub allocation: AllocationConfig,
    pub claude: ClaudeConfig,
    pub remotes: Vec<Remote>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SyncConfig {
    /// Remotes transferred at once.
    pub parallelism: usize,
    /// Program (plus arguments, split like a shell would) used to reach remotes.
    pub ssh_command: String,
    /// tt on the remote side.
    pub remote_command: String,
    #[serde(with = "duration")]
    pub connect_timeout: Duration,
    /// Whole transfer of one remote.
    #[serde(with = "duration")]
    pub timeout: Duration,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AllocationConfig {
    #[serde(with = "duration")]
    pub attention_window: Duration,
    #[serde(with = "duration")]
    pub agent_timeout: Duration,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClaudeConfig {
    pub projects_dir: PathBuf,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Remote {
    /// SSH destination: an `~/.ssh/config` alias or `user@host`.
    pub alias: String,
    /// Display name; defaults to the label the remote chose in `tt init`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
}

fn enabled_by_default() -> bool {
    true
}

impl Default for SyncConfig {
    fn default() -> Self {
        SyncConfig {
            parallelism: 8,
            ssh_command: "ssh".into(),
            remote_command: "tt".into(),
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(600),
        }
    }
}

impl Default for AllocationConfig {
    fn default() -> Self {
        AllocationConfig {
            attention_window: Duration::from_secs(5 * 60),
            agent_timeout: Duration::from_secs(30 * 60),
        }
    }
}

impl Default for ClaudeConfig {
    fn default() -> Self {
        ClaudeConfig {
            projects_dir: PathBuf::from("~/.claude/projects"),
        }
    }
}

/// Durations in config.toml and `TT_*` variables: `"90s"`, `"10m"`, `"1h 30m"`, `"2d"`
/// (a day is 24 hours here), or ISO 8601 (`"PT10M"`), read and written by jiff.
mod duration {
    use std::time::Duration;

    use jiff::{SignedDuration, Span, SpanRelativeTo};
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(value: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
        let value = SignedDuration::try_from(*value).map_err(serde::ser::Error::custom)?;
        serializer.collect_str(&format_args!("{value:#}"))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
        let text = String::deserialize(deserializer)?;
        let expected = || D::Error::custom("expected a duration such as \"90s\", \"10m\" or \"1h\"");
        let span: Span = text.trim().parse().map_err(|_| expected())?;
        let signed = span
            .to_duration(SpanRelativeTo::days_are_24_hours())
            .map_err(|_| expected())?;
        Duration::try_from(signed).map_err(|_| D::Error::custom("a duration cannot be negative"))
    }
}

/// Where the configuration file comes from: `--config`, else `TT_CONFIG`, else XDG.
pub fn config_file_path(flag: Option<&Path>, paths: &Paths) -> (PathBuf, bool) {
    if let Some(path) = flag {
        return (path.to_path_buf(), true);
    }
    match std::env::var_os("TT_CONFIG") {
        Some(path) if !path.is_empty() => (PathBuf::from(path), true),
        _ => (paths.config_file(), false),
    }
}

impl Config {
    /// Merges the layers. `explicit` means the user named the file, so a missing
    /// file is an error rather than "no file, use the defaults".
    pub fn load(file: &Path, explicit: bool) -> Result<Config> {
        if explicit && !file.is_file() {
            return Err(anyhow!(
                "configuration file {} does not exist: create it or fix --config/TT_CONFIG",
                file.display()
            ));
        }
        let figment = Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::file(file))
            .merge(
                Env::prefixed("TT_")
                    .filter(|key| is_key_var(key.as_str()))
                    .split("__")
                    .lowercase(true),
            )
            .merge(
                Env::raw()
                    .only(&["TT_SSH_COMMAND"])
                    .map(|_| "sync.ssh_command".into()),
            );
        let config: Config = figment.extract().map_err(|err| describe_error(err, file))?;
        config.validate(file)?;
        Ok(config)
    }

    fn validate(&self, file: &Path) -> Result<()> {
        if self.sync.parallelism == 0 {
            return Err(anyhow!(
                "{}: key 'sync.parallelism' must be at least 1",
                file.display()
            ));
        }
        if shlex::split(&self.sync.ssh_command).is_none_or(|words| words.is_empty()) {
            return Err(anyhow!(
                "{}: key 'sync.ssh_command' is not a valid command line: {:?}",
                file.display(),
                self.sync.ssh_command
            ));
        }
        for remote in &self.remotes {
            if remote.alias.is_empty() {
                return Err(anyhow!(
                    "{}: a [[remotes]] entry has an empty alias",
                    file.display()
                ));
            }
        }
        Ok(())
    }

    /// The database file, `~` expanded.
    pub fn database_path(&self, paths: &Paths) -> PathBuf {
        match &self.database_path {
            Some(path) => expand_tilde(path),
            None => paths.default_database(),
        }
    }

    pub fn claude_projects_dir(&self) -> PathBuf {
        expand_tilde(&self.claude.projects_dir)
    }

    /// The effective configuration as TOML, for `tt config`.
    pub fn to_toml(&self) -> Result<String> {
        Ok(toml::to_string(self)?)
    }
}

/// Turns figment's error into one sentence per problem naming where, which key and what.
fn describe_error(err: figment::Error, file: &Path) -> anyhow::Error {
    let lines: Vec<String> = err
        .into_iter()
        .map(|e| {
            let origin = match e.metadata.as_ref() {
                Some(meta) => match &meta.source {
                    Some(figment::Source::File(path)) => path.display().to_string(),
                    _ => meta.name.to_string(),
                },
                None => file.display().to_string(),
            };
            let from_env = e
                .metadata
                .as_ref()
                .is_some_and(|m| m.name.contains("environment"));
            let key = if from_env && !e.path.is_empty() {
                format!("TT_{}", e.path.join("__").to_uppercase())
            } else {
                e.path.join(".")
            };
            let what = match &e.kind {
                figment::error::Kind::UnknownField(field, expected) => {
                    let key = if key.is_empty() {
                        field.clone()
                    } else {
                        key.clone()
                    };
                    if from_env {
                        return format!(
                            "environment variable {key} is not a configuration key (expected one of: {})",
                            expected.join(", ")
                        );
                    }
                    return format!(
                        "{origin}: unknown key '{key}' (expected one of: {})",
                        expected.join(", ")
                    );
                }
                // jiff's parser explains its grammar; say what a user writes instead.
                other if other.to_string().contains("duration") => {
                    "expected a duration such as \"90s\", \"10m\" or \"1h\"".to_string()
                }
                other => other.to_string(),
            };
            if from_env && !key.is_empty() {
                return format!("environment variable {key}: {what}");
            }
            if key.is_empty() {
                format!("{origin}: {what}")
            } else {
                format!("{origin}: key '{key}': {what}")
            }
        })
        .collect();
    anyhow!("invalid configuration: {}", lines.join("; "))
}
