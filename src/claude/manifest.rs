//! `$XDG_STATE_HOME/tt/claude-manifest.json`: how far each Claude Code log was read,
//! and the session it describes.
//!
//! It is disposable: without it every log is read again from the start, which only
//! re-appends events the log already holds (their ids are stable and import
//! deduplicates). It is written atomically, and only after the events it accounts for
//! are in the event log, so a crash can repeat work but never lose events.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use super::parse::LogState;
use crate::paths::{Paths, write_private_atomic};
use crate::wire::AgentSession;

/// Bump when an older tt would misread the file; a manifest of another version is
/// discarded (the logs are read again).
pub const MANIFEST_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub version: u32,
    /// A new random value at every save: equal revisions mean equal contents, so a
    /// consumer (the database index) can tell it has seen this state already.
    #[serde(default)]
    pub revision: u64,
    /// One entry per log, keyed by its path relative to the projects directory.
    pub files: BTreeMap<String, FileEntry>,
}

impl Default for Manifest {
    fn default() -> Manifest {
        Manifest {
            version: MANIFEST_VERSION,
            revision: 0,
            files: BTreeMap::new(),
        }
    }
}

/// One log file: its identity when last read, how far it was read, its session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileEntry {
    pub dev: u64,
    pub ino: u64,
    /// Size when last read: an unchanged size means nothing was appended.
    pub size: u64,
    /// Bytes consumed; the next read starts here (before a half-written last line).
    pub offset: u64,
    /// Length of the event log right after the scan in which this session last
    /// changed; the export sends sessions changed at or after its cursor.
    pub changed_at_log_len: u64,
    pub state: LogState,
}

impl Manifest {
    /// Reads the manifest; none yet is an empty one.
    pub fn load(paths: &Paths) -> Result<Manifest> {
        Manifest::load_from(&paths.claude_manifest())
    }

    pub fn load_from(path: &Path) -> Result<Manifest> {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Manifest::default()),
            Err(err) => return Err(err).with_context(|| format!("cannot read {}", path.display())),
        };
        let manifest: Manifest = serde_json::from_slice(&bytes).map_err(|err| Corrupt(err.to_string()))?;
        if manifest.version != MANIFEST_VERSION {
            bail!(Corrupt(format!(
                "version {} instead of {MANIFEST_VERSION}",
                manifest.version
            )));
        }
        Ok(manifest)
    }

    /// Writes the manifest atomically (temporary file, then rename), mode 0600, under
    /// a new revision.
    pub fn save(&mut self, paths: &Paths) -> Result<()> {
        self.revision = uuid::Uuid::new_v4().as_u64_pair().0;
        let json = serde_json::to_vec(self).context("cannot encode the Claude Code manifest")?;
        write_private_atomic(&paths.claude_manifest(), &json)
    }

    /// Every known session with the event-log length at which it last changed.
    pub fn sessions(&self) -> impl Iterator<Item = (&AgentSession, u64)> {
        self.files.values().filter_map(|entry| {
            entry
                .state
                .session
                .as_ref()
                .map(|s| (s, entry.changed_at_log_len))
        })
    }
}

/// The manifest exists but cannot be used; the scan starts over.
#[derive(Debug)]
pub struct Corrupt(pub String);

impl std::fmt::Display for Corrupt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the Claude Code manifest is unusable ({})", self.0)
    }
}
impl std::error::Error for Corrupt {}
