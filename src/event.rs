//! THE event type (SPEC §5). One struct is written to `events.jsonl`, printed by
//! `tt export` and `tt events`, read by `tt import` and stored in the database, so the
//! writer and the reader cannot drift apart.
//!
//! The wire format is flat JSON. Fields a type does not use are omitted; fields this
//! version of tt does not know are kept in [`Event::extra`] and written back verbatim.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use crate::timestamp::Timestamp;

pub mod source {
    pub const TMUX: &str = "remote.tmux";
    pub const AGENT: &str = "remote.agent";
    pub const AFK: &str = "local.afk";
}

pub mod kind {
    pub const PANE_FOCUS: &str = "tmux_pane_focus";
    pub const SCROLL: &str = "tmux_scroll";
    /// The terminal around tmux: `action` is focus_in/focus_out/attached/detached.
    pub const CLIENT: &str = "tmux_client";
    pub const AGENT_SESSION: &str = "agent_session";
    pub const USER_MESSAGE: &str = "user_message";
    pub const AGENT_TOOL_USE: &str = "agent_tool_use";
    pub const AFK_CHANGE: &str = "afk_change";
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// `{machine_id}:{source}:{type}:{timestamp}:{discriminator}`.
    pub id: String,
    pub timestamp: Timestamp,
    pub source: String,
    #[serde(rename = "type")]
    pub kind: String,

    // tmux_pane_focus, tmux_scroll, tmux_client
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pane_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_index: Option<u32>,
    /// The tmux server's socket path: pane ids repeat across servers (`tmux -L work`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tmux_server: Option<String>,

    // every tmux and agent event
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git_project: Option<String>,

    // agent_session, user_message, agent_tool_use
    /// `started` / `ended` for `agent_session`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// Characters of text of a `user_message`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_image: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,

    // afk_change
    /// `idle` / `active`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_duration_ms: Option<u64>,

    /// Fields this version does not know: preserved, never dropped.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Event {
    /// A new event with the machine-prefixed id and every optional field empty.
    pub fn new(
        machine_id: &str,
        source: &str,
        kind: &str,
        timestamp: Timestamp,
        discriminator: &str,
    ) -> Event {
        Event {
            id: format!("{machine_id}:{source}:{kind}:{timestamp}:{discriminator}"),
            timestamp,
            source: source.to_string(),
            kind: kind.to_string(),
            pane_id: None,
            session_name: None,
            window_index: None,
            tmux_server: None,
            cwd: None,
            git_project: None,
            action: None,
            agent: None,
            session_id: None,
            length: None,
            has_image: None,
            tool: None,
            file: None,
            status: None,
            idle_duration_ms: None,
            extra: Map::new(),
        }
    }

    /// The machine id from the id prefix, when the prefix is a UUID.
    pub fn machine_id(&self) -> Option<&str> {
        machine_prefix(&self.id)
    }

    /// One JSONL line (without the newline).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("an event always serialises")
    }

    /// Parses and validates one JSONL line.
    pub fn from_json(line: &str) -> Result<Event, InvalidEvent> {
        let event: Event = serde_json::from_str(line).map_err(json_reason)?;
        event.validate()?;
        Ok(event)
    }

    /// The checks every event must pass, wherever it comes from.
    pub fn validate(&self) -> Result<(), InvalidEvent> {
        if self.id.is_empty() {
            return Err(InvalidEvent::new("empty id"));
        }
        if self.machine_id().is_none() {
            return Err(InvalidEvent::new(
                "id does not start with a machine id (lower-case UUID) prefix",
            ));
        }
        if self.kind.is_empty() {
            return Err(InvalidEvent::new("empty type"));
        }
        if self.source.is_empty() {
            return Err(InvalidEvent::new("empty source"));
        }
        Ok(())
    }
}

/// serde_json's message, with the kind of problem first.
fn json_reason(err: serde_json::Error) -> InvalidEvent {
    use serde_json::error::Category;
    match err.classify() {
        Category::Syntax | Category::Eof => InvalidEvent::new(format!("not valid JSON ({err})")),
        Category::Data | Category::Io => InvalidEvent::new(format!("not a valid event ({err})")),
    }
}

/// The `{machine_id}` prefix of an event id, when it is a UUID.
pub fn machine_prefix(id: &str) -> Option<&str> {
    let prefix = id.get(..36)?;
    if id.as_bytes().get(36) != Some(&b':') || !is_uuid(prefix) {
        return None;
    }
    Some(prefix)
}

/// A hyphenated UUID in canonical lower-case form (as `tt init` writes it), so that
/// one machine has exactly one spelling.
pub fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_digit() || (b'a'..=b'f').contains(&b),
        })
}

/// Why a line was not accepted as an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidEvent(pub String);

impl InvalidEvent {
    pub fn new(reason: impl Into<String>) -> InvalidEvent {
        InvalidEvent(reason.into())
    }
}

impl fmt::Display for InvalidEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for InvalidEvent {}

#[cfg(test)]
mod tests {
    use super::*;

    const MID: &str = "a1b2c3d4-e5f6-4890-abcd-ef1234567890";

    #[test]
    fn spec_example_round_trips_field_for_field() {
        let line = r#"{"id":"a1b2c3d4-e5f6-4890-abcd-ef1234567890:remote.tmux:tmux_pane_focus:2025-01-29T14:32:01.000Z:%3","timestamp":"2025-01-29T14:32:01.000Z","source":"remote.tmux","type":"tmux_pane_focus","pane_id":"%3","session_name":"main","window_index":0,"cwd":"/home/me/acme","git_project":"acme"}"#;
        let event = Event::from_json(line).unwrap();
        assert_eq!(event.machine_id(), Some(MID));
        assert_eq!(event.pane_id.as_deref(), Some("%3"));
        assert_eq!(event.window_index, Some(0));
        assert_eq!(event.to_json(), line);
    }

    #[test]
    fn unknown_fields_survive_a_round_trip() {
        let line = format!(
            r#"{{"id":"{MID}:x:y:2025-01-29T14:32:01.000Z:1","timestamp":"2025-01-29T14:32:01.000Z","source":"x","type":"y","future":{{"nested":[1,2]}}}}"#
        );
        let event = Event::from_json(&line).unwrap();
        assert_eq!(event.extra["future"]["nested"][1], 2);
        assert_eq!(event.to_json(), line);
    }

    #[test]
    fn ids_without_machine_prefix_are_invalid() {
        let line = r#"{"id":"remote.tmux:tmux_pane_focus:2025-01-29T14:32:01.000Z:%3","timestamp":"2025-01-29T14:32:01.000Z","source":"remote.tmux","type":"tmux_pane_focus"}"#;
        assert!(Event::from_json(line).unwrap_err().0.contains("machine id"));
    }

    #[test]
    fn new_builds_the_documented_id() {
        let ts: Timestamp = "2025-01-29T14:32:01.000Z".parse().unwrap();
        let event = Event::new(MID, source::TMUX, kind::PANE_FOCUS, ts, "%3");
        assert_eq!(
            event.id,
            format!("{MID}:remote.tmux:tmux_pane_focus:2025-01-29T14:32:01.000Z:%3")
        );
    }
}
