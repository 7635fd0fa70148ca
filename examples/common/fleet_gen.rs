//! A deterministic synthetic fleet: N machines working D days, M events in all, K
//! Claude Code sessions with parallel agents and subagents. `examples/gen_fleet.rs`
//! is its command line; tests and benchmarks include this file by `#[path]`.
//!
//! Two outputs describe the same fleet for the same options:
//!
//! * [`write_dir`]: what each machine holds before tt reads anything, under
//!   `DIR/<label>/`: `machine.json`, `events.jsonl` (the tmux, terminal and AFK events,
//!   as `tt ingest` appends them) and `claude/projects/<encoded cwd>/<session>.jsonl`
//!   with `<session>/subagents/agent-<id>.jsonl` (Claude Code's layout). The agent
//!   events live only in the Claude logs: `tt ingest sessions` or `tt export` derives
//!   them.
//! * [`write_jsonl`]: one stream for `tt import`, the concatenated exports of every
//!   machine (header, events in time order, agent session records, end record). Its
//!   agent events and session records are exactly what tt derives from the Claude logs
//!   of [`write_dir`] on a machine where the project directories do not exist (so
//!   without `git_project`: streams find their project through the pane events of the
//!   same directory, SPEC §10).
//!
//! The shape of a machine's day: a workday (shorter at weekends) of work blocks on one
//! project at a time with pane focus and scroll bursts, terminal focus-out gaps
//! (`tmux_client` focus_out/focus_in), AFK breaks and a lunch (`afk_change` idle, whose
//! `idle_duration_ms` reaches back to the start of the break, then active), the client
//! attached in the morning and detached at night; Claude sessions started in the
//! project at hand, some running in parallel, some delegating to parallel subagents.
//! Every machine has several projects (panes in the repository root and in
//! subdirectories, some of them without `git_project`, and a notes directory outside
//! any repository); the first two machines share the project `platform`.
//!
//! Same options, same bytes: everything random comes from one seeded generator per
//! machine, and nothing depends on the clock or on hash order. Generation streams one
//! machine-day at a time, so a million events take a few seconds and little memory.
//!
//! Each includer uses a part of it; what one leaves unused is not dead.
#![allow(dead_code)]

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::Path;

use tt::event::{Event, Timestamp, kind, source};
use tt::wire::{AgentSession, End, Header, Tagged, WIRE_VERSION, tagged_line};

/// The `agent` of Claude Code events and sessions (as tt's parser names it).
const AGENT: &str = "claude-code";
const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
/// tt's hook debounce: two events of one pane closer than this would be one.
const DEBOUNCE_MS: i64 = 500;

/// What to generate.
#[derive(Debug, Clone)]
pub struct Options {
    pub machines: usize,
    /// Events of the whole fleet, agent events included (as tt counts them once
    /// derived). Exact unless the sessions and breaks alone need more.
    pub events: u64,
    /// Top-level Claude sessions of the whole fleet (subagents come on top).
    pub sessions: u64,
    pub days: u32,
    pub seed: u64,
    /// First day (UTC).
    pub start: jiff::civil::Date,
}

impl Options {
    /// `machines` machines, `events` events over `days` days from 2026-01-05 (a
    /// Monday), three sessions per machine and day, seed 1.
    pub fn new(machines: usize, events: u64, days: u32) -> Options {
        Options {
            machines,
            events,
            sessions: default_sessions(machines, days),
            days,
            seed: 1,
            start: jiff::civil::date(2026, 1, 5),
        }
    }
}

/// Three top-level sessions per machine and day.
pub fn default_sessions(machines: usize, days: u32) -> u64 {
    machines as u64 * u64::from(days) * 3
}

/// What was generated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// (machine id, label), in generation order.
    pub machines: Vec<(String, String)>,
    /// Every event, agent events included.
    pub events: u64,
    pub agent_events: u64,
    /// Top-level sessions and subagent sessions.
    pub sessions: u64,
    pub subagents: u64,
    /// Claude log files written ([`write_dir`] only).
    pub claude_logs: u64,
}

/// One `tt import` stream of the whole fleet: per machine a header, its events in
/// time order, its agent session records and an end record.
pub fn write_jsonl(options: &Options, out: &mut dyn Write) -> io::Result<Summary> {
    let mut out = BufWriter::with_capacity(1 << 20, out);
    let mut summary = Summary::default();
    for index in 0..options.machines {
        let mut machine = MachineGen::new(options, index, false);
        let header = Header {
            machine_id: machine.plan.id.clone(),
            label: machine.plan.label.clone(),
            tt_version: env!("CARGO_PKG_VERSION").to_string(),
            wire_version: WIRE_VERSION,
        };
        writeln!(out, "{}", tagged_line(Tagged::Header(header)))?;
        let mut sessions = Vec::new();
        let mut events = 0u64;
        for day in 0..options.days {
            let generated = machine.day(day);
            for event in &generated.events {
                writeln!(out, "{}", event.to_json())?;
            }
            events += generated.events.len() as u64;
            summary.agent_events += generated.agent_events;
            summary.subagents += generated.subagents;
            sessions.extend(generated.sessions);
        }
        for session in &sessions {
            writeln!(out, "{}", tagged_line(Tagged::AgentSession(session.clone())))?;
        }
        let end = End {
            events,
            sessions: sessions.len() as u64,
        };
        writeln!(out, "{}", tagged_line(Tagged::End(end)))?;
        summary.events += events;
        summary.sessions += sessions.len() as u64;
        summary
            .machines
            .push((machine.plan.id.clone(), machine.plan.label.clone()));
    }
    out.flush()?;
    Ok(summary)
}

/// Each machine's files under `dir/<label>/` (see the module documentation).
pub fn write_dir(options: &Options, dir: &Path) -> io::Result<Summary> {
    let mut summary = Summary::default();
    for index in 0..options.machines {
        let mut machine = MachineGen::new(options, index, true);
        let home = dir.join(&machine.plan.label);
        fs::create_dir_all(&home)?;
        // As `tt init` writes it.
        let identity = tt::machine::Machine {
            machine_id: machine.plan.id.parse().expect("a generated UUID"),
            label: machine.plan.label.clone(),
        };
        let mut json = serde_json::to_vec_pretty(&identity)?;
        json.push(b'\n');
        fs::write(home.join("machine.json"), json)?;
        let projects = home.join("claude/projects");
        let mut log = BufWriter::with_capacity(1 << 20, File::create(home.join("events.jsonl"))?);
        for day in 0..options.days {
            let generated = machine.day(day);
            for event in generated.events.iter().filter(|e| e.source != source::AGENT) {
                writeln!(log, "{}", event.to_json())?;
            }
            for file in &generated.logs {
                let path = projects.join(&file.path);
                fs::create_dir_all(path.parent().expect("logs live in a directory"))?;
                fs::write(&path, &file.text)?;
            }
            summary.events += generated.events.len() as u64;
            summary.agent_events += generated.agent_events;
            summary.subagents += generated.subagents;
            summary.sessions += generated.sessions.len() as u64;
            summary.claude_logs += generated.logs.len() as u64;
        }
        log.flush()?;
        summary
            .machines
            .push((machine.plan.id.clone(), machine.plan.label.clone()));
    }
    Ok(summary)
}

/// Claude Code's directory name for a working directory: every character that is not
/// a letter or digit becomes `-`.
pub fn encode_cwd(cwd: &str) -> String {
    cwd.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

// ---------------------------------------------------------------------------------
// The plan of a machine: identity, projects, panes.

const LABELS: [&str; 8] = [
    "devbox",
    "gpu-server",
    "build-box",
    "staging",
    "laptop",
    "ml-node",
    "ci-runner",
    "sandbox",
];

const PROJECT_NAMES: [&str; 24] = [
    "acme-api",
    "acme-web",
    "billing",
    "infra",
    "trainer",
    "docs-site",
    "mobile-app",
    "data-pipeline",
    "auth-service",
    "search",
    "cli-tools",
    "dashboard",
    "payments",
    "scheduler",
    "notifier",
    "gateway",
    "analytics",
    "exporter",
    "ledger",
    "inventory",
    "crawler",
    "renderer",
    "compiler",
    "storage",
];

/// The project the first two machines share.
pub const SHARED_PROJECT: &str = "platform";

/// Subdirectories of a repository that panes and sessions work in.
const SUBDIRS: [&str; 6] = ["src", "crates/core", "web/src", "tests", "scripts", "docs"];

#[derive(Debug, Clone)]
struct Pane {
    id: String,
    session: String,
    window: u32,
    cwd: String,
    git_project: Option<String>,
}

#[derive(Debug, Clone)]
struct Project {
    /// Indexes into [`MachinePlan::panes`].
    panes: Vec<usize>,
    /// Working directories for agent sessions: the root and a subdirectory.
    session_dirs: Vec<String>,
}

#[derive(Debug, Clone)]
struct MachinePlan {
    id: String,
    label: String,
    projects: Vec<Project>,
    panes: Vec<Pane>,
    /// Panes outside any project (the notes directory).
    loose_panes: Vec<usize>,
    /// Events and top-level sessions of this machine.
    events: u64,
    sessions: u64,
}

/// splitmix64: independent, well-mixed seeds for each machine from one seed.
fn mix(seed: u64, salt: u64) -> u64 {
    let mut z = seed
        .wrapping_add(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(salt.wrapping_mul(0xBF58_476D_1CE4_E5B9));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn uuid_v4(rng: &mut fastrand::Rng) -> String {
    uuid::Builder::from_random_bytes(rng.u128(..).to_le_bytes())
        .into_uuid()
        .hyphenated()
        .to_string()
}

/// The part of `total` that falls in `[from, to)` of a range of length `all`: cutting
/// a range into consecutive slices cuts `total` into parts that add up to it.
fn slice(total: u64, from: u64, to: u64, all: u64) -> u64 {
    let at = |w: u64| (u128::from(total) * u128::from(w) / u128::from(all)) as u64;
    at(to) - at(from)
}

/// Part `index` of `total` cut in `parts` nearly equal parts that add up to `total`.
fn part(total: u64, index: usize, parts: usize) -> u64 {
    total / parts as u64 + u64::from((index as u64) < total % parts as u64)
}

impl MachinePlan {
    fn new(options: &Options, index: usize, rng: &mut fastrand::Rng) -> MachinePlan {
        let id = uuid_v4(rng);
        let label = match index / LABELS.len() {
            0 => LABELS[index].to_string(),
            n => format!("{}-{}", LABELS[index % LABELS.len()], n + 1),
        };
        // Project names are unique across the fleet, but for the shared one.
        let count = 3 + rng.usize(..3);
        let mut names: Vec<String> = (0..count)
            .map(|j| {
                let n = index * 5 + j;
                match n / PROJECT_NAMES.len() {
                    0 => PROJECT_NAMES[n].to_string(),
                    round => format!("{}-{}", PROJECT_NAMES[n % PROJECT_NAMES.len()], round + 1),
                }
            })
            .collect();
        if index < 2 && options.machines >= 2 {
            names[count - 1] = SHARED_PROJECT.to_string();
        }
        let mut panes = Vec::new();
        let mut projects = Vec::new();
        for name in &names {
            let root = format!("/home/dev/src/{name}");
            let mut project = Project {
                panes: Vec::new(),
                session_dirs: vec![root.clone()],
            };
            let sub = SUBDIRS[rng.usize(..SUBDIRS.len())];
            // The root, a subdirectory as the hook sees it (git project found) and,
            // on some projects, a subdirectory recorded without its project.
            let mut dirs = vec![(root.clone(), true), (format!("{root}/{sub}"), true)];
            if rng.bool() {
                let other = SUBDIRS[(SUBDIRS.iter().position(|s| *s == sub).unwrap() + 1) % SUBDIRS.len()];
                dirs.push((format!("{root}/{other}"), false));
                project.session_dirs.push(format!("{root}/{other}"));
            } else {
                project.session_dirs.push(format!("{root}/{sub}"));
            }
            for (window, (cwd, git)) in dirs.into_iter().enumerate() {
                project.panes.push(panes.len());
                panes.push(Pane {
                    id: format!("%{}", panes.len()),
                    session: name.clone(),
                    window: window as u32,
                    cwd,
                    git_project: git.then(|| name.clone()),
                });
            }
            projects.push(project);
        }
        let loose_panes = vec![panes.len()];
        panes.push(Pane {
            id: format!("%{}", panes.len()),
            session: "misc".into(),
            window: 0,
            cwd: "/home/dev/notes".into(),
            git_project: None,
        });
        MachinePlan {
            id,
            label,
            projects,
            panes,
            loose_panes,
            events: part(options.events, index, options.machines),
            sessions: part(options.sessions, index, options.machines),
        }
    }
}

// ---------------------------------------------------------------------------------
// One machine, day by day.

/// A stretch of the workday.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Activity {
    /// At the keyboard, on this project.
    Work(usize),
    /// The terminal window lost focus (a browser, a call).
    Away,
    /// Away from the keyboard.
    Afk,
}

#[derive(Debug, Clone, Copy)]
struct Segment {
    start: i64,
    end: i64,
    activity: Activity,
}

/// One Claude log file, relative to the projects directory.
struct LogFile {
    path: String,
    text: String,
}

/// What one machine-day produced.
struct Day {
    /// Every event, in time order.
    events: Vec<Event>,
    agent_events: u64,
    sessions: Vec<AgentSession>,
    subagents: u64,
    logs: Vec<LogFile>,
}

struct MachineGen<'a> {
    options: &'a Options,
    plan: MachinePlan,
    rng: fastrand::Rng,
    /// Render Claude log text (only [`write_dir`] needs it). Nothing random may
    /// depend on it: both outputs must describe the same fleet.
    claude: bool,
    /// Last event time of each pane, for the debounce.
    pane_last: Vec<i64>,
    /// Counter for unique tool-use and message ids.
    serial: u64,
}

impl<'a> MachineGen<'a> {
    fn new(options: &'a Options, index: usize, claude: bool) -> MachineGen<'a> {
        let mut rng = fastrand::Rng::with_seed(mix(options.seed, index as u64));
        let plan = MachinePlan::new(options, index, &mut rng);
        let pane_last = vec![i64::MIN / 2; plan.panes.len()];
        MachineGen {
            options,
            plan,
            rng,
            claude,
            pane_last,
            serial: 0,
        }
    }

    /// Weekdays weigh 4, weekend days 1.
    fn weight(&self, day: u32) -> u64 {
        let date = self.options.start + jiff::Span::new().days(i64::from(day));
        match date.weekday() {
            jiff::civil::Weekday::Saturday | jiff::civil::Weekday::Sunday => 1,
            _ => 4,
        }
    }

    /// This day's share of `total` by weight, so the days add up to `total`.
    fn day_share(&self, total: u64, day: u32) -> u64 {
        let weights: Vec<u64> = (0..self.options.days).map(|d| self.weight(d)).collect();
        let all: u64 = weights.iter().sum();
        let before: u64 = weights[..day as usize].iter().sum();
        let upto = before + weights[day as usize];
        slice(total, before, upto, all)
    }

    fn day(&mut self, day: u32) -> Day {
        let budget = self.day_share(self.plan.events, day);
        let session_count = self.day_share(self.plan.sessions, day);
        let weekend = self.weight(day) == 1;
        let date = self.options.start + jiff::Span::new().days(i64::from(day));
        let midnight = format!("{date}T00:00:00.000Z")
            .parse::<Timestamp>()
            .expect("dates of the generator are in range")
            .as_millis();
        let (begin, length) = match weekend {
            false => (
                8 * HOUR + self.rng.i64(0..90 * MINUTE),
                8 * HOUR + self.rng.i64(0..2 * HOUR),
            ),
            true => (
                10 * HOUR + self.rng.i64(0..3 * HOUR),
                2 * HOUR + self.rng.i64(0..2 * HOUR),
            ),
        };
        let start = midnight + begin;
        let segments = self.segments(start, start + length, weekend);

        let mut events = Vec::with_capacity(budget as usize + 64);
        self.breaks(&segments, &mut events);
        let fixed = events.len() as u64;

        // Agents get about half of the budget; the panes get the rest.
        let mut sessions = Vec::new();
        let mut logs = Vec::new();
        let mut subagents = 0;
        let agent_budget = budget.saturating_sub(fixed) * 55 / 100;
        let mut agent_events = 0u64;
        if session_count > 0 {
            let weights: Vec<u64> = (0..session_count).map(|_| 50 + self.rng.u64(0..100)).collect();
            let all: u64 = weights.iter().sum();
            let mut spans: Vec<(i64, i64)> = Vec::new();
            let mut before = 0u64;
            for weight in weights {
                let share = slice(agent_budget, before, before + weight, all);
                before += weight;
                let at = self.session_start(&segments, &spans);
                let mut session = self.session(&segments, at, share, midnight + 23 * HOUR);
                spans.push((at, session.end));
                agent_events += session.events.len() as u64;
                subagents += session.sessions.len() as u64 - 1;
                events.append(&mut session.events);
                sessions.append(&mut session.sessions);
                logs.append(&mut session.logs);
            }
        }

        let panes = budget.saturating_sub(fixed + agent_events);
        self.pane_events(&segments, panes, &mut events);
        // Stable: events of one instant keep the order they were made in.
        events.sort_by_key(|e| e.timestamp);
        Day {
            events,
            agent_events,
            sessions,
            subagents,
            logs,
        }
    }

    /// Work blocks with focus-out gaps, AFK breaks and (on weekdays) lunch between them.
    fn segments(&mut self, start: i64, end: i64, weekend: bool) -> Vec<Segment> {
        let mut segments = Vec::new();
        let mut t = start;
        let mut lunch = weekend;
        let projects = self.plan.projects.len();
        while t < end {
            let project = match self.rng.u8(..100) {
                0..40 => 0,
                _ => self.rng.usize(..projects),
            };
            let work_end = (t + self.rng.i64(15 * MINUTE..75 * MINUTE)).min(end);
            segments.push(Segment {
                start: t,
                end: work_end,
                activity: Activity::Work(project),
            });
            t = work_end;
            let (activity, length) = if !lunch && t >= start + 3 * HOUR + 30 * MINUTE {
                lunch = true;
                (Activity::Afk, self.rng.i64(40 * MINUTE..70 * MINUTE))
            } else {
                match self.rng.u8(..100) {
                    0..35 => (Activity::Away, self.rng.i64(2 * MINUTE..12 * MINUTE)),
                    35..60 => (Activity::Afk, self.rng.i64(5 * MINUTE..20 * MINUTE)),
                    _ => continue,
                }
            };
            if t + length >= end {
                break;
            }
            segments.push(Segment {
                start: t,
                end: t + length,
                activity,
            });
            t += length;
        }
        segments
    }

    /// The events around the work: client attached and detached, focus out and in,
    /// AFK idle (reaching back to the start of the break) and active.
    fn breaks(&mut self, segments: &[Segment], out: &mut Vec<Event>) {
        let (Some(first), Some(last)) = (segments.first(), segments.last()) else {
            return;
        };
        let mut pane = self.work_pane(first.activity);
        out.push(self.client(first.start, pane, "attached"));
        for segment in segments {
            match segment.activity {
                Activity::Work(_) => pane = self.work_pane(segment.activity),
                Activity::Away => {
                    out.push(self.client(segment.start, pane, "focus_out"));
                    out.push(self.client(segment.end, pane, "focus_in"));
                }
                Activity::Afk => {
                    // An AFK watcher notices after a few minutes of no input.
                    let noticed =
                        (3 * MINUTE + self.rng.i64(0..2 * MINUTE)).min((segment.end - segment.start) / 2);
                    let mut idle = self.afk(segment.start + noticed, "idle");
                    idle.idle_duration_ms = Some(noticed as u64);
                    out.push(idle);
                    out.push(self.afk(segment.end, "active"));
                }
            }
        }
        out.push(self.client(last.end, pane, "detached"));
    }

    fn work_pane(&mut self, activity: Activity) -> usize {
        match activity {
            Activity::Work(project) => {
                let panes = &self.plan.projects[project].panes;
                panes[self.rng.usize(..panes.len())]
            }
            _ => 0,
        }
    }

    fn tmux_event(&mut self, kind: &str, at: i64, pane: usize) -> Event {
        let p = &self.plan.panes[pane];
        let mut event = Event::new(
            &self.plan.id,
            source::TMUX,
            kind,
            Timestamp::from_millis(at),
            &p.id,
        );
        event.pane_id = Some(p.id.clone());
        event.session_name = Some(p.session.clone());
        event.window_index = Some(p.window);
        event.cwd = Some(p.cwd.clone());
        event.git_project = p.git_project.clone();
        self.pane_last[pane] = at;
        event
    }

    /// Client events are made before the day's pane events and are not debounced
    /// with them, so they leave the panes' debounce times alone.
    fn client(&mut self, at: i64, pane: usize, action: &str) -> Event {
        let last = self.pane_last[pane];
        let mut event = self.tmux_event(kind::CLIENT, at, pane);
        self.pane_last[pane] = last;
        event.action = Some(action.to_string());
        event
    }

    fn afk(&self, at: i64, status: &str) -> Event {
        let mut event = Event::new(
            &self.plan.id,
            source::AFK,
            kind::AFK_CHANGE,
            Timestamp::from_millis(at),
            status,
        );
        event.status = Some(status.to_string());
        event
    }

    /// `count` pane focus and scroll events over the work segments, in proportion to
    /// their length: bursts of quick switches between quiet stretches, mostly on the
    /// segment's project, now and then a glance at another one.
    fn pane_events(&mut self, segments: &[Segment], count: u64, out: &mut Vec<Event>) {
        let work: Vec<&Segment> = segments
            .iter()
            .filter(|s| matches!(s.activity, Activity::Work(_)))
            .collect();
        let total: i64 = work.iter().map(|s| s.end - s.start).sum();
        if total == 0 || count == 0 {
            return;
        }
        let mut before = 0i64;
        let mut last_at = i64::MIN;
        for segment in work {
            let length = segment.end - segment.start;
            let n = slice(count, before as u64, (before + length) as u64, total as u64);
            before += length;
            if n == 0 {
                continue;
            }
            let Activity::Work(project) = segment.activity else {
                unreachable!()
            };
            // Gaps in arbitrary units: short ones (a burst) and long ones, scaled to fit.
            let gaps: Vec<f64> = (0..n)
                .map(|_| match self.rng.u8(..100) {
                    0..35 => 1.0 + self.rng.f64() * 3.0,
                    _ => 5.0 + self.rng.f64() * 40.0,
                })
                .collect();
            let scale = (length - 1) as f64 / (gaps.iter().sum::<f64>() + 1.0);
            let mut offset = 0.0;
            let mut current = self.plan.projects[project].panes[0];
            for gap in gaps {
                offset += gap;
                // Strictly increasing: no two tmux events of one instant.
                let at = (segment.start + (offset * scale) as i64).max(last_at + 1);
                last_at = at;
                let roll = self.rng.u8(..100);
                let (kind, pane) = if roll < 25 && at - self.pane_last[current] >= DEBOUNCE_MS {
                    (kind::SCROLL, current)
                } else {
                    let candidates = if roll >= 90 {
                        let other = self.rng.usize(..self.plan.projects.len());
                        if self.rng.u8(..4) == 0 {
                            self.plan.loose_panes.clone()
                        } else {
                            self.plan.projects[other].panes.clone()
                        }
                    } else {
                        self.plan.projects[project].panes.clone()
                    };
                    (kind::PANE_FOCUS, self.pick_pane(&candidates, current, at))
                };
                current = pane;
                out.push(self.tmux_event(kind, at, pane));
            }
        }
    }

    /// A pane of `candidates` other than `current` that the debounce lets through,
    /// else any pane of the machine that it lets through, else `current`.
    fn pick_pane(&mut self, candidates: &[usize], current: usize, at: i64) -> usize {
        let free = |last: &[i64], p: usize| at - last[p] >= DEBOUNCE_MS;
        let offset = self.rng.usize(..candidates.len());
        for i in 0..candidates.len() {
            let p = candidates[(offset + i) % candidates.len()];
            if p != current && free(&self.pane_last, p) {
                return p;
            }
        }
        let all = self.plan.panes.len();
        let offset = self.rng.usize(..all);
        (0..all)
            .map(|i| (offset + i) % all)
            .find(|&p| free(&self.pane_last, p))
            .unwrap_or(current)
    }

    /// When a session starts: during a previous session now and then (parallel
    /// agents), else anywhere in the work; never while the human is away.
    fn session_start(&mut self, segments: &[Segment], spans: &[(i64, i64)]) -> i64 {
        let (first, last) = (segments[0].start, segments[segments.len() - 1].end);
        let at = match spans.last() {
            Some(&(from, to)) if self.rng.u8(..100) < 40 && to > from + 1 => self.rng.i64(from..to),
            _ => self.rng.i64(first..(last - 10 * MINUTE).max(first + 1)),
        };
        at_keyboard(segments, at)
    }

    /// One top-level session of about `budget` agent events from `at`, over an hour
    /// or two, ending before `deadline`.
    fn session(&mut self, segments: &[Segment], at: i64, budget: u64, deadline: i64) -> Session {
        let project = match segments
            .iter()
            .find(|s| s.start <= at && at < s.end)
            .map(|s| s.activity)
        {
            Some(Activity::Work(p)) if self.rng.u8(..100) < 80 => p,
            _ => self.rng.usize(..self.plan.projects.len()),
        };
        let dirs = &self.plan.projects[project].session_dirs;
        let cwd = match self.rng.u8(..100) {
            0..75 => dirs[0].clone(),
            _ => dirs[1].clone(),
        };
        let id = uuid_v4(&mut self.rng);
        let duration = self
            .rng
            .i64(30 * MINUTE..150 * MINUTE)
            .min((deadline - at) / 2)
            .max(MINUTE);
        // started, the first prompt and ended, then tool uses (and subagents).
        let tools = budget.saturating_sub(3).max(1);
        let gap = (duration / tools as i64).max(1);
        let mut s = Session::default();
        let mut main = self.log(&id, None, &cwd, at);
        let prompt = PROMPTS[self.rng.usize(..PROMPTS.len())];
        self.prompt(&mut main, at, prompt);
        let mut t = at;
        let mut remaining = tools;
        while remaining > 0 {
            let roll = self.rng.u8(..100);
            if roll < 4 && remaining >= 8 {
                // Delegation: one to three subagents in parallel.
                let agents = (1 + self.rng.u64(..3)).min(remaining / 4);
                let per_agent = (remaining / 3 / agents).clamp(1, 60);
                t += self.jitter(gap);
                let mut blocks = Vec::new();
                for _ in 0..agents {
                    blocks.push(self.tool_block(&main, "Task"));
                }
                self.assistant(&mut main, t, &blocks);
                remaining -= agents;
                let mut done = t;
                for _ in 0..agents {
                    let tools = per_agent.min(remaining.saturating_sub(2)).max(1);
                    let end = self.subagent(&mut s, &id, &cwd, t + 200, tools, gap);
                    remaining = remaining.saturating_sub(2 + tools);
                    done = done.max(end);
                }
                t = done + 500;
                self.results(&mut main, t, &blocks);
            } else if roll < 8 && remaining >= 2 {
                // A follow-up from the human: only while at the keyboard.
                t = at_keyboard(segments, t + self.jitter(gap));
                let prompt = FOLLOW_UPS[self.rng.usize(..FOLLOW_UPS.len())];
                self.prompt(&mut main, t, prompt);
                remaining -= 1;
            } else {
                let n = (1 + self.rng.u64(..3)).min(remaining);
                t += self.jitter(gap * n as i64);
                let blocks: Vec<Block> = (0..n)
                    .map(|_| {
                        let name = TOOLS[self.rng.usize(..TOOLS.len())];
                        self.tool_block(&main, name)
                    })
                    .collect();
                self.assistant(&mut main, t, &blocks);
                t += self.result_delay(gap, 300..4000);
                self.results(&mut main, t, &blocks);
                remaining -= n;
            }
        }
        t += self.jitter(gap);
        self.reply(&mut main, t);
        self.close(main, &mut s);
        // Sessions are listed parent first.
        s.sessions.rotate_right(1);
        s.end = t;
        s
    }

    /// A subagent of `parent` with `tools` tool uses from `at`; returns its last time.
    fn subagent(&mut self, s: &mut Session, parent: &str, cwd: &str, at: i64, tools: u64, gap: i64) -> i64 {
        let agent = format!("a{:06x}", self.rng.u32(..0x100_0000));
        let mut log = self.log(parent, Some(agent), cwd, at);
        let task = TASKS[self.rng.usize(..TASKS.len())];
        self.prompt(&mut log, at, task);
        let mut t = at;
        let mut remaining = tools;
        while remaining > 0 {
            let n = (1 + self.rng.u64(..2)).min(remaining);
            t += self.jitter(gap * n as i64);
            let blocks: Vec<Block> = (0..n)
                .map(|_| {
                    let name = SUBAGENT_TOOLS[self.rng.usize(..SUBAGENT_TOOLS.len())];
                    self.tool_block(&log, name)
                })
                .collect();
            self.assistant(&mut log, t, &blocks);
            t += self.result_delay(gap, 200..2000);
            self.results(&mut log, t, &blocks);
            remaining -= n;
        }
        t += self.jitter(gap);
        self.reply(&mut log, t);
        self.close(log, s);
        t
    }

    /// How long a tool ran: a few seconds, but never more than half the gap between
    /// tool uses, so a dense session still ends when planned.
    fn result_delay(&mut self, gap: i64, range: std::ops::Range<i64>) -> i64 {
        self.rng.i64(range).min(gap / 2).max(1)
    }

    /// Between half and one and a half times `gap`, at least a millisecond.
    fn jitter(&mut self, gap: i64) -> i64 {
        (gap / 2 + self.rng.i64(0..gap.max(1))).max(1)
    }

    fn next_serial(&mut self) -> u64 {
        self.serial += 1;
        self.serial
    }

    fn log(&mut self, session: &str, agent: Option<String>, cwd: &str, at: i64) -> Log {
        let session_id = match &agent {
            Some(agent) => format!("{session}/agent-{agent}"),
            None => session.to_string(),
        };
        let dir = encode_cwd(cwd);
        let path = match &agent {
            Some(agent) => format!("{dir}/{session}/subagents/agent-{agent}.jsonl"),
            None => format!("{dir}/{session}.jsonl"),
        };
        let mut started = Event::new(
            &self.plan.id,
            source::AGENT,
            kind::AGENT_SESSION,
            Timestamp::from_millis(at),
            &format!("{session_id}:started"),
        );
        started.action = Some("started".into());
        let started = self.agent_fields(started, &session_id, cwd);
        Log {
            path,
            text: String::new(),
            parent_uuid: None,
            record_session: session.to_string(),
            agent,
            summary: AgentSession {
                session_id,
                machine_id: None,
                parent_session_id: None,
                agent: AGENT.into(),
                project_path: Some(cwd.to_string()),
                project_name: cwd.rsplit('/').next().map(str::to_string),
                start_time: Some(Timestamp::from_millis(at)),
                end_time: Some(Timestamp::from_millis(at)),
                message_count: 0,
                tool_call_count: 0,
                user_prompt_count: 0,
                starting_prompt: None,
            },
            events: vec![started],
        }
    }

    fn agent_fields(&self, mut event: Event, session_id: &str, cwd: &str) -> Event {
        event.agent = Some(AGENT.into());
        event.session_id = Some(session_id.to_string());
        event.cwd = Some(cwd.to_string());
        event
    }

    /// A user record with string content: a human prompt in a main log, the task in a
    /// subagent's.
    fn prompt(&mut self, log: &mut Log, at: i64, text: &str) {
        let uuid = uuid_v4(&mut self.rng);
        log.summary.message_count += 1;
        log.touch(at);
        if log.agent.is_none() {
            log.summary.user_prompt_count += 1;
            log.summary
                .starting_prompt
                .get_or_insert_with(|| text.to_string());
            let mut event = Event::new(
                &self.plan.id,
                source::AGENT,
                kind::USER_MESSAGE,
                Timestamp::from_millis(at),
                &uuid,
            );
            event.length = Some(text.chars().count() as u64);
            event.has_image = Some(false);
            let event = self.agent_fields(event, &log.summary.session_id, log.cwd());
            log.events.push(event);
        }
        if self.claude {
            log.user_line(&uuid, at, &json_string(text));
        }
        log.parent_uuid = Some(uuid);
    }

    fn tool_block(&mut self, log: &Log, name: &'static str) -> Block {
        let serial = self.next_serial();
        let id = format!("toolu_01{serial:08x}{:014x}", self.rng.u64(..1 << 56));
        let file = match name {
            "Read" | "Edit" | "Write" => {
                Some(format!("{}/{}", log.cwd(), FILES[self.rng.usize(..FILES.len())]))
            }
            _ => None,
        };
        Block { id, name, file }
    }

    /// An assistant message with these tool_use blocks.
    fn assistant(&mut self, log: &mut Log, at: i64, blocks: &[Block]) {
        log.summary.message_count += 1;
        log.summary.tool_call_count += blocks.len() as u64;
        log.touch(at);
        for block in blocks {
            let mut event = Event::new(
                &self.plan.id,
                source::AGENT,
                kind::AGENT_TOOL_USE,
                Timestamp::from_millis(at),
                &block.id,
            );
            event.tool = Some(block.name.into());
            event.file = block.file.clone();
            let event = self.agent_fields(event, &log.summary.session_id, log.cwd());
            log.events.push(event);
        }
        // Drawn in both modes, so both describe the same fleet.
        let uuid = uuid_v4(&mut self.rng);
        let serial = self.next_serial();
        if self.claude {
            let mut content = String::from("[");
            for (i, block) in blocks.iter().enumerate() {
                if i > 0 {
                    content.push(',');
                }
                content.push_str(&block.json(log.cwd()));
            }
            content.push(']');
            log.assistant_line(&uuid, at, &format!("msg_01{serial:022x}"), &content);
        }
        log.parent_uuid = Some(uuid);
    }

    /// The user record that carries the tool results.
    fn results(&mut self, log: &mut Log, at: i64, blocks: &[Block]) {
        log.summary.message_count += 1;
        log.touch(at);
        let uuid = uuid_v4(&mut self.rng);
        if self.claude {
            let mut content = String::from("[");
            for (i, block) in blocks.iter().enumerate() {
                if i > 0 {
                    content.push(',');
                }
                content.push_str(&format!(
                    r#"{{"tool_use_id":"{}","type":"tool_result","content":"ok"}}"#,
                    block.id
                ));
            }
            content.push(']');
            log.user_line(&uuid, at, &content);
        }
        log.parent_uuid = Some(uuid);
    }

    /// The closing text answer of the agent.
    fn reply(&mut self, log: &mut Log, at: i64) {
        log.summary.message_count += 1;
        log.touch(at);
        let uuid = uuid_v4(&mut self.rng);
        let serial = self.next_serial();
        if self.claude {
            let content = r#"[{"type":"text","text":"Done. The change is in place and the tests pass."}]"#;
            log.assistant_line(&uuid, at, &format!("msg_01{serial:022x}"), content);
        }
        log.parent_uuid = Some(uuid);
    }

    /// Ends the log: tt emits `ended` at its last record once it is idle.
    fn close(&mut self, mut log: Log, s: &mut Session) {
        let end = log.summary.end_time.expect("a log has records");
        let mut ended = Event::new(
            &self.plan.id,
            source::AGENT,
            kind::AGENT_SESSION,
            end,
            &format!("{}:ended", log.summary.session_id),
        );
        ended.action = Some("ended".into());
        let ended = self.agent_fields(ended, &log.summary.session_id, log.cwd());
        log.events.push(ended);
        if log.agent.is_some() {
            log.summary.parent_session_id = Some(log.record_session.clone());
        }
        s.events.append(&mut log.events);
        s.sessions.push(log.summary);
        if self.claude {
            s.logs.push(LogFile {
                path: log.path,
                text: log.text,
            });
        }
    }
}

/// The first instant from `at` on at which the human is at the keyboard: a time in a
/// break moves to its end.
fn at_keyboard(segments: &[Segment], at: i64) -> i64 {
    match segments.iter().find(|s| s.start <= at && at < s.end) {
        Some(s) if !matches!(s.activity, Activity::Work(_)) => s.end,
        _ => at,
    }
}

#[derive(Default)]
struct Session {
    events: Vec<Event>,
    sessions: Vec<AgentSession>,
    logs: Vec<LogFile>,
    end: i64,
}

/// One Claude log being written, and the summary tt will make of it.
struct Log {
    path: String,
    text: String,
    parent_uuid: Option<String>,
    /// `sessionId` of the records: the parent's id in a subagent's log.
    record_session: String,
    agent: Option<String>,
    summary: AgentSession,
    events: Vec<Event>,
}

impl Log {
    fn cwd(&self) -> &str {
        self.summary.project_path.as_deref().unwrap_or_default()
    }

    fn touch(&mut self, at: i64) {
        let at = Timestamp::from_millis(at);
        if self.summary.end_time.is_none_or(|end| at > end) {
            self.summary.end_time = Some(at);
        }
    }

    /// The fields every record starts with, as Claude Code writes them.
    fn envelope(&mut self) {
        self.text.push_str(r#"{"parentUuid":"#);
        match &self.parent_uuid {
            Some(uuid) => self.text.push_str(&json_string(uuid)),
            None => self.text.push_str("null"),
        }
        self.text.push_str(if self.agent.is_some() {
            r#","isSidechain":true"#
        } else {
            r#","isSidechain":false"#
        });
        self.text.push_str(r#","userType":"external","cwd":"#);
        self.text.push_str(&json_string(
            self.summary.project_path.as_deref().unwrap_or_default(),
        ));
        self.text.push_str(r#","sessionId":"#);
        self.text.push_str(&json_string(&self.record_session));
        self.text.push_str(r#","version":"2.1.39","gitBranch":"main""#);
        if let Some(agent) = &self.agent {
            self.text.push_str(r#","agentId":"#);
            self.text.push_str(&json_string(agent));
        }
    }

    fn user_line(&mut self, uuid: &str, at: i64, content: &str) {
        self.envelope();
        self.text
            .push_str(r#","type":"user","message":{"role":"user","content":"#);
        self.text.push_str(content);
        self.finish(uuid, at);
    }

    fn assistant_line(&mut self, uuid: &str, at: i64, message_id: &str, content: &str) {
        self.envelope();
        self.text
            .push_str(r#","message":{"model":"claude-opus-4-6","id":""#);
        self.text.push_str(message_id);
        self.text
            .push_str(r#"","type":"message","role":"assistant","content":"#);
        self.text.push_str(content);
        self.text.push_str(r#","stop_reason":null},"type":"assistant""#);
        // `finish` closes the message object for user records only.
        self.text.push_str(&format!(
            r#","uuid":"{uuid}","timestamp":"{}"}}"#,
            Timestamp::from_millis(at)
        ));
        self.text.push('\n');
    }

    fn finish(&mut self, uuid: &str, at: i64) {
        self.text.push_str(&format!(
            r#"}},"uuid":"{uuid}","timestamp":"{}"}}"#,
            Timestamp::from_millis(at)
        ));
        self.text.push('\n');
    }
}

/// A tool_use block.
struct Block {
    id: String,
    name: &'static str,
    file: Option<String>,
}

impl Block {
    fn json(&self, cwd: &str) -> String {
        let input = match (self.name, &self.file) {
            ("Edit", Some(file)) => serde_json::json!({
                "file_path": file,
                "old_string": "let retries = 3;",
                "new_string": "let retries = config.retries;",
            }),
            ("Write", Some(file)) => serde_json::json!({ "file_path": file, "content": "// generated\n" }),
            (_, Some(file)) => serde_json::json!({ "file_path": file }),
            ("TodoWrite", None) => serde_json::json!({
                "todos": [{ "content": "Run the tests", "status": "in_progress", "activeForm": "Running the tests" }],
            }),
            ("Bash", None) => {
                serde_json::json!({ "command": "cargo test --workspace", "description": "Run the tests" })
            }
            ("Task", None) => serde_json::json!({
                "description": "Investigate",
                "prompt": "Find where the configuration is loaded and report back.",
                "subagent_type": "general-purpose",
            }),
            (_, None) => serde_json::json!({ "pattern": "fn main", "path": cwd }),
        };
        format!(
            r#"{{"type":"tool_use","id":"{}","name":"{}","input":{input}}}"#,
            self.id, self.name
        )
    }
}

fn json_string(s: &str) -> String {
    serde_json::to_string(s).expect("strings serialise")
}

const PROMPTS: [&str; 8] = [
    "Fix the flaky integration test in the sync module",
    "Add pagination to the list endpoint and update the client",
    "Refactor the configuration loader so environment variables override the file",
    "Why does the build fail on CI but not locally? Investigate and fix",
    "Implement retry with backoff for the upstream HTTP calls",
    "Write tests for the report renderer, including the empty case",
    "Migrate the remaining handlers to the new error type",
    "Profile the import path and make it faster",
];

const FOLLOW_UPS: [&str; 5] = [
    "Looks good, now run the whole test suite",
    "Keep the public API unchanged please",
    "Also update the README",
    "That broke the other test, have a look",
    "Commit this with a clear message",
];

const TASKS: [&str; 4] = [
    "Find every caller of the configuration loader and summarise how each uses it.",
    "Read the test suite and list the cases that cover error handling.",
    "Search the repository for TODO comments about performance.",
    "Check which modules depend on the old error type.",
];

const TOOLS: [&str; 10] = [
    "Read",
    "Read",
    "Read",
    "Edit",
    "Edit",
    "Bash",
    "Bash",
    "Grep",
    "Write",
    "TodoWrite",
];

const SUBAGENT_TOOLS: [&str; 4] = ["Read", "Read", "Grep", "Glob"];

const FILES: [&str; 8] = [
    "src/main.rs",
    "src/lib.rs",
    "src/api.rs",
    "src/db.rs",
    "src/handlers.rs",
    "src/config.rs",
    "README.md",
    "tests/integration.rs",
];
