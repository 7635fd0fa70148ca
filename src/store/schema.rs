//! Schema version 8 (SPEC §8). There is no in-place migration: a database of another
//! version is refused with instructions (move it aside, re-sync).

pub const SCHEMA_VERSION: i64 = 8;

/// Which machine each SSH destination reached last, so that the sync cursor (kept
/// per machine) is found again whichever destination reaches it. Added within
/// version 8: [`super::Store::open`] creates it in databases made before it.
pub const DESTINATIONS: &str = "
CREATE TABLE IF NOT EXISTS sync_destinations (
    destination TEXT PRIMARY KEY,
    machine_id  TEXT NOT NULL
);
";

/// The whole schema, created in one transaction on first open (with [`DESTINATIONS`]).
pub const CREATE: &str = r#"
CREATE TABLE machines (
    machine_id    TEXT PRIMARY KEY,
    label         TEXT NOT NULL,
    alias         TEXT,
    last_sync_at  TEXT,
    last_event_id TEXT,
    tt_version    TEXT
);

CREATE TABLE streams (
    id          TEXT PRIMARY KEY,
    machine_id  TEXT NOT NULL,
    name        TEXT NOT NULL,
    project     TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX streams_by_machine ON streams(machine_id);

CREATE TABLE stream_tags (
    stream_id TEXT NOT NULL REFERENCES streams(id) ON DELETE CASCADE,
    tag       TEXT NOT NULL,
    PRIMARY KEY (stream_id, tag)
) WITHOUT ROWID;

-- One row per event. `payload` is the event's canonical wire JSON, every field
-- included (unknown ones too), and the other columns are extracted for queries.
CREATE TABLE events (
    id                TEXT NOT NULL UNIQUE,
    machine_id        TEXT NOT NULL,
    timestamp         TEXT NOT NULL,
    source            TEXT NOT NULL,
    type              TEXT NOT NULL,
    cwd               TEXT,
    git_project       TEXT,
    session_id        TEXT,
    payload           TEXT NOT NULL,
    stream_id         TEXT,
    assignment_source TEXT CHECK (assignment_source IN ('inferred', 'user'))
);
CREATE INDEX events_by_time ON events(timestamp);

CREATE TABLE agent_sessions (
    machine_id        TEXT NOT NULL,
    session_id        TEXT NOT NULL,
    parent_session_id TEXT,
    agent             TEXT NOT NULL,
    project_path      TEXT,
    project_name      TEXT,
    start_time        TEXT,
    end_time          TEXT,
    message_count     INTEGER NOT NULL DEFAULT 0,
    tool_call_count   INTEGER NOT NULL DEFAULT 0,
    user_prompt_count INTEGER NOT NULL DEFAULT 0,
    starting_prompt   TEXT,
    PRIMARY KEY (machine_id, session_id)
) WITHOUT ROWID;
CREATE INDEX agent_sessions_by_parent ON agent_sessions(parent_session_id);
"#;
