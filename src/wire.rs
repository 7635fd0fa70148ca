//! The export stream (SPEC §7): one header record, then events, then agent session
//! records, one JSON object per line. Events are [`Event`]s as they are; the other
//! records carry a `"record"` tag as their first key so they can never be mistaken
//! for an event.

use std::fs::File;
use std::io::{BufRead, Read, Write};

use anyhow::{Context, Result, anyhow, bail};
use serde::{Deserialize, Serialize};

use crate::event::{Event, InvalidEvent, is_uuid};
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
    End(End),
}

/// Last line of every export: its presence proves the stream was not cut off.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct End {
    /// Event lines written (valid or not).
    pub events: u64,
    pub sessions: u64,
}

/// Longest line accepted; anything longer is garbage or an attack, not an event.
pub const MAX_LINE: usize = 64 * 1024;

/// One parsed line of an export (or of `tt import` input).
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    Header(Header),
    Event(Box<Event>),
    Session(AgentSession),
    End(End),
}

impl Record {
    /// Parses one line (without its newline).
    pub fn parse(line: &str) -> Result<Record, InvalidEvent> {
        if line.len() > MAX_LINE {
            return Err(InvalidEvent::new(format!(
                "line longer than {} KiB",
                MAX_LINE / 1024
            )));
        }
        if line.starts_with("{\"record\":") {
            let tagged: Tagged =
                serde_json::from_str(line).map_err(|e| InvalidEvent::new(format!("bad record: {e}")))?;
            return Ok(match tagged {
                Tagged::Header(h) => Record::Header(h),
                Tagged::AgentSession(s) => Record::Session(s),
                Tagged::End(e) => Record::End(e),
            });
        }
        match Event::from_json(line) {
            Ok(event) => Ok(Record::Event(Box::new(event))),
            // Another writer may order the keys differently: a line that is not an
            // event but names a record is read as one.
            Err(err) if line.contains("\"record\"") => match serde_json::from_str::<Tagged>(line) {
                Ok(Tagged::Header(h)) => Ok(Record::Header(h)),
                Ok(Tagged::AgentSession(s)) => Ok(Record::Session(s)),
                Ok(Tagged::End(e)) => Ok(Record::End(e)),
                Err(_) => Err(err),
            },
            Err(err) => Err(err),
        }
    }
}

/// The JSON line of a tagged record.
pub fn tagged_line(record: Tagged) -> String {
    serde_json::to_string(&record).expect("records always serialise")
}

/// A line that was not accepted, kept for the quarantine file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rejected {
    /// 1-based line number in the stream.
    pub line: u64,
    pub reason: String,
    /// The line as received (cut to [`MAX_LINE`] bytes).
    pub text: String,
}

/// Reads lines of at most [`MAX_LINE`] bytes; longer ones are skipped and reported,
/// so a hostile peer cannot make us buffer gigabytes. Yields `(line_no, Result)`.
pub struct Lines<R> {
    reader: R,
    line_no: u64,
    buf: Vec<u8>,
    pub bytes: u64,
}

/// One line, or why it was not one.
pub enum Line<'a> {
    Text(&'a str),
    /// Too long or not UTF-8; holds the reason and a lossy copy of the start.
    Bad(String, String),
}

impl<R: BufRead> Lines<R> {
    pub fn new(reader: R) -> Lines<R> {
        Lines {
            reader,
            line_no: 0,
            buf: Vec::with_capacity(1024),
            bytes: 0,
        }
    }

    /// The next line (without `\n` / `\r\n`), or `None` at the end. `Ok(Some((n, line, complete)))`:
    /// `complete` is false for a last line that had no newline.
    pub fn next_line(&mut self) -> std::io::Result<Option<(u64, Line<'_>, bool)>> {
        self.buf.clear();
        let mut too_long = false;
        let mut complete = false;
        loop {
            let available = match self.reader.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if available.is_empty() {
                break;
            }
            let (chunk, used, found) = match memchr::memchr(b'\n', available) {
                Some(i) => (&available[..i], i + 1, true),
                None => (available, available.len(), false),
            };
            if !too_long {
                if self.buf.len() + chunk.len() > MAX_LINE {
                    too_long = true;
                    let room = MAX_LINE - self.buf.len();
                    self.buf.extend_from_slice(&chunk[..room.min(chunk.len())]);
                } else {
                    self.buf.extend_from_slice(chunk);
                }
            }
            self.reader.consume(used);
            self.bytes += used as u64;
            if found {
                complete = true;
                break;
            }
        }
        if self.buf.is_empty() && !complete && !too_long {
            return Ok(None);
        }
        self.line_no += 1;
        if self.buf.last() == Some(&b'\r') {
            self.buf.pop();
        }
        if too_long {
            let start = String::from_utf8_lossy(&self.buf[..self.buf.len().min(200)]).into_owned();
            return Ok(Some((
                self.line_no,
                Line::Bad(format!("line longer than {} KiB", MAX_LINE / 1024), start),
                complete,
            )));
        }
        match std::str::from_utf8(&self.buf) {
            Ok(text) => Ok(Some((self.line_no, Line::Text(text), complete))),
            Err(_) => Ok(Some((
                self.line_no,
                Line::Bad(
                    "line is not UTF-8".into(),
                    String::from_utf8_lossy(&self.buf).into_owned(),
                ),
                complete,
            ))),
        }
    }
}

/// A whole export from one machine, its framing checked, spooled to an unlinked
/// temporary file: what a transfer hands to the merge. Memory holds none of its
/// events, whatever their number.
#[derive(Debug)]
pub struct Spooled {
    pub header: Header,
    /// The stream as received, positioned anywhere; the merge reads it from the start.
    pub spool: File,
    /// Event lines (valid or not), as announced by the end record.
    pub events: u64,
    pub sessions: u64,
}

/// Copies an export stream into `spool` while checking its framing: it must start
/// with a header this version reads (with a UUID machine id) and end with an end
/// record whose counts match, with no torn last line. The records themselves are
/// checked by [`Validator`] when they are merged. `progress` gets (event lines, bytes).
///
/// This runs while the bytes arrive, so it stays cheap: the stream is written out in
/// the blocks it was read in, and a line is only looked at through its first bytes
/// (records are kept whole, events are only counted).
pub fn spool_export<R: Read>(
    mut reader: R,
    mut spool: File,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Spooled> {
    let mut framing = Framing::default();
    let mut buf = vec![0u8; 256 * 1024];
    let mut bytes = 0u64;
    let mut next_report = 0u64;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e).context("cannot read the export"),
        };
        let chunk = &buf[..n];
        spool
            .write_all(chunk)
            .context("cannot write the transfer's spool file")?;
        bytes += n as u64;
        let mut start = 0;
        for newline in memchr::memchr_iter(b'\n', chunk) {
            framing.extend(&chunk[start..newline]);
            framing.end_line()?;
            start = newline + 1;
        }
        framing.extend(&chunk[start..]);
        if framing.events >= next_report {
            progress(framing.events, bytes);
            next_report = framing.events + 4096;
        }
    }
    if framing.len > 0 {
        bail!(
            "the export was cut off in the middle of line {}",
            framing.line_no + 1
        );
    }
    progress(framing.events, bytes);
    let Some(header) = framing.header else {
        bail!("the remote sent no output; is tt installed there (sync.remote_command)?");
    };
    let Some(end) = framing.end else {
        bail!("the export ended without its end record: the transfer was cut off");
    };
    if end.events != framing.events || end.sessions != framing.sessions {
        bail!(
            "the export announced {} events and {} sessions but {} and {} arrived",
            end.events,
            end.sessions,
            framing.events,
            framing.sessions
        );
    }
    Ok(Spooled {
        header,
        spool,
        events: framing.events,
        sessions: framing.sessions,
    })
}

/// The line-by-line state of [`spool_export`].
#[derive(Default)]
struct Framing {
    /// Lines completed so far.
    line_no: u64,
    /// Bytes of the current line so far.
    len: usize,
    /// The current line's start, or all of it when it is a record (at most
    /// [`MAX_LINE`] bytes).
    kept: Vec<u8>,
    header: Option<Header>,
    end: Option<End>,
    events: u64,
    sessions: u64,
}

/// Enough of a line to tell a record from an event.
const RECORD_PREFIX: &[u8] = b"{\"record\":";

impl Framing {
    fn extend(&mut self, mut bytes: &[u8]) {
        self.len += bytes.len();
        if self.line_no > 0 && self.kept.len() < RECORD_PREFIX.len() {
            let take = (RECORD_PREFIX.len() - self.kept.len()).min(bytes.len());
            self.kept.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
        }
        // The header (line 1) and records are kept whole; an event only by its start.
        if self.line_no == 0 || self.kept.starts_with(RECORD_PREFIX) {
            let room = (MAX_LINE + 1).saturating_sub(self.kept.len());
            self.kept.extend_from_slice(&bytes[..bytes.len().min(room)]);
        }
    }

    fn end_line(&mut self) -> Result<()> {
        self.line_no += 1;
        let line_no = self.line_no;
        let mut kept = std::mem::take(&mut self.kept);
        let len = std::mem::take(&mut self.len);
        if kept.last() == Some(&b'\r') && len == kept.len() {
            kept.pop();
        }
        if self.end.is_some() {
            bail!("the export has data after its end record (line {line_no})");
        }
        if self.header.is_none() {
            let text = String::from_utf8_lossy(&kept[..kept.len().min(MAX_LINE)]);
            if len > MAX_LINE {
                bail!(
                    "the remote did not send a tt export header (line 1: line longer than {} KiB)",
                    MAX_LINE / 1024
                );
            }
            match Record::parse(&text) {
                Ok(Record::Header(h)) => {
                    check_header(&h)?;
                    self.header = Some(h);
                    return Ok(());
                }
                _ => bail!(
                    "the remote did not start with a tt export header (got {:?}); is tt installed there and recent?",
                    shorten(&printable(&text), 80)
                ),
            }
        }
        if len <= MAX_LINE && kept.starts_with(RECORD_PREFIX) {
            let rest = &kept[RECORD_PREFIX.len()..];
            if rest.starts_with(b"\"end\"") {
                match std::str::from_utf8(&kept).map(Record::parse) {
                    Ok(Ok(Record::End(e))) => self.end = Some(e),
                    _ => self.events += 1, // a bad record: rejected at the merge
                }
                return Ok(());
            }
            if rest.starts_with(b"\"agent_session\"") {
                self.sessions += 1;
                return Ok(());
            }
            if rest.starts_with(b"\"header\"") {
                bail!("the export has a second header at line {line_no}");
            }
        }
        self.events += 1;
        Ok(())
    }
}

/// The checks every header passes, in a sync or an import: a wire format this
/// version reads, and a machine id that is a UUID (it becomes the prefix every
/// event of the stream is checked against).
pub fn check_header(header: &Header) -> Result<()> {
    check_wire_version(header)?;
    if !is_uuid(&header.machine_id) {
        bail!(
            "the header's machine id {:?} is not a UUID",
            shorten(&printable(&header.machine_id), 40)
        );
    }
    Ok(())
}

/// What one record of a stream means for the database, decided by [`Validator`].
#[derive(Debug, PartialEq)]
pub enum Verdict {
    /// Store this event (with its canonical payload).
    Event,
    /// Upsert this session for `machine_id`.
    Session { machine_id: String },
    /// A header: the following records belong to its machine.
    Header,
    /// Nothing to store (an end record).
    Skip,
    /// Quarantine the line for this reason.
    Reject(String),
}

/// The rules that hold across the lines of a stream, the same for `tt sync` and
/// `tt import`: once a header named a machine, every event must carry its prefix; a
/// session record needs a header before it. (What holds for one line alone is checked
/// by [`Record::parse`] and [`Event::validate`].)
#[derive(Debug, Default)]
pub struct Validator {
    machine_id: Option<String>,
}

impl Validator {
    /// A validator for a stream whose header was already checked (a sync's spool).
    pub fn for_machine(machine_id: &str) -> Validator {
        Validator {
            machine_id: Some(machine_id.to_string()),
        }
    }

    /// The machine of the last header, if any.
    pub fn machine_id(&self) -> Option<&str> {
        self.machine_id.as_deref()
    }

    /// Judges one parsed record. A header with a bad version or machine id is an error:
    /// nothing after it could be attributed.
    pub fn judge(&mut self, record: &mut Record) -> Result<Verdict> {
        Ok(match record {
            Record::Header(header) => {
                check_header(header)?;
                header.label =
                    clean_label(&header.label).unwrap_or_else(|| header.machine_id[..8].to_string());
                self.machine_id = Some(header.machine_id.clone());
                Verdict::Header
            }
            Record::Event(event) => match &self.machine_id {
                Some(expected) if event.machine_id() != Some(expected.as_str()) => Verdict::Reject(format!(
                    "event id is not prefixed with the header's machine id {expected}"
                )),
                _ => Verdict::Event,
            },
            Record::Session(session) => match &self.machine_id {
                Some(machine_id) => {
                    session.machine_id = Some(machine_id.clone());
                    Verdict::Session {
                        machine_id: machine_id.clone(),
                    }
                }
                None => Verdict::Reject("agent session record without a header naming its machine".into()),
            },
            Record::End(_) => Verdict::Skip,
        })
    }
}

/// The id of a line that was rejected, when it has one shaped like an event id: the
/// line was delivered, so the sync cursor may move past it.
pub fn rejected_line_id(text: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct IdOnly {
        id: String,
    }
    let id = serde_json::from_str::<IdOnly>(text).ok()?.id;
    (id.len() <= 1024
        && crate::event::machine_prefix(&id).is_some()
        && !id.chars().any(|c| c.is_whitespace() || c.is_control()))
    .then_some(id)
}

/// Remote text (labels, stderr) made safe for a terminal: control characters and
/// bidirectional or invisible formatting characters become `?`, so a remote cannot
/// move the cursor, recolour the screen or disguise text.
pub fn printable(text: &str) -> String {
    text.chars()
        .map(|c| {
            let invisible = matches!(
                c,
                '\u{061C}'
                    | '\u{200B}'..='\u{200F}'
                    | '\u{2028}'..='\u{202E}'
                    | '\u{2060}'..='\u{2069}'
                    | '\u{FEFF}'
            );
            if c.is_control() || invisible { '?' } else { c }
        })
        .collect()
}

/// Longest label kept.
pub const MAX_LABEL_CHARS: usize = 64;

/// A label as stored, whatever its source (a header, `tt init`, config.toml, the
/// prompt): printable, one line, trimmed, at most 64 characters; `None` when nothing
/// usable is left.
pub fn clean_label(label: &str) -> Option<String> {
    let label: String = printable(label.trim()).chars().take(MAX_LABEL_CHARS).collect();
    let label = label.trim();
    (!label.is_empty()).then(|| label.to_string())
}

/// Refuses a header of a wire format this version cannot read.
pub fn check_wire_version(header: &Header) -> Result<()> {
    match header.wire_version.cmp(&WIRE_VERSION) {
        std::cmp::Ordering::Equal => Ok(()),
        std::cmp::Ordering::Less => Err(anyhow!(
            "remote tt {} is too old (wire format {}, this tt reads {WIRE_VERSION}): upgrade it",
            header.tt_version,
            header.wire_version
        )),
        std::cmp::Ordering::Greater => Err(anyhow!(
            "remote tt {} is too new (wire format {}, this tt reads {WIRE_VERSION}): upgrade this tt",
            header.tt_version,
            header.wire_version
        )),
    }
}

fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => format!("{}...", &text[..i]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MID: &str = "0b6c2f0e-8d1a-4c3e-9f5b-2a7d4e6f8a90";
    const OTHER: &str = "11111111-2222-4333-8444-555555555555";

    fn header(version: u32) -> String {
        tagged_line(Tagged::Header(Header {
            machine_id: MID.into(),
            label: "devbox".into(),
            tt_version: "9.9.9".into(),
            wire_version: version,
        }))
    }

    fn event(machine: &str, n: u32) -> String {
        format!(
            r#"{{"id":"{machine}:remote.tmux:tmux_pane_focus:2026-01-01T00:00:0{n}.000Z:%1","timestamp":"2026-01-01T00:00:0{n}.000Z","source":"remote.tmux","type":"tmux_pane_focus"}}"#
        )
    }

    fn end(events: u64) -> String {
        tagged_line(Tagged::End(End { events, sessions: 0 }))
    }

    fn spool() -> File {
        tempfile_in_target()
    }

    /// An unlinked scratch file (the crate has no tempfile dependency outside tests'
    /// integration crates).
    fn tempfile_in_target() -> File {
        let dir = std::env::temp_dir();
        let path = dir.join(format!(
            "tt-wire-test-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .unwrap();
        std::fs::remove_file(&path).unwrap();
        file
    }

    fn read_text(text: &str) -> Result<Spooled> {
        spool_export(text.as_bytes(), spool(), &mut |_, _| {})
    }

    fn read(lines: &[String]) -> Result<Spooled> {
        read_text(&(lines.join("\n") + "\n"))
    }

    #[test]
    fn a_complete_export_is_spooled_as_received() {
        use std::io::Seek;
        let lines = [header(WIRE_VERSION), event(MID, 1), event(MID, 2), end(2)];
        let mut spooled = read(&lines).unwrap();
        assert_eq!((spooled.events, spooled.sessions), (2, 0));
        assert_eq!(spooled.header.machine_id, MID);
        let mut copy = String::new();
        spooled.spool.rewind().unwrap();
        spooled.spool.read_to_string(&mut copy).unwrap();
        assert_eq!(copy, lines.join("\n") + "\n");
    }

    #[test]
    fn a_stream_without_its_end_record_was_cut_off() {
        let err = read(&[header(WIRE_VERSION), event(MID, 1)]).unwrap_err();
        assert!(err.to_string().contains("cut off"), "{err}");
        let text = format!("{}\n{}", header(WIRE_VERSION), &event(MID, 1)[..40]);
        let err = read_text(&text).unwrap_err();
        assert!(err.to_string().contains("cut off"), "{err}");
    }

    #[test]
    fn events_of_another_machine_are_rejected_by_the_validator() {
        let mut validator = Validator::for_machine(MID);
        let mut ours = Record::parse(&event(MID, 1)).unwrap();
        let mut theirs = Record::parse(&event(OTHER, 2)).unwrap();
        assert_eq!(validator.judge(&mut ours).unwrap(), Verdict::Event);
        assert!(matches!(
            validator.judge(&mut theirs).unwrap(),
            Verdict::Reject(_)
        ));
    }

    #[test]
    fn a_header_with_a_machine_id_that_is_not_a_uuid_is_refused() {
        let bogus = tagged_line(Tagged::Header(Header {
            machine_id: "not-a-uuid".into(),
            label: "x".into(),
            tt_version: "1".into(),
            wire_version: WIRE_VERSION,
        }));
        let err = read(&[bogus.clone(), end(0)]).unwrap_err().to_string();
        assert!(err.contains("not a UUID"), "{err}");
        let mut record = Record::parse(&bogus).unwrap();
        assert!(Validator::default().judge(&mut record).is_err());
    }

    #[test]
    fn header_labels_are_cleaned_of_control_and_bidi_characters() {
        let line = tagged_line(Tagged::Header(Header {
            machine_id: MID.into(),
            label: "dev\u{202E}xob\u{1b}[2J".into(),
            tt_version: "1".into(),
            wire_version: WIRE_VERSION,
        }));
        let mut record = Record::parse(&line).unwrap();
        Validator::default().judge(&mut record).unwrap();
        let Record::Header(header) = record else { panic!() };
        assert_eq!(header.label, "dev?xob?[2J");
    }

    #[test]
    fn other_wire_versions_say_which_side_to_upgrade() {
        let old = read(&[header(0), end(0)]).unwrap_err().to_string();
        assert!(
            old.contains("remote tt 9.9.9 is too old") && old.contains("upgrade it"),
            "{old}"
        );
        let new = read(&[header(WIRE_VERSION + 1), end(0)]).unwrap_err().to_string();
        assert!(new.contains("too new"), "{new}");
    }

    #[test]
    fn output_that_is_not_an_export_is_refused() {
        let err = read(&["bash: tt: command not found".to_string()])
            .unwrap_err()
            .to_string();
        assert!(err.contains("header"), "{err}");
        let err = read_text("").unwrap_err().to_string();
        assert!(err.contains("no output"), "{err}");
    }

    #[test]
    fn counts_that_do_not_match_the_end_record_are_refused() {
        let err = read(&[header(WIRE_VERSION), event(MID, 1), end(5)])
            .unwrap_err()
            .to_string();
        assert!(err.contains("announced 5 events"), "{err}");
    }

    #[test]
    fn an_overlong_line_is_counted_without_buffering_it_whole() {
        let long = format!("{{\"id\":\"{}\"}}", "x".repeat(MAX_LINE * 3));
        let spooled = read(&[header(WIRE_VERSION), long, event(MID, 1), end(2)]).unwrap();
        assert_eq!(spooled.events, 2);
    }

    #[test]
    fn a_rejected_line_with_an_event_id_can_carry_the_cursor() {
        let line = format!(r#"{{"id":"{MID}:x:y:z:1","timestamp":"bogus"}}"#);
        assert_eq!(rejected_line_id(&line), Some(format!("{MID}:x:y:z:1")));
        assert_eq!(rejected_line_id("not json"), None);
        assert_eq!(rejected_line_id(r#"{"id":"no prefix"}"#), None);
    }
}
