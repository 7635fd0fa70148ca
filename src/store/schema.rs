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

/// Tables and indexes derived from the events by `tt recompute` (and the corrections
/// log). Created when missing on every open, so a database written by an earlier tt of
/// the same schema version gains them without a migration: they hold nothing that a
/// recompute cannot rebuild.
pub const DERIVED: &str = r#"
-- Direct and delegated time, coalesced: [start_ms, end_ms) of one kind for one stream
-- (NULL: unassigned) on one machine. Reports read these instead of the events.
CREATE TABLE IF NOT EXISTS intervals (
    start_ms   INTEGER NOT NULL,
    end_ms     INTEGER NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('direct', 'delegated')),
    stream_id  TEXT,
    machine_id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS intervals_by_end ON intervals(end_ms);

-- What each machine's events taught about directories (SPEC §10 inference).
CREATE TABLE IF NOT EXISTS cwd_projects (
    machine_id TEXT NOT NULL,
    cwd        TEXT NOT NULL,
    project    TEXT NOT NULL,
    first_at   INTEGER NOT NULL,
    PRIMARY KEY (machine_id, cwd)
) WITHOUT ROWID;

-- The user's corrections (SPEC §10), in the order they were made: each a resolved
-- operation (stream and machine ids, UTC ms) as JSON, see streams::corrections::Op.
-- Not derived: the one table here a recompute reads and never writes. Kept with
-- these so an older database of this version gains it on open.
CREATE TABLE IF NOT EXISTS corrections (
    seq        INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL,
    op         TEXT NOT NULL
);

-- Where the last recompute stopped: events are appended, so those with a rowid above
-- `recomputed_rowid` are the ones no recompute has seen.
CREATE TABLE IF NOT EXISTS recompute_state (
    key   TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;

-- Older events below a directory that just got a project (inference may move them).
CREATE INDEX IF NOT EXISTS events_by_machine_cwd ON events(machine_id, cwd);
"#;
