//! The edges of the Claude Code ingest: finding logs, reading appended bytes,
//! appending events to the log and saving the manifest.

use std::collections::BTreeSet;
use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use rayon::prelude::*;

use super::emitted::Emitted;
use super::manifest::{Corrupt, FileEntry, Manifest};
use super::parse::{LogState, ParseStats, attach_projects};
use crate::config::Config;
use crate::event::Event;
use crate::eventlog::LockedLog;
use crate::machine::Machine;
use crate::paths::{Paths, open_private_append};
use crate::timestamp::Timestamp;
use crate::wire::AgentSession;

/// Bytes read from a log at a time; a longer line grows the buffer.
const CHUNK: u64 = 1 << 20;

/// What a scan did.
#[derive(Debug, Default)]
pub struct ScanOutcome {
    /// Events appended to the event log.
    pub new_events: usize,
    /// Length of the event log after the append, when anything changed.
    pub log_len: Option<u64>,
    /// Sessions whose summary changed in this scan.
    pub changed: Vec<AgentSession>,
    /// Every session known after the scan, with the event-log length at which it last
    /// changed (see [`Manifest::sessions`]).
    pub sessions: Vec<(AgentSession, u64)>,
    /// Log files found, and how many of them had new bytes.
    pub files: usize,
    pub files_read: usize,
    pub bytes_read: u64,
    pub stats: ParseStats,
    /// [`Manifest::revision`] after the scan.
    pub manifest_revision: u64,
    /// Problems that did not stop the scan (an unreadable file, a reset manifest).
    pub warnings: Vec<String>,
}

/// Everything a scan depends on besides the files, so tests can pin it.
pub struct ScanOptions<'a> {
    pub projects_dir: PathBuf,
    pub machine_id: String,
    pub agent_timeout_ms: i64,
    pub now: Timestamp,
    pub git_project: &'a (dyn Fn(&Path) -> Option<String> + Sync),
}

/// Scans `claude.projects_dir` for this machine with the current time.
pub fn scan(paths: &Paths, config: &Config, machine: &Machine) -> Result<ScanOutcome> {
    let options = ScanOptions {
        projects_dir: config.claude_projects_dir(),
        machine_id: machine.id(),
        agent_timeout_ms: i64::try_from(config.allocation.agent_timeout.as_millis()).unwrap_or(i64::MAX),
        now: crate::clock::now()?,
        git_project: &git_project,
    };
    scan_with(paths, &options)
}

/// The git project of `dir`, found as capture finds it (reading files, no `git`),
/// when the directory exists on this machine.
fn git_project(dir: &Path) -> Option<String> {
    // A directory of another machine must not pick up a repository above it here.
    if !dir.is_dir() {
        return None;
    }
    crate::capture::git::project_for(dir)
}

/// One log to read: where it is and what the manifest knew of it.
struct Work {
    key: String,
    path: PathBuf,
    previous: Option<FileEntry>,
}

/// What reading one log produced.
struct LogRead {
    key: String,
    entry: FileEntry,
    events: Vec<Event>,
    stats: ParseStats,
    bytes: u64,
}

/// Reads what is new in every log, appends the derived events to the event log, then
/// saves the manifest. One scan runs at a time; tmux hooks are never held up (the
/// event log is locked only for the append).
pub fn scan_with(paths: &Paths, options: &ScanOptions) -> Result<ScanOutcome> {
    let lock_path = paths.claude_scan_lock();
    let lock = open_private_append(&lock_path)?;
    lock.lock()
        .with_context(|| format!("cannot lock {}", lock_path.display()))?;

    let mut scan = Scan::new(options);
    scan.manifest = match Manifest::load(paths) {
        Ok(manifest) => manifest,
        Err(err) if err.downcast_ref::<Corrupt>().is_some() => {
            scan.outcome
                .warnings
                .push(format!("{err:#}; reading every Claude Code log again"));
            scan.dirty = true;
            Manifest::default()
        }
        Err(err) => return Err(err),
    };
    // No projects directory (yet) means nothing to read, but known sessions still end.
    if options.projects_dir.is_dir() {
        let found = discover(&options.projects_dir)?;
        scan.forget_gone(&found);
        let work = scan.changed_logs(&found);
        scan.read(work);
    }
    scan.close_idle();
    scan.save(paths)?;
    drop(lock);
    Ok(scan.outcome)
}

/// The state of one scan between its steps.
struct Scan<'a> {
    options: &'a ScanOptions<'a>,
    manifest: Manifest,
    outcome: ScanOutcome,
    /// Events to append, in log order.
    events: Vec<Event>,
    /// Logs whose session changed.
    changed: BTreeSet<String>,
    /// The manifest must be written.
    dirty: bool,
}

impl<'a> Scan<'a> {
    fn new(options: &'a ScanOptions<'a>) -> Scan<'a> {
        Scan {
            options,
            manifest: Manifest::default(),
            outcome: ScanOutcome::default(),
            events: Vec::new(),
            changed: BTreeSet::new(),
            dirty: false,
        }
    }

    /// Logs that disappeared (Claude Code deletes old ones) are closed, then forgotten.
    fn forget_gone(&mut self, found: &Found) {
        let gone: Vec<String> = self
            .manifest
            .files
            .keys()
            .filter(|k| !found.covers(k))
            .cloned()
            .collect();
        for key in gone {
            if let Some(mut entry) = self.manifest.files.remove(&key) {
                let o = self.options;
                entry
                    .state
                    .close_if_idle(o.now, o.agent_timeout_ms, &o.machine_id, &mut self.events);
            }
            self.dirty = true;
        }
    }

    /// The logs whose identity or size differs from the manifest's.
    fn changed_logs(&mut self, found: &Found) -> Vec<Work> {
        self.outcome.files = found.logs.len();
        for (dir, err) in &found.unlisted {
            let path = self.options.projects_dir.join(dir);
            self.outcome
                .warnings
                .push(format!("cannot list {}: {err}", path.display()));
        }
        let mut work = Vec::new();
        for log in &found.logs {
            let previous = self.manifest.files.get(&log.key);
            if !previous.is_some_and(|p| same_file(p, &log.meta) && p.size == log.meta.size()) {
                let (key, path) = (log.key.clone(), log.path.clone());
                work.push(Work {
                    key,
                    path,
                    previous: previous.cloned(),
                });
            }
        }
        work
    }

    /// Reads the logs in parallel, one task per file; results are merged in key order
    /// so the events of a scan always land in the same order.
    fn read(&mut self, work: Vec<Work>) {
        if work.is_empty() {
            return; // not even rayon's thread pool is needed
        }
        let machine_id = &self.options.machine_id;
        let reads: Vec<(&Path, io::Result<LogRead>)> = work
            .par_iter()
            .map(|w| (w.path.as_path(), read_log(w, machine_id)))
            .collect();
        for (path, result) in reads {
            let read = match result {
                Ok(read) => read,
                Err(err) => {
                    self.outcome
                        .warnings
                        .push(format!("cannot read {}: {err}", path.display()));
                    continue;
                }
            };
            self.outcome.files_read += 1;
            self.outcome.bytes_read += read.bytes;
            add_stats(&mut self.outcome.stats, read.stats);
            let before = self
                .manifest
                .files
                .get(&read.key)
                .and_then(|e| e.state.session.as_ref());
            if !read.events.is_empty() || read.entry.state.session.as_ref() != before {
                self.changed.insert(read.key.clone());
            }
            self.events.extend(read.events);
            self.manifest.files.insert(read.key, read.entry);
            self.dirty = true;
        }
    }

    fn close_idle(&mut self) {
        let o = self.options;
        for (key, entry) in self.manifest.files.iter_mut() {
            if entry
                .state
                .close_if_idle(o.now, o.agent_timeout_ms, &o.machine_id, &mut self.events)
            {
                self.changed.insert(key.clone());
                self.dirty = true;
            }
        }
    }

    /// Resolves projects, appends the events, then saves the manifest: in this order,
    /// so a crash in between repeats events (harmless) instead of losing them.
    fn save(&mut self, paths: &Paths) -> Result<()> {
        let changed = &self.changed;
        let sessions = self
            .manifest
            .files
            .iter_mut()
            .filter(|(key, _)| changed.contains(*key))
            .filter_map(|(_, entry)| entry.state.session.as_mut());
        attach_projects(&mut self.events, sessions, self.options.git_project);

        if !self.events.is_empty() || !self.changed.is_empty() {
            let mut log = LockedLog::open(&paths.event_log())?;
            // Under the log's lock, so the set matches the log exactly.
            let mut emitted = None;
            if !self.events.is_empty() {
                let mut set = Emitted::load(paths)?;
                set.retain_new(&mut self.events);
                emitted = Some(set);
            }
            let log_len = log.append(&self.events)?;
            if let Some(mut set) = emitted {
                set.save(paths, log_len)?;
            }
            drop(log);
            for key in &self.changed {
                if let Some(entry) = self.manifest.files.get_mut(key) {
                    entry.changed_at_log_len = log_len;
                    self.outcome.changed.extend(entry.state.session.clone());
                }
            }
            self.outcome.log_len = Some(log_len);
        }
        self.outcome.new_events = self.events.len();
        if self.dirty {
            self.manifest.save(paths)?;
        }
        self.outcome.manifest_revision = self.manifest.revision;
        self.outcome.sessions = self.manifest.sessions().map(|(s, at)| (s.clone(), at)).collect();
        Ok(())
    }
}

fn add_stats(total: &mut ParseStats, more: ParseStats) {
    total.lines += more.lines;
    total.parsed += more.parsed;
    total.malformed += more.malformed;
}

fn same_file(entry: &FileEntry, meta: &fs::Metadata) -> bool {
    entry.dev == meta.dev() && entry.ino == meta.ino()
}

/// The logs under the projects directory, and the directories that could not be
/// listed (their logs are neither read nor forgotten this time).
struct Found {
    /// Sorted by key.
    logs: Vec<Log>,
    unlisted: Vec<(String, io::Error)>,
}

impl Found {
    fn covers(&self, key: &str) -> bool {
        self.logs
            .binary_search_by(|log| log.key.as_str().cmp(key))
            .is_ok()
            || self
                .unlisted
                .iter()
                .any(|(dir, _)| key.strip_prefix(dir.as_str()).is_some_and(|r| r.starts_with('/')))
    }
}

/// One log file as listed.
struct Log {
    /// Path relative to the projects directory.
    key: String,
    path: PathBuf,
    meta: fs::Metadata,
}

/// Every Claude Code log under `projects_dir`: `<project>/*.jsonl` and
/// `<project>/<session>/subagents/*.jsonl`.
fn discover(projects_dir: &Path) -> Result<Found> {
    let mut logs = Vec::new();
    let mut unlisted = Vec::new();
    let key = |path: &Path| Some(path.strip_prefix(projects_dir).ok()?.to_str()?.to_string());
    for project in list(projects_dir).with_context(|| format!("cannot list {}", projects_dir.display()))? {
        if !is_dir(&project) {
            continue;
        }
        let project_path = project.path();
        let items = match list(&project_path) {
            Ok(items) => items,
            Err(err) => {
                unlisted.extend(key(&project_path).map(|k| (k, err)));
                continue;
            }
        };
        for item in items {
            let path = item.path();
            if let Some(meta) = log_metadata(&item) {
                logs.push((path, meta));
            } else if is_dir(&item) {
                match list(&path.join("subagents")) {
                    Ok(subagents) => logs.extend(
                        subagents
                            .iter()
                            .filter_map(|e| Some((e.path(), log_metadata(e)?))),
                    ),
                    Err(err) if err.kind() == io::ErrorKind::NotFound => {}
                    Err(err) => unlisted.extend(key(&path.join("subagents")).map(|k| (k, err))),
                }
            }
        }
    }
    let mut logs: Vec<Log> = logs
        .into_iter()
        .filter_map(|(path, meta)| {
            Some(Log {
                key: key(&path)?,
                path,
                meta,
            })
        })
        .collect();
    logs.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(Found { logs, unlisted })
}

fn list(dir: &Path) -> io::Result<Vec<fs::DirEntry>> {
    Ok(fs::read_dir(dir)?.filter_map(|e| e.ok()).collect())
}

/// The entry's type without a `stat` when the directory listing tells it; symbolic
/// links are followed.
fn file_type(entry: &fs::DirEntry) -> Option<fs::FileType> {
    match entry.file_type() {
        Ok(t) if t.is_symlink() => fs::metadata(entry.path()).ok().map(|m| m.file_type()),
        Ok(t) => Some(t),
        Err(_) => None,
    }
}

fn is_dir(entry: &fs::DirEntry) -> bool {
    file_type(entry).is_some_and(|t| t.is_dir())
}

/// The metadata of a `*.jsonl` file (following a symbolic link), taken relative to
/// the directory being listed: cheaper than a `stat` of the full path.
fn log_metadata(entry: &fs::DirEntry) -> Option<fs::Metadata> {
    if Path::new(&entry.file_name())
        .extension()
        .is_none_or(|e| e != "jsonl")
    {
        return None;
    }
    let meta = entry.metadata().ok()?;
    let meta = if meta.file_type().is_symlink() {
        fs::metadata(entry.path()).ok()?
    } else {
        meta
    };
    meta.is_file().then_some(meta)
}

/// Reads what was appended to one log since `previous`, or all of it when the file
/// is new, shrank or was replaced (another inode).
fn read_log(work: &Work, machine_id: &str) -> io::Result<LogRead> {
    let mut file = File::open(&work.path)?;
    let meta = file.metadata()?;
    let (mut state, start) = match &work.previous {
        Some(p) if same_file(p, &meta) && meta.size() >= p.size => (p.state.clone(), p.offset),
        _ => (LogState::for_path(Path::new(&work.key)), 0),
    };
    let changed_at_log_len = work.previous.as_ref().map_or(0, |p| p.changed_at_log_len);
    let mut size = meta.size();
    let mut events = Vec::new();
    let mut stats = ParseStats::default();
    let mut buf = Vec::with_capacity(CHUNK as usize);
    file.seek(SeekFrom::Start(start))?;
    let mut consumed = start;
    let mut read_to = start;
    loop {
        let want = CHUNK.min(size - read_to);
        let n = (&mut file).take(want).read_to_end(&mut buf)? as u64;
        read_to += n;
        if n < want {
            // Truncated while we read: take what is there.
            size = read_to;
        }
        let at_end = read_to >= size;
        let used = state.consume(&buf, at_end, machine_id, &mut events, &mut stats);
        buf.drain(..used);
        consumed += used as u64;
        if at_end {
            break;
        }
    }
    Ok(LogRead {
        key: work.key.clone(),
        entry: FileEntry {
            dev: meta.dev(),
            ino: meta.ino(),
            size,
            offset: consumed,
            changed_at_log_len,
            state,
        },
        events,
        stats,
        bytes: read_to - start,
    })
}
