//! The export stream (SPEC §7): one header record, then events, then agent session
//! records, one JSON object per line. Events are [`Event`]s as they are; the other
//! records carry a `"record"` tag as their first key so they can never be mistaken
//! for an event.

use serde::{Deserialize, Serialize};

use crate::timestamp::Timestamp;

/// Version of the line format. Bump when a reader of the previous version would
/// misread the new output; adding optional fields needs no bump.
pub const WIRE_VERSION: u32 = 1;

/// First line of every export: who is speaking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    pub machine_id: String,
    pub label: String,
    pub tt_version: String,
    pub wire_version: u32,
}

/// One Claude Code session (or subagent session) of one machine, as indexed in
/// `agent_sessions`. The same type is exported, imported and stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentSession {
    pub session_id: String,
    /// Set by the importer from the header; absent on the wire is fine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_session_id: Option<String>,
    /// `claude-code`.
    pub agent: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<Timestamp>,
    #[serde(default)]
    pub message_count: u64,
    /// Distinct `tool_use` ids in this session's own log.
    #[serde(default)]
    pub tool_call_count: u64,
    #[serde(default)]
    pub user_prompt_count: u64,
    /// First human prompt, truncated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starting_prompt: Option<String>,
}

/// One line of an export stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "record", rename_all = "snake_case")]
pub enum Tagged {
    Header(Header),
    AgentSession(AgentSession),
}
