//! The hooks of `tt hook tmux` in a real tmux server on a private socket.
//!
//! tmux must be installed: these tests fail (never skip) without it.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::thread::sleep;
use std::time::{Duration, Instant};

use common::{Home, fake_repo};
use tt::event::Event;

/// A tmux server on its own socket (in the test's directory), running the generated
/// configuration that sources `tt hook tmux`; killed on drop.
struct Tmux<'a> {
    home: &'a Home,
    socket: String,
}

impl<'a> Tmux<'a> {
    fn start(home: &'a Home, name: &str, first_dir: &Path) -> Tmux<'a> {
        let hooks = home.run(&["hook", "tmux"]);
        assert!(
            hooks.status.success(),
            "tt hook tmux: {}",
            String::from_utf8_lossy(&hooks.stderr)
        );
        let hooks_file = home.root().join("tt-hooks.conf");
        fs::write(&hooks_file, &hooks.stdout).unwrap();
        let conf = home.root().join("tmux.conf");
        fs::write(
            &conf,
            format!(
                "set -g default-shell /bin/sh\nset -g base-index 0\nsource-file '{}'\n",
                hooks_file.display()
            ),
        )
        .unwrap();
        let tmux = Tmux {
            home,
            socket: format!("tt-{name}-{}", std::process::id()),
        };
        let out = tmux.run(&[
            "-f",
            conf.to_str().unwrap(),
            "new-session",
            "-d",
            "-s",
            "work",
            "-x",
            "100",
            "-y",
            "30",
            "-c",
            first_dir.to_str().unwrap(),
        ]);
        assert!(
            out.status.success(),
            "tmux did not start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        tmux
    }

    /// Runs a tmux client command against this server. The server (started by the
    /// first command) and its hooks get a PATH without tt: the hooks must call it by
    /// its absolute path.
    fn run(&self, args: &[&str]) -> Output {
        let tmpdir = self.home.root().join("tmux-sockets");
        fs::create_dir_all(&tmpdir).unwrap();
        let path = std::env::var_os("PATH").unwrap_or_default();
        let path_without_tt =
            std::env::join_paths(std::env::split_paths(&path).filter(|dir| !dir.join("tt").exists()))
                .unwrap();
        self.home
            .command("tmux")
            .env_remove("TMUX")
            .env("TMUX_TMPDIR", &tmpdir)
            .env("PATH", path_without_tt)
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("tmux must be installed to run this test")
    }

    fn cmd(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim_end().to_string()
    }

    /// A format evaluated for `target`.
    fn show(&self, target: &str, format: &str) -> String {
        self.cmd(&["display-message", "-p", "-t", target, format])
    }

    /// Waits until the pane's shell runs in `dir` (tmux reports no path before that).
    fn wait_for_shell(&self, pane: &str, dir: &Path) {
        wait_until("the pane's shell to start", || {
            self.show(pane, "#{pane_current_path}") == dir.to_str().unwrap()
        });
    }
}

impl Drop for Tmux<'_> {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "timed out waiting for {what}"
        );
        sleep(Duration::from_millis(50));
    }
}

/// Waits for an event of `kind` for `pane` with `cwd`, and returns it.
fn wait_for_event(home: &Home, kind: &str, pane: &str, cwd: &Path) -> Event {
    let mut found = None;
    wait_until(&format!("a {kind} event for {pane} in {}", cwd.display()), || {
        found = home.events().into_iter().find(|e| {
            e.kind == kind && e.pane_id.as_deref() == Some(pane) && e.cwd.as_deref() == cwd.to_str()
        });
        found.is_some()
    });
    found.unwrap()
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Every file under `dir`, for proving that no hostile name ran a command.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() && !path.is_symlink() {
            files.extend(files_under(&path));
        }
        files.push(path);
    }
    files
}

#[test]
fn hooks_record_focus_and_scroll_of_real_panes_and_keep_hostile_directory_names_verbatim() {
    let home = Home::initialised();
    let work = home.root().join("home/work");
    let acme = work.join("acme");
    fake_repo(&acme, Some("https://git.example.invalid/team/acme-app.git"));
    let hostile = work.join("x'$(touch pwned)'\"y");
    // Characters `#{q:}` leaves alone: a newline would end the shell command, a tab
    // would split the argument.
    let control = work.join("line\nbreak\t$(touch pwned2) `touch pwned3` caf\u{e9}");
    fs::create_dir_all(&hostile).unwrap();
    fs::create_dir_all(&control).unwrap();

    let tmux = Tmux::start(&home, "hooks", &acme);
    assert_eq!(
        tmux.cmd(&["show-options", "-g", "focus-events"]),
        "focus-events on"
    );
    let acme_pane = tmux.show("work:0", "#{pane_id}");
    tmux.cmd(&[
        "new-window",
        "-d",
        "-t",
        "work:1",
        "-c",
        hostile.to_str().unwrap(),
    ]);
    let hostile_pane = tmux.show("work:1", "#{pane_id}");
    tmux.cmd(&[
        "split-window",
        "-d",
        "-t",
        "work:1",
        "-c",
        control.to_str().unwrap(),
    ]);
    let control_pane = tmux
        .cmd(&["list-panes", "-t", "work:1", "-F", "#{pane_id}"])
        .lines()
        .nth(1)
        .unwrap()
        .to_string();
    tmux.wait_for_shell(&acme_pane, &acme);
    tmux.wait_for_shell(&hostile_pane, &hostile);
    tmux.wait_for_shell(&control_pane, &control);

    // Switch between the directories; more than the debounce interval apart.
    tmux.cmd(&["select-window", "-t", "work:1"]);
    tmux.cmd(&["select-pane", "-t", &hostile_pane]);
    let event = wait_for_event(&home, "tmux_pane_focus", &hostile_pane, &hostile);
    assert_eq!(event.session_name.as_deref(), Some("work"));
    assert_eq!(event.window_index, Some(1));
    assert_eq!(event.git_project, None);

    sleep(Duration::from_millis(600));
    tmux.cmd(&["select-pane", "-t", &control_pane]);
    let event = wait_for_event(&home, "tmux_pane_focus", &control_pane, &control);
    assert_eq!(event.window_index, Some(1));

    sleep(Duration::from_millis(600));
    tmux.cmd(&["select-window", "-t", "work:0"]);
    let event = wait_for_event(&home, "tmux_pane_focus", &acme_pane, &acme);
    assert_eq!(event.session_name.as_deref(), Some("work"));
    assert_eq!(event.window_index, Some(0));
    assert_eq!(event.git_project.as_deref(), Some("acme-app"));

    sleep(Duration::from_millis(600));
    tmux.cmd(&["copy-mode", "-t", &acme_pane]);
    wait_for_event(&home, "tmux_scroll", &acme_pane, &acme);

    let machine = home.machine_id();
    for event in home.events() {
        assert!(
            event.id.starts_with(&format!("{machine}:remote.tmux:")),
            "{}",
            event.id
        );
    }
    let ran: Vec<_> = files_under(home.root())
        .into_iter()
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("pwned"))
        })
        .collect();
    assert!(ran.is_empty(), "a directory name was executed: {ran:?}");
    let log = home.state_dir().join("hook.log");
    let errors = fs::read_to_string(&log).unwrap_or_default();
    assert!(errors.is_empty(), "hook.log: {errors}");
}

#[test]
fn hook_errors_go_to_hook_log_and_never_interrupt_the_pane() {
    // No `tt init`: every hook fails, and no state directory exists yet.
    let home = Home::new();
    let dir = home.root().join("home");
    let tmux = Tmux::start(&home, "errors", &dir);
    tmux.cmd(&["split-window", "-d", "-t", "work:0", "-c", dir.to_str().unwrap()]);
    let pane = tmux
        .cmd(&["list-panes", "-t", "work:0", "-F", "#{pane_id}"])
        .lines()
        .nth(1)
        .unwrap()
        .to_string();
    tmux.wait_for_shell(&pane, &dir);
    assert!(!home.state_dir().exists());

    // Selecting the pane that is already active fires no hook: switch to the other one.
    tmux.cmd(&["select-pane", "-t", &pane]);
    let log = home.state_dir().join("hook.log");
    wait_until("hook.log to receive the error", || {
        fs::read_to_string(&log)
            .is_ok_and(|text| text.contains("No machine identity found. Run 'tt init' first.\n"))
    });
    assert!(!home.event_log().exists());
    assert_eq!(mode(&home.state_dir()), 0o700);
    assert_eq!(mode(&log), 0o600);
    // A failing run-shell would put the pane in view mode to show "... returned 1".
    sleep(Duration::from_millis(300));
    assert_eq!(tmux.show(&pane, "#{pane_in_mode}"), "0");
}
