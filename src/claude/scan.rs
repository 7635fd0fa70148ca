//! The edges of the Claude Code ingest: finding logs, reading appended bytes,
//! appending events to the log and saving the manifest.

use std::collections::BTreeSet;
use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use rayon::prelude::*;

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
        now: Timestamp::now(),
        git_project: &git_project,
    };
    scan_with(paths, &options)
}

// PLACEHOLDER: the lead replaces this with `crate::capture::git::project_for` at merge.
// The name of the directory holding `.git` at or above `dir`, when `dir` exists here.
fn git_project(dir: &Path) -> Option<String> {
    if !dir.is_dir() {
        return None;
    }
    dir.ancestors()
        .find(|d| d.join(".git").exists())
        .and_then(|root| root.file_name())
        .and_then(|name| name.to_str())
        .map(str::to_string)
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

pub fn scan_with(paths: &Paths, options: &ScanOptions) -> Result<ScanOutcome> {
    // One scan at a time (`tt export` and `tt ingest sessions` may overlap); a
    // separate lock, so tmux hooks appending to the event log are never held up.
    let lock_path = paths.state_dir.join("claude-scan.lock");
    let lock = open_private_append(&lock_path)?;
    lock.lock()
        .with_context(|| format!("cannot lock {}", lock_path.display()))?;

    let mut outcome = ScanOutcome::default();
    let mut manifest = match Manifest::load(paths) {
        Ok(manifest) => manifest,
        Err(err) if err.downcast_ref::<Corrupt>().is_some() => {
            outcome
                .warnings
                .push(format!("{err:#}; reading every Claude Code log again"));
            Manifest::default()
        }
        Err(err) => return Err(err),
    };
    let mut dirty = false;
    let mut events = Vec::new();
    let mut changed_keys = Vec::new();

    // No projects directory (yet) means nothing to read, but known sessions still end.
    let found = if options.projects_dir.is_dir() {
        Some(discover(&options.projects_dir)?)
    } else {
        None
    };
    if let Some(found) = &found {
        outcome.files = found.len();
        let mut work = Vec::new();
        for (key, path) in found {
            let previous = manifest.files.get(key);
            match fs::metadata(path) {
                Ok(meta) if previous.is_some_and(|p| same_file(p, &meta) && p.size == meta.size()) => {}
                Ok(_) => work.push(Work {
                    key: key.clone(),
                    path: path.clone(),
                    previous: previous.cloned(),
                }),
                Err(err) => outcome
                    .warnings
                    .push(format!("cannot read {}: {err}", path.display())),
            }
        }
        // Logs that disappeared (Claude Code deletes old ones): close, then forget.
        let present: BTreeSet<&String> = found.iter().map(|(key, _)| key).collect();
        let gone: Vec<String> = manifest
            .files
            .keys()
            .filter(|k| !present.contains(k))
            .cloned()
            .collect();
        for key in gone {
            if let Some(mut entry) = manifest.files.remove(&key) {
                entry.state.close_if_idle(
                    options.now,
                    options.agent_timeout_ms,
                    &options.machine_id,
                    &mut events,
                );
            }
            dirty = true;
        }
        let reads: Vec<(&Path, io::Result<LogRead>)> = work
            .par_iter()
            .map(|w| (w.path.as_path(), read_log(w, &options.machine_id)))
            .collect();
        for (path, result) in reads {
            let read = match result {
                Ok(read) => read,
                Err(err) => {
                    outcome
                        .warnings
                        .push(format!("cannot read {}: {err}", path.display()));
                    continue;
                }
            };
            outcome.files_read += 1;
            outcome.bytes_read += read.bytes;
            add_stats(&mut outcome.stats, read.stats);
            let before = manifest
                .files
                .get(&read.key)
                .and_then(|e| e.state.session.as_ref());
            if !read.events.is_empty() || read.entry.state.session.as_ref() != before {
                changed_keys.push(read.key.clone());
            }
            events.extend(read.events);
            manifest.files.insert(read.key, read.entry);
            dirty = true;
        }
    }
    finish(
        paths,
        options,
        &mut manifest,
        events,
        changed_keys,
        &mut outcome,
        dirty,
    )?;
    drop(lock);
    Ok(outcome)
}

/// Closes idle sessions, resolves projects, appends the events, then saves the manifest.
fn finish(
    paths: &Paths,
    options: &ScanOptions,
    manifest: &mut Manifest,
    mut events: Vec<Event>,
    mut changed_keys: Vec<String>,
    outcome: &mut ScanOutcome,
    mut dirty: bool,
) -> Result<()> {
    for (key, entry) in manifest.files.iter_mut() {
        if entry.state.close_if_idle(
            options.now,
            options.agent_timeout_ms,
            &options.machine_id,
            &mut events,
        ) {
            changed_keys.push(key.clone());
            dirty = true;
        }
    }
    changed_keys.sort();
    changed_keys.dedup();
    let sessions = manifest
        .files
        .iter_mut()
        .filter(|(key, _)| changed_keys.binary_search(key).is_ok())
        .filter_map(|(_, entry)| entry.state.session.as_mut());
    attach_projects(&mut events, sessions, options.git_project);

    if !events.is_empty() || !changed_keys.is_empty() {
        let log_len = LockedLog::open(&paths.event_log())?.append(&events)?;
        for key in &changed_keys {
            if let Some(entry) = manifest.files.get_mut(key) {
                entry.changed_at_log_len = log_len;
                outcome.changed.extend(entry.state.session.clone());
            }
        }
        outcome.log_len = Some(log_len);
    }
    outcome.new_events = events.len();
    if dirty {
        manifest.save(paths)?;
    }
    outcome.sessions = manifest
        .sessions()
        .map(|(s, changed_at)| (s.clone(), changed_at))
        .collect();
    Ok(())
}

fn add_stats(total: &mut ParseStats, more: ParseStats) {
    total.lines += more.lines;
    total.parsed += more.parsed;
    total.malformed += more.malformed;
}

fn same_file(entry: &FileEntry, meta: &fs::Metadata) -> bool {
    entry.dev == meta.dev() && entry.ino == meta.ino()
}

/// Every Claude Code log under `projects_dir`, as (key relative to it, path), sorted:
/// `<project>/*.jsonl` and `<project>/<session>/subagents/*.jsonl`.
pub fn discover(projects_dir: &Path) -> Result<Vec<(String, PathBuf)>> {
    let mut found = Vec::new();
    for project in list(projects_dir)? {
        if !is_dir(&project) {
            continue;
        }
        for item in list(&project.path())? {
            let path = item.path();
            if is_log(&item) {
                found.push(path);
            } else if is_dir(&item)
                && let Ok(subagents) = fs::read_dir(path.join("subagents"))
            {
                found.extend(subagents.filter_map(|e| e.ok()).filter(is_log).map(|e| e.path()));
            }
        }
    }
    let mut found: Vec<(String, PathBuf)> = found
        .into_iter()
        .filter_map(|path| {
            let key = path.strip_prefix(projects_dir).ok()?.to_str()?.to_string();
            Some((key, path))
        })
        .collect();
    found.sort();
    Ok(found)
}

fn list(dir: &Path) -> Result<Vec<fs::DirEntry>> {
    let entries = fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))?;
    Ok(entries.filter_map(|e| e.ok()).collect())
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

fn is_log(entry: &fs::DirEntry) -> bool {
    Path::new(&entry.file_name())
        .extension()
        .is_some_and(|e| e == "jsonl")
        && file_type(entry).is_some_and(|t| t.is_file())
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
