//! The fleet demo (examples/fleet_demo.rs) as a function the tests run end to end.
//!
//! A week of work on three remotes and the hub itself: several projects, `acme-api`
//! on two machines, `spotter` on two machines with the real Claude Code logs of
//! tests/fixtures (parallel sessions, subagents), lunch breaks reported idle, the
//! terminal losing focus. Everything lives under one directory; the remotes are
//! reached through a stand-in for ssh (`sync.ssh_command`, the seam TT_SSH_COMMAND
//! also uses) that runs the remote command with that machine's home. The clock is
//! pinned (TT_NOW, TZ) to the Friday evening of that week, so the output is the
//! same on every run.

use std::fmt::Write as _;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use tt::event::{Event, Timestamp, kind, source};

/// Friday evening of the demo week (Monday 2026-02-09): what `tt` takes for now.
pub const NOW: &str = "2026-02-13T18:00:00Z";
/// The zone the demo's reports are read in.
pub const TZ: &str = "UTC";

/// One machine of the demo: a home directory of its own.
pub struct Machine {
    pub label: &'static str,
    pub home: PathBuf,
}

impl Machine {
    pub fn command(&self, tt: &Path, args: &[&str]) -> Command {
        let mut cmd = Command::new(tt);
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy();
            if key.starts_with("TT_") || key == "NO_COLOR" {
                cmd.env_remove(&*key);
            }
        }
        cmd.args(args)
            .env("HOME", &self.home)
            .env("XDG_CONFIG_HOME", self.home.join("config"))
            .env("XDG_DATA_HOME", self.home.join("data"))
            .env("XDG_STATE_HOME", self.home.join("state"))
            .env("TT_CLAUDE__PROJECTS_DIR", self.home.join("claude-projects"))
            .env("TT_NOW", NOW)
            .env("TZ", TZ);
        cmd
    }

    fn data_file(&self, name: &str) -> PathBuf {
        self.home.join("data/tt").join(name)
    }

    fn machine_id(&self) -> String {
        let text = fs::read_to_string(self.data_file("machine.json")).unwrap();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        value["machine_id"].as_str().unwrap().to_string()
    }
}

/// The demo's machines under `root`: the three remotes, then the hub.
pub struct Demo {
    pub root: PathBuf,
    pub tt: PathBuf,
    pub remotes: Vec<Machine>,
    pub hub: Machine,
}

/// How a step's output is handled: shown as it runs (a terminal sees progress bars),
/// or captured for a test.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Show,
    Capture,
}

impl Demo {
    /// Creates the fleet under `root`: identities, a week of events, Claude logs, and
    /// the hub's config.toml naming the remotes.
    pub fn create(root: &Path, tt: &Path) -> Demo {
        let machine = |label: &'static str, dir: &str| Machine {
            label,
            home: root.join(dir),
        };
        let demo = Demo {
            root: root.to_path_buf(),
            tt: tt.to_path_buf(),
            remotes: vec![
                machine("devbox", "remotes/devbox"),
                machine("gpu-server", "remotes/gpu-server"),
                machine("build-box", "remotes/build-box"),
            ],
            hub: machine("laptop", "hub"),
        };
        for m in demo.remotes.iter().chain([&demo.hub]) {
            demo.must(m, &["init", "--label", m.label]);
            let id = m.machine_id();
            let events = week_of(m.label, &id);
            tt::eventlog::append(&m.data_file("events.jsonl"), &events).unwrap();
        }
        let fixtures = super::claude_fixtures();
        for (label, dirs) in [
            ("devbox", &["-home-marco-projects-spotter"][..]),
            (
                "gpu-server",
                &[
                    "-home-USER-projects-spotter-worktrees-spotter-gqc",
                    "-home-USER-projects-spotter-worktrees-spotter-4te",
                ][..],
            ),
        ] {
            let m = demo.remote(label);
            for dir in dirs {
                super::copy_dir(&fixtures.join(dir), &m.home.join("claude-projects").join(dir));
            }
        }
        let fake_ssh = write_fake_ssh(root);
        let remotes: String = demo
            .remotes
            .iter()
            .map(|m| format!("[[remotes]]\nalias = \"{}\"\n\n", m.label))
            .collect();
        fs::create_dir_all(demo.hub.home.join("config/tt")).unwrap();
        fs::write(
            demo.hub.home.join("config/tt/config.toml"),
            format!(
                "[sync]\nssh_command = \"{}\"\nremote_command = \"{}\"\n\n{remotes}",
                fake_ssh.display(),
                tt.display()
            ),
        )
        .unwrap();
        demo
    }

    pub fn remote(&self, label: &str) -> &Machine {
        self.remotes.iter().find(|m| m.label == label).unwrap()
    }

    /// Runs `tt ARGS` on `m`, asserting success; returns stdout.
    pub fn must(&self, m: &Machine, args: &[&str]) -> String {
        let out = m.command(&self.tt, args).stdin(Stdio::null()).output().unwrap();
        assert!(
            out.status.success(),
            "tt {args:?} on {}: {}",
            m.label,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// One step on the hub: the command line, then its output (shown live or captured
    /// into `transcript`).
    pub fn step(&self, mode: Mode, transcript: &mut String, args: &[&str], note: &str) -> String {
        let line = format!("$ tt {}{note}", args.join(" "));
        match mode {
            Mode::Show => {
                println!("\n{line}");
                let status = self
                    .hub
                    .command(&self.tt, args)
                    .stdin(Stdio::null())
                    .status()
                    .unwrap();
                assert!(status.success(), "tt {args:?} failed");
                let _ = writeln!(transcript, "{line}");
                String::new()
            }
            Mode::Capture => {
                let out = self.must(&self.hub, args);
                let _ = writeln!(transcript, "{line}\n{out}");
                out
            }
        }
    }

    /// The whole story; returns the transcript (commands, and their output when
    /// captured).
    pub fn run(&self, mode: Mode) -> String {
        let mut t = String::new();
        self.step(mode, &mut t, &["sync"], "");
        self.step(mode, &mut t, &["machines"], "");
        self.step(mode, &mut t, &["streams"], "");
        self.step(mode, &mut t, &["tag", "acme-api@devbox", "client:acme"], "");
        self.step(
            mode,
            &mut t,
            &["tag", "acme-api@build-box", "client:acme"],
            "   # one tag, two machines",
        );
        self.step(mode, &mut t, &["tag", "acme-web", "client:acme"], "");
        self.step(mode, &mut t, &["tag", "spotter@devbox", "oss"], "");
        self.step(mode, &mut t, &["tag", "spotter@gpu-server", "oss"], "");
        self.step(mode, &mut t, &["report", "--week"], "");
        let busiest = self.busiest_day();
        self.step(
            mode,
            &mut t,
            &["timeline", "--day", &busiest],
            "   # the busiest day: where the numbers come from",
        );
        t
    }

    /// The day of the week with the most tracked time.
    pub fn busiest_day(&self) -> String {
        let report: serde_json::Value =
            serde_json::from_str(&self.must(&self.hub, &["report", "--week", "--json"])).unwrap();
        let days = report["by_day"].as_array().unwrap();
        let busiest = days
            .iter()
            .max_by_key(|d| d["total_ms"].as_i64().unwrap())
            .unwrap();
        busiest["date"].as_str().unwrap().to_string()
    }

    /// Where things are and what to do next, for the end of the demo.
    pub fn epilogue(&self) -> String {
        format!(
            "\nEverything above lives in {root}:\n  \
             hub/data/tt/tt.db          the hub's database (tt --database PATH reads another)\n  \
             hub/config/tt/config.toml  the remotes it syncs\n  \
             remotes/*/data/tt/         each remote's identity and events.jsonl\n\n\
             To track your own fleet, on each dev server run 'tt init' and add\n\
             'source-file ~/.config/tt/tmux.conf' after 'tt hook tmux > ~/.config/tt/tmux.conf';\n\
             then list the servers in ~/.config/tt/config.toml on your laptop:\n\n  \
             [[remotes]]\n  alias = \"devbox\"        # an ~/.ssh/config alias or user@host\n\n\
             and run 'tt sync' and 'tt report'.",
            root = self.root.display()
        )
    }
}

/// A week (Monday 2026-02-09 to Friday) of one machine's tmux and idle events.
fn week_of(label: &str, id: &str) -> Vec<Event> {
    let mut events = Vec::new();
    let home = format!("/home/{label}");
    for day in 9..=13 {
        let at = |h: i64, m: i64| -> Timestamp {
            let base: Timestamp = format!("2026-02-{day:02}T00:00:00.000Z").parse().unwrap();
            Timestamp::from_millis(base.as_millis() + (h * 60 + m) * 60_000)
        };
        let mut focus = |h: i64, m: i64, project: &str, dir: &str, pane: u32| {
            let mut e = Event::new(id, source::TMUX, kind::PANE_FOCUS, at(h, m), &format!("%{pane}"));
            e.pane_id = Some(format!("%{pane}"));
            e.session_name = Some("work".into());
            e.window_index = Some(pane % 4);
            e.cwd = Some(dir.to_string());
            e.git_project = (!project.is_empty()).then(|| project.to_string());
            events.push(e);
        };
        // A block of work: a focus every `every` minutes, alternating between projects.
        let mut block = |from: (i64, i64), to: (i64, i64), every: i64, projects: &[(&str, &str)]| {
            let (mut minute, end) = (from.0 * 60 + from.1, to.0 * 60 + to.1);
            let mut k = 0;
            while minute < end {
                let (project, dir) = projects[k % projects.len()];
                focus(minute / 60, minute % 60, project, dir, k as u32 % 7);
                minute += every + (k as i64 * 7 + day) % 3;
                k += 1;
            }
        };
        let acme_api = format!("{home}/src/acme-api");
        let acme_web = format!("{home}/src/acme-web");
        match label {
            "devbox" => {
                block(
                    (9, 0),
                    (11, 0),
                    3,
                    &[("acme-api", &acme_api), ("acme-web", &acme_web)],
                );
                block((11, 25), (12, 30), 4, &[("acme-api", &acme_api)]);
                if day == 10 {
                    // The evening the Claude Code sessions in tests/fixtures ran.
                    let spotter = "/home/marco/projects/spotter";
                    block((21, 5), (23, 0), 4, &[("spotter", spotter)]);
                }
            }
            "gpu-server" => {
                let trainer = format!("{home}/src/trainer");
                block((13, 30), (15, 0), 4, &[("trainer", &trainer)]);
                let worktree = match day {
                    11 => Some(("gqc", (20, 30), (21, 50))),
                    12 => Some(("4te", (14, 5), (15, 10))),
                    _ => None,
                };
                if let Some((name, from, to)) = worktree {
                    let dir = format!("/home/USER/projects/spotter-worktrees/spotter-{name}");
                    block(from, to, 5, &[("spotter", &dir)]);
                }
            }
            "build-box" => {
                block((15, 30), (17, 0), 3, &[("acme-api", &acme_api)]);
            }
            _ => {
                // The hub (a laptop): notes in the morning, a scratch directory after.
                block((8, 30), (9, 0), 4, &[("notes", &format!("{home}/notes"))]);
                block((17, 0), (17, 30), 5, &[("", &format!("{home}/scratch"))]);
            }
        }
        if label == "devbox" {
            // The terminal loses focus at 10:40 (a video call) and gets it back at 11:10.
            for (h, m, action) in [(10, 40, "focus_out"), (11, 10, "focus_in")] {
                let mut e = Event::new(id, source::TMUX, kind::CLIENT, at(h, m), &format!("{action}:%1"));
                e.action = Some(action.into());
                e.pane_id = Some("%1".into());
                e.session_name = Some("work".into());
                e.window_index = Some(0);
                e.cwd = Some(acme_web.clone());
                e.git_project = Some("acme-web".into());
                events.push(e);
            }
        }
        if label == "build-box" {
            // Two agents work on acme-api in parallel each morning while you are on
            // devbox: they count once for the stream.
            for (session, from, to) in [("build-a", 9 * 60, 11 * 60 + 30), ("build-b", 10 * 60, 12 * 60)] {
                let session = format!("{session}-{day}");
                let mut minute = from;
                let mut k = 0;
                while minute <= to {
                    let mut e = Event::new(
                        id,
                        source::AGENT,
                        kind::AGENT_TOOL_USE,
                        at(0, minute),
                        &format!("{session}:{k}"),
                    );
                    e.agent = Some("claude-code".into());
                    e.session_id = Some(session.clone());
                    e.cwd = Some(acme_api.clone());
                    e.tool = Some(["Read", "Edit", "Bash"][k % 3].into());
                    events.push(e);
                    minute += 2 + (k as i64 * 5 + day) % 5;
                    k += 1;
                }
            }
        }
        if label == "laptop" {
            // Lunch: the desktop's idle detector reports 50 idle minutes at 12:50.
            let mut e = Event::new(id, source::AFK, kind::AFK_CHANGE, at(12, 50), "idle");
            e.status = Some("idle".into());
            e.idle_duration_ms = Some(50 * 60_000);
            events.push(e);
        }
    }
    events.sort_by_key(|e| e.timestamp);
    events
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
