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

/// Environment variables that start with `TT_` but are not configuration keys.
const NON_KEY_VARS: &[&str] = &["CONFIG", "SSH_COMMAND"];

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
    #[serde(with = "jiff::fmt::serde::unsigned_duration::friendly::compact::required")]
    pub connect_timeout: Duration,
    /// Whole transfer of one remote.
    #[serde(with = "jiff::fmt::serde::unsigned_duration::friendly::compact::required")]
    pub timeout: Duration,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AllocationConfig {
    #[serde(with = "jiff::fmt::serde::unsigned_duration::friendly::compact::required")]
    pub attention_window: Duration,
    #[serde(with = "jiff::fmt::serde::unsigned_duration::friendly::compact::required")]
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
                    .ignore(NON_KEY_VARS)
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
                    let what = if from_env {
                        "unknown variable"
                    } else {
                        "unknown key"
                    };
                    return format!(
                        "{origin}: {what} '{key}' (expected one of: {})",
                        expected.join(", ")
                    );
                }
                other => other.to_string(),
            };
            if key.is_empty() {
                format!("{origin}: {what}")
            } else {
                format!("{origin}: key '{key}': {what}")
            }
        })
        .collect();
    anyhow!("invalid configuration: {}", lines.join("; "))
}
