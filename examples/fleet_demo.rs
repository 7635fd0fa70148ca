//! The main job on a built-in example: a fleet of three "remote" machines, each with
//! its own identity, tmux events (written by the real `tt ingest` hook command) and,
//! on one of them, real Claude Code session logs; a hub that syncs all of them in
//! parallel with `tt sync`, lists them with `tt machines`, and syncs again to show
//! that only what is new travels.
//!
//! The remotes are local directories: `sync.ssh_command` points at a small stand-in
//! for ssh that runs the remote command with the chosen machine's home (the same seam
//! as `TT_SSH_COMMAND`). The end-to-end tests use a real sshd instead.
//!
//! Run: `cargo run --release --example fleet_demo` (set TT_DEMO_KEEP=1 to keep the
//! directory and look around).

#[path = "../tests/common/mod.rs"]
mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

const REMOTES: [(&str, &[&str]); 3] = [
    ("devbox", &["acme-api", "acme-web"]),
    ("gpu-server", &["trainer"]),
    ("build-box", &["acme-api"]),
];

fn main() {
    let tt = tt_binary();
    let dir = tempfile::tempdir().expect("temp dir");
    let root = if std::env::var_os("TT_DEMO_KEEP").is_some() {
        dir.keep()
    } else {
        dir.path().to_path_buf()
    };
    println!("fleet demo in {}\n", root.display());

    for (n, (name, projects)) in REMOTES.iter().enumerate() {
        let home = root.join("remotes").join(name);
        let machine = Machine { tt: &tt, home: &home };
        machine.run(&["init", "--label", name]);
        for (p, project) in projects.iter().enumerate() {
            let repo = home.join("src").join(project);
            fs::create_dir_all(repo.join(".git")).unwrap();
            fs::write(
                repo.join(".git/config"),
                format!("[remote \"origin\"]\n\turl = git@example.com:team/{project}.git\n"),
            )
            .unwrap();
            for i in 0..4 {
                let pane = format!("%{}", n * 10 + p * 4 + i);
                machine.run(&[
                    "ingest",
                    "pane-focus",
                    "--pane",
                    &pane,
                    "--cwd",
                    repo.to_str().unwrap(),
                    "--session",
                    "work",
                    "--window",
                    &p.to_string(),
                ]);
            }
        }
        if n == 0 {
            common::copy_dir(common::claude_fixtures(), &home.join("claude-projects"));
        }
    }

    let hub = root.join("hub");
    let fake_ssh = write_fake_ssh(&root);
    fs::create_dir_all(hub.join("config/tt")).unwrap();
    let remotes: String = REMOTES
        .iter()
        .map(|(name, _)| format!("[[remotes]]\nalias = \"{name}\"\n\n"))
        .collect();
    fs::write(
        hub.join("config/tt/config.toml"),
        format!(
            "[sync]\nssh_command = \"{}\"\nremote_command = \"{}\"\n\n{remotes}",
            fake_ssh.display(),
            tt.display()
        ),
    )
    .unwrap();
    let hub = Machine { tt: &tt, home: &hub };

    println!("$ tt sync");
    hub.show(&["sync"]);
    println!("\n$ tt machines");
    hub.show(&["machines"]);
    println!("\n$ tt sync   # again: only what is new travels");
    hub.show(&["sync"]);
    let events = hub.output(&["events"]);
    println!("\n$ tt events | wc -l\n{}", events.lines().count());
    println!("\n$ tt events | head -3");
    for line in events.lines().take(3) {
        println!("{line}");
    }
}

struct Machine<'a> {
    tt: &'a Path,
    home: &'a Path,
}

impl Machine<'_> {
    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(self.tt);
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("TT_") {
                cmd.env_remove(key);
            }
        }
        cmd.args(args)
            .env("HOME", self.home)
            .env("XDG_CONFIG_HOME", self.home.join("config"))
            .env("XDG_DATA_HOME", self.home.join("data"))
            .env("XDG_STATE_HOME", self.home.join("state"))
            .env("TT_CLAUDE__PROJECTS_DIR", self.home.join("claude-projects"));
        cmd
    }

    fn run(&self, args: &[&str]) {
        let out = self.command(args).output().unwrap();
        assert!(
            out.status.success(),
            "tt {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn show(&self, args: &[&str]) {
        let status = self.command(args).status().unwrap();
        assert!(status.success(), "tt {args:?} failed");
    }

    fn output(&self, args: &[&str]) -> String {
        let out = self.command(args).output().unwrap();
        assert!(
            out.status.success(),
            "tt {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }
}

/// A stand-in for ssh: skips options, takes the destination as a directory name under
/// `remotes/`, and runs the remote command there with that machine's home.
fn write_fake_ssh(root: &Path) -> PathBuf {
    let path = root.join("fake-ssh");
    let script = format!(
        r#"#!/bin/sh
while [ $# -gt 0 ]; do
  case "$1" in -o|-F|-p|-i|-l) shift 2 ;; -*) shift ;; *) break ;; esac
done
home="{}/remotes/$1"; shift
[ -d "$home" ] || {{ echo "ssh: Could not resolve hostname" >&2; exit 255; }}
export HOME="$home" XDG_CONFIG_HOME="$home/config" XDG_DATA_HOME="$home/data" XDG_STATE_HOME="$home/state"
export TT_CLAUDE__PROJECTS_DIR="$home/claude-projects"
exec sh -c "$*"
"#,
        root.display()
    );
    fs::write(&path, script).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// The tt binary of the same profile, built if needed (`cargo run --example` builds
/// only the library and the example).
fn tt_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().unwrap().parent().unwrap();
    let tt = profile_dir.join("tt");
    let release = profile_dir.file_name().is_some_and(|n| n == "release");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut build = Command::new(cargo);
    build
        .args(["build", "--quiet", "--bin", "tt"])
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    if release {
        build.arg("--release");
    }
    assert!(build.status().unwrap().success(), "building tt failed");
    assert!(tt.exists(), "{} missing", tt.display());
    tt
}
