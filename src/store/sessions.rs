//! The `agent_sessions` table: one row per Claude Code session (subagents included).

use anyhow::{Context, Result};
use rusqlite::{Connection, params};

use crate::wire::AgentSession;

/// Inserts or replaces the row of `session` for `machine_id` (a later summary of the
/// same session supersedes the earlier one). Returns whether the row was inserted or
/// changed: an identical row is left alone, so re-indexing unchanged sessions costs
/// no writes.
pub fn upsert(conn: &Connection, machine_id: &str, session: &AgentSession) -> Result<bool> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO agent_sessions (machine_id, session_id, parent_session_id, agent, project_path,
            project_name, start_time, end_time, message_count, tool_call_count, user_prompt_count,
            starting_prompt)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
         ON CONFLICT (machine_id, session_id) DO UPDATE SET
            parent_session_id = excluded.parent_session_id, agent = excluded.agent,
            project_path = excluded.project_path, project_name = excluded.project_name,
            start_time = excluded.start_time, end_time = excluded.end_time,
            message_count = excluded.message_count, tool_call_count = excluded.tool_call_count,
            user_prompt_count = excluded.user_prompt_count, starting_prompt = excluded.starting_prompt
         WHERE (parent_session_id, agent, project_path, project_name, start_time, end_time,
                message_count, tool_call_count, user_prompt_count, starting_prompt)
            IS NOT (excluded.parent_session_id, excluded.agent, excluded.project_path,
                excluded.project_name, excluded.start_time, excluded.end_time, excluded.message_count,
                excluded.tool_call_count, excluded.user_prompt_count, excluded.starting_prompt)",
    )?;
    let written = stmt.execute(params![
        machine_id,
        session.session_id,
        session.parent_session_id,
        session.agent,
        session.project_path,
        session.project_name,
        session.start_time.map(|t| t.to_string()),
        session.end_time.map(|t| t.to_string()),
        session.message_count as i64,
        session.tool_call_count as i64,
        session.user_prompt_count as i64,
        session.starting_prompt,
    ])?;
    Ok(written > 0)
}

/// [`upsert`]s every session of `machine_id` in one transaction; returns how many
/// rows were inserted or changed.
pub fn upsert_all<'a>(
    conn: &mut Connection,
    machine_id: &str,
    sessions: impl IntoIterator<Item = &'a AgentSession>,
) -> Result<usize> {
    let tx = conn.transaction()?;
    let mut written = 0;
    for session in sessions {
        written += usize::from(upsert(&tx, machine_id, session)?);
    }
    tx.commit().context("cannot save agent sessions")?;
    Ok(written)
}
