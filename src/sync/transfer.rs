//! One transfer: run the exporter (remote over ssh, or this machine in-process) and
//! spool its stream to an unlinked temporary file beside the database, checking its
//! framing on the way ([`Spooled`]), off the main thread. Memory holds none of it.
//!
//! For ssh the child's stdout is parsed as it arrives while another thread drains
//! stderr into a bounded tail (a remote that writes a lot to stderr cannot fill the
//! pipe and stall the transfer, and the last lines explain a failure). stdin is
//! closed. A watchdog kills the child on timeout or Ctrl-C; nothing here touches the
//! database, so a failed transfer commits nothing by construction.

use std::collections::VecDeque;
use std::fs::File;
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use crate::config::Config;
use crate::machine::Machine;
use crate::paths::Paths;
use crate::sync::summary::printable;
use crate::wire::{Spooled, spool_export};

/// Lines of stderr kept for the failure summary.
const STDERR_TAIL_LINES: usize = 5;
/// Longest stderr line kept (the rest is cut).
const STDERR_LINE_MAX: usize = 400;
/// How long the child may linger after its stream ended before it is killed.
const EXIT_GRACE: Duration = Duration::from_secs(3);
/// How often the watchdog looks at the child.
const TICK: Duration = Duration::from_millis(20);

/// Why a transfer produced nothing to merge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// One sentence.
    pub reason: String,
    /// The last lines the remote side wrote to stderr, made printable.
    pub stderr: Vec<String>,
    pub interrupted: bool,
}

impl Failure {
    pub fn new(reason: impl Into<String>) -> Failure {
        Failure {
            reason: reason.into(),
            stderr: Vec::new(),
            interrupted: false,
        }
    }

    pub fn interrupted() -> Failure {
        Failure {
            reason: "interrupted".into(),
            stderr: Vec::new(),
            interrupted: true,
        }
    }
}

/// A private (0600) temporary file in `dir`, unlinked at once: it disappears with
/// the process, however the process ends.
pub fn new_spool(dir: &Path) -> Result<File, Failure> {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let failure =
        |e: std::io::Error| Failure::new(format!("cannot create a spool file in {}: {e}", dir.display()));
    crate::paths::ensure_private_dir(dir).map_err(|e| Failure::new(format!("{e:#}")))?;
    let path = dir.join(format!(
        ".tt-sync-{}-{}.spool",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    ));
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .map_err(failure)?;
    std::fs::remove_file(&path).map_err(failure)?;
    Ok(file)
}

/// Runs `argv` (ssh ... export) and spools its export stream into a file in `spool_dir`.
pub fn fetch_remote(
    argv: &[String],
    spool_dir: &Path,
    timeout: Duration,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Spooled, Failure> {
    let spool = new_spool(spool_dir)?;
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| Failure::new("empty ssh command"))?;
    let (stderr_reader, stderr_writer) =
        std::io::pipe().map_err(|e| Failure::new(format!("cannot create a pipe: {e}")))?;
    let child = {
        // The expression owns the write end of the stderr pipe; drop it right after
        // the spawn so that the pipe closes when the child exits. The child leads
        // its own process group so that a kill also reaches whatever it started
        // (a wrapper script's children would otherwise keep stdout open).
        let expression = duct::cmd(program, args)
            .stdin_null()
            .stderr_file(stderr_writer)
            .unchecked()
            .before_spawn(|command| {
                command.process_group(0);
                Ok(())
            });
        expression
            .reader()
            .map_err(|e| Failure::new(format!("cannot run {program:?}: {e}")))?
    };
    let group = child.pids().first().copied();
    let tail = StderrTail::spawn(stderr_reader);

    let start = Instant::now();
    let stream_done = AtomicBool::new(false);
    let (batch, stopped) = thread::scope(|scope| {
        let watchdog = scope.spawn(|| {
            let mut done_at: Option<Instant> = None;
            loop {
                let exited = !matches!(child.try_wait(), Ok(None));
                let done = stream_done.load(Ordering::SeqCst);
                if done && exited {
                    return None;
                }
                let now = Instant::now();
                let stop = if cancel.load(Ordering::SeqCst) {
                    Some(Stop::Interrupted)
                } else if now.duration_since(start) >= timeout {
                    Some(Stop::TimedOut)
                } else if done {
                    let at = *done_at.get_or_insert(now);
                    (now.duration_since(at) >= EXIT_GRACE).then_some(Stop::Lingered)
                } else {
                    None
                };
                if let Some(stop) = stop {
                    if let Some(group) = group {
                        kill_group(group);
                    }
                    let _ = child.kill();
                    return Some(stop);
                }
                thread::sleep(TICK);
            }
        });
        let batch = spool_export(&child, spool, progress);
        stream_done.store(true, Ordering::SeqCst);
        let stopped = watchdog.join().unwrap_or(None);
        (batch, stopped)
    });
    let status = child.try_wait().ok().flatten().map(|output| output.status);
    let stderr = tail.finish();

    let fail = |reason: String| Failure {
        reason,
        stderr: stderr.clone(),
        interrupted: false,
    };
    match (batch, stopped) {
        (_, Some(Stop::Interrupted)) => Err(Failure {
            stderr: stderr.clone(),
            ..Failure::interrupted()
        }),
        (_, Some(Stop::TimedOut)) => Err(fail(format!(
            "timed out after {} (sync.timeout)",
            jiff::SignedDuration::try_from(timeout)
                .map(|d| format!("{d:#}"))
                .unwrap_or_else(|_| format!("{timeout:?}"))
        ))),
        // The stream was complete and its counts matched: the data is good even if
        // the connection then ended badly.
        (Ok(batch), _) => Ok(batch),
        (Err(err), _) => {
            let reason = match status.and_then(|s| s.code()) {
                Some(255) => format!("ssh failed{}", last_line_suffix(&stderr)),
                // Non-interactive ssh runs a shell with a shorter PATH than a login.
                Some(127) => format!(
                    "the remote command was not found (exit status 127){}; non-interactive ssh has \
                     a shorter PATH than a login shell: set sync.remote_command to the full path of \
                     tt there, e.g. ~/.nix-profile/bin/tt",
                    last_line_suffix(&stderr)
                ),
                Some(code) if code != 0 => {
                    format!(
                        "the remote command failed with exit status {code}{}",
                        last_line_suffix(&stderr)
                    )
                }
                _ => printable(&format!("{err:#}")),
            };
            Err(fail(reason))
        }
    }
}

/// SIGKILL to the child's whole process group.
fn kill_group(leader: u32) {
    if let Ok(pid) = i32::try_from(leader) {
        // SAFETY: kill(2) has no memory-safety preconditions; a negative pid names
        // the process group this transfer created for its child.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
}

fn last_line_suffix(stderr: &[String]) -> String {
    match stderr.last() {
        Some(line) => format!(": {line}"),
        None => String::new(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    Interrupted,
    TimedOut,
    Lingered,
}

/// Exports this machine's own events in-process (SPEC §9 step 4) through a pipe, so
/// the hub's events take exactly the path a remote's do.
pub fn fetch_local(
    paths: &Paths,
    config: &Config,
    machine: &Machine,
    cursor: Option<&str>,
    spool_dir: &Path,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Spooled, Failure> {
    let spool = new_spool(spool_dir)?;
    let (reader, mut writer) =
        std::io::pipe().map_err(|e| Failure::new(format!("cannot create a pipe: {e}")))?;
    thread::scope(|scope| {
        let exporter = scope.spawn(move || {
            let result = crate::export::write_export(paths, config, machine, cursor, &mut writer);
            drop(writer);
            result
        });
        let batch = spool_export(reader, spool, progress);
        let exported = exporter
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("the exporter panicked")));
        match (batch, exported) {
            (Ok(batch), Ok(_)) => Ok(batch),
            (_, Err(err)) => Err(Failure::new(format!(
                "cannot export this machine's events: {err:#}"
            ))),
            (Err(err), Ok(_)) => Err(Failure::new(format!("{err:#}"))),
        }
    })
}

/// The last lines of a child's stderr, collected by a detached thread. Detached
/// because a grandchild (an ssh ControlPersist master) may hold the pipe open long
/// after the child exited; we wait for it only briefly.
struct StderrTail {
    lines: Arc<Mutex<Tail>>,
    finished: mpsc::Receiver<()>,
}

#[derive(Default)]
struct Tail {
    lines: VecDeque<String>,
    partial: Vec<u8>,
}

impl Tail {
    fn push_bytes(&mut self, bytes: &[u8]) {
        for chunk in bytes.split_inclusive(|&b| b == b'\n') {
            let (text, ended) = match chunk.strip_suffix(b"\n") {
                Some(text) => (text, true),
                None => (chunk, false),
            };
            let room = STDERR_LINE_MAX.saturating_sub(self.partial.len());
            self.partial.extend_from_slice(&text[..text.len().min(room)]);
            if ended {
                self.end_line();
            }
        }
    }

    fn end_line(&mut self) {
        let line = printable(String::from_utf8_lossy(&self.partial).trim());
        self.partial.clear();
        if line.is_empty() {
            return;
        }
        if self.lines.len() == STDERR_TAIL_LINES {
            self.lines.pop_front();
        }
        self.lines.push_back(line);
    }
}

impl StderrTail {
    fn spawn(mut pipe: std::io::PipeReader) -> StderrTail {
        let lines = Arc::new(Mutex::new(Tail::default()));
        let (done, finished) = mpsc::channel();
        let shared = Arc::clone(&lines);
        thread::spawn(move || {
            let mut buf = [0u8; 8192];
            loop {
                match pipe.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => shared
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push_bytes(&buf[..n]),
                }
            }
            let _ = done.send(());
        });
        StderrTail { lines, finished }
    }

    fn finish(self) -> Vec<String> {
        let _ = self.finished.recv_timeout(Duration::from_millis(500));
        let mut tail = self.lines.lock().unwrap_or_else(|p| p.into_inner());
        if !tail.partial.is_empty() {
            tail.end_line();
        }
        tail.lines.iter().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tail_of(chunks: &[&[u8]]) -> Vec<String> {
        let mut tail = Tail::default();
        for chunk in chunks {
            tail.push_bytes(chunk);
        }
        if !tail.partial.is_empty() {
            tail.end_line();
        }
        tail.lines.into_iter().collect()
    }

    #[test]
    fn stderr_tail_keeps_the_last_lines_across_chunk_boundaries() {
        let lines = tail_of(&[b"one\ntw", b"o\nthree\nfour\nfive\nsix\nsev", b"en"]);
        assert_eq!(lines, ["three", "four", "five", "six", "seven"]);
    }

    #[test]
    fn stderr_tail_cuts_long_lines_and_strips_escape_sequences() {
        let long = vec![b'x'; 10_000];
        let lines = tail_of(&[&long, b"\n\x1b[31mred\x1b[0m\n"]);
        assert_eq!(lines[0].len(), STDERR_LINE_MAX);
        assert!(!lines[1].contains('\x1b'));
    }

    #[test]
    fn a_missing_program_is_a_failure_not_a_panic() {
        let cancel = AtomicBool::new(false);
        let err = fetch_remote(
            &["/nonexistent/ssh".to_string()],
            &std::env::temp_dir(),
            Duration::from_secs(5),
            &cancel,
            &mut |_, _| {},
        )
        .unwrap_err();
        assert!(err.reason.contains("cannot run"), "{err:?}");
    }

    #[test]
    fn a_child_that_never_ends_its_stream_times_out() {
        let cancel = AtomicBool::new(false);
        let argv: Vec<String> = ["sh", "-c", "echo waiting >&2; sleep 30"]
            .map(String::from)
            .into();
        let started = Instant::now();
        let err = fetch_remote(
            &argv,
            &std::env::temp_dir(),
            Duration::from_millis(300),
            &cancel,
            &mut |_, _| {},
        )
        .unwrap_err();
        assert!(err.reason.starts_with("timed out"), "{err:?}");
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(err.stderr, ["waiting"]);
    }

    #[test]
    fn lots_of_stderr_does_not_stall_the_transfer() {
        let cancel = AtomicBool::new(false);
        // 4 MB of stderr, far more than a pipe buffer, then a bad header on stdout.
        let script = "head -c 4000000 /dev/zero | tr '\\0' 'e' >&2; echo >&2; echo done >&2; echo garbage";
        let argv: Vec<String> = ["sh", "-c", script].map(String::from).into();
        let err = fetch_remote(
            &argv,
            &std::env::temp_dir(),
            Duration::from_secs(20),
            &cancel,
            &mut |_, _| {},
        )
        .unwrap_err();
        assert!(!err.reason.starts_with("timed out"), "{err:?}");
        assert_eq!(err.stderr.last().map(String::as_str), Some("done"));
    }

    #[test]
    fn remote_exit_status_explains_the_failure() {
        let cancel = AtomicBool::new(false);
        let argv: Vec<String> = ["sh", "-c", "echo 'tt: command not found' >&2; exit 127"]
            .map(String::from)
            .into();
        let err = fetch_remote(
            &argv,
            &std::env::temp_dir(),
            Duration::from_secs(5),
            &cancel,
            &mut |_, _| {},
        )
        .unwrap_err();
        assert!(
            err.reason.starts_with(
                "the remote command was not found (exit status 127): tt: command not found; \
                 non-interactive ssh has a shorter PATH"
            ) && err.reason.contains("sync.remote_command"),
            "{err:?}"
        );
    }
}
