//! Shared helpers for the integration tests: a throwaway home and the real binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use tempfile::TempDir;

/// A private HOME with its own XDG directories; every tt run uses only these.
pub struct Home {
    pub dir: TempDir,
}

impl Home {
    pub fn new() -> Home {
        Home {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
    pub fn config_dir(&self) -> PathBuf {
        self.path().join("config/tt")
    }
    pub fn data_dir(&self) -> PathBuf {
        self.path().join("data/tt")
    }
    pub fn state_dir(&self) -> PathBuf {
        self.path().join("state/tt")
    }
    pub fn event_log(&self) -> PathBuf {
        self.data_dir().join("events.jsonl")
    }
    pub fn database(&self) -> PathBuf {
        self.data_dir().join("tt.db")
    }

    /// `tt ARGS` with this home and no inherited TT_* variables.
    pub fn tt(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tt"));
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("TT_") {
                cmd.env_remove(key);
            }
        }
        cmd.args(args)
            .env("HOME", self.path())
            .env("XDG_CONFIG_HOME", self.path().join("config"))
            .env("XDG_DATA_HOME", self.path().join("data"))
            .env("XDG_STATE_HOME", self.path().join("state"))
            .env("TT_CLAUDE__PROJECTS_DIR", self.path().join("claude-projects"))
            .stdin(Stdio::null());
        cmd
    }

    /// Runs `tt ARGS` and returns its output, whatever the exit status.
    pub fn run(&self, args: &[&str]) -> Output {
        self.tt(args).output().expect("tt runs")
    }

    /// Runs `tt ARGS`, asserting success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "tt {args:?} failed with {}:\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 stdout")
    }

    /// Runs `tt ARGS` with `input` on stdin, asserting success; returns (stdout, stderr).
    pub fn ok_with_input(&self, args: &[&str], input: &[u8]) -> (String, String) {
        use std::io::Write;
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
        assert!(
            out.status.success(),
            "tt {args:?} failed with {}:\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        (
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    }

    /// `tt init --label LABEL`; returns the machine id.
    pub fn init(&self, label: &str) -> String {
        self.ok(&["init", "--label", label]);
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(self.data_dir().join("machine.json")).unwrap()).unwrap();
        json["machine_id"].as_str().unwrap().to_string()
    }

    pub fn write_config(&self, toml: &str) {
        std::fs::create_dir_all(self.config_dir()).unwrap();
        std::fs::write(self.config_dir().join("config.toml"), toml).unwrap();
    }
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}
