//! The `agent_sessions` table: one row per Claude Code session (subagents included).

use anyhow::Result;
use rusqlite::{Connection, params};

use crate::wire::AgentSession;

/// Inserts or replaces the row of `session` for `machine_id` (a later summary of the
/// same session supersedes the earlier one).
pub fn upsert(conn: &Connection, machine_id: &str, session: &AgentSession) -> Result<()> {
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
            user_prompt_count = excluded.user_prompt_count, starting_prompt = excluded.starting_prompt",
    )?;
    stmt.execute(params![
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
    Ok(())
}
