//! Fleet sync (SPEC §9): pull every remote's export over ssh in parallel, merge each
//! into SQLite serially, one transaction per remote.
//!
//! Transfers run on worker threads (at most `parallelism` at once) and only spool:
//! each stream goes to an unlinked temporary file beside the database while its
//! framing is checked, so memory does not grow with a remote's size. The main thread
//! owns the database and merges each spool as it arrives, through the same streaming
//! validator and writer as `tt import`, so a remote that fails, times out or is
//! interrupted never reaches the database, and Ctrl-C (exit 130) leaves every merged
//! remote committed and the rest, including a merge under way, untouched.

pub mod progress;
pub mod ssh;
pub mod summary;
pub mod transfer;

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::config::Config;
use crate::machine::Machine;
use crate::paths::Paths;
use crate::store::Store;
use crate::store::import::{Quarantine, merge_remote};
use crate::store::machines;
use crate::timestamp::Timestamp;
use crate::wire::Spooled;
use progress::Progress;
use summary::{Counts, Merged, Outcome, clean_label};
use transfer::Failure;

/// One remote to pull from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The SSH destination, also stored as the machine's alias.
    pub destination: String,
    /// `label` of its `[[remotes]]` entry.
    pub config_label: Option<String>,
}

/// The remotes a `tt sync` run pulls from: the named destinations (matched against
/// `[[remotes]]` for their labels), or every enabled remote. Every destination is
/// checked before any ssh runs.
pub fn resolve_targets(config: &Config, destinations: &[String]) -> Result<Vec<Target>> {
    let mut targets: Vec<Target> = Vec::new();
    let wanted: Vec<(String, Option<String>)> = if destinations.is_empty() {
        config
            .remotes
            .iter()
            .filter(|r| r.enabled)
            .map(|r| (r.alias.clone(), r.label.clone()))
            .collect()
    } else {
        destinations
            .iter()
            .map(|d| {
                let label = config
                    .remotes
                    .iter()
                    .find(|r| r.alias == *d)
                    .and_then(|r| r.label.clone());
                (d.clone(), label)
            })
            .collect()
    };
    for (destination, config_label) in wanted {
        ssh::check_destination(&destination).with_context(|| "nothing was synced".to_string())?;
        if targets.iter().all(|t| t.destination != destination) {
            targets.push(Target {
                destination,
                config_label,
            });
        }
    }
    Ok(targets)
}

/// Asks the user for a label, given the default; `None` keeps the default.
pub type AskLabel<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The label a machine gets on this sync. A known machine keeps its label unless
/// config.toml names one; an unknown one gets the config label, else the label the
/// remote chose, after the user confirmed or changed it when `ask` is given.
pub fn choose_label(
    known_label: Option<&str>,
    config_label: Option<&str>,
    remote_label: &str,
    ask: Option<AskLabel<'_>>,
) -> String {
    let config_label = config_label.and_then(clean_label);
    if let Some(known) = known_label {
        return config_label.unwrap_or_else(|| known.to_string());
    }
    let default = config_label
        .or_else(|| clean_label(remote_label))
        .unwrap_or_else(|| "unnamed".to_string());
    match ask {
        Some(ask) => ask(&default).as_deref().and_then(clean_label).unwrap_or(default),
        None => default,
    }
}

/// Asks on the terminal: `New machine a1b2c3d4. Label? [devbox]: `. `Ok(None)` on an
/// empty answer or end of input; `Err` when Ctrl-C came while waiting (the read is
/// polled so the interruption is seen at once, not after the next Enter).
fn prompt_label(machine_id: &str, default: &str, cancel: &AtomicBool) -> Result<Option<String>, Failure> {
    use std::os::fd::AsRawFd;
    let short = machine_id.get(..8).unwrap_or(machine_id);
    let mut stderr = std::io::stderr().lock();
    let _ = write!(stderr, "New machine {short}. Label? [{default}]: ");
    let _ = stderr.flush();
    let stdin = std::io::stdin();
    loop {
        if cancel.load(Ordering::SeqCst) {
            let _ = writeln!(stderr);
            return Err(Failure::interrupted());
        }
        let mut fds = libc::pollfd {
            fd: stdin.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd for the duration of the call.
        let ready = unsafe { libc::poll(&mut fds, 1, 100) };
        if ready > 0 {
            break;
        }
        if ready < 0 && std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
            break;
        }
    }
    let mut answer = String::new();
    if stdin.lock().read_line(&mut answer).is_err() {
        return Ok(None);
    }
    if cancel.load(Ordering::SeqCst) {
        return Err(Failure::interrupted());
    }
    let answer = answer.trim();
    Ok((!answer.is_empty()).then(|| answer.to_string()))
}

/// The error of a sync stopped by Ctrl-C (or SIGTERM): main exits with 130, as a
/// shell does for a command killed by SIGINT.
#[derive(Debug)]
pub struct Interrupted(pub String);

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for Interrupted {}

/// Exit status of an interrupted command.
pub const INTERRUPTED_EXIT: u8 = 130;

enum Source {
    Remote {
        target: Target,
        argv: Vec<String>,
    },
    Local {
        machine: Machine,
        cursor: Option<String>,
    },
}

struct Job {
    name: String,
    source: Source,
}

pub struct SyncOptions<'a> {
    pub paths: &'a Paths,
    pub config: &'a Config,
    pub database: std::path::PathBuf,
    pub config_file: &'a std::path::Path,
    pub destinations: &'a [String],
    pub jobs: Option<usize>,
}

/// `tt sync`: returns an error (exit status 1) unless every remote succeeded.
pub fn run(options: SyncOptions<'_>) -> Result<()> {
    let SyncOptions {
        paths,
        config,
        database,
        config_file,
        destinations,
        jobs,
    } = options;
    let targets = resolve_targets(config, destinations)?;
    crate::clock::now()?;
    let own = Machine::load(paths)?;
    if targets.is_empty() && own.is_none() {
        bail!(
            "there is nothing to sync: add [[remotes]] to {} or name a destination (tt sync devbox)",
            config_file.display()
        );
    }
    let mut store = Store::open(&database)?;
    // Transfers are spooled beside the database: the disk that will hold the data
    // anyway, rather than a /tmp that may live in memory.
    let spool_dir = database
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let mut warnings = Vec::new();
    let mut job_list = Vec::new();
    for target in targets {
        // The cursor belongs to the machine last reached through this destination, so
        // one machine reached through two destinations keeps one cursor.
        let cursor = stored_cursor(
            machines::by_destination(&store.conn, &target.destination)?,
            &target.destination,
            &mut warnings,
        );
        let line = ssh::remote_command_line(&config.sync.remote_command, cursor.as_deref())?;
        let argv = ssh::ssh_argv(
            &config.sync.ssh_command,
            config.sync.connect_timeout,
            &target.destination,
            &line,
        )?;
        job_list.push(Job {
            name: target.destination.clone(),
            source: Source::Remote { target, argv },
        });
    }
    let own_id = own.as_ref().map(Machine::id);
    if let Some(machine) = own {
        let cursor = stored_cursor(
            machines::get(&store.conn, &machine.id())?,
            "this machine",
            &mut warnings,
        );
        job_list.push(Job {
            name: "this machine".into(),
            source: Source::Local { machine, cursor },
        });
    }

    let cancel = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        // A second Ctrl-C while the first is being handled exits at once.
        signal_hook::flag::register_conditional_shutdown(signal, 130, Arc::clone(&cancel))?;
        signal_hook::flag::register(signal, Arc::clone(&cancel))?;
    }

    let terminal = std::io::stderr().is_terminal();
    let interactive = terminal && std::io::stdin().is_terminal();
    let names: Vec<String> = job_list.iter().map(|j| j.name.clone()).collect();
    let progress = Progress::new(&names, terminal);
    for warning in &warnings {
        progress.note(warning);
    }
    let parallelism = jobs.unwrap_or(config.sync.parallelism).max(1);
    let outcomes = fan_out(
        &job_list,
        parallelism,
        &cancel,
        &progress,
        |index, batch| {
            merge_one(
                &mut store,
                &job_list[index],
                batch,
                own_id.as_deref(),
                &paths.quarantine_file(),
                interactive,
                &progress,
                &cancel,
            )
        },
        Setup {
            paths,
            config,
            spool_dir: &spool_dir,
        },
    );
    progress.clear();

    // What the merged events change: streams and allocation (SPEC §9 step 4). Skipped
    // after Ctrl-C; the next sync or 'tt recompute' picks the events up.
    if !cancel.load(Ordering::SeqCst) {
        crate::streams::after_sync(&mut store, config)?;
    }
    for line in summary::render(&outcomes) {
        println!("{line}");
    }
    let failed = outcomes.iter().filter(|o| !o.ok()).count();
    if cancel.load(Ordering::SeqCst) {
        let merged = outcomes.len() - failed;
        return Err(Interrupted(format!(
            "interrupted: {} merged before the interruption stay merged, the others were left untouched",
            plural(merged, "remote")
        ))
        .into());
    }
    if failed > 0 {
        bail!(
            "{failed} of {} failed to sync; see the summary above",
            plural(outcomes.len(), "remote")
        );
    }
    Ok(())
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// A stored cursor, when it still has the shape of an event id. It came from a
/// remote once, so it is checked before it goes anywhere near a command line; a
/// bad one means a full export (import is idempotent).
fn stored_cursor(
    row: Option<machines::MachineRow>,
    name: &str,
    warnings: &mut Vec<String>,
) -> Option<String> {
    let cursor = row?.last_event_id?;
    if ssh::is_valid_cursor(&cursor) {
        Some(cursor)
    } else {
        warnings.push(format!(
            "{name}: the stored sync cursor is not an event id; transferring everything again"
        ));
        None
    }
}

/// What the transfers need besides their jobs.
#[derive(Clone, Copy)]
struct Setup<'a> {
    paths: &'a Paths,
    config: &'a Config,
    /// Where transfers spool (beside the database).
    spool_dir: &'a Path,
}

/// Runs the transfers on at most `parallelism` threads and hands every complete
/// batch to `merge` on the calling thread, in the order they finish.
fn fan_out(
    jobs: &[Job],
    parallelism: usize,
    cancel: &AtomicBool,
    progress: &Progress,
    mut merge: impl FnMut(usize, Spooled) -> Result<Merged, Failure>,
    setup: Setup<'_>,
) -> Vec<Outcome> {
    let Setup {
        paths,
        config,
        spool_dir,
    } = setup;
    let next = AtomicUsize::new(0);
    let mut outcomes: Vec<Option<Outcome>> = vec![None; jobs.len()];
    let (sender, finished) = mpsc::channel::<(usize, Result<Spooled, Failure>, Instant)>();
    thread::scope(|scope| {
        for _ in 0..parallelism.min(jobs.len()) {
            let sender = sender.clone();
            let next = &next;
            scope.spawn(move || {
                loop {
                    let index = next.fetch_add(1, Ordering::SeqCst);
                    let Some(job) = jobs.get(index) else { break };
                    let started = Instant::now();
                    if cancel.load(Ordering::SeqCst) {
                        let _ = sender.send((index, Err(Failure::interrupted()), started));
                        continue;
                    }
                    progress.connecting(index);
                    let mut receiver = progress.receiver(index);
                    let result = match &job.source {
                        Source::Remote { argv, .. } => transfer::fetch_remote(
                            argv,
                            spool_dir,
                            config.sync.timeout,
                            cancel,
                            &mut |events, bytes| receiver.update(events, bytes),
                        ),
                        Source::Local { machine, cursor } => transfer::fetch_local(
                            paths,
                            config,
                            machine,
                            cursor.as_deref(),
                            spool_dir,
                            &mut |events, bytes| receiver.update(events, bytes),
                        ),
                    };
                    if result.is_ok() {
                        receiver.received(started.elapsed());
                    }
                    if sender.send((index, result, started)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(sender);
        for (index, result, started) in finished {
            let result = match result {
                // Once interrupted, nothing more is merged: the rest stays untouched.
                Ok(_) if cancel.load(Ordering::SeqCst) => Err(Failure::interrupted()),
                Ok(batch) => {
                    progress.merging(index);
                    merge(index, batch)
                }
                Err(failure) => Err(failure),
            };
            let outcome = Outcome {
                name: jobs[index].name.clone(),
                result,
                elapsed: started.elapsed(),
            };
            progress.finish(index, &outcome);
            outcomes[index] = Some(outcome);
        }
    });
    outcomes
        .into_iter()
        .zip(jobs)
        .map(|(outcome, job)| {
            outcome.unwrap_or_else(|| Outcome {
                name: job.name.clone(),
                result: Err(Failure::interrupted()),
                elapsed: Duration::ZERO,
            })
        })
        .collect()
}

/// One transaction: the batch and the machine's row.
#[allow(clippy::too_many_arguments)]
fn merge_one(
    store: &mut Store,
    job: &Job,
    batch: Spooled,
    own_id: Option<&str>,
    quarantine_file: &Path,
    interactive: bool,
    progress: &Progress,
    cancel: &AtomicBool,
) -> Result<Merged, Failure> {
    // spool_export refused any header whose machine id is not a lower-case UUID.
    let machine_id = batch.header.machine_id.clone();
    let db = |e: anyhow::Error| Failure::new(format!("cannot merge into the database: {e:#}"));
    // A row made by `tt import` alone was never named by a sync: still "new".
    let known = machines::get(&store.conn, &machine_id)
        .map_err(db)?
        .filter(|row| row.last_sync_at.is_some());
    let (alias, label) = match &job.source {
        Source::Local { machine, .. } => (
            None,
            clean_label(&machine.label).unwrap_or_else(|| machine.short_id()),
        ),
        Source::Remote { target, .. } => {
            if own_id == Some(machine_id.as_str()) {
                return Err(Failure::new(format!(
                    "{} claims to be this machine ({}); refusing its events",
                    target.destination,
                    &machine_id[..8]
                )));
            }
            // Two destinations answering with one machine id: usually a cloned disk
            // image that carried machine.json along (or two routes to one machine).
            // Their events cannot be told apart; say so, once per new destination,
            // rather than merge in silence.
            let mut routes = machines::destinations_of(&store.conn, &machine_id).map_err(db)?;
            if routes.is_empty()
                && let Some(alias) = known.as_ref().and_then(|row| row.alias.clone())
            {
                routes.push(alias);
            }
            if let Some(other) = routes.first()
                && !routes.contains(&target.destination)
            {
                progress.note(&format!(
                    "warning: {} has the machine id {} that {other} had; if they are two machines, \
                     one was cloned: move its machine.json aside and run 'tt init' there",
                    target.destination,
                    &machine_id[..8]
                ));
            }
            let interrupted = std::cell::Cell::new(false);
            let ask = |default: &str| match progress.suspend(|| prompt_label(&machine_id, default, cancel)) {
                Ok(answer) => answer,
                Err(_) => {
                    interrupted.set(true);
                    None
                }
            };
            let label = choose_label(
                known.as_ref().map(|row| row.label.as_str()),
                target.config_label.as_deref(),
                &batch.header.label,
                if interactive { Some(&ask) } else { None },
            );
            if interrupted.get() {
                return Err(Failure::interrupted());
            }
            (Some(target.destination.as_str()), label)
        }
    };
    let origin = format!("sync {}", alias.unwrap_or("this machine"));
    // The clock, read at the edge (TT_NOW pins it); a bad TT_NOW was refused at start.
    let now = crate::clock::now().unwrap_or_else(|_| Timestamp::now());
    let mut quarantine = Quarantine::new(quarantine_file, &origin, now);
    let merge = merge_remote(store, &batch, alias, &label, now, &mut quarantine, cancel).map_err(|e| {
        if cancel.load(Ordering::SeqCst) {
            Failure::interrupted()
        } else {
            db(e)
        }
    })?;
    Ok(Merged {
        label,
        merge: Counts {
            imported: merge.imported,
            duplicates: merge.duplicates,
            rejected: merge.rejected,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Remote;

    fn config(remotes: &[(&str, Option<&str>, bool)]) -> Config {
        Config {
            remotes: remotes
                .iter()
                .map(|(alias, label, enabled)| Remote {
                    alias: alias.to_string(),
                    label: label.map(str::to_string),
                    enabled: *enabled,
                })
                .collect(),
            ..Config::default()
        }
    }

    #[test]
    fn no_destination_means_every_enabled_remote() {
        let config = config(&[
            ("devbox", Some("Dev"), true),
            ("gpu", None, false),
            ("me@10.0.0.5", None, true),
        ]);
        let targets = resolve_targets(&config, &[]).unwrap();
        let names: Vec<_> = targets.iter().map(|t| t.destination.as_str()).collect();
        assert_eq!(names, ["devbox", "me@10.0.0.5"]);
        assert_eq!(targets[0].config_label.as_deref(), Some("Dev"));
    }

    #[test]
    fn named_destinations_may_be_aliases_or_any_ssh_destination_even_disabled_ones() {
        let config = config(&[("gpu", Some("GPU"), false)]);
        let targets = resolve_targets(&config, &["gpu".into(), "me@host".into(), "gpu".into()]).unwrap();
        assert_eq!(
            targets,
            [
                Target {
                    destination: "gpu".into(),
                    config_label: Some("GPU".into())
                },
                Target {
                    destination: "me@host".into(),
                    config_label: None
                },
            ]
        );
    }

    #[test]
    fn an_option_like_destination_anywhere_refuses_the_whole_sync() {
        let err =
            resolve_targets(&Config::default(), &["devbox".into(), "-oProxyCommand=sh".into()]).unwrap_err();
        assert!(
            format!("{err:#}").contains("would be read by ssh as an option"),
            "{err:#}"
        );
        let err = resolve_targets(&config(&[("-F/etc/evil", None, true)]), &[]).unwrap_err();
        assert!(format!("{err:#}").contains("starts with '-'"), "{err:#}");
    }

    #[test]
    fn an_unknown_machine_defaults_to_the_config_label_then_its_own() {
        assert_eq!(choose_label(None, Some("Dev"), "devbox-01", None), "Dev");
        assert_eq!(choose_label(None, None, "devbox-01", None), "devbox-01");
        assert_eq!(choose_label(None, None, "\x1b[2J", None), "?[2J");
        assert_eq!(choose_label(None, None, "  ", None), "unnamed");
    }

    #[test]
    fn the_prompt_sees_the_default_and_its_answer_wins() {
        let ask = |default: &str| {
            assert_eq!(default, "devbox-01");
            Some("laptop".to_string())
        };
        assert_eq!(choose_label(None, None, "devbox-01", Some(&ask)), "laptop");
        let empty = |_: &str| None;
        assert_eq!(choose_label(None, None, "devbox-01", Some(&empty)), "devbox-01");
    }

    #[test]
    fn a_known_machine_keeps_its_label_unless_config_names_one_and_is_not_asked_again() {
        let never = |_: &str| -> Option<String> { panic!("must not ask for a known machine") };
        assert_eq!(
            choose_label(Some("mine"), None, "devbox-01", Some(&never)),
            "mine"
        );
        assert_eq!(
            choose_label(Some("mine"), Some("Dev"), "devbox-01", Some(&never)),
            "Dev"
        );
    }
}
