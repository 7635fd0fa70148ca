//! `tt ingest sessions` over the real Claude Code logs in tests/fixtures/claude-projects.
//!
//! Every expected number was counted independently of tt with the jq command written
//! next to it, run inside tests/fixtures/claude-projects.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::{Home, claude_fixtures, copy_dir, stderr};
use tt::event::{Event, kind};

mod common;

const GQC: &str = "258c7280-ae70-4798-800f-63464d01a85d";
const TE: &str = "ae4a77f8-aedd-4bc1-888f-c94edc91af04";
const GQC_LOG: &str =
    "-home-USER-projects-spotter-worktrees-spotter-gqc/258c7280-ae70-4798-800f-63464d01a85d.jsonl";
const D6_LOG: &str = "-home-marco-projects-spotter/d6e0bada-1959-4eec-a9d2-0bfade768d8f.jsonl";

/// A private home (see `common`) whose Claude projects are a copy of the fixtures.
struct Env {
    home: Home,
    machine_id: String,
}

impl Env {
    fn new() -> Env {
        let home = Home::new();
        let machine_id = home.init("test");
        let env = Env { home, machine_id };
        copy_dir(claude_fixtures(), &env.home.claude_projects());
        env
    }

    fn log(&self, relative: &str) -> PathBuf {
        self.home.claude_projects().join(relative)
    }

    fn manifest(&self) -> PathBuf {
        self.home.state_dir().join("claude-manifest.json")
    }

    fn tt(&self, args: &[&str]) -> Output {
        self.home.run(args)
    }

    /// Runs `tt ingest sessions`, which must succeed; returns its stdout.
    fn ingest(&self) -> String {
        self.ingest_with(&[])
    }

    fn ingest_with(&self, vars: &[(&str, &str)]) -> String {
        let out = self
            .home
            .tt(&["ingest", "sessions"])
            .envs(vars.iter().copied())
            .output()
            .unwrap();
        assert!(out.status.success(), "ingest failed: {}", stderr(&out));
        String::from_utf8(out.stdout).unwrap()
    }

    fn events(&self) -> Vec<Event> {
        self.home.events()
    }

    /// session_id -> (parent_session_id, tool_call_count) from `agent_sessions`.
    fn session_rows(&self) -> BTreeMap<String, (Option<String>, i64)> {
        let db = self.home.db();
        let mut stmt = db
            .prepare("SELECT session_id, parent_session_id, tool_call_count FROM agent_sessions")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }
}

fn count(events: &[Event], kind: &str) -> usize {
    events.iter().filter(|e| e.kind == kind).count()
}

/// Event ids without the machine prefix, to compare runs of two machines.
fn ids(events: &[Event]) -> BTreeSet<String> {
    events.iter().map(|e| e.id[37..].to_string()).collect()
}

/// Fails with the differences only (the sets hold hundreds of ids).
fn assert_same_ids(got: &BTreeSet<String>, want: &BTreeSet<String>) {
    let missing: Vec<_> = want.difference(got).collect();
    let extra: Vec<_> = got.difference(want).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:#?}\nextra {extra:#?}"
    );
}

/// A timeout longer than the fixtures' age: no session has ended yet.
const LIVE: (&str, &str) = ("TT_ALLOCATION__AGENT_TIMEOUT", "100000days");

#[test]
fn every_fixture_session_is_indexed_with_its_subagents_linked_to_the_parent() {
    let env = Env::new();
    env.ingest();
    let rows = env.session_rows();
    // jq -rs '[.[] | select(.sessionId) | .sessionId + "/" + (.agentId // "")] | unique | length' \
    //   $(find . -name '*.jsonl')                                                           -> 9
    assert_eq!(rows.len(), 9, "{rows:#?}");
    // jq -rs '[.[] | select(.agentId) | "\(.agentId) \(.sessionId)"] | unique[]' $(find . -name '*.jsonl')
    //   a881341 258c7280-..., aac57f5 ae4a77f8-..., acompact-946d2b ae4a77f8-..., acompact-fffbd0 258c7280-...
    let links: BTreeSet<(String, String)> = rows
        .iter()
        .filter_map(|(id, (parent, _))| parent.clone().map(|p| (id.clone(), p)))
        .collect();
    let expected: BTreeSet<(String, String)> = [
        (format!("{GQC}/agent-a881341"), GQC),
        (format!("{TE}/agent-aac57f5"), TE),
        (format!("{TE}/agent-acompact-946d2b"), TE),
        (format!("{GQC}/agent-acompact-fffbd0"), GQC),
    ]
    .into_iter()
    .map(|(id, parent)| (id, parent.to_string()))
    .collect();
    assert_eq!(links, expected);
}

#[test]
fn tool_call_counts_are_distinct_tool_use_ids_of_each_log() {
    let env = Env::new();
    env.ingest();
    let rows = env.session_rows();
    // for f in $(find . -name '*.jsonl'); do
    //   jq -s '[.[] | select(.type=="assistant") | .message.content[]? | select(.type=="tool_use") | .id]
    //          | unique | length' $f; done
    let expected = [
        (TE.to_string(), 242),
        (format!("{TE}/agent-aac57f5"), 12),
        (format!("{TE}/agent-acompact-946d2b"), 0),
        (GQC.to_string(), 186),
        (format!("{GQC}/agent-a881341"), 2),
        (format!("{GQC}/agent-acompact-fffbd0"), 0),
        ("491e126e-1e71-469c-ade2-fcc8af567c74".to_string(), 16),
        ("55604662-cf2a-4331-851a-ec234028f8ca".to_string(), 2),
        ("d6e0bada-1959-4eec-a9d2-0bfade768d8f".to_string(), 6),
    ];
    for (session, tools) in expected {
        assert_eq!(
            rows.get(&session).map(|r| r.1),
            Some(tools),
            "tool_call_count of {session}"
        );
    }
    // Each distinct tool_use id is one event:
    // jq -s '[.[] | select(.type=="assistant") | .message.content[]? | select(.type=="tool_use") | .id]
    //        | unique | length' $(find . -name '*.jsonl')                                   -> 466
    assert_eq!(count(&env.events(), kind::AGENT_TOOL_USE), 466);
}

#[test]
fn user_messages_are_the_human_prompts_of_main_sessions() {
    let env = Env::new();
    env.ingest();
    let events = env.events();
    // jq -s '[.[] | select(.type=="user" and .agentId==null and .isMeta!=true and .isCompactSummary!=true
    //         and ((.message.content|type)=="string" or any(.message.content[]?; .type=="text" or .type=="image"))
    //         and (any(.message.content[]?; .type=="tool_result") | not))] | length' $(find . -name '*.jsonl')
    //   -> 20
    assert_eq!(count(&events, kind::USER_MESSAGE), 20);
    let first = events
        .iter()
        .find(|e| e.kind == kind::USER_MESSAGE && e.session_id.as_deref() == Some(GQC))
        .unwrap();
    // jq -r 'select(.type=="user" and (.message.content|type)=="string") | .message.content | length' \
    //   $GQC_LOG | head -1                                                                   -> 21
    assert_eq!((first.length, first.has_image), (Some(21), Some(false)));
    assert_eq!(
        first.cwd.as_deref(),
        Some("/home/USER/projects/spotter-worktrees/spotter-gqc")
    );
}

#[test]
fn the_first_prompt_of_a_session_is_its_starting_prompt() {
    let env = Env::new();
    env.ingest();
    let db = env.home.db();
    let prompt: String = db
        .query_row(
            "SELECT starting_prompt FROM agent_sessions WHERE session_id = ?1",
            [GQC],
            |r| r.get(0),
        )
        .unwrap();
    // jq -r 'select(.type=="user" and (.message.content|type)=="string") | .message.content' $GQC_LOG | head -1
    assert_eq!(prompt, "Implement spotter-gqc");
    let (machine, project, count): (String, String, i64) = db
        .query_row(
            "SELECT machine_id, project_path, user_prompt_count FROM agent_sessions WHERE session_id = ?1",
            [GQC],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(machine, env.machine_id.clone());
    assert_eq!(project, "/home/USER/projects/spotter-worktrees/spotter-gqc");
    assert_eq!(count, 5);
}

#[test]
fn events_are_valid_machine_prefixed_and_carry_agent_session_and_cwd() {
    let env = Env::new();
    env.ingest();
    let events = env.events();
    let machine = env.machine_id.clone();
    assert!(!events.is_empty());
    for event in &events {
        assert_eq!(event.machine_id(), Some(machine.as_str()), "{}", event.id);
        assert_eq!(event.source, "remote.agent");
        assert_eq!(event.agent.as_deref(), Some("claude-code"));
        assert!(event.session_id.is_some() && event.cwd.is_some(), "{}", event.id);
    }
    // Subagent events are attributed to the parent's directory (and so its stream).
    let sub = events
        .iter()
        .find(|e| e.session_id.as_deref() == Some(&format!("{GQC}/agent-a881341")))
        .unwrap();
    assert_eq!(
        sub.cwd.as_deref(),
        Some("/home/USER/projects/spotter-worktrees/spotter-gqc")
    );
    assert_eq!(ids(&events).len(), events.len(), "no event twice");
}

#[test]
fn idle_sessions_end_at_their_last_timestamp_and_live_ones_do_not() {
    // The fixtures are months old: with the default 30m timeout every session ended.
    let env = Env::new();
    env.ingest();
    let events = env.events();
    let ended: Vec<&Event> = events
        .iter()
        .filter(|e| e.action.as_deref() == Some("ended"))
        .collect();
    assert_eq!(ended.len(), 9);
    // jq -r '.timestamp // empty' $D6_LOG | sort | tail -1                  -> 2026-02-10T22:59:46.748Z
    let d6 = ended
        .iter()
        .find(|e| e.session_id.as_deref() == Some("d6e0bada-1959-4eec-a9d2-0bfade768d8f"));
    assert_eq!(d6.unwrap().timestamp.to_string(), "2026-02-10T22:59:46.748Z");
    assert_eq!(count(&events, kind::AGENT_SESSION), 18);

    // With a timeout longer than their age, none has ended yet.
    let live = Env::new();
    live.ingest_with(&[LIVE]);
    let events = live.events();
    assert_eq!(
        events
            .iter()
            .filter(|e| e.action.as_deref() == Some("ended"))
            .count(),
        0
    );
    assert_eq!(
        events
            .iter()
            .filter(|e| e.action.as_deref() == Some("started"))
            .count(),
        9
    );
}

#[test]
fn a_second_run_with_nothing_new_reads_and_appends_nothing() {
    let env = Env::new();
    env.ingest();
    let before = env.events();
    let out = env.ingest();
    assert!(out.contains("0 new events from 0 of 9 logs"), "{out}");
    assert_eq!(env.events(), before);
}

/// Splits a fixture after `keep` bytes, writes the first part, and returns the rest.
fn cut_log(env: &Env, relative: &str, keep: usize) -> Vec<u8> {
    let path = env.log(relative);
    let bytes = fs::read(&path).unwrap();
    fs::write(&path, &bytes[..keep]).unwrap();
    bytes[keep..].to_vec()
}

fn append(path: &Path, bytes: &[u8]) {
    fs::OpenOptions::new()
        .append(true)
        .open(path)
        .unwrap()
        .write_all(bytes)
        .unwrap();
}

#[test]
fn appended_records_yield_only_the_new_events() {
    let full = Env::new();
    full.ingest_with(&[LIVE]);
    let all = ids(&full.events());

    let env = Env::new();
    let text = fs::read(env.log(GQC_LOG)).unwrap();
    // Cut after the 900th of 1863 lines.
    let cut = memchr::memchr_iter(b'\n', &text).nth(899).unwrap() + 1;
    let rest = cut_log(&env, GQC_LOG, cut);
    env.ingest_with(&[LIVE]);
    let first = ids(&env.events());
    append(&env.log(GQC_LOG), &rest);
    let out = env.ingest_with(&[LIVE]);
    assert!(
        out.contains("from 1 of 9 logs"),
        "only the appended log is read: {out}"
    );
    let events = env.events();
    let second = &events[first.len()..];
    let new = ids(second);
    assert!(first.is_disjoint(&new), "an event was appended twice");
    assert_eq!(new.len(), second.len());
    assert!(second.iter().all(|e| e.session_id.as_deref() == Some(GQC)));
    assert_same_ids(&(&first | &new), &all);
    assert_eq!(env.session_rows(), full.session_rows());
}

#[test]
fn a_log_cut_mid_line_parses_and_its_last_line_is_read_once_complete() {
    let full = Env::new();
    full.ingest_with(&[LIVE]);
    let all = ids(&full.events());

    let env = Env::new();
    let text = fs::read(env.log(D6_LOG)).unwrap();
    // Cut in the middle of the 20th line, as if Claude Code were still writing it.
    let line_start = memchr::memchr_iter(b'\n', &text).nth(18).unwrap() + 1;
    let rest = cut_log(&env, D6_LOG, line_start + 100);
    env.ingest_with(&[LIVE]);
    let first = env.events();
    assert!(count(&first, kind::USER_MESSAGE) > 0);
    append(&env.log(D6_LOG), &rest);
    env.ingest_with(&[LIVE]);
    let events = env.events();
    assert_same_ids(&ids(&events), &all);
    assert_eq!(ids(&events).len(), events.len(), "no event twice");
}

#[test]
fn a_session_idle_between_two_scans_ends_and_starts_again_when_it_resumes() {
    let env = Env::new();
    let text = fs::read(env.log(D6_LOG)).unwrap();
    // Cut after the 19th line (22:58:03.831); the next record comes 4 s later, but the
    // scan in between runs months after: the session has ended by then.
    let cut = memchr::memchr_iter(b'\n', &text).nth(18).unwrap() + 1;
    let rest = cut_log(&env, D6_LOG, cut);
    env.ingest();
    append(&env.log(D6_LOG), &rest);
    env.ingest();
    let d6: Vec<(String, String)> = env
        .events()
        .iter()
        .filter(|e| {
            e.kind == kind::AGENT_SESSION
                && e.session_id.as_deref() == Some("d6e0bada-1959-4eec-a9d2-0bfade768d8f")
        })
        .map(|e| (e.action.clone().unwrap(), e.timestamp.to_string()))
        .collect();
    let expect = [
        ("started", "2026-02-10T22:57:51.291Z"),
        ("ended", "2026-02-10T22:58:03.831Z"),
        ("started", "2026-02-10T22:58:08.126Z"),
        ("ended", "2026-02-10T22:59:46.748Z"),
    ];
    assert_eq!(d6, expect.map(|(a, t)| (a.to_string(), t.to_string())));
}

#[test]
fn a_replaced_or_shrunk_log_is_read_again_from_the_start() {
    let env = Env::new();
    env.ingest();
    let rows = env.session_rows();
    // Replace the log by its first 100 lines (a new file, then renamed over it).
    let path = env.log(GQC_LOG);
    let text = fs::read(&path).unwrap();
    let cut = memchr::memchr_iter(b'\n', &text).nth(99).unwrap() + 1;
    let replacement = path.with_extension("new");
    fs::write(&replacement, &text[..cut]).unwrap();
    fs::rename(&replacement, &path).unwrap();
    env.ingest();
    let shorter = env.session_rows();
    // jq -s '[.[0:100][] | select(.type=="assistant") | .message.content[]? | select(.type=="tool_use")]
    //        | length' $GQC_LOG                                                               -> 16
    assert_eq!(shorter[GQC].1, 16);
    assert_eq!(rows.len(), shorter.len());
}

#[test]
fn a_subagent_keeps_its_parent_link_when_the_parent_log_is_missing() {
    let env = Env::new();
    fs::remove_file(env.log(GQC_LOG)).unwrap();
    env.ingest();
    let rows = env.session_rows();
    assert!(!rows.contains_key(GQC));
    assert_eq!(rows[&format!("{GQC}/agent-a881341")].0.as_deref(), Some(GQC));
}

#[test]
fn an_unusable_manifest_is_rebuilt_without_failing() {
    let env = Env::new();
    env.ingest();
    let manifest = env.manifest();
    fs::write(&manifest, b"{\"version\":1,\"fi").unwrap();
    let out = env.tt(&["ingest", "sessions"]);
    assert!(out.status.success());
    assert!(stderr(&out).contains("manifest is unusable"), "{}", stderr(&out));
    assert_eq!(env.session_rows().len(), 9);
    assert!(tt::claude::Manifest::load_from(&manifest).is_ok());
}

#[test]
fn the_manifest_records_offsets_and_when_each_session_changed() {
    let env = Env::new();
    env.ingest();
    let manifest = tt::claude::Manifest::load_from(&env.manifest()).unwrap();
    let log_len = fs::metadata(env.home.event_log()).unwrap().len();
    let sessions: Vec<_> = manifest.sessions().collect();
    assert_eq!(sessions.len(), 9);
    assert!(sessions.iter().all(|(_, changed_at)| *changed_at == log_len));
    let entry = &manifest.files[GQC_LOG];
    assert_eq!(entry.offset, fs::metadata(env.log(GQC_LOG)).unwrap().len());
    use std::os::unix::fs::PermissionsExt;
    let mode = fs::metadata(env.manifest()).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn the_database_is_refilled_when_it_was_moved_aside() {
    let env = Env::new();
    env.ingest();
    fs::remove_file(env.home.database()).unwrap();
    env.ingest();
    assert_eq!(env.session_rows().len(), 9);
}

#[test]
fn ingest_sessions_needs_a_machine_identity() {
    let env = Env::new();
    fs::remove_file(env.home.data_dir().join("machine.json")).unwrap();
    let out = env.tt(&["ingest", "sessions"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "No machine identity found. Run 'tt init' first."
    );
}

#[test]
fn a_deleted_log_is_forgotten_by_the_manifest_but_its_session_row_stays() {
    let env = Env::new();
    env.ingest();
    fs::remove_file(env.log(D6_LOG)).unwrap();
    let out = env.ingest();
    assert!(out.contains("from 0 of 8 logs"), "{out}");
    let manifest = tt::claude::Manifest::load_from(&env.manifest()).unwrap();
    assert!(!manifest.files.contains_key(D6_LOG));
    assert_eq!(env.session_rows().len(), 9, "the database keeps the history");
}

#[test]
fn export_carries_the_claude_events_and_session_records_without_ingest() {
    let env = Env::new();
    let stdout = env.home.ok(&["export"]);
    let lines: Vec<serde_json::Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let sessions = lines.iter().filter(|l| l["record"] == "agent_session").count();
    let events = lines.iter().filter(|l| l.get("record").is_none()).count();
    // 9 started + 9 ended + 466 tool uses + 20 prompts (counted above).
    assert_eq!((events, sessions), (504, 9));
    // Nothing new since: a second export after the last event sends no event again.
    let last = lines.iter().rev().find(|l| l.get("record").is_none()).unwrap()["id"]
        .as_str()
        .unwrap();
    let again = env.home.ok(&["export", "--after", last]);
    assert_eq!(again.lines().filter(|l| !l.contains("\"record\"")).count(), 0);
}

#[test]
fn another_database_gets_every_session_even_when_nothing_is_new() {
    let env = Env::new();
    env.ingest();
    let other = env.home.root().join("other.db");
    env.home
        .ok(&["--database", other.to_str().unwrap(), "ingest", "sessions"]);
    let db = rusqlite::Connection::open(&other).unwrap();
    let rows: i64 = db
        .query_row("SELECT count(*) FROM agent_sessions", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, 9);
}
