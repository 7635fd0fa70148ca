//! Machine identity (SPEC §4): `machine.json` with a UUID v4 that never changes and
//! a display label.

use std::fmt;
use std::path::Path;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::paths::{Paths, ensure_private_dir, write_private_atomic};

/// The message event-producing commands print when `tt init` has not run.
pub const NO_IDENTITY: &str = "No machine identity found. Run 'tt init' first.";

/// Error for commands that need an identity; main maps it to exit code 1.
#[derive(Debug)]
pub struct NoIdentity;

impl fmt::Display for NoIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(NO_IDENTITY)
    }
}
impl std::error::Error for NoIdentity {}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Machine {
    pub machine_id: Uuid,
    pub label: String,
}

impl Machine {
    /// The canonical textual id (lower-case hyphenated), as used in event ids.
    pub fn id(&self) -> String {
        self.machine_id.hyphenated().to_string()
    }

    /// The first 8 hex digits, for display.
    pub fn short_id(&self) -> String {
        self.id()[..8].to_string()
    }

    /// Reads `machine.json`; `None` when it does not exist.
    pub fn load(paths: &Paths) -> Result<Option<Machine>> {
        read_file(&paths.machine_file())
    }

    /// Like [`Machine::load`], but a missing identity is the [`NoIdentity`] error.
    pub fn require(paths: &Paths) -> Result<Machine> {
        Machine::load(paths)?.ok_or_else(|| NoIdentity.into())
    }

    /// `tt init`: creates the identity once; later calls keep the id and, when a
    /// label is given, update only the label. Returns the identity and whether the
    /// file changed.
    pub fn init(paths: &Paths, label: Option<&str>) -> Result<(Machine, bool)> {
        let file = paths.machine_file();
        let existing = read_file(&file)?;
        let machine = match (&existing, label) {
            (Some(machine), None) => return Ok((machine.clone(), false)),
            (Some(machine), Some(label)) if machine.label == label => {
                return Ok((machine.clone(), false));
            }
            (Some(machine), Some(label)) => Machine {
                machine_id: machine.machine_id,
                label: label.to_string(),
            },
            (None, label) => Machine {
                machine_id: Uuid::new_v4(),
                label: label
                    .map(str::to_string)
                    .or_else(|| crate::wire::clean_label(&hostname()))
                    .unwrap_or_else(|| "localhost".to_string()),
            },
        };
        let mut json = serde_json::to_vec_pretty(&machine)?;
        json.push(b'\n');
        if existing.is_some() {
            write_private_atomic(&file, &json)?;
            return Ok((machine, true));
        }
        // A new identity is published only if no other `tt init` got there first:
        // two racing inits must agree on one id, not each print its own.
        match create_exclusive(&file, &json)? {
            true => Ok((machine, true)),
            false => {
                let winner = read_file(&file)?.context("machine.json vanished while it was created")?;
                match label {
                    Some(label) if winner.label != label => Machine::init(paths, Some(label)),
                    _ => Ok((winner, false)),
                }
            }
        }
    }
}

/// Writes `contents` to a private temporary file and links it to `path` only if
/// `path` does not exist (link(2) never replaces), so readers never see a partial
/// file and exactly one creator wins. Returns false when `path` already existed.
fn create_exclusive(path: &Path, contents: &[u8]) -> Result<bool> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let parent = path.parent().unwrap_or(Path::new("."));
    ensure_private_dir(parent)?;
    let tmp = parent.join(format!(
        ".{}.new.{}.{:?}",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("tt"),
        std::process::id(),
        std::thread::current().id()
    ));
    let written = (|| -> std::io::Result<bool> {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        file.write_all(contents)?;
        file.sync_all()?;
        match std::fs::hard_link(&tmp, path) {
            Ok(()) => Ok(true),
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
            Err(err) => Err(err),
        }
    })();
    let _ = std::fs::remove_file(&tmp);
    written.with_context(|| format!("cannot write {}", path.display()))
}

fn read_file(file: &Path) -> Result<Option<Machine>> {
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(err).with_context(|| format!("cannot read {}", file.display())),
    };
    let machine: Machine = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not a valid machine identity; restore it from a backup (the machine id must never change)",
            file.display()
        )
    })?;
    Ok(Some(machine))
}

/// The system host name, used as the default label.
pub fn hostname() -> String {
    let name = gethostname::gethostname().to_string_lossy().into_owned();
    if name.is_empty() {
        "localhost".to_string()
    } else {
        name
    }
}
