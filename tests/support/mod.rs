//! Shared helpers for the sync tests: throwaway homes, a fleet of remotes behind a
//! real sshd, and the hub's database.
#![allow(dead_code)]

pub mod sshd;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use tempfile::TempDir;
use tt::event::{Event, Timestamp, kind, source};

use sshd::{Sshd, write_script};

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

/// One machine's XDG directories under a temporary root.
pub struct Home {
    pub root: PathBuf,
}

impl Home {
    pub fn new(root: PathBuf) -> Home {
        for dir in ["config/tt", "data", "state"] {
            fs::create_dir_all(root.join(dir)).unwrap();
        }
        let home = Home { root };
        fs::write(home.root.join("config/tt/config.toml"), home.claude_section()).unwrap();
        home
    }

    /// Under sshd, HOME is the real user's home (sshd does not let a client set
    /// it), so every home names its own Claude directory: no test reads the real
    /// `~/.claude`.
    pub fn claude_section(&self) -> String {
        format!(
            "[claude]\nprojects_dir = {:?}\n",
            self.root.join("claude/projects").to_str().unwrap()
        )
    }

    pub fn xdg(&self) -> [(&'static str, PathBuf); 3] {
        [
            ("XDG_CONFIG_HOME", self.root.join("config")),
            ("XDG_DATA_HOME", self.root.join("data")),
            ("XDG_STATE_HOME", self.root.join("state")),
        ]
    }

    /// `tt` with only this home's environment: no TT_* variable leaks in.
    pub fn tt(&self) -> Command {
        self.command(tt_bin())
    }

    /// `program` with only PATH and this home's HOME and XDG variables.
    pub fn command(&self, program: &str) -> Command {
        let mut command = Command::new(program);
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &self.root);
        for (key, value) in self.xdg() {
            command.env(key, value);
        }
        command
    }

    pub fn init(&self, label: &str) -> String {
        let output = self.tt().args(["init", "--label", label]).output().unwrap();
        assert!(
            output.status.success(),
            "tt init: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        self.machine_id()
    }

    pub fn machine_id(&self) -> String {
        let text = fs::read_to_string(self.root.join("data/tt/machine.json")).unwrap();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        value["machine_id"].as_str().unwrap().to_string()
    }

    pub fn event_log(&self) -> PathBuf {
        self.root.join("data/tt/events.jsonl")
    }

    /// Appends `count` pane-focus events under `prefix`, numbered from `first`;
    /// returns their ids.
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
}

/// A hub and named remotes, each remote a separate home reached through its own
/// `Host` alias of a generated ssh config, all served by one real sshd.
pub struct Fleet {
    pub dir: TempDir,
    pub sshd: Sshd,
    pub hub: Home,
    pub remotes: Vec<(String, Home)>,
    /// Extra `Host` blocks (unreachable remotes).
    extra_hosts: Vec<String>,
    pub ssh_config: PathBuf,
    /// The `sync.remote_command`: runs `$XDG_CONFIG_HOME/tt-wrapper` when a test
    /// installed one for that remote, else tt itself.
    pub remote_command: PathBuf,
}

impl Fleet {
    /// Starts sshd and creates one remote per alias, each with `tt init --label <alias>`.
    pub fn new(aliases: &[&str]) -> Fleet {
        let dir = tempfile::Builder::new().prefix("tt-sync-").tempdir().unwrap();
        let sshd = Sshd::start(&dir.path().join("sshd"));
        let hub = Home::new(dir.path().join("hub"));
        let remotes = aliases
            .iter()
            .map(|alias| {
                let home = Home::new(dir.path().join(format!("remote-{alias}")));
                home.init(alias);
                (alias.to_string(), home)
            })
            .collect();
        let remote_command = dir.path().join("tt-remote");
        write_script(
            &remote_command,
            &format!(
                "if [ -x \"$XDG_CONFIG_HOME/tt-wrapper\" ]; then exec \"$XDG_CONFIG_HOME/tt-wrapper\" \"$@\"; fi\n\
                 exec '{}' \"$@\"",
                tt_bin()
            ),
        );
        let fleet = Fleet {
            ssh_config: dir.path().join("ssh_config"),
            dir,
            sshd,
            hub,
            remotes,
            extra_hosts: Vec::new(),
            remote_command,
        };
        fleet.write_ssh_config();
        let remotes: Vec<(&str, Option<&str>)> = aliases.iter().map(|a| (*a, None)).collect();
        fleet.write_hub_config(&[], &remotes);
        fleet
    }

    fn write_ssh_config(&self) {
        let mut text = String::new();
        for (alias, home) in &self.remotes {
            let env = home.xdg();
            let env: Vec<(&str, &Path)> = env.iter().map(|(k, v)| (*k, v.as_path())).collect();
            text.push_str(&self.sshd.host_block(alias, &env));
        }
        for block in &self.extra_hosts {
            text.push_str(block);
        }
        fs::write(&self.ssh_config, text).unwrap();
    }

    /// Adds a `Host` alias whose port nothing listens on.
    pub fn add_unreachable(&mut self, alias: &str) {
        let block = self.sshd.host_block_on_port(alias, sshd::closed_port(), &[]);
        self.extra_hosts.push(block);
        self.write_ssh_config();
    }

    /// The hub's config.toml: sync settings pointing at this fleet, with `sync`
    /// overriding keys of `[sync]` (raw TOML values), and the given `[[remotes]]`
    /// (alias, label).
    pub fn write_hub_config(&self, sync: &[(&str, &str)], remotes: &[(&str, Option<&str>)]) {
        let ssh = format!(
            "ssh -F {}",
            shlex::try_quote(self.ssh_config.to_str().unwrap()).unwrap()
        );
        let remote = self.remote_command.to_str().unwrap();
        let mut keys = vec![
            ("ssh_command", format!("{ssh:?}")),
            ("remote_command", format!("{remote:?}")),
            ("connect_timeout", "\"5s\"".to_string()),
            ("timeout", "\"60s\"".to_string()),
        ];
        for (key, value) in sync {
            keys.retain(|(k, _)| k != key);
            keys.push((key, value.to_string()));
        }
        let mut text = String::from("[sync]\n");
        for (key, value) in keys {
            text.push_str(&format!("{key} = {value}\n"));
        }
        for (alias, label) in remotes {
            text.push_str(&format!("\n[[remotes]]\nalias = {alias:?}\n"));
            if let Some(label) = label {
                text.push_str(&format!("label = {label:?}\n"));
            }
        }
        text.push_str(&format!("\n{}", self.hub.claude_section()));
        let dir = self.hub.root.join("config/tt");
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("config.toml"), text).unwrap();
    }

    pub fn remote(&self, alias: &str) -> &Home {
        &self
            .remotes
            .iter()
            .find(|(a, _)| a == alias)
            .unwrap_or_else(|| panic!("no remote {alias}"))
            .1
    }

    /// Makes `alias` run `body` (a shell script; `$tt` is the tt binary) instead of tt.
    pub fn set_wrapper(&self, alias: &str, body: &str) {
        let path = self.remote(alias).root.join("config/tt-wrapper");
        write_script(&path, &format!("tt='{}'\n{body}", tt_bin()));
    }

    pub fn clear_wrapper(&self, alias: &str) {
        let _ = fs::remove_file(self.remote(alias).root.join("config/tt-wrapper"));
    }

    pub fn sync(&self, args: &[&str]) -> Output {
        self.hub.tt().arg("sync").args(args).output().unwrap()
    }

    pub fn db(&self) -> rusqlite::Connection {
        let conn = rusqlite::Connection::open(self.hub.root.join("data/tt/tt.db")).unwrap();
        conn.busy_timeout(Duration::from_secs(10)).unwrap();
        conn
    }

    /// (events, distinct ids) stored for a machine.
    pub fn stored_events(&self, machine_id: &str) -> (u64, u64) {
        self.db()
            .query_row(
                "SELECT count(*), count(DISTINCT id) FROM events WHERE machine_id = ?1",
                [machine_id],
                |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64)),
            )
            .unwrap()
    }

    pub fn machines_json(&self) -> serde_json::Value {
        let output = self.hub.tt().args(["machines", "--json"]).output().unwrap();
        assert!(
            output.status.success(),
            "tt machines: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).unwrap()
    }
}

/// stdout and stderr of a run, for assertion messages.
pub fn describe(output: &Output) -> String {
    format!(
        "status {}\n--- stdout\n{}--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The summary line of one remote.
pub fn summary_line(output: &Output, name: &str) -> String {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .find(|line| line.split_whitespace().next() == Some(name))
        .unwrap_or_else(|| panic!("no summary line for {name}:\n{}", describe(output)))
        .to_string()
}
