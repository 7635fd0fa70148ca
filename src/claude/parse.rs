//! The pure part: the bytes of one Claude Code log in, derived events and the session
//! summary out. No filesystem, no clock: the caller feeds bytes and passes `now`.
//!
//! A log is JSONL, one record per line, appended while the session runs. Only `user`
//! and `assistant` records produce events, and they are a minority of the bytes
//! (`progress` hook records and tool outputs dominate), so each line is first
//! classified from its raw bytes and only the lines that can matter are deserialised,
//! into borrowed structs that skip every field they do not name.
//!
//! The classification relies on one property of JSON: a quote inside a string is
//! always escaped, so an unescaped `"type":"` in a line is a real key. When the first
//! such key sits directly in the top-level object we know the record type without
//! parsing; anything unexpected (other key order, spaces, no type) falls back to a
//! full parse, so speed depends on Claude Code's layout but correctness does not.
//!
//! What is derived, per log (a subagent's log is a session of its own):
//! - `agent_session` `started` at the first timestamp, `ended` at the last one once
//!   the session has been idle longer than `agent_timeout` ([`LogState::close_if_idle`]);
//!   a session that resumes after its `ended` starts again.
//! - `user_message` for each human prompt of a main session: a `user` record whose
//!   content is a string or holds a `text`/`image` block, that holds no `tool_result`
//!   and is not marked `isMeta` or `isCompactSummary` (the summary Claude Code writes
//!   when it compacts a conversation is not typed by the human).
//! - `agent_tool_use` for each distinct `tool_use` id of an assistant record (not the
//!   copies of a subagent's messages that `progress` records carry: those are counted
//!   in the subagent's own log).
//! - The summary: `message_count` counts user records plus assistant messages (the
//!   records sharing a `message.id` are one message), `tool_call_count` the distinct
//!   tool_use ids, `user_prompt_count` the human prompts, `starting_prompt` the first.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::marker::PhantomData;
use std::path::Path;
use std::sync::LazyLock;

use memchr::memmem::Finder;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::event::{Event, kind, source};
use crate::timestamp::Timestamp;
use crate::wire::AgentSession;

/// The `agent` of every event and session derived here.
pub const AGENT: &str = "claude-code";

/// `starting_prompt` keeps at most this many characters.
pub const PROMPT_CHARS: usize = 200;

/// A main session log, or the log of a subagent the session started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogKind {
    Main,
    Subagent,
}

/// Everything needed to continue parsing one log where the last scan stopped; kept
/// in the manifest.
///
/// Distinct tool_use ids are counted without remembering every id of the session: a
/// tool_use block can only be logged again in another record of the same assistant
/// message (Claude Code writes one record per content block, and the records of one
/// message are consecutive), so the ids of the current message are enough. That keeps
/// the manifest at a few hundred bytes per log however long the session is, where a
/// full set would cost ~40 bytes per tool call of every session ever seen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogState {
    pub kind: LogKind,
    /// Session id the path suggests: the file stem of a main log, the parent's id
    /// (directory name) for `<session>/subagents/agent-*.jsonl`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_session: Option<String>,
    /// Agent id the file name suggests (`agent-<id>.jsonl`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_agent: Option<String>,
    /// The summary so far; `None` until a record identifies the session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<AgentSession>,
    /// A `started` event was emitted and no `ended` since.
    #[serde(default)]
    pub open: bool,
    /// First timestamp of a (re)start not announced yet because no record has said
    /// the session's directory: every agent event carries a cwd.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_start: Option<Timestamp>,
    /// Timestamp of the last `ended` event emitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<Timestamp>,
    /// `message.id` of the last assistant record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_message_id: Option<String>,
    /// tool_use ids already seen in that message.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub message_tool_ids: Vec<String>,
}

/// Counters of one parse, for the command's summary and the benchmark.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ParseStats {
    pub lines: u64,
    /// Lines deserialised in full (the others were classified from their bytes).
    pub parsed: u64,
    /// Complete lines that are not valid JSON records; skipped.
    pub malformed: u64,
}

impl LogState {
    pub fn new(kind: LogKind, path_session: Option<String>, path_agent: Option<String>) -> LogState {
        LogState {
            kind,
            path_session,
            path_agent,
            session: None,
            open: false,
            pending_start: None,
            ended_at: None,
            last_message_id: None,
            message_tool_ids: Vec::new(),
        }
    }

    /// The state of a log not read yet, from its path relative to the projects
    /// directory: `<project>/<session>.jsonl`, `<project>/<session>/subagents/agent-<id>.jsonl`
    /// or (older Claude Code) `<project>/agent-<id>.jsonl`.
    pub fn for_path(relative: &Path) -> LogState {
        let stem = relative.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
        match stem.strip_prefix("agent-") {
            Some(agent) => {
                let mut dirs = relative.parent().into_iter().flat_map(|p| p.iter().rev());
                let parent = match (dirs.next(), dirs.next()) {
                    (Some(sub), Some(session)) if sub == "subagents" => session.to_str().map(str::to_string),
                    _ => None,
                };
                LogState::new(LogKind::Subagent, parent, Some(agent.to_string()))
            }
            None => LogState::new(LogKind::Main, Some(stem.to_string()), None),
        }
    }

    /// Feeds the log's next bytes, starting where the previous call stopped. Complete
    /// lines are processed; a last line without its newline is left for later unless
    /// `at_end` says these bytes reach the end of the file and it is a complete JSON
    /// object (a record whose newline is the only thing missing). Returns the number of
    /// bytes consumed: the caller's next call starts after them.
    pub fn consume(
        &mut self,
        bytes: &[u8],
        at_end: bool,
        machine_id: &str,
        out: &mut Vec<Event>,
        stats: &mut ParseStats,
    ) -> usize {
        let mut start = 0;
        // End of the last line whose timestamp is already accounted for.
        let mut stamped_to = 0;
        for newline in memchr::memchr_iter(b'\n', bytes) {
            if self.line(&bytes[start..newline], machine_id, out, stats) {
                stamped_to = newline;
            }
            start = newline + 1;
        }
        let mut consumed = start;
        if at_end && start < bytes.len() && is_complete_object(&bytes[start..]) {
            if self.line(&bytes[start..], machine_id, out, stats) {
                stamped_to = bytes.len();
            }
            consumed = bytes.len();
        }
        self.take_last_timestamp(&bytes[stamped_to..consumed], stats);
        consumed
    }

    /// Emits `ended` when the session has been idle longer than `timeout` at `now`.
    /// Returns whether it did.
    pub fn close_if_idle(
        &mut self,
        now: Timestamp,
        timeout_ms: i64,
        machine_id: &str,
        out: &mut Vec<Event>,
    ) -> bool {
        let Some(last) = self.session.as_ref().and_then(|s| s.end_time) else {
            return false;
        };
        if !self.open || now.as_millis() - last.as_millis() <= timeout_ms {
            return false;
        }
        let mut event = self.event(machine_id, kind::AGENT_SESSION, last, "ended", None);
        event.action = Some("ended".to_string());
        out.push(event);
        self.open = false;
        self.ended_at = Some(last);
        // A resumed session starts a new assistant message anyway.
        self.last_message_id = None;
        self.message_tool_ids.clear();
        true
    }

    /// Records of the session before any timestamp, or after it ended, are read in
    /// full: they may carry the session's identity, first cwd or a restart.
    fn needs_head(&self) -> bool {
        !self.open || self.session.as_ref().is_none_or(|s| s.project_path.is_none())
    }

    /// One line; returns whether a timestamp was taken from it.
    fn line(&mut self, line: &[u8], machine_id: &str, out: &mut Vec<Event>, stats: &mut ParseStats) -> bool {
        let line = line.trim_ascii();
        if line.is_empty() {
            return false;
        }
        stats.lines += 1;
        let class = classify(line);
        if !self.needs_head() {
            match class {
                Class::Other => return false,
                Class::ToolResult => {
                    if let Some(session) = &mut self.session {
                        session.message_count += 1;
                    }
                    return false;
                }
                Class::Parse => {}
            }
        }
        stats.parsed += 1;
        match serde_json::from_slice::<Record>(line) {
            Ok(record) => self.record(record, machine_id, out),
            Err(_) => {
                stats.malformed += 1;
                false
            }
        }
    }

    fn record(&mut self, rec: Record, machine_id: &str, out: &mut Vec<Event>) -> bool {
        let timestamp = rec.timestamp.as_deref().and_then(|t| t.parse::<Timestamp>().ok());
        if self.session.is_none() {
            if timestamp.is_none() && rec.session_id.is_none() {
                return false;
            }
            self.identify(rec.session_id.as_deref(), rec.agent_id.as_deref());
        }
        let cwd = rec.cwd.as_deref();
        if let Some(session) = &mut self.session
            && session.project_path.is_none()
        {
            session.project_path = cwd.map(str::to_string);
        }
        if let Some(ts) = timestamp {
            self.saw_timestamp(ts, cwd, machine_id, out);
        }
        match rec.kind.as_deref() {
            Some("user") => self.user(&rec, timestamp, machine_id, out),
            Some("assistant") => self.assistant(&rec, timestamp, machine_id, out),
            _ => {}
        }
        timestamp.is_some()
    }

    fn identify(&mut self, record_session: Option<&str>, record_agent: Option<&str>) {
        let (session_id, parent) = match self.kind {
            LogKind::Main => {
                // The file name is the session id; it keeps two logs from ever
                // claiming one id even if a log holds records copied from another.
                let id = self
                    .path_session
                    .as_deref()
                    .or(record_session)
                    .unwrap_or("unknown");
                (id.to_string(), None)
            }
            LogKind::Subagent => {
                let parent = record_session.or(self.path_session.as_deref());
                let agent = record_agent.or(self.path_agent.as_deref()).unwrap_or("unknown");
                (subagent_session_id(parent, agent), parent.map(str::to_string))
            }
        };
        self.session = Some(AgentSession {
            session_id,
            machine_id: None,
            parent_session_id: parent,
            agent: AGENT.to_string(),
            project_path: None,
            project_name: None,
            start_time: None,
            end_time: None,
            message_count: 0,
            tool_call_count: 0,
            user_prompt_count: 0,
            starting_prompt: None,
        });
    }

    fn saw_timestamp(&mut self, ts: Timestamp, cwd: Option<&str>, machine_id: &str, out: &mut Vec<Event>) {
        if !self.open && self.ended_at.is_none_or(|ended| ts > ended) {
            let start = *self.pending_start.get_or_insert(ts);
            if cwd.is_some() || self.session.as_ref().is_some_and(|s| s.project_path.is_some()) {
                let mut event = self.event(machine_id, kind::AGENT_SESSION, start, "started", cwd);
                event.action = Some("started".to_string());
                out.push(event);
                self.open = true;
                self.pending_start = None;
            }
        }
        let Some(session) = &mut self.session else { return };
        session.start_time.get_or_insert(ts);
        if session.end_time.is_none_or(|end| ts > end) {
            session.end_time = Some(ts);
        }
    }

    fn user(&mut self, rec: &Record, ts: Option<Timestamp>, machine_id: &str, out: &mut Vec<Event>) {
        let Some(session) = &mut self.session else { return };
        session.message_count += 1;
        if self.kind != LogKind::Main || rec.is_meta == Some(true) || rec.is_compact_summary == Some(true) {
            return;
        }
        let Some(prompt) = rec
            .message
            .as_ref()
            .and_then(|m| m.content.as_ref())
            .and_then(Prompt::of)
        else {
            return;
        };
        session.user_prompt_count += 1;
        if session.starting_prompt.is_none() {
            session.starting_prompt = Some(prompt.text);
        }
        let (Some(ts), Some(uuid)) = (ts, rec.uuid.as_deref()) else {
            return;
        };
        let mut event = self.event(machine_id, kind::USER_MESSAGE, ts, uuid, rec.cwd.as_deref());
        event.length = Some(prompt.chars);
        event.has_image = Some(prompt.has_image);
        out.push(event);
    }

    fn assistant(&mut self, rec: &Record, ts: Option<Timestamp>, machine_id: &str, out: &mut Vec<Event>) {
        let Some(message) = &rec.message else { return };
        let message_id = message.id.as_deref();
        if message_id.is_none() || message_id != self.last_message_id.as_deref() {
            if let Some(session) = &mut self.session {
                session.message_count += 1;
            }
            self.last_message_id = message_id.map(str::to_string);
            self.message_tool_ids.clear();
        }
        let Some(Content::Blocks(blocks)) = &message.content else {
            return;
        };
        for block in blocks {
            let (Some("tool_use"), Some(id)) = (block.kind.as_deref(), block.id.as_deref()) else {
                continue;
            };
            if self.message_tool_ids.iter().any(|seen| seen == id) {
                continue;
            }
            self.message_tool_ids.push(id.to_string());
            if let Some(session) = &mut self.session {
                session.tool_call_count += 1;
            }
            let Some(ts) = ts else { continue };
            let mut event = self.event(machine_id, kind::AGENT_TOOL_USE, ts, id, rec.cwd.as_deref());
            event.tool = block.name.as_deref().map(str::to_string);
            event.file = block
                .input
                .as_ref()
                .and_then(|input| input.file_path.as_deref().or(input.notebook_path.as_deref()))
                .map(str::to_string);
            out.push(event);
        }
    }

    /// An event of this session. `discriminator` is made unique within the session:
    /// `started`/`ended` get the session id in front.
    fn event(
        &self,
        machine_id: &str,
        kind: &str,
        ts: Timestamp,
        discriminator: &str,
        cwd: Option<&str>,
    ) -> Event {
        let session = self.session.as_ref();
        let session_id = session.map_or("unknown", |s| s.session_id.as_str());
        let discriminator = match kind {
            kind::AGENT_SESSION => Cow::Owned(format!("{session_id}:{discriminator}")),
            _ => Cow::Borrowed(discriminator),
        };
        let mut event = Event::new(machine_id, source::AGENT, kind, ts, &discriminator);
        event.agent = Some(AGENT.to_string());
        event.session_id = Some(session_id.to_string());
        event.cwd = cwd
            .map(str::to_string)
            .or_else(|| session.and_then(|s| s.project_path.clone()));
        event
    }

    /// The session's last activity is the newest timestamp, but the fast path does not
    /// read the timestamps of the records it skips: take it from the last lines.
    fn take_last_timestamp(&mut self, region: &[u8], stats: &mut ParseStats) {
        let Some(session) = &mut self.session else { return };
        let mut end = region.len();
        while end > 0 {
            let start = memchr::memrchr(b'\n', &region[..end]).map_or(0, |i| i + 1);
            let line = region[start..end].trim_ascii();
            if !line.is_empty()
                && let Ok(stamp) = serde_json::from_slice::<Stamp>(line)
                && let Some(ts) = stamp
                    .timestamp
                    .as_deref()
                    .and_then(|t| t.parse::<Timestamp>().ok())
            {
                stats.parsed += 1;
                if session.end_time.is_none_or(|end| ts > end) {
                    session.end_time = Some(ts);
                }
                return;
            }
            end = start.saturating_sub(1);
        }
    }
}

/// `<parent session>/agent-<agent id>`: unique on the machine even though agent ids
/// are short, and it names where the log lives.
pub fn subagent_session_id(parent: Option<&str>, agent: &str) -> String {
    match parent {
        Some(parent) => format!("{parent}/agent-{agent}"),
        None => format!("agent-{agent}"),
    }
}

/// Fills `git_project` of events and `project_name` of sessions, resolving each
/// directory once. `resolve` answers for directories that exist on this machine.
pub fn attach_projects<'s>(
    events: &mut [Event],
    sessions: impl IntoIterator<Item = &'s mut AgentSession>,
    resolve: &dyn Fn(&Path) -> Option<String>,
) {
    let mut cache: HashMap<String, Option<String>> = HashMap::new();
    let mut lookup = |dir: &str| -> Option<String> {
        if let Some(known) = cache.get(dir) {
            return known.clone();
        }
        let found = resolve(Path::new(dir));
        cache.insert(dir.to_string(), found.clone());
        found
    };
    for event in events {
        if let Some(cwd) = &event.cwd {
            event.git_project = lookup(cwd);
        }
    }
    for session in sessions {
        if let Some(path) = &session.project_path {
            session.project_name = lookup(path).or_else(|| {
                Path::new(path)
                    .file_name()
                    .and_then(|n| n.to_str())
                    .map(str::to_string)
            });
        }
    }
}

/// What the bytes of a line say about it without parsing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// A record of a type that produces nothing (progress, system, snapshots...).
    Other,
    /// A `user` record carrying tool results: a message, never a human prompt.
    ToolResult,
    /// Needs a full parse.
    Parse,
}

static TYPE_KEY: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"\"type\":\""));
static TOOL_RESULT: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"\"type\":\"tool_result\""));

fn classify(line: &[u8]) -> Class {
    let Some(at) = TYPE_KEY.find(line) else {
        return Class::Parse;
    };
    if depth_at(line, at) != 1 {
        return Class::Parse;
    }
    let value = &line[at + 8..];
    if value.starts_with(b"user\"") {
        // A tool_result block can only be structure (quotes in strings are escaped),
        // and human prompts hold text and images only.
        if TOOL_RESULT.find(line).is_some() {
            Class::ToolResult
        } else {
            Class::Parse
        }
    } else if value.starts_with(b"assistant\"") {
        Class::Parse
    } else {
        Class::Other
    }
}

/// Nesting depth (objects and arrays) at byte `at` of a JSON text.
fn depth_at(text: &[u8], at: usize) -> i32 {
    let mut depth = 0;
    let mut i = 0;
    let text = &text[..at];
    while i < text.len() {
        match text[i] {
            b'"' => {
                // Skip the string: to the next quote not escaped.
                i += 1;
                loop {
                    match memchr::memchr2(b'"', b'\\', &text[i.min(text.len())..]) {
                        Some(j) if text[i + j] == b'\\' => i += j + 2,
                        Some(j) => {
                            i += j;
                            break;
                        }
                        None => return -1,
                    }
                }
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth -= 1,
            _ => {}
        }
        i += 1;
    }
    depth
}

fn is_complete_object(tail: &[u8]) -> bool {
    let tail = tail.trim_ascii();
    tail.first() == Some(&b'{') && serde_json::from_slice::<IgnoredAny>(tail).is_ok()
}

/// The fields of a record tt reads; everything else is skipped unparsed.
#[derive(Deserialize)]
struct Record<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow)]
    timestamp: Option<Cow<'a, str>>,
    #[serde(rename = "sessionId", borrow)]
    session_id: Option<Cow<'a, str>>,
    #[serde(rename = "agentId", borrow)]
    agent_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    cwd: Option<Cow<'a, str>>,
    #[serde(borrow)]
    uuid: Option<Cow<'a, str>>,
    #[serde(rename = "isMeta")]
    is_meta: Option<bool>,
    #[serde(rename = "isCompactSummary")]
    is_compact_summary: Option<bool>,
    #[serde(borrow)]
    message: Option<Message<'a>>,
}

#[derive(Deserialize)]
struct Stamp<'a> {
    #[serde(borrow)]
    timestamp: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Message<'a> {
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    content: Option<Content<'a>>,
}

#[derive(Deserialize)]
struct Block<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    name: Option<Cow<'a, str>>,
    text: Option<Text>,
    #[serde(borrow)]
    input: Option<ToolInput<'a>>,
}

#[derive(Deserialize)]
struct ToolInput<'a> {
    #[serde(borrow)]
    file_path: Option<Cow<'a, str>>,
    #[serde(borrow)]
    notebook_path: Option<Cow<'a, str>>,
}

/// `message.content`: a string, an array of blocks, or (tolerated) anything else.
enum Content<'a> {
    Text(Text),
    Blocks(Vec<Block<'a>>),
    Other,
}

/// A text's length in characters and its first [`PROMPT_CHARS`] characters, taken
/// without keeping the whole text.
struct Text {
    chars: u64,
    prefix: String,
}

impl Text {
    fn of(s: &str) -> Text {
        let cut = s.char_indices().nth(PROMPT_CHARS).map_or(s.len(), |(i, _)| i);
        Text {
            chars: s.chars().count() as u64,
            prefix: s[..cut].to_string(),
        }
    }
}

/// A human prompt: the text and images of a user record that is not a tool result.
struct Prompt {
    chars: u64,
    has_image: bool,
    text: String,
}

impl Prompt {
    fn of(content: &Content) -> Option<Prompt> {
        match content {
            Content::Text(text) => Some(Prompt {
                chars: text.chars,
                has_image: false,
                text: text.prefix.clone(),
            }),
            Content::Blocks(blocks) => {
                let mut prompt = Prompt {
                    chars: 0,
                    has_image: false,
                    text: String::new(),
                };
                let mut human = false;
                for block in blocks {
                    match block.kind.as_deref() {
                        Some("tool_result") => return None,
                        Some("image") => {
                            prompt.has_image = true;
                            human = true;
                        }
                        Some("text") => {
                            human = true;
                            if let Some(text) = &block.text {
                                prompt.chars += text.chars;
                                if prompt.text.chars().count() < PROMPT_CHARS {
                                    if !prompt.text.is_empty() {
                                        prompt.text.push('\n');
                                    }
                                    prompt.text.push_str(&text.prefix);
                                }
                            }
                        }
                        _ => {}
                    }
                }
                if let Some((cut, _)) = prompt.text.char_indices().nth(PROMPT_CHARS) {
                    prompt.text.truncate(cut);
                }
                human.then_some(prompt)
            }
            Content::Other => None,
        }
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Text, D::Error> {
        struct TextVisitor;
        impl Visitor<'_> for TextVisitor {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Text, E> {
                Ok(Text::of(s))
            }
        }
        deserializer.deserialize_str(TextVisitor)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Content<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Content<'a>, D::Error> {
        struct ContentVisitor<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for ContentVisitor<'a> {
            type Value = Content<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("message content")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Content<'a>, E> {
                Ok(Content::Text(Text::of(s)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Content<'a>, A::Error> {
                let mut blocks = Vec::new();
                while let Some(block) = seq.next_element::<Block<'a>>()? {
                    blocks.push(block);
                }
                Ok(Content::Blocks(blocks))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Content<'a>, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Content::Other)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Content<'a>, E> {
                Ok(Content::Other)
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Content<'a>, E> {
                Ok(Content::Other)
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Content<'a>, E> {
                Ok(Content::Other)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Content<'a>, E> {
                Ok(Content::Other)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Content<'a>, E> {
                Ok(Content::Other)
            }
        }
        deserializer.deserialize_any(ContentVisitor(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MID: &str = "a1b2c3d4-e5f6-4890-abcd-ef1234567890";

    fn feed(state: &mut LogState, text: &str) -> (Vec<Event>, usize) {
        let mut out = Vec::new();
        let n = state.consume(text.as_bytes(), true, MID, &mut out, &mut ParseStats::default());
        (out, n)
    }

    fn main_log() -> LogState {
        LogState::for_path(Path::new("-home-me-acme/s1.jsonl"))
    }

    const PROMPT: &str = r#"{"type":"user","sessionId":"s1","cwd":"/home/me/acme","uuid":"u1","timestamp":"2026-02-10T10:00:00.000Z","message":{"role":"user","content":"fix the build"}}"#;
    const TOOL: &str = r#"{"message":{"id":"m1","content":[{"type":"tool_use","id":"t1","name":"Read","input":{"file_path":"/home/me/acme/x.rs"}}]},"type":"assistant","sessionId":"s1","cwd":"/home/me/acme","uuid":"a1","timestamp":"2026-02-10T10:00:05.000Z"}"#;
    const RESULT: &str = r#"{"type":"user","sessionId":"s1","cwd":"/home/me/acme","uuid":"u2","timestamp":"2026-02-10T10:00:06.000Z","message":{"role":"user","content":[{"tool_use_id":"t1","type":"tool_result","content":"ok"}]}}"#;
    const PROGRESS: &str = r#"{"type":"progress","sessionId":"s1","cwd":"/home/me/acme","timestamp":"2026-02-10T10:00:09.000Z","data":{"type":"hook_progress"}}"#;

    #[test]
    fn paths_tell_main_logs_from_subagent_logs() {
        let sub = LogState::for_path(Path::new("p/s1/subagents/agent-a12.jsonl"));
        assert_eq!(
            (sub.kind, sub.path_session.as_deref(), sub.path_agent.as_deref()),
            (LogKind::Subagent, Some("s1"), Some("a12"))
        );
        let old = LogState::for_path(Path::new("p/agent-a12.jsonl"));
        assert_eq!((old.kind, old.path_session), (LogKind::Subagent, None));
        assert_eq!(main_log().path_session.as_deref(), Some("s1"));
    }

    #[test]
    fn a_prompt_and_a_tool_use_become_events_with_stable_ids() {
        let mut state = main_log();
        let (events, _) = feed(&mut state, &format!("{PROMPT}\n{TOOL}\n{RESULT}\n{PROGRESS}\n"));
        let ids: Vec<&str> = events.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                format!("{MID}:remote.agent:agent_session:2026-02-10T10:00:00.000Z:s1:started"),
                format!("{MID}:remote.agent:user_message:2026-02-10T10:00:00.000Z:u1"),
                format!("{MID}:remote.agent:agent_tool_use:2026-02-10T10:00:05.000Z:t1"),
            ]
        );
        assert_eq!(events[1].length, Some(13));
        assert_eq!(events[1].has_image, Some(false));
        assert_eq!(events[2].tool.as_deref(), Some("Read"));
        assert_eq!(events[2].file.as_deref(), Some("/home/me/acme/x.rs"));
        assert!(events.iter().all(|e| e.cwd.as_deref() == Some("/home/me/acme")));
        let session = state.session.as_ref().unwrap();
        assert_eq!(session.starting_prompt.as_deref(), Some("fix the build"));
        assert_eq!(
            (
                session.message_count,
                session.tool_call_count,
                session.user_prompt_count
            ),
            (3, 1, 1)
        );
        // The progress record is skipped by the fast path, yet its time is the last activity.
        assert_eq!(session.end_time.unwrap().to_string(), "2026-02-10T10:00:09.000Z");
    }

    #[test]
    fn a_tool_use_logged_twice_in_one_message_counts_once() {
        let mut state = main_log();
        let again = TOOL.replace("10:00:05", "10:00:07");
        let (events, _) = feed(&mut state, &format!("{TOOL}\n{again}\n"));
        assert_eq!(
            events.iter().filter(|e| e.kind == kind::AGENT_TOOL_USE).count(),
            1
        );
        assert_eq!(state.session.as_ref().unwrap().tool_call_count, 1);
        assert_eq!(state.session.as_ref().unwrap().message_count, 1);
    }

    #[test]
    fn a_half_written_last_line_is_left_for_the_next_scan() {
        let mut state = main_log();
        let text = format!("{PROMPT}\n{}", &TOOL[..40]);
        let (events, consumed) = feed(&mut state, &text);
        assert_eq!(consumed, PROMPT.len() + 1);
        assert_eq!(events.len(), 2);
        let (events, consumed) = feed(&mut state, &format!("{TOOL}\n"));
        assert_eq!((events.len(), consumed), (1, TOOL.len() + 1));
    }

    #[test]
    fn a_complete_record_missing_only_its_newline_is_read_at_the_end() {
        let mut state = main_log();
        let text = format!("{PROMPT}\n{TOOL}");
        let (events, consumed) = feed(&mut state, &text);
        assert_eq!((events.len(), consumed), (3, text.len()));
    }

    #[test]
    fn malformed_lines_and_unknown_records_are_skipped() {
        let mut state = main_log();
        let text = format!(
            "{{\"type\":\"user\",\"message\":\n{{\"type\":\"future-thing\",\"x\":[1]}}\nnot json\n{PROMPT}\n"
        );
        let mut stats = ParseStats::default();
        let mut out = Vec::new();
        let consumed = state.consume(text.as_bytes(), true, MID, &mut out, &mut stats);
        assert_eq!(consumed, text.len());
        assert_eq!(out.len(), 2);
        assert_eq!(stats.malformed, 2);
    }

    #[test]
    fn meta_records_tool_results_and_subagent_prompts_are_not_human_prompts() {
        let mut state = main_log();
        let meta = PROMPT.replace("\"uuid\"", "\"isMeta\":true,\"uuid\"");
        let (events, _) = feed(&mut state, &format!("{meta}\n{RESULT}\n"));
        assert!(events.iter().all(|e| e.kind != kind::USER_MESSAGE));
        let mut sub = LogState::for_path(Path::new("p/s1/subagents/agent-a1.jsonl"));
        let (events, _) = feed(
            &mut sub,
            &format!("{}\n", PROMPT.replace("\"uuid\"", "\"agentId\":\"a1\",\"uuid\"")),
        );
        assert!(events.iter().all(|e| e.kind != kind::USER_MESSAGE));
        assert_eq!(events[0].session_id.as_deref(), Some("s1/agent-a1"));
        assert_eq!(sub.session.unwrap().parent_session_id.as_deref(), Some("s1"));
    }

    #[test]
    fn image_prompts_count_text_characters_and_flag_the_image() {
        let mut state = main_log();
        let line = PROMPT.replace(
            r#""content":"fix the build""#,
            r#""content":[{"type":"text","text":"héllo"},{"type":"image","source":{"type":"base64","data":"AAAA"}}]"#,
        );
        let (events, _) = feed(&mut state, &format!("{line}\n"));
        assert_eq!((events[1].length, events[1].has_image), (Some(5), Some(true)));
    }

    #[test]
    fn starting_prompt_is_cut_on_a_character_boundary() {
        let mut state = main_log();
        let long = "é".repeat(300);
        let (_, _) = feed(
            &mut state,
            &format!("{}\n", PROMPT.replace("fix the build", &long)),
        );
        let prompt = state.session.unwrap().starting_prompt.unwrap();
        assert_eq!(prompt.chars().count(), PROMPT_CHARS);
    }

    #[test]
    fn ended_is_emitted_once_after_the_timeout_and_a_resumed_session_starts_again() {
        let mut state = main_log();
        feed(&mut state, &format!("{PROMPT}\n{TOOL}\n"));
        let at = |s: &str| s.parse::<Timestamp>().unwrap();
        let mut out = Vec::new();
        let timeout = 30 * 60 * 1000;
        assert!(!state.close_if_idle(at("2026-02-10T10:30:05.000Z"), timeout, MID, &mut out));
        assert!(state.close_if_idle(at("2026-02-10T10:30:05.001Z"), timeout, MID, &mut out));
        assert!(!state.close_if_idle(at("2026-02-11T00:00:00.000Z"), timeout, MID, &mut out));
        assert_eq!(out.len(), 1);
        assert_eq!(
            out[0].id,
            format!("{MID}:remote.agent:agent_session:2026-02-10T10:00:05.000Z:s1:ended")
        );
        let (events, _) = feed(
            &mut state,
            &format!("{}\n", PROMPT.replace("10:00:00", "12:00:00").replace("u1", "u3")),
        );
        assert_eq!(events[0].action.as_deref(), Some("started"));
        assert_eq!(events[0].timestamp.to_string(), "2026-02-10T12:00:00.000Z");
    }

    #[test]
    fn a_session_starts_at_its_first_timestamp_once_a_record_names_its_directory() {
        let mut state = main_log();
        let queued = r#"{"type":"queue-operation","operation":"enqueue","timestamp":"2026-02-10T09:59:58.000Z","sessionId":"s1"}"#;
        let (events, _) = feed(&mut state, &format!("{queued}\n"));
        assert!(events.is_empty(), "no event without a cwd");
        let (events, _) = feed(&mut state, &format!("{PROMPT}\n"));
        assert_eq!(events[0].action.as_deref(), Some("started"));
        assert_eq!(events[0].timestamp.to_string(), "2026-02-10T09:59:58.000Z");
        assert_eq!(events[0].cwd.as_deref(), Some("/home/me/acme"));
        assert_eq!(
            state.session.unwrap().start_time.unwrap().to_string(),
            "2026-02-10T09:59:58.000Z"
        );
    }

    #[test]
    fn depth_skips_braces_inside_strings() {
        let line = br#"{"a":"{[\"}","b":{"type":"x"},"type":"y"}"#;
        let first = TYPE_KEY.find(line).unwrap();
        assert_eq!(depth_at(line, first), 2);
        assert_eq!(classify(line), Class::Parse);
        assert_eq!(
            classify(br#"{"cwd":"/a{","type":"progress","data":{"type":"user"}}"#),
            Class::Other
        );
    }

    #[test]
    fn projects_are_resolved_once_per_directory() {
        let calls = std::cell::Cell::new(0);
        let resolve = |dir: &Path| {
            calls.set(calls.get() + 1);
            (dir == Path::new("/home/me/acme")).then(|| "acme".to_string())
        };
        let mut state = main_log();
        let (mut events, _) = feed(&mut state, &format!("{PROMPT}\n{TOOL}\n"));
        let mut session = state.session.unwrap();
        attach_projects(&mut events, [&mut session], &resolve);
        assert!(events.iter().all(|e| e.git_project.as_deref() == Some("acme")));
        assert_eq!(session.project_name.as_deref(), Some("acme"));
        assert_eq!(calls.get(), 1);
    }
}
