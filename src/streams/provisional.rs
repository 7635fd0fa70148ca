//! The stream an event most likely belongs to, decided as it is imported, so that each
//! event row is written once with its stream instead of being rewritten by the next
//! recompute (on a large first sync that rewrite cost more than the recompute itself).
//!
//! It is only a first guess: the recompute that follows every import decides again
//! with everything known (the directories learned from all events, a subagent's parent,
//! the user's rules) and rewrites just the rows where the guess was wrong.

use std::collections::HashMap;

use anyhow::Result;
use rusqlite::Connection;

use super::infer::{self, ProjectMap};
use crate::event::Event;

/// The project maps and merge aliases as stored, learning from the events it sees.
#[derive(Default)]
pub struct Provisional {
    maps: HashMap<String, ProjectMap>,
    aliases: HashMap<(String, String), String>,
    /// machine \0 cwd \0 git_project -> stream id.
    cache: HashMap<String, Option<String>>,
    key: String,
}

impl Provisional {
    /// What the database knows: `cwd_projects` and the aliases of merged streams.
    pub fn load(conn: &Connection) -> Result<Provisional> {
        Ok(Provisional {
            maps: super::recompute::load_maps(conn)?,
            aliases: super::load_corrections(conn)?.aliases,
            ..Provisional::default()
        })
    }

    /// The stream `event` goes to as far as is known now.
    pub fn stream_for(&mut self, event: &Event) -> Option<String> {
        let machine = event.machine_id()?;
        let cwd = event.cwd.as_deref().filter(|c| !c.is_empty());
        let git = event.git_project.as_deref().filter(|g| !g.is_empty());
        if let (Some(cwd), Some(git)) = (cwd, git) {
            let at = event.timestamp.as_millis();
            if self
                .maps
                .entry(machine.to_string())
                .or_default()
                .learn(cwd, git, at)
            {
                // A directory's answer changed: earlier guesses may not hold.
                self.cache.clear();
            }
        }
        self.key.clear();
        for part in [machine, cwd.unwrap_or(""), git.unwrap_or("")] {
            self.key.push_str(part);
            self.key.push('\0');
        }
        if let Some(stream) = self.cache.get(self.key.as_str()) {
            return stream.clone();
        }
        let empty = ProjectMap::default();
        let map = self.maps.get(machine).unwrap_or(&empty);
        let stream = infer::project_of(git, cwd, map).map(|project| {
            match self.aliases.get(&(machine.to_string(), project.to_string())) {
                Some(alias) => alias.clone(),
                None => infer::stream_id(machine, project),
            }
        });
        self.cache.insert(self.key.clone(), stream.clone());
        stream
    }
}
