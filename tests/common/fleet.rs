//! A hub and its remotes for the sync tests, each remote reached over ssh through
//! the real sshd of [`super::sshd`].

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use tempfile::TempDir;

use super::sshd::{self, Sshd};
use super::{Home, describe, tt_bin, write_script};

/// A hub and named remotes, each remote a separate home reached through its own
/// `Host` alias of a generated ssh config, all served by one real sshd.
pub struct Fleet {
    /// Scratch space: sshd's files, the ssh config, scripts a test writes.
    pub dir: TempDir,
    sshd: Sshd,
    pub hub: Home,
    pub remotes: Vec<(String, Home)>,
    /// Extra `Host` blocks (unreachable remotes).
    extra_hosts: Vec<String>,
    pub ssh_config: PathBuf,
    /// The `sync.remote_command`: runs `$XDG_CONFIG_HOME/tt-wrapper` when a test
    /// installed one for that remote, else tt itself.
    remote_command: PathBuf,
}

impl Fleet {
    /// Starts sshd and creates one remote per alias, each with `tt init --label <alias>`.
    pub fn new(aliases: &[&str]) -> Fleet {
        let dir = tempfile::Builder::new().prefix("tt-sync-").tempdir().unwrap();
        let sshd = Sshd::start(&dir.path().join("sshd"));
        let hub = Home::new();
        let remotes = aliases
            .iter()
            .map(|alias| {
                let home = Home::new();
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
            // sshd sets HOME itself: a remote gets the rest of its home's variables.
            let env = home.env();
            let env: Vec<(&str, &Path)> = env
                .iter()
                .filter(|(key, _)| *key != "HOME")
                .map(|(key, value)| (*key, value.as_path()))
                .collect();
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

    /// Adds `Host new_alias`: a second route to the remote `existing` (the same home).
    pub fn add_route(&mut self, new_alias: &str, existing: &str) {
        let home = self.remote(existing);
        let env = home.env();
        let env: Vec<(&str, &Path)> = env
            .iter()
            .filter(|(key, _)| *key != "HOME")
            .map(|(key, value)| (*key, value.as_path()))
            .collect();
        let block = self.sshd.host_block(new_alias, &env);
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
        self.hub.write_config(&text);
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
        let config = self.remote(alias).root().join("config");
        fs::create_dir_all(&config).unwrap();
        write_script(&config.join("tt-wrapper"), &format!("tt='{}'\n{body}", tt_bin()));
    }

    pub fn clear_wrapper(&self, alias: &str) {
        let _ = fs::remove_file(self.remote(alias).root().join("config/tt-wrapper"));
    }

    /// `tt sync ARGS` on the hub, whatever its exit status.
    pub fn sync(&self, args: &[&str]) -> Output {
        self.hub.tt(&["sync"]).args(args).output().unwrap()
    }

    /// (events, distinct ids) stored for a machine.
    pub fn stored_events(&self, machine_id: &str) -> (u64, u64) {
        self.hub
            .db()
            .query_row(
                "SELECT count(*), count(DISTINCT id) FROM events WHERE machine_id = ?1",
                [machine_id],
                |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64)),
            )
            .unwrap()
    }

    /// `tt machines --json` on the hub.
    pub fn machines_json(&self) -> serde_json::Value {
        serde_json::from_str(&self.hub.ok(&["machines", "--json"])).unwrap()
    }
}

/// The summary line of one remote.
pub fn summary_line(output: &Output, name: &str) -> String {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .find(|line| line.split_whitespace().next() == Some(name))
        .unwrap_or_else(|| panic!("no summary line for {name}:\n{}", describe(output)))
        .to_string()
}
