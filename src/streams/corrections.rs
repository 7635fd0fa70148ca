//! The user's decisions (SPEC §10 "Corrections") as the recompute sees them: rules that
//! move events to a stream or hand them back to inference, project aliases from merges,
//! names from renames, and streams the user created. They are applied after inference
//! on every recompute, in the order they were made (the last matching rule wins), so
//! they survive every recompute and every later sync.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::allocate::Millis;

/// Which events a rule applies to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Selector {
    /// An agent session and its subagents (`<session>/agent-<id>`).
    Session {
        machine_id: Option<String>,
        session_id: String,
    },
    /// Events by id.
    Events { ids: Vec<String> },
    /// Events in `[start, end)`, optionally of one machine and below one directory.
    Range {
        start: Millis,
        end: Millis,
        machine_id: Option<String>,
        cwd_prefix: Option<String>,
    },
}

/// One rule: events matching `selector` go to `stream` (`None`: back to inference).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub stream: Option<String>,
    pub selector: Selector,
}

/// What the recompute needs to know about a stream a correction names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamInfo {
    pub machine_id: String,
    pub project: Option<String>,
}

/// Every correction, resolved to stream and machine ids.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Corrections {
    pub rules: Vec<Rule>,
    /// (machine_id, project) -> stream id: where a merged stream's projects now go.
    pub aliases: HashMap<(String, String), String>,
    /// stream id -> the name the user gave it.
    pub names: HashMap<String, String>,
    /// Streams the user created or referred to, so they exist without inferred events.
    pub streams: HashMap<String, StreamInfo>,
    /// Streams the user created (`tt streams new`): kept even with no events.
    pub created: Vec<String>,
}

/// One correction as stored in the `corrections` table: what the user typed, resolved
/// to stream ids, machine ids and UTC milliseconds, with what a rebuilt database needs
/// to know about the streams it names (they may not be inferred there yet).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    /// Events matching `selector` go to `stream`.
    Assign {
        stream: String,
        info: StreamInfo,
        selector: Selector,
    },
    /// Events matching `selector` go back to inference.
    Unassign {
        selector: Selector,
    },
    Rename {
        stream: String,
        name: String,
    },
    /// `from` streams (with their machine and project) fold into `into`.
    Merge {
        into: String,
        info: StreamInfo,
        from: Vec<(String, StreamInfo)>,
    },
    /// A stream inference would not create.
    New {
        stream: String,
        machine_id: String,
        name: String,
    },
}

impl Corrections {
    /// The corrections `ops` (in the order they were made) amount to.
    pub fn replay<'a>(ops: impl IntoIterator<Item = &'a Op>) -> Corrections {
        let mut c = Corrections::default();
        for op in ops {
            c.push(op);
        }
        c
    }

    /// Adds one more correction, made after all the others.
    pub fn push(&mut self, op: &Op) {
        match op {
            Op::Assign {
                stream,
                info,
                selector,
            } => {
                self.rules.push(Rule {
                    stream: Some(stream.clone()),
                    selector: selector.clone(),
                });
                self.streams.entry(stream.clone()).or_insert_with(|| info.clone());
            }
            Op::Unassign { selector } => self.rules.push(Rule {
                stream: None,
                selector: selector.clone(),
            }),
            Op::Rename { stream, name } => {
                self.names.insert(stream.clone(), name.clone());
            }
            Op::New {
                stream,
                machine_id,
                name,
            } => {
                self.streams.insert(
                    stream.clone(),
                    StreamInfo {
                        machine_id: machine_id.clone(),
                        project: None,
                    },
                );
                self.names.insert(stream.clone(), name.clone());
                if !self.created.contains(stream) {
                    self.created.push(stream.clone());
                }
            }
            Op::Merge { into, info, from } => {
                self.streams.entry(into.clone()).or_insert_with(|| info.clone());
                for (gone, gone_info) in from {
                    if gone == into {
                        continue;
                    }
                    // Whatever went to `gone` (rules, earlier merges) goes to `into`.
                    for rule in &mut self.rules {
                        if rule.stream.as_ref() == Some(gone) {
                            rule.stream = Some(into.clone());
                        }
                    }
                    for target in self.aliases.values_mut() {
                        if target == gone {
                            *target = into.clone();
                        }
                    }
                    if let Some(project) = &gone_info.project {
                        self.aliases
                            .insert((gone_info.machine_id.clone(), project.clone()), into.clone());
                    }
                    self.names.remove(gone);
                    self.created.retain(|c| c != gone);
                    self.streams.remove(gone);
                }
            }
        }
    }
}

/// The facts about one event a rule can test.
#[derive(Debug, Clone, Copy)]
pub struct EventRef<'a> {
    pub id: Option<&'a str>,
    pub machine_id: &'a str,
    pub at: Millis,
    pub cwd: Option<&'a str>,
    pub session_id: Option<&'a str>,
}

/// The outcome of the rules for one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision<'a> {
    /// No rule matched, or the last one was an unassign: inference decides.
    Infer,
    /// The user put the event in this stream.
    User(&'a str),
}

impl Corrections {
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty() && self.aliases.is_empty() && self.names.is_empty() && self.created.is_empty()
    }

    /// Whether any rule selects events by id (the recompute then loads ids).
    pub fn needs_event_ids(&self) -> bool {
        self.rules
            .iter()
            .any(|r| matches!(r.selector, Selector::Events { .. }))
    }

    /// The stream an inferred (machine, project) goes to, after merges.
    pub fn alias<'a>(&'a self, machine_id: &str, project: &str) -> Option<&'a str> {
        if self.aliases.is_empty() {
            return None;
        }
        self.aliases
            .get(&(machine_id.to_string(), project.to_string()))
            .map(String::as_str)
    }

    /// Applies the rules in order; the last matching one decides.
    pub fn decide(&self, event: &EventRef) -> Decision<'_> {
        let mut decision = Decision::Infer;
        for rule in &self.rules {
            if rule.selector.matches(event) {
                decision = match &rule.stream {
                    Some(stream) => Decision::User(stream),
                    None => Decision::Infer,
                };
            }
        }
        decision
    }
}

impl Selector {
    pub fn matches(&self, event: &EventRef) -> bool {
        match self {
            Selector::Session {
                machine_id,
                session_id,
            } => {
                machine_id.as_deref().is_none_or(|m| m == event.machine_id)
                    && event.session_id.is_some_and(|s| {
                        s == session_id
                            || s.strip_prefix(session_id.as_str())
                                .is_some_and(|rest| rest.starts_with("/agent-"))
                    })
            }
            Selector::Events { ids } => event.id.is_some_and(|id| ids.iter().any(|i| i == id)),
            Selector::Range {
                start,
                end,
                machine_id,
                cwd_prefix,
            } => {
                event.at >= *start
                    && event.at < *end
                    && machine_id.as_deref().is_none_or(|m| m == event.machine_id)
                    && cwd_prefix
                        .as_deref()
                        .is_none_or(|p| event.cwd.is_some_and(|cwd| is_under(cwd, p)))
            }
        }
    }
}

/// `path` is `prefix` or inside it (component-wise: `/a/bc` is not under `/a/b`).
pub fn is_under(path: &str, prefix: &str) -> bool {
    let prefix = prefix.trim_end_matches('/');
    if prefix.is_empty() {
        return path.starts_with('/');
    }
    path.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event<'a>(at: Millis, cwd: &'a str, session: Option<&'a str>) -> EventRef<'a> {
        EventRef {
            id: None,
            machine_id: "m1",
            at,
            cwd: Some(cwd),
            session_id: session,
        }
    }

    #[test]
    fn the_last_matching_rule_wins_and_unassign_hands_back_to_inference() {
        let range = |start, end| Selector::Range {
            start,
            end,
            machine_id: Some("m1".into()),
            cwd_prefix: None,
        };
        let corrections = Corrections {
            rules: vec![
                Rule {
                    stream: Some("a".into()),
                    selector: range(0, 100),
                },
                Rule {
                    stream: None,
                    selector: range(50, 60),
                },
            ],
            ..Corrections::default()
        };
        assert_eq!(corrections.decide(&event(10, "/x", None)), Decision::User("a"));
        assert_eq!(corrections.decide(&event(55, "/x", None)), Decision::Infer);
        assert_eq!(corrections.decide(&event(100, "/x", None)), Decision::Infer);
    }

    #[test]
    fn a_session_rule_takes_its_subagents_too() {
        let sel = Selector::Session {
            machine_id: None,
            session_id: "s1".into(),
        };
        assert!(sel.matches(&event(0, "/x", Some("s1"))));
        assert!(sel.matches(&event(0, "/x", Some("s1/agent-a1"))));
        assert!(!sel.matches(&event(0, "/x", Some("s10"))));
    }

    fn info(machine: &str, project: &str) -> StreamInfo {
        StreamInfo {
            machine_id: machine.into(),
            project: Some(project.into()),
        }
    }

    #[test]
    fn a_merge_redirects_earlier_rules_and_aliases_and_chains() {
        let range = Selector::Range {
            start: 0,
            end: 10,
            machine_id: None,
            cwd_prefix: None,
        };
        let ops = [
            Op::Assign {
                stream: "b".into(),
                info: info("m2", "proj-b"),
                selector: range.clone(),
            },
            Op::Rename {
                stream: "b".into(),
                name: "bee".into(),
            },
            Op::Merge {
                into: "a".into(),
                info: info("m1", "proj-a"),
                from: vec![("b".into(), info("m2", "proj-b"))],
            },
            Op::Merge {
                into: "c".into(),
                info: info("m1", "proj-c"),
                from: vec![("a".into(), info("m1", "proj-a"))],
            },
        ];
        let c = Corrections::replay(&ops);
        assert_eq!(c.alias("m2", "proj-b"), Some("c"));
        assert_eq!(c.alias("m1", "proj-a"), Some("c"));
        assert_eq!(c.alias("m1", "proj-c"), None);
        assert_eq!(c.decide(&event(5, "/x", None)), Decision::User("c"));
        assert!(c.names.is_empty(), "a merged stream's name goes with it");
        assert!(!c.streams.contains_key("a") && !c.streams.contains_key("b"));
    }

    #[test]
    fn stored_operations_read_back_as_written() {
        let op = Op::New {
            stream: "s".into(),
            machine_id: "m1".into(),
            name: "meetings".into(),
        };
        let text = serde_json::to_string(&op).unwrap();
        assert!(text.starts_with(r#"{"op":"new""#), "{text}");
        assert_eq!(serde_json::from_str::<Op>(&text).unwrap(), op);
        let c = Corrections::replay(&[op]);
        assert_eq!(c.created, ["s"]);
        assert_eq!(c.names["s"], "meetings");
    }

    #[test]
    fn cwd_prefixes_match_whole_components() {
        assert!(is_under("/a/b", "/a/b"));
        assert!(is_under("/a/b/c", "/a/b/"));
        assert!(!is_under("/a/bc", "/a/b"));
    }
}
