//! Claude Code logs: incremental parsing into agent events and session summaries.
//!
//! Claude Code writes one JSONL log per session under
//! `<projects_dir>/<encoded cwd>/<session id>.jsonl`, and one per subagent under
//! `<session id>/subagents/agent-<agent id>.jsonl`. [`scan`] reads what was appended
//! to each log since the last scan (in parallel, one task per file), appends the
//! derived events to this machine's event log, then records how far it read in the
//! [`Manifest`]. [`parse`] is the pure part: bytes in, events and summaries out.

mod emitted;
pub mod manifest;
pub mod parse;
mod scan;

pub use manifest::{FileEntry, Manifest};
pub use parse::{AGENT, LogKind, LogState, ParseStats};
pub use scan::{ScanOptions, ScanOutcome, scan, scan_with};
