//! Where tt keeps its files (SPEC §2): XDG config, data and state directories.
//!
//! Directories are created on demand with mode 0700; files holding user data are
//! created with mode 0600 by [`create_private_file`] and friends.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// The three XDG directories tt uses, resolved once at start-up.
#[derive(Debug, Clone)]
pub struct Paths {
    pub config_dir: PathBuf,
    pub data_dir: PathBuf,
    pub state_dir: PathBuf,
}

impl Paths {
    /// Resolves `$XDG_{CONFIG,DATA,STATE}_HOME/tt`, falling back to the XDG defaults
    /// under `$HOME`.
    pub fn from_env() -> Result<Paths> {
        let dirs = xdg::BaseDirectories::with_prefix("tt");
        let config_dir = dirs
            .get_config_home()
            .context("cannot find the configuration directory: set HOME or XDG_CONFIG_HOME")?;
        let data_dir = dirs
            .get_data_home()
            .context("cannot find the data directory: set HOME or XDG_DATA_HOME")?;
        let state_dir = dirs
            .get_state_home()
            .context("cannot find the state directory: set HOME or XDG_STATE_HOME")?;
        Ok(Paths {
            config_dir,
            data_dir,
            state_dir,
        })
    }

    pub fn config_file(&self) -> PathBuf {
        self.config_dir.join("config.toml")
    }
    pub fn machine_file(&self) -> PathBuf {
        self.data_dir.join("machine.json")
    }
    pub fn event_log(&self) -> PathBuf {
        self.data_dir.join("events.jsonl")
    }
    pub fn default_database(&self) -> PathBuf {
        self.data_dir.join("tt.db")
    }
    pub fn hook_log(&self) -> PathBuf {
        self.state_dir.join("hook.log")
    }
    pub fn claude_manifest(&self) -> PathBuf {
        self.state_dir.join("claude-manifest.json")
    }
    /// Hashes of the Claude-derived events already in the event log.
    pub fn claude_emitted(&self) -> PathBuf {
        self.state_dir.join("claude-emitted.bin")
    }
    /// Held while a Claude Code scan runs: one scan at a time.
    pub fn claude_scan_lock(&self) -> PathBuf {
        self.state_dir.join("claude-scan.lock")
    }
    /// Which manifest revision the local database's `agent_sessions` reflects.
    pub fn claude_indexed_marker(&self) -> PathBuf {
        self.state_dir.join("claude-indexed.json")
    }
    pub fn quarantine_file(&self) -> PathBuf {
        self.state_dir.join("quarantine.jsonl")
    }
}

/// Creates `dir` and its missing parents with mode 0700.
pub fn ensure_private_dir(dir: &Path) -> Result<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("cannot create directory {}", dir.display()))
}

/// Opens `path` for appending, creating it (mode 0600) and its directory (0700).
pub fn open_private_append(path: &Path) -> Result<File> {
    if let Some(parent) = path.parent() {
        ensure_private_dir(parent)?;
    }
    OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot open {} for appending", path.display()))
}

/// Writes `contents` to `path` atomically: a 0600 temporary file in the same
/// directory, fsynced, then renamed over the target.
pub fn write_private_atomic(path: &Path, contents: &[u8]) -> Result<()> {
    use std::io::Write;
    let parent = path.parent().unwrap_or(Path::new("."));
    ensure_private_dir(parent)?;
    let tmp = parent.join(format!(
        ".{}.tmp.{}",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("tt"),
        std::process::id()
    ));
    let result = (|| -> io::Result<()> {
        let mut file = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        file.write_all(contents)?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.with_context(|| format!("cannot write {}", path.display()))
}

/// Tightens an existing file to mode 0600 (used for files SQLite creates itself).
pub fn make_private(path: &Path) -> Result<()> {
    if path.exists() {
        fs::set_permissions(path, fs::Permissions::from_mode(0o600))
            .with_context(|| format!("cannot set permissions of {}", path.display()))?;
    }
    Ok(())
}

/// Expands a leading `~/` to `$HOME`, as users write it in config.toml.
pub fn expand_tilde(path: &Path) -> PathBuf {
    match path.strip_prefix("~") {
        Ok(rest) => match std::env::var_os("HOME") {
            Some(home) => PathBuf::from(home).join(rest),
            None => path.to_path_buf(),
        },
        Err(_) => path.to_path_buf(),
    }
}
