//! What the capture tests share: a throwaway home with its own XDG directories, and
//! the real `tt` binary run inside it.

#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::TempDir;
use tt::event::Event;

pub const TT: &str = env!("CARGO_BIN_EXE_tt");

pub struct Home {
    pub dir: TempDir,
}

impl Home {
    pub fn new() -> Home {
        let dir = tempfile::Builder::new()
            .prefix("tt-capture-")
            .tempdir()
            .expect("temporary directory");
        fs::create_dir(dir.path().join("home")).unwrap();
        Home { dir }
    }

    /// A home where `tt init` has run.
    pub fn initialised() -> Home {
        let home = Home::new();
        let out = home.tt(&["init", "--label", "testbox"]);
        assert!(
            out.status.success(),
            "tt init failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        home
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn data_dir(&self) -> PathBuf {
        self.root().join("data/tt")
    }
    pub fn state_dir(&self) -> PathBuf {
        self.root().join("state/tt")
    }
    pub fn config_dir(&self) -> PathBuf {
        self.root().join("config/tt")
    }
    pub fn event_log(&self) -> PathBuf {
        self.data_dir().join("events.jsonl")
    }

    /// The environment tt and tmux run in: only this home's directories, no TT_*.
    pub fn env(&self) -> Vec<(&'static str, PathBuf)> {
        vec![
            ("HOME", self.root().join("home")),
            ("XDG_CONFIG_HOME", self.root().join("config")),
            ("XDG_DATA_HOME", self.root().join("data")),
            ("XDG_STATE_HOME", self.root().join("state")),
        ]
    }

    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new(program);
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("TT_") {
                cmd.env_remove(&key);
            }
        }
        cmd.envs(self.env());
        cmd
    }

    pub fn tt_command(&self, args: &[&str]) -> Command {
        let mut cmd = self.command(TT);
        cmd.args(args);
        cmd
    }

    pub fn tt(&self, args: &[&str]) -> Output {
        self.tt_command(args).output().expect("run tt")
    }

    /// `tt ingest pane-focus` for `pane` in `cwd`, asserting success.
    pub fn focus(&self, pane: &str, cwd: &Path) {
        let cwd = format!("--cwd={}", cwd.display());
        let out = self.tt(&[
            "ingest",
            "pane-focus",
            &format!("--pane={pane}"),
            &cwd,
            "--session=main",
            "--window=1",
        ]);
        assert!(
            out.status.success(),
            "ingest failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub fn machine_id(&self) -> String {
        let text = fs::read_to_string(self.data_dir().join("machine.json")).unwrap();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        value["machine_id"].as_str().unwrap().to_string()
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
