//! Reading events for the recompute, compactly: interned strings, and the payload only
//! of the few types whose meaning is in it.

use std::collections::HashMap;

use anyhow::{Context, Result};
use rusqlite::{Connection, Transaction};
use serde::Deserialize;

use crate::event::kind;
use crate::streams::allocate::Millis;
use crate::streams::infer::ProjectMap;
use crate::timestamp::Timestamp;

/// "No string": an absent cwd, git project, session or stream.
pub(super) const NONE: u32 = u32::MAX;

/// Strings stored once, referred to by index.
#[derive(Default)]
pub(super) struct Interner {
    pub(super) ids: HashMap<String, u32>,
    pub(super) names: Vec<String>,
}

impl Interner {
    pub(super) fn get(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.ids.get(s) {
            return i;
        }
        let i = self.names.len() as u32;
        self.names.push(s.to_string());
        self.ids.insert(s.to_string(), i);
        i
    }

    pub(super) fn opt(&mut self, s: Option<&str>) -> u32 {
        s.map_or(NONE, |s| self.get(s))
    }

    pub(super) fn name(&self, i: u32) -> Option<&str> {
        (i != NONE).then(|| self.names[i as usize].as_str())
    }
}

/// The allocation meaning of an event, from its type and payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Meaning {
    Focus,
    /// A human prompt: focus unless its session is a subagent's.
    Prompt,
    Blur,
    Idle(Millis),
    ToolUse,
    Ended,
    Nothing,
}

#[derive(Deserialize)]
pub(super) struct Aux<'a> {
    #[serde(borrow)]
    pub(super) action: Option<&'a str>,
    #[serde(borrow)]
    pub(super) status: Option<&'a str>,
    pub(super) idle_duration_ms: Option<i64>,
}

pub(super) fn meaning(kind_: &str, payload: Option<&str>) -> Meaning {
    let aux = || payload.and_then(|p| serde_json::from_str::<Aux>(p).ok());
    match kind_ {
        kind::PANE_FOCUS | kind::SCROLL => Meaning::Focus,
        kind::USER_MESSAGE => Meaning::Prompt,
        kind::AGENT_TOOL_USE => Meaning::ToolUse,
        kind::CLIENT => match aux().and_then(|a| a.action) {
            Some("focus_in" | "attached") => Meaning::Focus,
            Some("focus_out" | "detached") => Meaning::Blur,
            _ => Meaning::Nothing,
        },
        kind::AGENT_SESSION => match aux().and_then(|a| a.action) {
            Some("ended") => Meaning::Ended,
            _ => Meaning::Nothing,
        },
        kind::AFK_CHANGE => match aux() {
            Some(Aux {
                status: Some("idle"),
                idle_duration_ms,
                ..
            }) => Meaning::Idle(idle_duration_ms.unwrap_or(0).max(0)),
            _ => Meaning::Nothing,
        },
        _ => Meaning::Nothing,
    }
}

/// Types whose payload the recompute reads.
pub(super) const PAYLOAD_TYPES: &str = "('tmux_client', 'agent_session', 'afk_change')";

/// One event, compactly.
#[derive(Debug, Clone)]
pub(super) struct Row {
    pub(super) rowid: i64,
    pub(super) at: Millis,
    pub(super) machine: u32,
    pub(super) cwd: u32,
    pub(super) git: u32,
    pub(super) session: u32,
    pub(super) id: u32,
    pub(super) meaning: Meaning,
    /// Stream id as stored (interned in `streams`), NONE when none.
    pub(super) stored: u32,
    /// assignment_source as stored: None (never recomputed), Some(false) inferred,
    /// Some(true) user.
    pub(super) stored_user: Option<bool>,
}

/// Everything loaded for one recompute.
#[derive(Default)]
pub(super) struct Loaded {
    pub(super) rows: Vec<Row>,
    pub(super) machines: Interner,
    pub(super) strings: Interner,
    pub(super) streams: Interner,
}

impl Loaded {
    pub(super) fn read(
        &mut self,
        conn: &Connection,
        sql: &str,
        args: impl rusqlite::Params,
        ids: bool,
    ) -> Result<()> {
        let mut stmt = conn.prepare(sql)?;
        let mut rows = stmt.query(args)?;
        while let Some(r) = rows.next()? {
            let ts = r.get_ref(2)?.as_str()?;
            let at = ts
                .parse::<Timestamp>()
                .map(Timestamp::as_millis)
                .with_context(|| format!("event with an unreadable timestamp {ts:?} in the database"))?;
            let kind_: &str = r.get_ref(3)?.as_str()?;
            let payload: Option<&str> = r.get_ref(7)?.as_str_or_null()?;
            let source: Option<&str> = r.get_ref(9)?.as_str_or_null()?;
            let id = if ids {
                self.strings.get(r.get_ref(10)?.as_str()?)
            } else {
                NONE
            };
            let row = Row {
                rowid: r.get(0)?,
                at,
                machine: self.machines.get(r.get_ref(1)?.as_str()?),
                cwd: self.strings.opt(r.get_ref(4)?.as_str_or_null()?),
                git: self.strings.opt(r.get_ref(5)?.as_str_or_null()?),
                session: self.strings.opt(r.get_ref(6)?.as_str_or_null()?),
                id,
                meaning: meaning(kind_, payload),
                stored: self.streams.opt(r.get_ref(8)?.as_str_or_null()?),
                stored_user: source.map(|s| s == "user"),
            };
            self.rows.push(row);
        }
        Ok(())
    }
}

pub(super) fn select(ids: bool, filter: &str) -> String {
    format!(
        "SELECT rowid, machine_id, timestamp, type, cwd, git_project, session_id,
                CASE WHEN type IN {PAYLOAD_TYPES} THEN payload END, stream_id, assignment_source{}
         FROM events {filter}",
        if ids { ", id" } else { "" }
    )
}

/// The agent sessions' family: subagent -> parent, and each session's directory.
#[derive(Default)]
pub(super) struct Sessions {
    /// (machine_id, session_id) -> (parent session id, project_path)
    pub(super) rows: HashMap<(String, String), (Option<String>, Option<String>)>,
}

impl Sessions {
    pub(super) fn load(conn: &Connection) -> Result<Sessions> {
        let mut stmt = conn
            .prepare("SELECT machine_id, session_id, parent_session_id, project_path FROM agent_sessions")?;
        let rows = stmt
            .query_map([], |r| Ok(((r.get(0)?, r.get(1)?), (r.get(2)?, r.get(3)?))))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(Sessions { rows })
    }

    /// The top-level session of `session` (itself when it is one).
    pub(super) fn root<'a>(&'a self, machine: &str, session: &'a str) -> &'a str {
        if let Some((Some(parent), _)) = self.rows.get(&(machine.to_string(), session.to_string())) {
            return parent;
        }
        match session.find("/agent-") {
            Some(cut) => &session[..cut],
            None => session,
        }
    }

    pub(super) fn is_subagent(&self, machine: &str, session: &str) -> bool {
        self.root(machine, session) != session
    }

    /// The directory of a subagent's parent, when the parent is known.
    pub(super) fn parent_dir(&self, machine: &str, session: &str) -> Option<&str> {
        let root = self.root(machine, session);
        if root == session {
            return None;
        }
        self.rows
            .get(&(machine.to_string(), root.to_string()))
            .and_then(|(_, path)| path.as_deref())
            .filter(|p| !p.is_empty())
    }
}

/// Reads the project maps of every machine (incremental) from `cwd_projects`.
pub(crate) fn load_maps(conn: &Connection) -> Result<HashMap<String, ProjectMap>> {
    let mut maps: HashMap<String, ProjectMap> = HashMap::new();
    let mut stmt = conn.prepare("SELECT machine_id, cwd, project, first_at FROM cwd_projects")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let machine: String = r.get(0)?;
        let cwd: &str = r.get_ref(1)?.as_str()?;
        let project: &str = r.get_ref(2)?.as_str()?;
        maps.entry(machine).or_default().learn(cwd, project, r.get(3)?);
    }
    Ok(maps)
}

/// First and last event of every stored stream.
pub(super) fn stored_spans(tx: &Transaction) -> Result<HashMap<String, (Millis, Millis)>> {
    let mut stmt = tx.prepare("SELECT id, created_at, updated_at FROM streams")?;
    let mut spans = HashMap::new();
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let parse = |i: usize| -> Option<Millis> {
            r.get_ref(i)
                .ok()?
                .as_str()
                .ok()?
                .parse::<Timestamp>()
                .ok()
                .map(Timestamp::as_millis)
        };
        if let (Some(first), Some(last)) = (parse(1), parse(2)) {
            spans.insert(r.get(0)?, (first, last));
        }
    }
    Ok(spans)
}
