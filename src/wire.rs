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

// ---------------------------------------------------------------------------
// STUB (sync branch, throwaway): stands in for the lead's wire reader until
// issue 6 lands on main; reverted before merging main.
// ---------------------------------------------------------------------------

use std::io::BufRead;

use anyhow::{Result, bail};

use crate::event::{Event, machine_prefix};

/// Last line of every export: how many records came before it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct End {
    pub events: u64,
    pub sessions: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rejected {
    pub line: u64,
    pub reason: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    pub header: Header,
    pub events: Vec<Event>,
    pub sessions: Vec<AgentSession>,
    pub rejected: Vec<Rejected>,
}

pub fn read_export<R: BufRead>(mut reader: R, progress: &mut dyn FnMut(u64, u64)) -> Result<Batch> {
    let mut line = String::new();
    let mut bytes = 0u64;
    let mut number = 0u64;
    let mut header: Option<Header> = None;
    let mut events = Vec::new();
    let mut sessions = Vec::new();
    let mut rejected = Vec::new();
    let mut seen_events = 0u64;
    loop {
        line.clear();
        let n = reader.read_line(&mut line)?;
        if n == 0 {
            bail!("the transfer was cut off before the end of the export");
        }
        bytes += n as u64;
        number += 1;
        let text = line.trim_end_matches('\n');
        let value: serde_json::Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) if header.is_none() => bail!("the remote did not send a valid tt export header: {e}"),
            Err(e) => {
                rejected.push(Rejected {
                    line: number,
                    reason: e.to_string(),
                    text: text.into(),
                });
                continue;
            }
        };
        match value.get("record").and_then(|r| r.as_str()) {
            Some("header") => {
                let h: Header = serde_json::from_value(value)?;
                if h.wire_version != WIRE_VERSION {
                    let age = if h.wire_version < WIRE_VERSION {
                        "old"
                    } else {
                        "new"
                    };
                    bail!("remote tt {} is too {age}: upgrade it", h.tt_version);
                }
                header = Some(h);
            }
            _ if header.is_none() => bail!("the remote did not send a valid tt export header"),
            Some("agent_session") => sessions.push(serde_json::from_value(value)?),
            Some("end") => {
                let end: End = serde_json::from_value(value)?;
                if end.events != seen_events {
                    bail!("count mismatch");
                }
                progress(seen_events, bytes);
                return Ok(Batch {
                    header: header.expect("checked"),
                    events,
                    sessions,
                    rejected,
                });
            }
            _ => {
                seen_events += 1;
                let h = header.as_ref().expect("checked");
                match Event::from_json(text) {
                    Ok(e) if machine_prefix(&e.id) == Some(h.machine_id.as_str()) => events.push(e),
                    Ok(_) => rejected.push(Rejected {
                        line: number,
                        reason: "id prefix differs from the header's machine id".into(),
                        text: text.into(),
                    }),
                    Err(e) => rejected.push(Rejected {
                        line: number,
                        reason: e.0,
                        text: text.into(),
                    }),
                }
                progress(seen_events, bytes);
            }
        }
    }
}
