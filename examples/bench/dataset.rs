//! The data set of the database benchmarks (recompute, report): 1,000,000 events of 8
//! machines over 9 days from the fleet generator, imported by the real `tt import`,
//! then `tt recompute --all`. Built once and kept under `target/<profile>/bench-data/`
//! in two copies, right after the import (no recompute yet) and recomputed, in files
//! named for the generator options, tt's schema version and the tt binary: a run with
//! the same ones reuses them (delete the directory to reclaim the space). Benchmarks copy them into a [`Workspace`] and never touch the cache.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Instant;

use tempfile::TempDir;
use tt::store::schema::SCHEMA_VERSION;

use crate::Ctx;
use crate::fleet_gen::{self, Options};
use crate::measure::{duration, thousands};

pub struct Dataset {
    pub options: Options,
    /// Right after `tt import`, before any recompute.
    pub imported: PathBuf,
    /// After `tt recompute --all`.
    pub recomputed: PathBuf,
}

impl Dataset {
    /// The day after the last generated day (UTC), where newer events can start.
    pub fn next_day(&self) -> jiff::civil::Date {
        self.options.start + jiff::Span::new().days(i64::from(self.options.days))
    }

    /// The machine ids of the data set, sorted.
    pub fn machine_ids(&self) -> Vec<String> {
        let conn = rusqlite::Connection::open(&self.recomputed).unwrap();
        let mut statement = conn
            .prepare("SELECT machine_id FROM machines ORDER BY machine_id")
            .unwrap();
        statement
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }
}

/// The shared data set (smaller under --quick), built or found on first use.
pub fn shared(ctx: &Ctx) -> &'static Dataset {
    static DATASET: OnceLock<Dataset> = OnceLock::new();
    DATASET.get_or_init(|| {
        let options = Options::new(8, ctx.scale(1_000_000, 100_000), 9);
        build(ctx, options)
    })
}

/// Where cached databases and workspaces live: `target/<profile>/bench-data`.
pub fn cache_dir(ctx: &Ctx) -> PathBuf {
    let dir = ctx.tt.parent().unwrap().join("bench-data");
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn build(ctx: &Ctx, options: Options) -> Dataset {
    // The tt that built it is part of the key: what an import writes changes with tt
    // (the import's stream guesses did), so a rebuilt binary builds its own data set.
    let stamp = fs::metadata(&ctx.tt)
        .and_then(|m| Ok((m.len(), m.modified()?)))
        .map(|(len, modified)| {
            let secs = modified
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            format!("{len:x}{secs:x}")
        })
        .unwrap_or_default();
    let key = format!(
        "fleet-{}m-{}e-{}d-{}s-seed{}-{}-schema{SCHEMA_VERSION}-tt{stamp}",
        options.machines, options.events, options.days, options.sessions, options.seed, options.start
    );
    let dir = cache_dir(ctx);
    let imported = dir.join(format!("{key}-imported.db"));
    let recomputed = dir.join(format!("{key}-recomputed.db"));
    let dataset = Dataset {
        options,
        imported,
        recomputed,
    };
    if dataset.imported.is_file() && dataset.recomputed.is_file() {
        eprintln!("  reusing {}", dataset.recomputed.display());
        return dataset;
    }
    let ws = Workspace::new(ctx);
    let started = Instant::now();
    let summary = import(ctx, &ws, &dataset.options);
    eprintln!(
        "  generated and imported {} events of {} machines in {}",
        thousands(summary.events),
        summary.machines.len(),
        duration(started.elapsed())
    );
    ws.save(&dataset.imported);
    let started = Instant::now();
    ws.ok(ctx, &["recompute", "--all"]);
    eprintln!("  recompute --all in {}", duration(started.elapsed()));
    ws.save(&dataset.recomputed);
    dataset
}

/// Generates `options`' fleet straight into `tt import` in `ws`.
pub fn import(ctx: &Ctx, ws: &Workspace, options: &Options) -> fleet_gen::Summary {
    let mut child = ws
        .tt(ctx, &["import"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let summary = fleet_gen::write_jsonl(options, &mut stdin).expect("tt import reads it all");
    stdin.flush().unwrap();
    drop(stdin);
    assert!(child.wait().unwrap().success(), "tt import failed");
    summary
}

/// A private home for tt under the cache directory (removed on drop): its database is
/// `data/tt/tt.db`, and tt sees none of the caller's TT_* variables or files.
pub struct Workspace {
    dir: TempDir,
}

impl Workspace {
    pub fn new(ctx: &Ctx) -> Workspace {
        let dir = tempfile::Builder::new()
            .prefix("work-")
            .tempdir_in(cache_dir(ctx))
            .unwrap();
        for sub in ["home", "config", "data/tt", "state", "claude-projects"] {
            fs::create_dir_all(dir.path().join(sub)).unwrap();
        }
        Workspace { dir }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn database(&self) -> PathBuf {
        self.root().join("data/tt/tt.db")
    }

    /// `tt ARGS` in this home, stdin closed, in UTC.
    pub fn tt(&self, ctx: &Ctx, args: &[&str]) -> Command {
        let mut command = Command::new(&ctx.tt);
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("TT_") {
                command.env_remove(key);
            }
        }
        let root = self.root();
        command
            .env("HOME", root.join("home"))
            .env("XDG_CONFIG_HOME", root.join("config"))
            .env("XDG_DATA_HOME", root.join("data"))
            .env("XDG_STATE_HOME", root.join("state"))
            .env("TT_CLAUDE__PROJECTS_DIR", root.join("claude-projects"))
            .env("TZ", "UTC")
            .args(args)
            .stdin(Stdio::null());
        command
    }

    /// Runs `tt ARGS`, asserting success; returns stdout.
    pub fn ok(&self, ctx: &Ctx, args: &[&str]) -> String {
        let output = self.tt(ctx, args).stderr(Stdio::inherit()).output().unwrap();
        assert!(output.status.success(), "tt {args:?} failed");
        String::from_utf8(output.stdout).unwrap()
    }

    /// Replaces this home's database by a copy of `from`.
    pub fn load(&self, from: &Path) {
        let db = self.database();
        remove_database(&db);
        fs::copy(from, &db).unwrap();
        settle();
    }

    /// Copies this home's database to `to` as one file (the WAL folded in first),
    /// atomically.
    pub fn save(&self, to: &Path) {
        let db = self.database();
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)").unwrap();
        drop(conn);
        let partial = to.with_extension("partial");
        fs::copy(&db, &partial).unwrap();
        fs::rename(&partial, to).unwrap();
    }
}

/// Writes every dirty page out (sync(2)), so that writing back a copied or recomputed
/// database does not slow down whatever is measured next.
pub fn settle() {
    // SAFETY: sync has no arguments and cannot fail.
    unsafe { libc::sync() };
}

fn remove_database(db: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        fs::remove_file(format!("{}{suffix}", db.display())).ok();
    }
}

/// The baseline of the database benchmarks: `sqlite3 DB "SELECT * FROM events ORDER BY
/// timestamp" > /dev/null`, every event read in time order.
pub fn scan(db: &Path) -> Command {
    let mut command = Command::new("sqlite3");
    command.arg(db).arg("SELECT * FROM events ORDER BY timestamp");
    command
}

/// The baseline's description in the table.
pub const SCAN: &str = "`sqlite3 db \"SELECT * FROM events ORDER BY timestamp\" > /dev/null`";
