//! The allocation (SPEC §10): time-ordered signals in, time intervals out. No database,
//! no clock, no terminal: everything it needs arrives as values, so the rules can be
//! tested one by one and by properties.
//!
//! * Direct time follows focus. A focus signal gives its stream direct time until the
//!   first of: the next focus signal on any machine, `attention_window` after it, a
//!   blur (terminal focus-out, client detach), or an idle report, which also cuts back
//!   retroactively to `idle_at - idle_duration` (never before the focus itself).
//!   Attention is global, so direct intervals never overlap, on any machine.
//! * Delegated time comes from runs of tool uses per agent session: consecutive tool
//!   uses at most `agent_timeout` apart belong to one run; a run lasts from its first to
//!   its last tool use, or to an `ended` that follows within `agent_timeout`; a tool use
//!   after `ended` starts a new run. A stream's delegated time is the union of the runs
//!   of its sessions (parallel agents and subagents count once).
//!
//! The output is coalesced (touching intervals of one kind, stream and machine become
//! one) and sorted, so equal inputs give equal outputs whatever order they came in.

use std::collections::HashMap;

/// Milliseconds since the Unix epoch.
pub type Millis = i64;

/// Index of a stream in the caller's table; `None` in a signal means "no stream"
/// (unassigned time).
pub type StreamIx = u32;

/// Index of a machine in the caller's table.
pub type MachineIx = u32;

/// Index of an agent session (unique per machine) in the caller's table.
pub type SessionIx = u32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    pub attention_window: Millis,
    pub agent_timeout: Millis,
}

impl Params {
    /// How far back an event can change the allocation: the longest rule window.
    pub fn lookback(&self) -> Millis {
        self.attention_window.max(self.agent_timeout)
    }
}

/// What an event means to the allocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Signal {
    /// Pane focus, scroll, a human prompt of a top-level session, terminal focus-in or
    /// attach: attention moves to the event's stream.
    Focus,
    /// Terminal focus-out or detach: attention ends now.
    Blur,
    /// The user has been idle for `idle_ms` (an `afk_change` idle): attention ends now,
    /// and retroactively `idle_ms` ago.
    Idle { idle_ms: Millis },
    /// An agent used a tool.
    ToolUse { session: SessionIx },
    /// An agent session was closed.
    SessionEnded { session: SessionIx },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Input {
    pub at: Millis,
    pub machine: MachineIx,
    pub stream: Option<StreamIx>,
    pub signal: Signal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Direct,
    Delegated,
}

/// `[start, end)` of `kind` time for `stream` (None: unassigned) on `machine`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Interval {
    pub start: Millis,
    pub end: Millis,
    pub kind: Kind,
    pub stream: Option<StreamIx>,
    pub machine: MachineIx,
}

impl Interval {
    pub fn len(&self) -> Millis {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }
}

/// The order inputs are processed in: by time, then by a fixed rank of every field, so
/// that the result never depends on the order events arrived in.
pub fn sort_inputs(inputs: &mut [Input]) {
    inputs.sort_unstable_by_key(|i| (i.at, i.signal, i.machine, i.stream));
}

/// Allocates time over `inputs`, which must be sorted by [`sort_inputs`]. Returns
/// coalesced intervals, sorted by (start, kind, stream, machine).
pub fn allocate(inputs: &[Input], params: &Params) -> Vec<Interval> {
    let mut out = direct(inputs, params);
    out.extend(delegated(inputs, params));
    coalesce(&mut out);
    out
}

/// The attention sweep.
fn direct(inputs: &[Input], params: &Params) -> Vec<Interval> {
    let mut out: Vec<Interval> = Vec::new();
    // The focus that currently holds attention: (at, stream, machine).
    let mut current: Option<(Millis, Option<StreamIx>, MachineIx)> = None;
    let close =
        |current: &mut Option<(Millis, Option<StreamIx>, MachineIx)>, out: &mut Vec<Interval>, at: Millis| {
            if let Some((start, stream, machine)) = current.take() {
                let end = at.min(start + params.attention_window);
                if end > start {
                    out.push(Interval {
                        start,
                        end,
                        kind: Kind::Direct,
                        stream,
                        machine,
                    });
                }
            }
        };
    for input in inputs {
        match input.signal {
            Signal::Focus => {
                close(&mut current, &mut out, input.at);
                current = Some((input.at, input.stream, input.machine));
            }
            Signal::Blur => close(&mut current, &mut out, input.at),
            Signal::Idle { idle_ms } => {
                close(&mut current, &mut out, input.at);
                // Idle since `since`: cut attention back to then, never before a focus.
                let since = input.at - idle_ms.max(0);
                let tail = out.iter().rposition(|i| i.end <= since).map_or(0, |k| k + 1);
                for interval in &mut out[tail..] {
                    interval.end = interval.start.max(since.min(interval.end));
                }
                let kept: Vec<Interval> = out.drain(tail..).filter(|i| !i.is_empty()).collect();
                out.extend(kept);
            }
            Signal::ToolUse { .. } | Signal::SessionEnded { .. } => {}
        }
    }
    close(&mut current, &mut out, Millis::MAX);
    out
}

/// Runs of tool uses per session, then the union per (stream, machine).
fn delegated(inputs: &[Input], params: &Params) -> Vec<Interval> {
    // Per session: the last tool use of the open run (at, stream, machine).
    let mut open: HashMap<SessionIx, (Millis, Option<StreamIx>, MachineIx)> = HashMap::new();
    let mut pieces: Vec<Interval> = Vec::new();
    let mut piece = |start: Millis, end: Millis, stream, machine| {
        if end > start {
            pieces.push(Interval {
                start,
                end,
                kind: Kind::Delegated,
                stream,
                machine,
            });
        }
    };
    for input in inputs {
        match input.signal {
            Signal::ToolUse { session } => {
                if let Some((last, stream, machine)) = open.get(&session).copied()
                    && input.at - last <= params.agent_timeout
                {
                    // The stretch between two tool uses belongs to the earlier one's stream.
                    piece(last, input.at, stream, machine);
                }
                open.insert(session, (input.at, input.stream, input.machine));
            }
            Signal::SessionEnded { session } => {
                if let Some((last, stream, machine)) = open.remove(&session)
                    && input.at - last <= params.agent_timeout
                {
                    piece(last, input.at, stream, machine);
                }
            }
            Signal::Focus | Signal::Blur | Signal::Idle { .. } => {}
        }
    }
    pieces
}

/// Sorts and merges overlapping or touching intervals of the same kind, stream and
/// machine. Direct intervals never overlap; delegated ones become the union.
pub fn coalesce(intervals: &mut Vec<Interval>) {
    intervals.sort_unstable_by_key(|i| (i.kind, i.stream, i.machine, i.start, i.end));
    let mut merged: Vec<Interval> = Vec::with_capacity(intervals.len());
    for interval in intervals.drain(..) {
        if let Some(last) = merged.last_mut()
            && last.kind == interval.kind
            && last.stream == interval.stream
            && last.machine == interval.machine
            && interval.start <= last.end
        {
            last.end = last.end.max(interval.end);
            continue;
        }
        merged.push(interval);
    }
    merged.sort_unstable_by_key(|i| (i.start, i.kind, i.stream, i.machine));
    *intervals = merged;
}

/// The parts of `intervals` inside `[start, end)`.
pub fn clip(intervals: &[Interval], start: Millis, end: Millis) -> Vec<Interval> {
    intervals
        .iter()
        .filter_map(|i| {
            let clipped = Interval {
                start: i.start.max(start),
                end: i.end.min(end),
                ..*i
            };
            (!clipped.is_empty()).then_some(clipped)
        })
        .collect()
}

/// Length of the union of `intervals` (wall-clock time covered by any of them).
pub fn union_len(intervals: impl IntoIterator<Item = (Millis, Millis)>) -> Millis {
    let mut spans: Vec<(Millis, Millis)> = intervals.into_iter().filter(|s| s.1 > s.0).collect();
    spans.sort_unstable();
    let mut total = 0;
    let mut reach = Millis::MIN;
    for (start, end) in spans {
        let from = start.max(reach);
        if end > from {
            total += end - from;
        }
        reach = reach.max(end);
    }
    total
}

#[cfg(test)]
mod tests;
