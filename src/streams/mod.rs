//! Streams and time allocation (SPEC §10): inference of streams from events, the pure
//! allocation of direct and delegated time, the user's corrections, and the recompute
//! that stores the result for reports.

pub mod allocate;
pub mod apply;
pub mod corrections;
pub mod infer;
pub mod provisional;
pub mod recompute;

use crate::config::AllocationConfig;

impl From<&AllocationConfig> for allocate::Params {
    fn from(config: &AllocationConfig) -> Self {
        allocate::Params {
            attention_window: config.attention_window.as_millis() as i64,
            agent_timeout: config.agent_timeout.as_millis() as i64,
        }
    }
}

/// The user's corrections as the recompute applies them: every stored one, replayed
/// in the order they were made.
pub fn load_corrections(conn: &rusqlite::Connection) -> anyhow::Result<corrections::Corrections> {
    Ok(corrections::Corrections::replay(
        &crate::store::corrections::load(conn)?,
    ))
}

/// The recompute that follows a sync: only what the merged events can change.
pub fn after_sync(
    store: &mut crate::store::Store,
    config: &crate::config::Config,
) -> anyhow::Result<recompute::Outcome> {
    let corrections = load_corrections(&store.conn)?;
    recompute::recompute(
        store,
        recompute::Scope::New,
        &(&config.allocation).into(),
        &corrections,
    )
}
