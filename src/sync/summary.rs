//! The per-remote outcome and its one-line rendering (SPEC §9 step 5), plus the
//! helpers that make remote text safe to print.

use std::time::Duration;

use crate::sync::transfer::Failure;

/// Longest label accepted from a remote or a prompt.
pub use crate::wire::{MAX_LABEL_CHARS, clean_label, printable};

/// What happened to one remote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// What the user knows it as: the destination, or "this machine".
    pub name: String,
    pub result: Result<Merged, Failure>,
    pub elapsed: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merged {
    pub label: String,
    pub merge: Counts,
}

/// What one merge did to the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    pub imported: u64,
    pub duplicates: u64,
    pub rejected: u64,
}

impl Outcome {
    pub fn ok(&self) -> bool {
        self.result.is_ok()
    }
}

/// `0.8s`, `12s`, `2m05s`.
pub fn format_elapsed(elapsed: Duration) -> String {
    let ms = elapsed.as_millis();
    if ms < 10_000 {
        format!("{:.1}s", ms as f64 / 1000.0)
    } else if ms < 60_000 {
        format!("{}s", ms / 1000)
    } else {
        format!("{}m{:02}s", ms / 60_000, (ms / 1000) % 60)
    }
}

/// `12 new events, 3 duplicates, 1 rejected` (zero counts after the first left out).
pub fn describe_merge(merge: &Counts) -> String {
    let mut text = format!(
        "{} new event{}",
        merge.imported,
        if merge.imported == 1 { "" } else { "s" }
    );
    if merge.duplicates > 0 {
        text.push_str(&format!(
            ", {} duplicate{}",
            merge.duplicates,
            if merge.duplicates == 1 { "" } else { "s" }
        ));
    }
    if merge.rejected > 0 {
        text.push_str(&format!(", {} rejected", merge.rejected));
    }
    text
}

/// The final summary: one line per remote, names padded to one column, then the
/// stderr lines of failures that the reason does not already show.
pub fn render(outcomes: &[Outcome]) -> Vec<String> {
    let width = outcomes.iter().map(|o| o.name.chars().count()).max().unwrap_or(0);
    let mut lines = Vec::new();
    for outcome in outcomes {
        let elapsed = format_elapsed(outcome.elapsed);
        let name = &outcome.name;
        match &outcome.result {
            Ok(merged) => {
                let label = if merged.label == *name {
                    String::new()
                } else {
                    format!(" ({})", merged.label)
                };
                lines.push(format!(
                    "{name:<width$}  ok     {elapsed:>6}  {}{label}",
                    describe_merge(&merged.merge)
                ));
            }
            Err(failure) => {
                lines.push(format!("{name:<width$}  failed {elapsed:>6}  {}", failure.reason));
                for line in failure
                    .stderr
                    .iter()
                    .filter(|line| !failure.reason.contains(line.as_str()))
                {
                    lines.push(format!("{:<width$}                 | {line}", ""));
                }
            }
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn merged(name: &str, label: &str, imported: u64, duplicates: u64, rejected: u64) -> Outcome {
        Outcome {
            name: name.into(),
            result: Ok(Merged {
                label: label.into(),
                merge: Counts {
                    imported,
                    duplicates,
                    rejected,
                },
            }),
            elapsed: Duration::from_millis(1234),
        }
    }

    #[test]
    fn summary_has_one_aligned_line_per_remote_and_the_failure_reasons() {
        let failed = Outcome {
            name: "gpu-server".into(),
            result: Err(Failure {
                reason: "ssh failed: ssh: connect to host gpu port 22: Connection refused".into(),
                stderr: vec![
                    "warning: something else".into(),
                    "ssh: connect to host gpu port 22: Connection refused".into(),
                ],
                interrupted: false,
            }),
            elapsed: Duration::from_millis(80),
        };
        let lines = render(&[
            merged("devbox", "devbox", 12, 3, 1),
            failed,
            merged("me@10.0.0.5", "laptop", 1, 0, 0),
        ]);
        assert_eq!(
            lines,
            [
                "devbox       ok       1.2s  12 new events, 3 duplicates, 1 rejected",
                "gpu-server   failed   0.1s  ssh failed: ssh: connect to host gpu port 22: Connection refused",
                "                            | warning: something else",
                "me@10.0.0.5  ok       1.2s  1 new event (laptop)",
            ]
        );
    }

    #[test]
    fn elapsed_is_short_and_readable() {
        assert_eq!(format_elapsed(Duration::from_millis(840)), "0.8s");
        assert_eq!(format_elapsed(Duration::from_secs(12)), "12s");
        assert_eq!(format_elapsed(Duration::from_secs(125)), "2m05s");
    }

    #[test]
    fn remote_text_cannot_carry_terminal_escapes_or_bidi_overrides() {
        assert_eq!(printable("ok\x1b[2Jgone\u{202E}"), "ok?[2Jgone?");
    }

    #[test]
    fn labels_are_cleaned_and_bounded() {
        assert_eq!(clean_label("  devbox \n").as_deref(), Some("devbox"));
        assert_eq!(clean_label("a\x1b[31mb").as_deref(), Some("a?[31mb"));
        assert_eq!(
            clean_label(&"x".repeat(500)).map(|l| l.len()),
            Some(MAX_LABEL_CHARS)
        );
        assert_eq!(clean_label(" \t "), None);
    }
}
