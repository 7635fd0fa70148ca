//! The hooks of `tt hook tmux` in a real tmux server on a private socket.
//!
//! tmux must be installed: these tests fail (never skip) without it.

mod common;

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
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
        self.client_command("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("tmux must be installed to run this test")
    }

    /// `program` in the environment of this server's clients.
    fn client_command(&self, program: &str) -> Command {
        let tmpdir = self.home.root().join("tmux-sockets");
        fs::create_dir_all(&tmpdir).unwrap();
        let path = std::env::var_os("PATH").unwrap_or_default();
        let path_without_tt =
            std::env::join_paths(std::env::split_paths(&path).filter(|dir| !dir.join("tt").exists()))
                .unwrap();
        let mut cmd = self.home.command(program);
        // Where anything a hostile name managed to run would leave its files.
        cmd.current_dir(self.home.root())
            .env_remove("TMUX")
            .env("TMUX_TMPDIR", &tmpdir)
            .env("PATH", path_without_tt);
        cmd
    }

    /// A client attached to session `work` inside a pseudo-terminal (util-linux
    /// `script`), as a terminal emulator would run it.
    fn attach_in_a_terminal(&self) -> Terminal {
        let mut cmd = self.client_command("script");
        cmd.env("TERM", "xterm")
            .args([
                "-qec",
                &format!("tmux -L '{}' attach-session -t work", self.socket),
                "/dev/null",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut child = cmd
            .spawn()
            .expect("util-linux `script` is needed to give the tmux client a terminal");
        let keyboard = child.stdin.take().unwrap();
        Terminal { child, keyboard }
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

/// What a terminal emulator would do to a tmux client: what it types (and reports)
/// goes to the client through `script`'s pseudo-terminal.
struct Terminal {
    child: Child,
    keyboard: ChildStdin,
}

impl Terminal {
    fn send(&mut self, bytes: &[u8]) {
        self.keyboard.write_all(bytes).unwrap();
        self.keyboard.flush().unwrap();
    }

    /// Waits for the client to exit (after a detach); true when it exited cleanly.
    fn wait_for_exit(&mut self) -> bool {
        let mut status = None;
        wait_until("the tmux client to exit", || {
            status = self.child.try_wait().unwrap();
            status.is_some()
        });
        status.unwrap().success()
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        if self.child.try_wait().unwrap().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
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

/// Waits for a `tmux_client` event with `action` and returns it.
fn wait_for_client_event(home: &Home, action: &str) -> Event {
    let mut found = None;
    wait_until(&format!("a tmux_client {action} event"), || {
        found = home
            .events()
            .into_iter()
            .find(|e| e.kind == "tmux_client" && e.action.as_deref() == Some(action));
        found.is_some()
    });
    found.unwrap()
}

fn pwned_files(home: &Home) -> Vec<PathBuf> {
    files_under(home.root())
        .into_iter()
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("pwned"))
        })
        .collect()
}

/// The terminal's own focus reports (`ESC [ O`, `ESC [ I`, sent because the hooks turn
/// `focus-events` on), an attach and a detach of a real client in a pseudo-terminal, in
/// a pane whose directory name is hostile.
#[test]
fn a_client_in_a_terminal_records_attach_focus_out_focus_in_and_detach_with_the_panes_cwd() {
    let home = Home::initialised();
    let hostile = home
        .root()
        .join("home/work")
        .join("x'$(touch pwned)'\"y\nz\t`touch pwned2` caf\u{e9}");
    fs::create_dir_all(&hostile).unwrap();
    // The socket path reaches the hooks too (--server).
    let tmux = Tmux::start(&home, "client $(touch pwned3) `touch pwned4`", &hostile);
    let pane = tmux.show("work:0", "#{pane_id}");
    let socket = tmux.show("work:0", "#{socket_path}");
    tmux.wait_for_shell(&pane, &hostile);

    let mut terminal = tmux.attach_in_a_terminal();
    let attached = wait_for_client_event(&home, "attached");
    // Actions are debounced separately: no need to wait between them.
    terminal.send(b"\x1b[O");
    let focus_out = wait_for_client_event(&home, "focus_out");
    terminal.send(b"\x1b[I");
    let focus_in = wait_for_client_event(&home, "focus_in");
    tmux.cmd(&["detach-client", "-s", "work"]);
    let detached = wait_for_client_event(&home, "detached");
    assert!(terminal.wait_for_exit(), "the client did not exit cleanly");

    for event in [&attached, &focus_out, &focus_in, &detached] {
        assert_eq!(event.source, "remote.tmux");
        assert_eq!(event.pane_id.as_deref(), Some(pane.as_str()), "{event:?}");
        assert_eq!(event.cwd.as_deref(), hostile.to_str(), "{event:?}");
        assert_eq!(event.session_name.as_deref(), Some("work"));
        assert_eq!(event.window_index, Some(0));
        assert_eq!(event.tmux_server.as_deref(), Some(socket.as_str()));
        assert!(socket.contains("client $(touch pwned3)"), "{socket}");
        assert_eq!(event.git_project, None);
    }
    assert!(attached.timestamp <= focus_out.timestamp);
    assert!(focus_out.timestamp <= focus_in.timestamp);
    assert!(focus_in.timestamp <= detached.timestamp);
    let clients = home
        .events()
        .into_iter()
        .filter(|e| e.kind == "tmux_client")
        .count();
    assert_eq!(clients, 4, "one event per action: {:?}", home.events());

    let ran = pwned_files(&home);
    assert!(ran.is_empty(), "a directory name was executed: {ran:?}");
    let errors = fs::read_to_string(home.state_dir().join("hook.log")).unwrap_or_default();
    assert!(errors.is_empty(), "hook.log: {errors}");
}

/// The global hooks (session and, with -w, window and pane hooks) tmux lists.
fn global_hooks(tmux: &Tmux) -> String {
    let session = tmux.cmd(&["show-hooks", "-g"]);
    let window = tmux.cmd(&["show-hooks", "-gw"]);
    format!("{session}\n{window}")
}

/// tt's hooks, by name and index, sorted.
fn tt_hooks(tmux: &Tmux) -> Vec<String> {
    let mut hooks: Vec<_> = global_hooks(tmux)
        .lines()
        .filter(|l| l.contains(" ingest "))
        .map(|l| l.split(' ').next().unwrap().to_string())
        .collect();
    hooks.sort();
    hooks
}

#[test]
fn sourcing_the_hooks_twice_installs_each_hook_once_and_keeps_the_users_own() {
    let home = Home::initialised();
    let tmux = Tmux::start(&home, "twice", &home.root().join("home"));
    let once = tt_hooks(&tmux);
    assert_eq!(
        once,
        [
            "after-select-pane[100]",
            "client-attached[100]",
            "client-detached[100]",
            "client-focus-in[100]",
            "client-focus-out[100]",
            "client-session-changed[100]",
            "pane-focus-in[100]",
            "pane-mode-changed[100]",
            "session-window-changed[100]",
        ]
    );
    tmux.cmd(&["set-hook", "-ga", "pane-focus-in", "display-message mine"]);
    let hooks_file = home.root().join("tt-hooks.conf");
    tmux.cmd(&["source-file", hooks_file.to_str().unwrap()]);
    tmux.cmd(&["source-file", hooks_file.to_str().unwrap()]);
    assert_eq!(tt_hooks(&tmux), once);
    let all = global_hooks(&tmux);
    assert!(
        all.lines().any(|l| l == "pane-focus-in[0] display-message mine"),
        "{all}"
    );
}

/// Enters copy mode in `pane`, which runs exactly one hook (the scroll hook), waits
/// for `done`, and leaves copy mode. (Leaving at once could beat the hook, which runs
/// only if the pane is still in copy mode when tmux gets to it.)
fn scroll_once(tmux: &Tmux, pane: &str, what: &str, done: impl FnMut() -> bool) {
    tmux.cmd(&["copy-mode", "-t", pane]);
    wait_until(what, done);
    tmux.cmd(&["send-keys", "-t", pane, "-X", "cancel"]);
}

#[test]
fn hook_log_is_rotated_at_1_mib_keeping_one_old_file() {
    const MIB: usize = 1 << 20;
    const ERROR: &str = "No machine identity found. Run 'tt init' first.\n";
    // No `tt init`: every hook fails and writes ERROR.
    let home = Home::new();
    let dir = home.root().join("home");
    let log = home.state_dir().join("hook.log");
    let old = home.state_dir().join("hook.log.1");
    fs::create_dir_all(home.state_dir()).unwrap();
    // One byte short of 1 MiB after the first error: the second one reaches it.
    let size = MIB - ERROR.len() - 1;
    let line = "an old error\n";
    let mut filler = line.repeat(size / line.len() - 1);
    filler.push_str(&"x".repeat(size - filler.len() - 1));
    filler.push('\n');
    assert_eq!(filler.len(), size);
    fs::write(&log, &filler).unwrap();

    let tmux = Tmux::start(&home, "rotate", &dir);
    let pane = tmux.show("work:0", "#{pane_id}");
    tmux.wait_for_shell(&pane, &dir);
    let errors = |path: &Path| {
        fs::read_to_string(path)
            .map(|text| text.matches(ERROR).count())
            .unwrap_or(0)
    };

    // Below 1 MiB: appended to.
    scroll_once(&tmux, &pane, "the error in hook.log", || errors(&log) == 1);
    assert!(!old.exists());
    assert_eq!(fs::metadata(&log).unwrap().len(), (MIB - 1) as u64);

    // At 1 MiB: the failure that reaches it moves the log aside, its message included.
    scroll_once(&tmux, &pane, "hook.log.1", || errors(&old) == 2);
    assert!(!log.exists());
    let text = fs::read_to_string(&old).unwrap();
    assert!(text.starts_with(&filler));
    assert_eq!(text.len(), MIB - 1 + ERROR.len());

    // Then a fresh log, private; the one old file is kept as it was.
    scroll_once(&tmux, &pane, "a fresh hook.log", || errors(&log) == 1);
    assert_eq!(fs::read_to_string(&log).unwrap(), ERROR);
    assert_eq!(mode(&log), 0o600);
    assert_eq!(fs::read_to_string(&old).unwrap(), text);
    assert_eq!(tmux.show(&pane, "#{pane_in_mode}"), "0");
}
