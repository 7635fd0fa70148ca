//! The SQLite database: opening (version check, pragmas) and the queries built on it.

pub mod corrections;
pub mod events;
pub mod import;
pub mod machines;
pub mod report;
pub mod schema;
pub mod sessions;
pub mod streams;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use rusqlite::{Connection, OpenFlags};

use crate::paths::{ensure_private_dir, make_private};
use schema::SCHEMA_VERSION;

/// How long a command waits for another tt holding the write lock (a report during a
/// sync) before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Event rows are a few hundred bytes; bigger pages mean fewer B-tree splits on import.
const PAGE_SIZE: i64 = 16384;

pub struct Store {
    pub conn: Connection,
    pub path: PathBuf,
}

impl Store {
    /// Opens (creating on first use) the database at `path`, refusing another schema
    /// version without touching the file.
    pub fn open(path: &Path) -> Result<Store> {
        if let Some(parent) = path.parent() {
            ensure_private_dir(parent)?;
        }
        let existed = path.exists();
        if !existed {
            // Created here, 0600, before SQLite sees it: SQLite gives the -wal and -shm
            // files it creates later the mode of the database file.
            create_private_empty(path)?;
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .with_context(|| format!("cannot open database {}", path.display()))?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        let store = Store {
            conn,
            path: path.to_path_buf(),
        };
        store
            .check_or_create(existed)
            .map_err(|err| describe_sqlite_error(err, path))?;
        // Files an older tt (or another program) left readable to others are
        // tightened: they hold the same data as the database.
        for suffix in ["-wal", "-shm"] {
            let mut side = path.as_os_str().to_owned();
            side.push(suffix);
            tighten(Path::new(&side))?;
        }
        if !existed {
            make_private(path)?;
        }
        Ok(store)
    }

    /// Opens an existing database without creating one; `None` when there is none.
    /// For read-only commands (`status`, `machines`, `events`).
    pub fn open_existing(path: &Path) -> Result<Option<Store>> {
        if !path.exists() {
            return Ok(None);
        }
        Store::open(path).map(Some)
    }

    /// Opens an existing database read-only; `None` when there is none. Reports use it:
    /// they never write, so they can run while a sync holds the write lock.
    pub fn open_read_only(path: &Path) -> Result<Option<Store>> {
        if !path.exists() {
            return Ok(None);
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .with_context(|| format!("cannot open database {}", path.display()))?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|err| describe_sqlite_error(err.into(), path))?;
        if version != SCHEMA_VERSION {
            bail!(
                "database {} has schema version {version} but this tt needs schema version \
                 {SCHEMA_VERSION}; move it aside (mv {0} {0}.old) and run 'tt sync' to rebuild it",
                path.display()
            );
        }
        Ok(Some(Store {
            conn,
            path: path.to_path_buf(),
        }))
    }

    fn check_or_create(&self, existed: bool) -> Result<()> {
        let version: i64 = self.conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let tables: i64 = self
            .conn
            .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))?;
        if version == SCHEMA_VERSION {
            self.set_pragmas()?;
            self.ensure_derived()?;
            return Ok(());
        }
        if version == 0 && tables == 0 {
            // Before WAL is enabled, or it cannot change any more.
            self.conn.pragma_update(None, "page_size", PAGE_SIZE)?;
            self.set_pragmas()?;
            let tx = self.conn.unchecked_transaction()?;
            tx.execute_batch(schema::CREATE)?;
            tx.execute_batch(schema::DERIVED)?;
            tx.execute_batch(schema::DESTINATIONS)?;
            tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
            tx.commit()?;
            return Ok(());
        }
        let found = if version == 0 {
            "no schema version".to_string()
        } else {
            format!("schema version {version}")
        };
        let _ = existed;
        bail!(
            "database {} has {found} but this tt needs schema version {SCHEMA_VERSION}; \
             move it aside (mv {0} {0}.old) and run 'tt sync' to rebuild it",
            self.path.display()
        )
    }

    /// Adds the derived tables when an older database of this version lacks them. A
    /// read-only open (a report during a sync) finds them present and writes nothing.
    fn ensure_derived(&self) -> Result<()> {
        let present: i64 = self.conn.query_row(
            "SELECT count(*) FROM sqlite_schema WHERE name IN \
             ('intervals', 'cwd_projects', 'recompute_state', 'corrections', 'events_by_machine_cwd')",
            [],
            |r| r.get(0),
        )?;
        if present < 5 {
            self.conn.execute_batch(schema::DERIVED)?;
        }
        let destinations: i64 = self.conn.query_row(
            "SELECT count(*) FROM sqlite_schema WHERE name = 'sync_destinations'",
            [],
            |r| r.get(0),
        )?;
        if destinations == 0 {
            self.conn.execute_batch(schema::DESTINATIONS)?;
        }
        Ok(())
    }

    fn set_pragmas(&self) -> Result<()> {
        self.conn.pragma_update(None, "journal_mode", "WAL")?;
        self.conn.pragma_update(None, "synchronous", "NORMAL")?;
        self.conn.pragma_update(None, "foreign_keys", "ON")?;
        Ok(())
    }
}

/// Creates an empty file with mode 0600; one that appeared meanwhile is left alone.
fn create_private_empty(path: &Path) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(err) => Err(err).with_context(|| format!("cannot create database {}", path.display())),
    }
}

/// Removes group and other access from an existing file.
fn tighten(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let Ok(meta) = std::fs::metadata(path) else {
        return Ok(());
    };
    if meta.permissions().mode() & 0o077 != 0 {
        make_private(path)?;
    }
    Ok(())
}

/// Makes SQLite's terse errors at open actionable. A database kept busy is explained
/// for every command in one place (`commands::dispatch`); here it gets the path.
fn describe_sqlite_error(err: anyhow::Error, path: &Path) -> anyhow::Error {
    let code = err
        .downcast_ref::<rusqlite::Error>()
        .and_then(rusqlite::Error::sqlite_error_code);
    if code == Some(rusqlite::ErrorCode::NotADatabase) {
        return anyhow!(
            "{} is not a SQLite database; move it aside and run 'tt sync' to rebuild it",
            path.display()
        );
    }
    match code {
        // SQLite's own message does not say which file.
        Some(_) => err.context(format!("cannot open database {}", path.display())),
        None => err,
    }
}
