//! The export stream (SPEC §7): one header record, then events, then agent session
//! records, one JSON object per line. Events are [`Event`]s as they are; the other
//! records carry a `"record"` tag as their first key so they can never be mistaken
//! for an event.

use std::io::BufRead;

use anyhow::{Result, anyhow, bail};
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
        Event::from_json(line).map(|e| Record::Event(Box::new(e)))
    }
}

/// The JSON line of a tagged record.
pub fn tagged_line(record: Tagged) -> String {
    serde_json::to_string(&record).expect("records always serialise")
}

/// A line that was not accepted, kept for the quarantine file.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejected {
    /// 1-based line number in the stream.
    pub line: u64,
    pub reason: String,
    /// The line as received (cut to [`MAX_LINE`] bytes).
    pub text: String,
}

/// A whole export from one machine, validated and ready to merge.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    pub header: Header,
    pub events: Vec<Event>,
    pub sessions: Vec<AgentSession>,
    pub rejected: Vec<Rejected>,
}

impl Batch {
    /// The sync cursor this batch advances to: its last event.
    pub fn last_event_id(&self) -> Option<&str> {
        self.events.last().map(|e| e.id.as_str())
    }
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

/// Reads and validates a whole export stream from one remote. The stream must start
/// with a header this version reads and end with an end record whose counts match;
/// events from another machine than the header's are rejected (counted, kept for the
/// quarantine), as are invalid lines.
pub fn read_export<R: BufRead>(reader: R, progress: &mut dyn FnMut(u64, u64)) -> Result<Batch> {
    let mut lines = Lines::new(reader);
    let mut header: Option<Header> = None;
    let mut batch_events = Vec::new();
    let mut sessions = Vec::new();
    let mut rejected = Vec::new();
    let mut event_lines = 0u64;
    let mut end: Option<End> = None;
    while let Some((line_no, line, complete)) = lines.next_line()? {
        if end.is_some() {
            bail!("the export has data after its end record (line {line_no})");
        }
        let text = match line {
            Line::Text(text) if complete => text,
            Line::Text(_) | Line::Bad(..) if !complete => {
                bail!("the export was cut off in the middle of line {line_no}")
            }
            Line::Text(_) => unreachable!("complete text handled above"),
            Line::Bad(reason, text) => {
                if header.is_none() {
                    bail!("the remote did not send a tt export header (line 1: {reason})");
                }
                event_lines += 1;
                rejected.push(Rejected {
                    line: line_no,
                    reason,
                    text,
                });
                continue;
            }
        };
        let record = Record::parse(text);
        let Some(head) = &header else {
            match record {
                Ok(Record::Header(h)) => {
                    check_wire_version(&h)?;
                    if !is_uuid(&h.machine_id) {
                        bail!("the remote's header has an invalid machine id {:?}", h.machine_id);
                    }
                    header = Some(h);
                    continue;
                }
                _ => bail!(
                    "the remote did not start with a tt export header (got {:?}); is tt installed there and recent?",
                    shorten(text, 80)
                ),
            }
        };
        match record {
            Ok(Record::Event(event)) => {
                event_lines += 1;
                if event.machine_id() == Some(head.machine_id.as_str()) {
                    batch_events.push(*event);
                } else {
                    rejected.push(Rejected {
                        line: line_no,
                        reason: format!(
                            "event id is not prefixed with the sender's machine id {}",
                            head.machine_id
                        ),
                        text: text.to_string(),
                    });
                }
                if event_lines.is_multiple_of(1024) {
                    progress(event_lines, lines.bytes);
                }
            }
            Ok(Record::Session(mut session)) => {
                session.machine_id = Some(head.machine_id.clone());
                sessions.push(session);
            }
            Ok(Record::End(e)) => end = Some(e),
            Ok(Record::Header(_)) => bail!("the export has a second header at line {line_no}"),
            Err(reason) => {
                event_lines += 1;
                rejected.push(Rejected {
                    line: line_no,
                    reason: reason.0,
                    text: text.to_string(),
                });
            }
        }
    }
    progress(event_lines, lines.bytes);
    let Some(header) = header else {
        bail!("the remote sent no output; is tt installed there (sync.remote_command)?");
    };
    let Some(end) = end else {
        bail!("the export ended without its end record: the transfer was cut off");
    };
    if end.events != event_lines || end.sessions != sessions.len() as u64 {
        bail!(
            "the export announced {} events and {} sessions but {} and {} arrived",
            end.events,
            end.sessions,
            event_lines,
            sessions.len()
        );
    }
    Ok(Batch {
        header,
        events: batch_events,
        sessions,
        rejected,
    })
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

    fn read(lines: &[String]) -> Result<Batch> {
        let text = lines.join("\n") + "\n";
        read_export(text.as_bytes(), &mut |_, _| {})
    }

    #[test]
    fn a_complete_export_is_read() {
        let batch = read(&[header(WIRE_VERSION), event(MID, 1), event(MID, 2), end(2)]).unwrap();
        assert_eq!(batch.events.len(), 2);
        assert_eq!(batch.last_event_id(), Some(batch.events[1].id.as_str()));
    }

    #[test]
    fn a_stream_without_its_end_record_was_cut_off() {
        let err = read(&[header(WIRE_VERSION), event(MID, 1)]).unwrap_err();
        assert!(err.to_string().contains("cut off"), "{err}");
        let text = format!("{}\n{}", header(WIRE_VERSION), &event(MID, 1)[..40]);
        let err = read_export(text.as_bytes(), &mut |_, _| {}).unwrap_err();
        assert!(err.to_string().contains("cut off"), "{err}");
    }

    #[test]
    fn events_of_another_machine_are_rejected_and_counted() {
        let batch = read(&[header(WIRE_VERSION), event(MID, 1), event(OTHER, 2), end(2)]).unwrap();
        assert_eq!(batch.events.len(), 1);
        assert_eq!(batch.rejected.len(), 1);
        assert_eq!(batch.rejected[0].line, 3);
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
        let err = read_export(&b""[..], &mut |_, _| {}).unwrap_err().to_string();
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
    fn an_overlong_line_is_rejected_without_buffering_it_whole() {
        let long = format!("{{\"id\":\"{}\"}}", "x".repeat(MAX_LINE * 3));
        let batch = read(&[header(WIRE_VERSION), long, event(MID, 1), end(2)]).unwrap();
        assert_eq!(batch.events.len(), 1);
        assert!(batch.rejected[0].reason.contains("longer than"));
        assert!(batch.rejected[0].text.len() <= 200);
    }
}
