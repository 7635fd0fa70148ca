//! `agent_sessions`: one row per Claude Code session (subagents included) per machine.

use anyhow::{Context, Result};
use rusqlite::{Connection, params};

use crate::wire::AgentSession;

/// Inserts or updates the sessions of `machine_id` in one transaction; returns how
/// many rows were inserted or actually changed (identical rows are not rewritten).
pub fn upsert_agent_sessions(
    conn: &mut Connection,
    machine_id: &str,
    sessions: &[AgentSession],
) -> Result<usize> {
    let tx = conn.transaction()?;
    let mut written = 0;
    {
        let mut stmt = tx.prepare_cached(
            "INSERT INTO agent_sessions (machine_id, session_id, parent_session_id, agent, project_path,
                 project_name, start_time, end_time, message_count, tool_call_count, user_prompt_count,
                 starting_prompt)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
             ON CONFLICT (machine_id, session_id) DO UPDATE SET
                 parent_session_id = excluded.parent_session_id,
                 agent = excluded.agent,
                 project_path = excluded.project_path,
                 project_name = excluded.project_name,
                 start_time = excluded.start_time,
                 end_time = excluded.end_time,
                 message_count = excluded.message_count,
                 tool_call_count = excluded.tool_call_count,
                 user_prompt_count = excluded.user_prompt_count,
                 starting_prompt = excluded.starting_prompt
             WHERE (parent_session_id, agent, project_path, project_name, start_time, end_time,
                    message_count, tool_call_count, user_prompt_count, starting_prompt)
                 IS NOT (excluded.parent_session_id, excluded.agent, excluded.project_path,
                    excluded.project_name, excluded.start_time, excluded.end_time, excluded.message_count,
                    excluded.tool_call_count, excluded.user_prompt_count, excluded.starting_prompt)",
        )?;
        for s in sessions {
            written += stmt.execute(params![
                machine_id,
                s.session_id,
                s.parent_session_id,
                s.agent,
                s.project_path,
                s.project_name,
                s.start_time.map(|t| t.to_string()),
                s.end_time.map(|t| t.to_string()),
                i64::try_from(s.message_count).unwrap_or(i64::MAX),
                i64::try_from(s.tool_call_count).unwrap_or(i64::MAX),
                i64::try_from(s.user_prompt_count).unwrap_or(i64::MAX),
                s.starting_prompt,
            ])?;
        }
    }
    tx.commit().context("cannot save agent sessions")?;
    Ok(written)
}
