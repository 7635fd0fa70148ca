//! What one tmux hook costs: a `tt ingest pane-focus` process and a `tt ingest client`
//! process end to end, against two baselines measured in the same run, interleaved so
//! that machine noise hits all four:
//!
//! * `/bin/true`: the floor of spawning any process;
//! * `/bin/sh -c 'printf ... >> file'`: the least a hook written in shell could do,
//!   appending a line of the same size as tt's event.
//!
//! Then, in process, what each step of the ingest path costs, including the
//! configuration load that the path skips (on stderr).
//!
//! `cargo build-static` (an alias in .cargo/config.toml) links glibc statically into
//! target/release/tt, which is how tt should ship: dynamic loading is most of what a
//! hook costs beyond the process spawn.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use clap::Parser;
use tt::capture::{self, ClientAction, Observed, TmuxActivity};
use tt::cli::Cli;
use tt::config::Config;
use tt::event::Timestamp;
use tt::machine::Machine;
use tt::paths::Paths;

use crate::Ctx;
use crate::measure::{Row, Table, duration, median, percentile};

/// Goals of the issue: one ingest at most this many times each baseline (medians).
const GOAL_VS_PRINTF: f64 = 1.5;
const GOAL_VS_TRUE: f64 = 2.0;

pub fn run(ctx: &Ctx, table: &mut Table) {
    let runs = ctx.scale(300, 30);
    let tt = ctx.tt.as_path();
    let tmp = tempfile::tempdir().expect("temporary directory");
    let root = tmp.path();
    let env = [
        ("HOME", root.join("home")),
        ("XDG_CONFIG_HOME", root.join("config")),
        ("XDG_DATA_HOME", root.join("data")),
        ("XDG_STATE_HOME", root.join("state")),
    ];
    let command = |program: &Path| {
        let mut cmd = Command::new(program);
        cmd.env_clear()
            .env("PATH", "/usr/bin:/bin")
            .envs(env.iter().map(|(k, v)| (k, v)));
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        cmd
    };
    let status = command(tt).arg("init").status().expect("run tt init");
    assert!(status.success(), "tt init failed");

    // A realistic pane: a few levels deep in a repository with an origin remote.
    let repo = root.join("home/src/acme");
    fs::create_dir_all(repo.join(".git")).unwrap();
    fs::write(repo.join(".git/HEAD"), "ref: refs/heads/main\n").unwrap();
    fs::write(
        repo.join(".git/config"),
        "[core]\n\trepositoryformatversion = 0\n\tbare = false\n[remote \"origin\"]\n\
         \turl = git@github.com:someone/acme.git\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n\
         [branch \"main\"]\n\tremote = origin\n\tmerge = refs/heads/main\n",
    )
    .unwrap();
    let cwd = repo.join("crates/core/src");
    fs::create_dir_all(&cwd).unwrap();

    let log = root.join("data/tt/events.jsonl");
    // As the hooks call them. A distinct pane (pane focus) or server (client events,
    // debounced per action and server) each time: every call appends, none is debounced.
    let ingest = |pane: usize| {
        let mut cmd = command(tt);
        cmd.args(["ingest", "pane-focus", &format!("--pane=%{pane}")])
            .arg(format!("--cwd={}", cwd.display()))
            .args(["--session=main", "--window=1"])
            .arg("--server=/tmp/tmux-1000/default");
        cmd
    };
    let client = |server: usize| {
        let mut cmd = command(tt);
        cmd.args(["ingest", "client", "--action=focus_out", "--pane=%1"])
            .arg(format!("--cwd={}", cwd.display()))
            .args(["--session=main", "--window=1"])
            .arg(format!("--server=/tmp/tmux-1000/s{server}"));
        cmd
    };
    let status = ingest(0).status().expect("run tt ingest");
    assert!(status.success(), "tt ingest failed");
    let line_len = fs::read_to_string(&log).unwrap().lines().next().unwrap().len();
    let line = "x".repeat(line_len);
    let shell_log = root.join("shell.jsonl");
    let printf = || {
        let mut cmd = command(Path::new("/bin/sh"));
        cmd.args(["-c", "printf '%s\\n' \"$1\" >> \"$2\"", "sh", &line])
            .arg(&shell_log);
        cmd
    };
    let true_ = || command(Path::new("/bin/true"));

    let time = |mut cmd: Command| {
        let start = Instant::now();
        let status = cmd.status().expect("spawn");
        let elapsed = start.elapsed();
        assert!(status.success(), "{cmd:?} failed");
        elapsed
    };
    // Warm the page cache and the file system paths.
    for i in 0..20 {
        time(true_());
        time(printf());
        time(ingest(1_000_000 + i));
        time(client(1_000_000 + i));
    }
    // The four commands, each run once per round, in an order that rotates.
    let mut samples: [Vec<Duration>; 4] = Default::default();
    for i in 0..runs {
        for k in 0..4 {
            let which = (i + k) % 4;
            let cmd = match which {
                0 => true_(),
                1 => printf(),
                2 => ingest(i + 1),
                _ => client(i + 1),
            };
            samples[which].push(time(cmd));
        }
    }
    let lines = fs::read_to_string(&log).unwrap().lines().count();
    assert_eq!(lines, 1 + 2 * (20 + runs), "every ingest appended one line");

    eprintln!("  {runs} runs each, interleaved; event line {line_len} bytes");
    let [t_true, t_printf, t_focus, t_client] = &mut samples;
    let (m_true, m_printf) = (spread("/bin/true", t_true), spread("sh printf >>", t_printf));
    let build = if is_static(tt) {
        "static binary"
    } else {
        "dynamically linked binary"
    };
    for (command, samples) in [("pane-focus", t_focus), ("client", t_client)] {
        let m_tt = spread(&format!("tt ingest {command}"), samples);
        let vs_printf = m_tt.as_secs_f64() / m_printf.as_secs_f64();
        let vs_true = m_tt.as_secs_f64() / m_true.as_secs_f64();
        table.add(
            Row::new(
                format!("one tmux hook, `tt ingest {command}` end to end ({build}, {runs} runs)"),
                duration(m_tt),
            )
            .baseline(
                format!(
                    "`sh -c 'printf >> log'`: {}; `/bin/true`: {}",
                    duration(m_printf),
                    duration(m_true)
                ),
                format!("{vs_printf:.2}x printf, {vs_true:.2}x true"),
            )
            .goal(
                format!("≤ {GOAL_VS_PRINTF}x printf, ≤ {GOAL_VS_TRUE}x true"),
                vs_printf <= GOAL_VS_PRINTF && vs_true <= GOAL_VS_TRUE,
            ),
        );
    }

    in_process_steps(root, &cwd);
}

/// Prints the median with the 10th and 90th percentiles; returns the median.
fn spread(name: &str, samples: &mut [Duration]) -> Duration {
    let (p10, p90) = (percentile(samples, 0.1), percentile(samples, 0.9));
    let m = median(samples);
    eprintln!(
        "  {name:<22} median {}   p10 {}   p90 {}",
        duration(m),
        duration(p10),
        duration(p90)
    );
    m
}

/// Whether the binary has no program interpreter (the dynamic loader), i.e. was
/// linked statically.
fn is_static(binary: &Path) -> bool {
    let head = fs::read(binary).map(|bytes| bytes[..bytes.len().min(4096)].to_vec());
    head.is_ok_and(|head| memchr::memmem::find(&head, b"ld-linux").is_none())
}

/// The steps of `tt ingest pane-focus` (and `client`) inside one process, each
/// repeated (stderr).
fn in_process_steps(root: &Path, cwd: &Path) {
    // The same directories the subprocesses used, without touching this process's
    // environment.
    let paths = Paths {
        config_dir: root.join("config/tt"),
        data_dir: root.join("data/tt"),
        state_dir: root.join("state/tt"),
    };
    let config_file = paths.config_file();
    fs::create_dir_all(&paths.config_dir).unwrap();
    fs::write(
        &config_file,
        "[sync]\nparallelism = 4\n\n[[remotes]]\nalias = \"devbox\"\n",
    )
    .unwrap();
    let machine = Machine::require(&paths).unwrap();

    eprintln!("  in process, median of 2000 (the ingest path skips the configuration load):");
    let argv = [
        "tt",
        "ingest",
        "pane-focus",
        "--pane=%1",
        "--cwd=/src/acme",
        "--session=main",
        "--window=1",
        "--server=/tmp/tmux-1000/default",
    ];
    step("clap: parse the command line", || {
        drop(Cli::try_parse_from(argv).unwrap())
    });
    step("Paths::from_env", || drop(Paths::from_env().unwrap()));
    step("Config::load (skipped)", || {
        drop(Config::load(&config_file, false).unwrap())
    });
    step("Machine::require", || drop(Machine::require(&paths).unwrap()));
    step("git::project_for", || {
        drop(capture::git::project_for(cwd).unwrap())
    });
    // The clock is an input: each event 600 ms after the previous one, so none is
    // debounced while the key stays what a real server gives (one server; a new pane
    // each time, or the terminal's focus going out and in).
    let start = Timestamp::now().as_millis();
    let mut n = 0;
    let mut record = |observed: Observed| {
        n += 1;
        let pane_id = match observed {
            Observed::Client(_) => "%1".to_string(),
            _ => format!("%b{n}"),
        };
        let activity = TmuxActivity {
            observed,
            server: Some("/tmp/tmux-1000/default"),
            pane_id: &pane_id,
            cwd: Path::new(""),
            session_name: "main",
            window_index: Some(1),
        };
        let now = Timestamp::from_millis(start + n * 600);
        capture::record(&paths, &machine, &activity, || now)
            .unwrap()
            .unwrap();
    };
    step("record pane (lock, tail, append)", || record(Observed::PaneFocus));
    let mut out = false;
    step("record client, focus out/in", || {
        out = !out;
        record(Observed::Client(match out {
            true => ClientAction::FocusOut,
            false => ClientAction::FocusIn,
        }))
    });
}

fn step(name: &str, mut f: impl FnMut()) {
    let mut samples: Vec<Duration> = (0..2000)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    eprintln!(
        "    {name:<32} {:>8.1} us",
        median(&mut samples).as_secs_f64() * 1e6
    );
}
