//! What the integration tests share: a throwaway [`Home`] with the real `tt` binary
//! run inside it, fixtures, and (in [`fleet`], over the real sshd of [`sshd`]) a hub
//! with remotes.
//!
//! Every test file is a crate of its own that compiles this whole module and uses a
//! part of it (examples/bench/main.rs includes it too, by `#[path]`): what one crate
//! leaves unused is not dead, hence the allow.
#![allow(dead_code)]

pub mod demo;
pub mod fleet;
pub mod sshd;

use std::ffi::OsStr;
use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use tempfile::TempDir;
use tt::event::{Event, Timestamp, kind, source};

/// The tt binary under test: cargo names it for tests; an example (the sync
/// benchmark) finds it next to its own directory (`target/<profile>/tt`).
pub fn tt_bin() -> &'static str {
    static PATH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    PATH.get_or_init(|| match option_env!("CARGO_BIN_EXE_tt") {
        Some(path) => path.to_string(),
        None => {
            let exe = std::env::current_exe().unwrap();
            let tt = exe.parent().and_then(Path::parent).unwrap().join("tt");
            assert!(
                tt.is_file(),
                "{} not found: build it first (cargo build --release)",
                tt.display()
            );
            tt.to_str().unwrap().to_string()
        }
    })
}

/// One machine's private directories under a temporary root, removed on drop:
///
/// ```text
/// home/             HOME
/// config/tt/        $XDG_CONFIG_HOME/tt: config.toml
/// data/tt/          $XDG_DATA_HOME/tt: machine.json, events.jsonl, tt.db
/// state/tt/         $XDG_STATE_HOME/tt
/// claude-projects/  the Claude Code logs tt reads (TT_CLAUDE__PROJECTS_DIR)
/// ```
///
/// Commands run through it see these and none of the caller's TT_* variables, so no
/// test reads or writes the real user's files.
pub struct Home {
    dir: TempDir,
}

impl Home {
    pub fn new() -> Home {
        let dir = tempfile::Builder::new()
            .prefix("tt-test-")
            .tempdir()
            .expect("temporary directory");
        fs::create_dir(dir.path().join("home")).unwrap();
        Home { dir }
    }

    /// A home where `tt init --label testbox` has run.
    pub fn initialised() -> Home {
        let home = Home::new();
        home.init("testbox");
        home
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }
    pub fn config_dir(&self) -> PathBuf {
        self.root().join("config/tt")
    }
    pub fn data_dir(&self) -> PathBuf {
        self.root().join("data/tt")
    }
    pub fn state_dir(&self) -> PathBuf {
        self.root().join("state/tt")
    }
    pub fn claude_projects(&self) -> PathBuf {
        self.root().join("claude-projects")
    }
    pub fn event_log(&self) -> PathBuf {
        self.data_dir().join("events.jsonl")
    }
    pub fn database(&self) -> PathBuf {
        self.data_dir().join("tt.db")
    }

    /// The variables that point tt at this home (also sent to a remote over ssh).
    pub fn env(&self) -> [(&'static str, PathBuf); 5] {
        [
            ("HOME", self.root().join("home")),
            ("XDG_CONFIG_HOME", self.root().join("config")),
            ("XDG_DATA_HOME", self.root().join("data")),
            ("XDG_STATE_HOME", self.root().join("state")),
            ("TT_CLAUDE__PROJECTS_DIR", self.claude_projects()),
        ]
    }

    /// `program` (tmux, git, ...) in this home: the caller's environment without
    /// TT_* variables, plus [`Home::env`].
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut cmd = Command::new(program);
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("TT_") {
                cmd.env_remove(key);
            }
        }
        cmd.envs(self.env());
        cmd
    }

    /// `tt ARGS` in this home, stdin closed.
    pub fn tt(&self, args: &[&str]) -> Command {
        let mut cmd = self.command(tt_bin());
        cmd.args(args).stdin(Stdio::null());
        cmd
    }

    /// Runs `tt ARGS` and returns its output, whatever the exit status.
    pub fn run(&self, args: &[&str]) -> Output {
        self.tt(args).output().expect("tt runs")
    }

    /// Runs `tt ARGS`, asserting success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_ok(args, &out);
        String::from_utf8(out.stdout).expect("utf-8 stdout")
    }

    /// Runs `tt ARGS` with `input` on stdin, asserting success; returns (stdout, stderr).
    pub fn ok_with_input(&self, args: &[&str], input: &[u8]) -> (String, String) {
        let mut child = self
            .tt(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("tt runs");
        let mut stdin = child.stdin.take().unwrap();
        let input = input.to_vec();
        let writer = std::thread::spawn(move || stdin.write_all(&input));
        let out = child.wait_with_output().unwrap();
        writer.join().unwrap().unwrap();
        assert_ok(args, &out);
        (
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    }

    /// `tt init --label LABEL`; returns the machine id.
    pub fn init(&self, label: &str) -> String {
        self.ok(&["init", "--label", label]);
        self.machine_id()
    }

    pub fn machine_id(&self) -> String {
        let text = fs::read_to_string(self.data_dir().join("machine.json")).unwrap();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        value["machine_id"].as_str().unwrap().to_string()
    }

    /// Replaces config.toml.
    pub fn write_config(&self, toml: &str) {
        fs::create_dir_all(self.config_dir()).unwrap();
        fs::write(self.config_dir().join("config.toml"), toml).unwrap();
    }

    /// The raw lines of events.jsonl (none when it does not exist).
    pub fn log_lines(&self) -> Vec<String> {
        match fs::read_to_string(self.event_log()) {
            Ok(text) => text.lines().map(str::to_string).collect(),
            Err(_) => Vec::new(),
        }
    }

    /// Every line of events.jsonl parsed and validated as an event.
    pub fn events(&self) -> Vec<Event> {
        self.log_lines()
            .iter()
            .map(|line| Event::from_json(line).unwrap_or_else(|e| panic!("invalid line {line:?}: {e}")))
            .collect()
    }

    /// Appends `count` pane-focus events under `prefix` (a machine id), numbered
    /// from `first`, one second apart; returns their ids.
    pub fn add_events(&self, prefix: &str, first: u64, count: u64) -> Vec<String> {
        let base: Timestamp = "2025-01-29T14:00:00.000Z".parse().unwrap();
        let events: Vec<Event> = (first..first + count)
            .map(|i| {
                let ts = Timestamp::from_millis(base.as_millis() + i as i64 * 1000);
                let mut event = Event::new(prefix, source::TMUX, kind::PANE_FOCUS, ts, &format!("%{i}"));
                event.pane_id = Some(format!("%{i}"));
                event.session_name = Some("main".into());
                event.window_index = Some(0);
                event.cwd = Some("/home/me/acme".into());
                event
            })
            .collect();
        tt::eventlog::append(&self.event_log(), &events).unwrap();
        events.into_iter().map(|e| e.id).collect()
    }

    /// The database, waiting for a running tt to let go of it.
    pub fn db(&self) -> rusqlite::Connection {
        let conn = rusqlite::Connection::open(self.database()).unwrap();
        conn.busy_timeout(Duration::from_secs(10)).unwrap();
        conn
    }
}

fn assert_ok(args: &[&str], out: &Output) {
    assert!(
        out.status.success(),
        "tt {args:?} failed with {}:\n{}",
        out.status,
        stderr(out)
    );
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Status, stdout and stderr of a run, for assertion messages.
pub fn describe(output: &Output) -> String {
    format!(
        "status {}\n--- stdout\n{}--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Real Claude Code logs: tests copy them into [`Home::claude_projects`].
pub fn claude_fixtures() -> &'static Path {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/claude-projects"
    ))
}

pub fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A directory that git would take for a repository: `.git/` with HEAD and a config,
/// written by hand so the tests need no git.
pub fn fake_repo(dir: &Path, origin: Option<&str>) {
    fs::create_dir_all(dir.join(".git")).unwrap();
    fs::write(dir.join(".git/HEAD"), "ref: refs/heads/main\n").unwrap();
    let mut config = String::from("[core]\n\trepositoryformatversion = 0\n\tbare = false\n");
    if let Some(url) = origin {
        config.push_str(&format!(
            "[remote \"origin\"]\n\turl = {url}\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n"
        ));
    }
    fs::write(dir.join(".git/config"), config).unwrap();
}

/// Writes an executable shell script.
pub fn write_script(path: &Path, body: &str) {
    let mut file = fs::File::create(path).unwrap();
    writeln!(file, "#!/bin/sh\n{body}").unwrap();
    drop(file);
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
}

/// Every row the recompute derives (intervals, streams, each event's stream, the
/// project maps), in a canonical order: two databases that should agree compare equal.
pub fn derived_rows(db: &Path) -> String {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut out = String::new();
    for sql in [
        "SELECT start_ms, end_ms, kind, stream_id, machine_id FROM intervals ORDER BY 1, 2, 3, 4, 5",
        "SELECT id, machine_id, name, project, created_at, updated_at FROM streams ORDER BY id",
        "SELECT id, stream_id, assignment_source FROM events ORDER BY id",
        "SELECT machine_id, cwd, project, first_at FROM cwd_projects ORDER BY 1, 2",
    ] {
        let mut stmt = conn.prepare(sql).unwrap();
        let columns = stmt.column_count();
        let mut rows = stmt.query([]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            for c in 0..columns {
                let value: rusqlite::types::Value = row.get(c).unwrap();
                out.push_str(&format!("{value:?}|"));
            }
            out.push('\n');
        }
        out.push_str("--\n");
    }
    out
}
