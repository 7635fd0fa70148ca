//! `tt doctor [--remotes]` (SPEC §11): one line per check, ok / warn / fail, with the fix;
//! exit 1 when a check fails. Never writes; `--remotes` is opt-in because it connects.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Result, bail};

use super::Ctx;
use super::status::{legacy_advice, legacy_dir};
use crate::cli::DoctorArgs;
use crate::clock;
use crate::event::kind;
use crate::machine::Machine;
use crate::report::format::duration;
use crate::report::period::{Period, Spec};
use crate::report::rollup;
use crate::store::schema::SCHEMA_VERSION;
use crate::store::{Store, report as stored};
use crate::sync::ssh::ssh_argv;
use crate::sync::summary::printable;
use crate::when;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Ok,
    Warn,
    Fail,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub level: Level,
    pub what: String,
    /// What to do about a warning or failure.
    pub fix: Option<String>,
}

fn ok(what: impl Into<String>) -> Check {
    Check {
        level: Level::Ok,
        what: what.into(),
        fix: None,
    }
}

fn warn(what: impl Into<String>, fix: impl Into<String>) -> Check {
    Check {
        level: Level::Warn,
        what: what.into(),
        fix: Some(fix.into()),
    }
}

fn fail(what: impl Into<String>, fix: impl Into<String>) -> Check {
    Check {
        level: Level::Fail,
        what: what.into(),
        fix: Some(fix.into()),
    }
}

pub fn run(args: &DoctorArgs, ctx: &Ctx) -> Result<()> {
    let mut checks = vec![identity(ctx)];
    checks.extend(hooks());
    checks.extend(permissions(ctx));
    checks.extend(database(ctx)?);
    checks.push(match legacy_dir() {
        Some(dir) => warn(
            format!("legacy directory {} exists", dir.display()),
            legacy_advice(&dir, &ctx.paths),
        ),
        None => ok("no legacy ~/.time-tracker directory"),
    });
    if args.remotes {
        checks.extend(remotes(ctx));
    }
    for check in &checks {
        println!("{}", render(check));
    }
    let failed = checks.iter().filter(|c| c.level == Level::Fail).count();
    if failed > 0 {
        bail!("tt doctor: {failed} check(s) failed");
    }
    Ok(())
}

pub fn render(check: &Check) -> String {
    let level = match check.level {
        Level::Ok => "ok  ",
        Level::Warn => "warn",
        Level::Fail => "fail",
    };
    match &check.fix {
        Some(fix) => format!("{level}  {}: {fix}", check.what),
        None => format!("{level}  {}", check.what),
    }
}

fn identity(ctx: &Ctx) -> Check {
    match Machine::load(&ctx.paths) {
        Ok(Some(m)) => ok(format!(
            "machine identity {} ({})",
            m.short_id(),
            printable(&m.label)
        )),
        Ok(None) => warn(
            "no machine identity",
            "run 'tt init' on a machine that records events (a hub that only syncs needs none)",
        ),
        Err(err) => fail(
            format!("machine identity unreadable: {err:#}"),
            "fix or remove machine.json, then 'tt init'",
        ),
    }
}

/// The tt path the hooks call: the word before ` ingest pane-focus` in
/// `tmux show-hooks -g`, unquoted. None: no tt hook.
pub fn hook_tt_path(show_hooks: &str) -> Option<String> {
    let line = show_hooks.lines().find(|l| l.contains(" ingest pane-focus"))?;
    let before = line[..line.find(" ingest pane-focus")?].trim_end();
    let word = match before.strip_suffix('"') {
        // `"PATH"`, its quotes escaped (`\"PATH\"`) inside a double-quoted command.
        Some(rest) => {
            let rest = rest.strip_suffix('\\').unwrap_or(rest);
            &rest[rest.rfind('"').map_or(0, |i| i + 1)..]
        }
        None => before.rsplit([';', ' ', '\'']).find(|w| !w.is_empty())?,
    };
    let path: String = word.strip_suffix('\\').unwrap_or(word).replace("\\", "");
    Some(path.replace("##", "#"))
}

/// Where `program` is found on `path` (a PATH value), if anywhere.
fn which(program: &str, path: &str) -> Option<PathBuf> {
    if program.contains('/') {
        return is_executable(Path::new(program)).then(|| PathBuf::from(program));
    }
    std::env::split_paths(path)
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

fn tmux(args: &[&str]) -> Option<std::process::Output> {
    Command::new("tmux").args(args).stdin(Stdio::null()).output().ok()
}

fn hooks() -> Vec<Check> {
    let Some(out) = tmux(&["show-hooks", "-g"]) else {
        return vec![warn(
            "tmux is not installed here",
            "install tmux on the machines you work on; a hub without tmux needs no hooks",
        )];
    };
    if !out.status.success() {
        return vec![warn(
            "no running tmux server to check the hooks in",
            "start tmux and run 'tt doctor' inside it",
        )];
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let Some(tt) = hook_tt_path(&text) else {
        return vec![fail(
            "the tt hooks are not loaded in the running tmux server",
            "run 'tt hook tmux > ~/.config/tt/tmux.conf', add 'source-file ~/.config/tt/tmux.conf' \
             to tmux.conf and run 'tmux source-file ~/.tmux.conf'",
        )];
    };
    let mut checks = vec![ok("the tt hooks are loaded in the running tmux server")];
    // A bare `tt` is looked up on the PATH of the tmux server.
    let path = tmux(&["show-environment", "-g", "PATH"])
        .filter(|o| o.status.success())
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .trim()
                .strip_prefix("PATH=")
                .map(str::to_string)
        })
        .or_else(|| std::env::var("PATH").ok())
        .unwrap_or_default();
    checks.push(match which(&tt, &path) {
        Some(found) => ok(format!("the hooks reach tt at {}", found.display())),
        None => fail(
            format!("the hooks call {tt}, which tmux cannot run"),
            "run 'tt hook tmux' again from the tt you use and source its output in tmux",
        ),
    });
    checks
}

/// Data files 0600 and their directories 0700 (SPEC §2): a wider mode lets other users
/// read what you worked on.
fn permissions(ctx: &Ctx) -> Vec<Check> {
    let mut wrong = Vec::new();
    let dirs = [&ctx.paths.data_dir, &ctx.paths.state_dir];
    for dir in dirs {
        if let Ok(m) = std::fs::metadata(dir)
            && m.permissions().mode() & 0o077 != 0
        {
            wrong.push(format!("chmod 700 {}", dir.display()));
        }
    }
    let database = ctx.database_path();
    let files = [
        ctx.paths.machine_file(),
        ctx.paths.event_log(),
        database.clone(),
        ctx.paths.hook_log(),
    ];
    for file in &files {
        if let Ok(m) = std::fs::metadata(file)
            && m.permissions().mode() & 0o077 != 0
        {
            wrong.push(format!("chmod 600 {}", file.display()));
        }
    }
    if wrong.is_empty() {
        vec![ok("data files are private (0600, directories 0700)")]
    } else {
        vec![fail("other users can read tt's data", wrong.join("; "))]
    }
}

fn database(ctx: &Ctx) -> Result<Vec<Check>> {
    let path = ctx.database_path();
    let store = match Store::open_read_only(&path) {
        Ok(Some(store)) => store,
        Ok(None) => {
            return Ok(vec![warn(
                format!("no database at {}", path.display()),
                "run 'tt sync' (or 'tt import') to create it",
            )]);
        }
        Err(err) => return Ok(vec![fail(format!("{err:#}"), "see the message")]),
    };
    let mut checks = vec![ok(format!(
        "database schema version {SCHEMA_VERSION} ({})",
        path.display()
    ))];
    let without_cwd: i64 = store.conn.query_row(
        "SELECT count(*) FROM events WHERE (cwd IS NULL OR cwd = '') AND type IN (?1, ?2, ?3, ?4)",
        [
            kind::PANE_FOCUS,
            kind::SCROLL,
            kind::AGENT_TOOL_USE,
            kind::USER_MESSAGE,
        ],
        |r| r.get(0),
    )?;
    checks.push(if without_cwd == 0 {
        ok("every focus and agent event has a directory")
    } else {
        warn(
            format!("{without_cwd} focus or agent events have no directory and count as unassigned"),
            "'tt events' shows them; 'tt assign' gives their time a stream",
        )
    });
    let now = clock::now()?;
    let week = Period::resolve(Spec::Week, now, &when::local_zone())?;
    let input = stored::load(&store.conn, week.start_ms, week.end_ms)?;
    let unassigned = rollup::rollup(&input, &week).unassigned_ms;
    checks.push(if unassigned == 0 {
        ok("no unassigned time this week")
    } else {
        warn(
            format!("{} of unassigned time this week", duration(unassigned)),
            "'tt timeline' shows when; 'tt assign' gives it a stream",
        )
    });
    Ok(checks)
}

/// Each enabled remote: does ssh reach it, and which tt answers there.
fn remotes(ctx: &Ctx) -> Vec<Check> {
    let sync = &ctx.config.sync;
    let enabled: Vec<_> = ctx.config.remotes.iter().filter(|r| r.enabled).collect();
    if enabled.is_empty() {
        return vec![ok("no remotes configured")];
    }
    let remote_line = format!(
        "{} --version",
        shlex::try_quote(&sync.remote_command).unwrap_or_default()
    );
    enabled
        .iter()
        .map(|remote| {
            let argv = match ssh_argv(&sync.ssh_command, sync.connect_timeout, &remote.alias, &remote_line) {
                Ok(argv) => argv,
                Err(err) => return fail(format!("remote {}", remote.alias), err.to_string()),
            };
            let out = Command::new(&argv[0]).args(&argv[1..]).stdin(Stdio::null()).output();
            match out {
                Ok(out) if out.status.success() => {
                    let version = String::from_utf8_lossy(&out.stdout).trim().to_string();
                    ok(format!("remote {} answers: {}", remote.alias, printable(&version)))
                }
                Ok(out) => {
                    let stderr = String::from_utf8_lossy(&out.stderr);
                    let last = stderr.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("no output");
                    fail(
                        format!("remote {} is not reachable or has no tt ({})", remote.alias, printable(last.trim())),
                        format!(
                            "check 'ssh {} {}' by hand; set sync.remote_command if tt is not on the remote PATH",
                            remote.alias, sync.remote_command
                        ),
                    )
                }
                Err(err) => fail(
                    format!("cannot run {}: {err}", argv[0]),
                    "set sync.ssh_command (or TT_SSH_COMMAND) to an ssh that exists",
                ),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tt_path_is_read_from_the_hooks_tmux_shows() {
        let shown = r#"pane-focus-in[0] run-shell -b "umask 077; d=\"${XDG_STATE_HOME:-$HOME/.local/state}/tt\"; [ -d \"$d\" ] || mkdir -p \"$d\"; \"/opt/my tools/bin/tt\" ingest pane-focus --pane=#{q:pane_id}""#;
        assert_eq!(hook_tt_path(shown).as_deref(), Some("/opt/my tools/bin/tt"));
        let plain =
            r#"pane-focus-in[0] run-shell -b "umask 077; \"/usr/local/bin/tt\" ingest pane-focus --pane=x""#;
        assert_eq!(hook_tt_path(plain).as_deref(), Some("/usr/local/bin/tt"));
        let bare = "after-select-pane[3] run-shell -b 'tt ingest pane-focus --pane=x'";
        assert_eq!(hook_tt_path(bare).as_deref(), Some("tt"));
        assert_eq!(hook_tt_path("pane-focus-in[0] run-shell 'echo hi'"), None);
    }

    #[test]
    fn lines_name_the_level_and_the_fix() {
        assert_eq!(render(&ok("all good")), "ok    all good");
        assert_eq!(render(&fail("broken", "fix it")), "fail  broken: fix it");
    }
}
