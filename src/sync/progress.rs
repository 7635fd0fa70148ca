//! What the user sees while a sync runs, on stderr: one indicatif line per remote on
//! a terminal (state, events and bytes received, elapsed), plain one-line log
//! messages otherwise (no escape codes in a log file or a pipe).

use std::time::{Duration, Instant};

use indicatif::{HumanBytes, HumanCount, MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::sync::summary::{Outcome, describe_merge, format_elapsed};

/// Receiving updates are drawn at most this often per remote.
const REDRAW_EVERY: Duration = Duration::from_millis(100);

pub struct Progress {
    mode: Mode,
}

enum Mode {
    Bars {
        multi: MultiProgress,
        bars: Vec<ProgressBar>,
        done: ProgressStyle,
    },
    Plain {
        names: Vec<String>,
    },
}

impl Progress {
    /// `names` are the remotes in display order; `terminal` picks bars over log lines.
    pub fn new(names: &[String], terminal: bool) -> Progress {
        if !terminal {
            return Progress {
                mode: Mode::Plain {
                    names: names.to_vec(),
                },
            };
        }
        let width = names.iter().map(|n| n.chars().count()).max().unwrap_or(0);
        let running = ProgressStyle::with_template(&format!(
            "{{prefix:<{width}}} {{spinner}} {{elapsed:>4}}  {{wide_msg}}"
        ))
        .expect("valid template")
        .tick_chars("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏ ");
        let done = ProgressStyle::with_template(&format!("{{prefix:<{width}}}   {{wide_msg}}"))
            .expect("valid template");
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let bars = names
            .iter()
            .map(|name| {
                let bar = multi.add(ProgressBar::new_spinner().with_style(running.clone()));
                bar.set_prefix(name.clone());
                bar.set_message("waiting");
                bar
            })
            .collect();
        Progress {
            mode: Mode::Bars { multi, bars, done },
        }
    }

    fn log(&self, index: usize, message: &str) {
        if let Mode::Plain { names } = &self.mode {
            eprintln!("{}: {message}", names[index]);
        }
    }

    pub fn connecting(&self, index: usize) {
        match &self.mode {
            Mode::Bars { bars, .. } => {
                bars[index].reset_elapsed();
                bars[index].enable_steady_tick(REDRAW_EVERY);
                bars[index].set_message("connecting");
            }
            Mode::Plain { .. } => self.log(index, "connecting"),
        }
    }

    /// A reporter for one transfer: remembers the latest counts, redraws at most
    /// every [`REDRAW_EVERY`].
    pub fn receiver(&self, index: usize) -> Receiver<'_> {
        Receiver {
            progress: self,
            index,
            events: 0,
            bytes: 0,
            drawn: None,
        }
    }

    pub fn merging(&self, index: usize) {
        if let Mode::Bars { bars, .. } = &self.mode {
            bars[index].set_message("merging");
        }
    }

    pub fn finish(&self, index: usize, outcome: &Outcome) {
        let message = match &outcome.result {
            Ok(merged) => format!(
                "done: {} in {}",
                describe_merge(&merged.merge),
                format_elapsed(outcome.elapsed)
            ),
            Err(failure) => format!("failed: {}", failure.reason),
        };
        match &self.mode {
            Mode::Bars { bars, done, .. } => {
                bars[index].set_style(done.clone());
                bars[index].finish_with_message(message);
            }
            Mode::Plain { .. } => self.log(index, &message),
        }
    }

    /// A line above the bars (or on its own), e.g. a warning.
    pub fn note(&self, message: &str) {
        match &self.mode {
            Mode::Bars { multi, .. } => {
                let _ = multi.println(message);
            }
            Mode::Plain { .. } => eprintln!("{message}"),
        }
    }

    /// Runs `f` with the bars hidden, for a prompt.
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        match &self.mode {
            Mode::Bars { multi, .. } => multi.suspend(f),
            Mode::Plain { .. } => f(),
        }
    }

    /// Removes the bars' spinners before the summary is printed.
    pub fn clear(&self) {
        if let Mode::Bars { bars, .. } = &self.mode {
            for bar in bars.iter().filter(|bar| !bar.is_finished()) {
                bar.abandon();
            }
        }
    }
}

/// Progress of one transfer, fed by the stream reader.
pub struct Receiver<'a> {
    progress: &'a Progress,
    index: usize,
    pub events: u64,
    pub bytes: u64,
    drawn: Option<Instant>,
}

impl Receiver<'_> {
    pub fn update(&mut self, events: u64, bytes: u64) {
        self.events = events;
        self.bytes = bytes;
        let Mode::Bars { bars, .. } = &self.progress.mode else {
            return;
        };
        let now = Instant::now();
        if self.drawn.is_none_or(|at| now.duration_since(at) >= REDRAW_EVERY) {
            self.drawn = Some(now);
            bars[self.index].set_message(format!(
                "receiving {} events ({})",
                HumanCount(events),
                HumanBytes(bytes)
            ));
        }
    }

    /// The transfer ended with a complete stream.
    pub fn received(&self, elapsed: Duration) {
        self.progress.log(
            self.index,
            &format!(
                "received {} events ({}) in {}",
                HumanCount(self.events),
                HumanBytes(self.bytes),
                format_elapsed(elapsed)
            ),
        );
    }
}
