//! What one tmux hook costs: a `tt ingest pane-focus` process and a `tt ingest client`
//! process end to end, against two baselines measured in the same run, interleaved so
//! that machine noise hits all four:
//!
//! * `/bin/true`: the floor of spawning any process;
//! * `/bin/sh -c 'printf ... >> file'`: the least a hook written in shell could do,
//!   appending a line of the same size as tt's event.
//!
//! Then, in process, what each step of the ingest path costs, including the
//! configuration load that the path skips.
//!
//!     cargo build --release --bin tt --example bench_ingest
//!     target/release/examples/bench_ingest [--runs N] [--tt PATH]
//!
//! `cargo build-static` (an alias in .cargo/config.toml) links glibc statically into
//! target/release/tt, which is how tt should ship: dynamic loading is most of what a
//! hook costs beyond the process spawn.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use std::{env, fs};

use clap::Parser;
use tt::capture::{self, ClientAction, Observed, TmuxActivity};
use tt::cli::Cli;
use tt::config::Config;
use tt::event::Timestamp;
use tt::machine::Machine;
use tt::paths::Paths;

/// Goals of the issue: one ingest at most this many times each baseline (medians).
const GOAL_VS_PRINTF: f64 = 1.5;
const GOAL_VS_TRUE: f64 = 2.0;

fn main() {
    let mut runs = 300usize;
    let mut tt = None;
    let mut args = env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--runs" => runs = args.next().and_then(|n| n.parse().ok()).expect("--runs N"),
            "--tt" => tt = args.next().map(PathBuf::from),
            other => panic!("unknown argument {other:?}; usage: bench_ingest [--runs N] [--tt PATH]"),
        }
    }
    // target/<profile>/examples/bench_ingest -> target/<profile>/tt
    let tt = tt.unwrap_or_else(|| {
        let exe = env::current_exe().expect("path of this benchmark");
        exe.parent()
            .and_then(Path::parent)
            .expect("target directory")
            .join("tt")
    });
    assert!(
        tt.is_file(),
        "{} does not exist: cargo build --release --bin tt",
        tt.display()
    );

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
    let status = command(&tt).arg("init").status().expect("run tt init");
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
        let mut cmd = command(&tt);
        cmd.args(["ingest", "pane-focus", &format!("--pane=%{pane}")])
            .arg(format!("--cwd={}", cwd.display()))
            .args(["--session=main", "--window=1"])
            .arg("--server=/tmp/tmux-1000/default");
        cmd
    };
    let client = |server: usize| {
        let mut cmd = command(&tt);
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

    println!("one tmux hook, {runs} runs each, interleaved; event line {line_len} bytes");
    let [t_true, t_printf, t_focus, t_client] = &mut samples;
    let m_true = stats("/bin/true", t_true);
    let m_printf = stats("sh printf >>", t_printf);
    let m_focus = stats("tt ingest pane-focus", t_focus);
    let m_client = stats("tt ingest client", t_client);
    for (name, median) in [("pane-focus", m_focus), ("client", m_client)] {
        let vs_printf = median.as_secs_f64() / m_printf.as_secs_f64();
        let vs_true = median.as_secs_f64() / m_true.as_secs_f64();
        println!(
            "{name:<10} ratio tt / printf = {vs_printf:.2} (goal <= {GOAL_VS_PRINTF}: {}), \
             tt / true = {vs_true:.2} (goal <= {GOAL_VS_TRUE}: {})",
            verdict(vs_printf <= GOAL_VS_PRINTF),
            verdict(vs_true <= GOAL_VS_TRUE)
        );
    }

    in_process_steps(root, &cwd);
}

/// Prints and returns the median; also the 10th and 90th percentiles.
fn stats(name: &str, samples: &mut [Duration]) -> Duration {
    samples.sort();
    let pick = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    let median = pick(0.5);
    println!(
        "{name:<22} median {:>7.3} ms   p10 {:>7.3} ms   p90 {:>7.3} ms",
        ms(median),
        ms(pick(0.1)),
        ms(pick(0.9))
    );
    median
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "MISSED" }
}

/// The steps of `tt ingest pane-focus` (and `client`) inside one process, each repeated.
fn in_process_steps(root: &Path, cwd: &Path) {
    // SAFETY: single-threaded at this point; the variables only steer Paths::from_env.
    unsafe {
        env::set_var("HOME", root.join("home"));
        env::set_var("XDG_CONFIG_HOME", root.join("config"));
        env::set_var("XDG_DATA_HOME", root.join("data"));
        env::set_var("XDG_STATE_HOME", root.join("state"));
    }
    let paths = Paths::from_env().unwrap();
    let config_file = paths.config_file();
    fs::create_dir_all(&paths.config_dir).unwrap();
    fs::write(
        &config_file,
        "[sync]\nparallelism = 4\n\n[[remotes]]\nalias = \"devbox\"\n",
    )
    .unwrap();
    let machine = Machine::require(&paths).unwrap();

    println!("\nin process, median of 2000 (the ingest path skips the configuration load):");
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
    samples.sort();
    println!(
        "  {name:<32} {:>8.1} us",
        samples[samples.len() / 2].as_secs_f64() * 1e6
    );
}
