//! What every benchmark shares: timing (medians of repeated runs) and the one table
//! the entry point prints.

use std::fmt::Write as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long `f` takes once.
pub fn time(f: impl FnOnce()) -> Duration {
    let start = Instant::now();
    f();
    start.elapsed()
}

/// The median of `runs` runs of `f`.
pub fn median_of(runs: usize, mut f: impl FnMut()) -> Duration {
    let mut samples: Vec<Duration> = (0..runs.max(1)).map(|_| time(&mut f)).collect();
    median(&mut samples)
}

/// The median of samples (the upper one of an even count); sorts them.
pub fn median(samples: &mut [Duration]) -> Duration {
    percentile(samples, 0.5)
}

/// The sample at quantile `q` (0..=1), nearest rank; sorts them.
pub fn percentile(samples: &mut [Duration], q: f64) -> Duration {
    assert!(!samples.is_empty(), "no samples");
    samples.sort();
    samples[((samples.len() - 1) as f64 * q).round() as usize]
}

/// `12.3 ms` / `1.23 s`, whichever reads better.
pub fn duration(d: Duration) -> String {
    let secs = d.as_secs_f64();
    match secs {
        s if s >= 1.0 => format!("{s:.2} s"),
        s if s >= 0.1 => format!("{:.0} ms", s * 1e3),
        s if s >= 0.01 => format!("{:.1} ms", s * 1e3),
        s => format!("{:.2} ms", s * 1e3),
    }
}

/// How much faster `a` is than `b`: `1.24x faster` or `1.50x slower`.
pub fn speedup(a: Duration, b: Duration) -> String {
    let x = b.as_secs_f64() / a.as_secs_f64();
    if x >= 1.0 {
        format!("{x:.2}x faster")
    } else {
        format!("{:.2}x slower", 1.0 / x)
    }
}

/// `a / b`, as `1.37x`.
pub fn ratio(a: Duration, b: Duration) -> String {
    format!("{:.2}x", a.as_secs_f64() / b.as_secs_f64())
}

/// `1,000,000`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// One line of the table: a figure, tt's measurement, the baseline measured in the
/// same run, their ratio, the goal and whether it was met.
#[derive(Debug, Clone, Default)]
pub struct Row {
    pub figure: String,
    pub tt: String,
    pub baseline: String,
    pub ratio: String,
    pub goal: String,
    /// `None` when the figure has no goal.
    pub met: Option<bool>,
}

impl Row {
    pub fn new(figure: impl Into<String>, tt: impl Into<String>) -> Row {
        Row {
            figure: figure.into(),
            tt: tt.into(),
            ..Row::default()
        }
    }

    pub fn baseline(mut self, baseline: impl Into<String>, ratio: impl Into<String>) -> Row {
        self.baseline = baseline.into();
        self.ratio = ratio.into();
        self
    }

    pub fn goal(mut self, goal: impl Into<String>, met: bool) -> Row {
        self.goal = goal.into();
        self.met = Some(met);
        self
    }
}

/// The rows of every benchmark that ran, printed once at the end as Markdown (the
/// README's Performance table is this output).
#[derive(Debug, Default)]
pub struct Table {
    rows: Vec<Row>,
}

impl Table {
    pub fn add(&mut self, row: Row) {
        eprintln!("  {}: {}", row.figure, row.tt);
        self.rows.push(row);
    }

    pub fn missed(&self) -> usize {
        self.rows.iter().filter(|r| r.met == Some(false)).count()
    }

    pub fn markdown(&self) -> String {
        let mut out = String::from(
            "| figure | tt | baseline (same run) | ratio | goal | met |\n|---|---|---|---|---|---|\n",
        );
        for row in &self.rows {
            let met = match row.met {
                Some(true) => "yes",
                Some(false) => "**no**",
                None => "",
            };
            writeln!(
                out,
                "| {} | {} | {} | {} | {} | {met} |",
                row.figure, row.tt, row.baseline, row.ratio, row.goal
            )
            .unwrap();
        }
        out
    }
}

/// Runs `command` to completion (stdin from and stdout to /dev/null) and returns its
/// wall time and its peak resident set in bytes. Panics when it fails.
pub fn run_measured(command: &mut Command) -> (Duration, u64) {
    run_measured_io(command, Stdio::null(), Stdio::null())
}

/// [`run_measured`] with the given stdin and stdout (the command's own are ignored).
///
/// The command runs under GNU time (`/usr/bin/time -f %M`), which reports the peak
/// of the process it started. Waiting for tt ourselves would not do: Linux counts in
/// a child's `ru_maxrss` the resident set of the process it was forked from (the high
/// water mark of the address space it replaced at exec), so a child of this benchmark,
/// which holds hundreds of megabytes after `wire` or `claude`, would report that much.
/// The wall time includes time's own start-up (about a millisecond).
pub fn run_measured_io(command: &mut Command, stdin: Stdio, stdout: Stdio) -> (Duration, u64) {
    let report = tempfile::NamedTempFile::new().unwrap();
    let mut timed = Command::new("/usr/bin/time");
    timed
        .arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(report.path())
        .arg(command.get_program())
        .args(command.get_args());
    for (key, value) in command.get_envs() {
        match value {
            Some(value) => timed.env(key, value),
            None => timed.env_remove(key),
        };
    }
    if let Some(dir) = command.get_current_dir() {
        timed.current_dir(dir);
    }
    timed.stdin(stdin).stdout(stdout).stderr(Stdio::inherit());
    let started = Instant::now();
    let status = timed
        .status()
        .unwrap_or_else(|e| panic!("{timed:?}: {e} (the peak memory figures need GNU time)"));
    let elapsed = started.elapsed();
    assert!(status.success(), "{command:?} failed");
    let text = std::fs::read_to_string(report.path()).unwrap();
    // GNU time reports kilobytes (KiB: ru_maxrss as Linux gives it).
    let kib: u64 = text
        .lines()
        .last()
        .and_then(|line| line.trim().parse().ok())
        .unwrap_or_else(|| panic!("GNU time's report {text:?}"));
    (elapsed, kib * 1024)
}

/// `23 MB`.
pub fn megabytes(bytes: u64) -> String {
    format!("{:.0} MB", bytes as f64 / 1e6)
}
