//! Stream inference (SPEC §10), the pure part: which project an event belongs to, the
//! stream id of a (machine, project), and readable unique names.
//!
//! An event's project is its `git_project`; else the project known on its machine for
//! its `cwd` or the nearest ancestor directory (learned from events that had a
//! `git_project`); else the `cwd` itself. Knowledge of a directory is the project of
//! the earliest event seen there (ties: the smaller name), so it depends only on the
//! set of events, never on the order they arrived in.

use std::collections::HashMap;

use super::allocate::Millis;

/// What one machine's events taught about directories: cwd -> (first seen, project).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ProjectMap {
    by_cwd: HashMap<String, (Millis, String)>,
}

impl ProjectMap {
    /// Records that `project` was seen in `cwd` at `at`. Returns true when this changed
    /// what the map answers for `cwd`.
    pub fn learn(&mut self, cwd: &str, project: &str, at: Millis) -> bool {
        if cwd.is_empty() || project.is_empty() {
            return false;
        }
        match self.by_cwd.get_mut(cwd) {
            Some(known) => {
                let candidate = (at, project);
                if candidate < (known.0, known.1.as_str()) {
                    let changed = known.1 != project;
                    *known = (at, project.to_string());
                    changed
                } else {
                    false
                }
            }
            None => {
                self.by_cwd.insert(cwd.to_string(), (at, project.to_string()));
                true
            }
        }
    }

    /// The project known for `cwd` or its nearest ancestor.
    pub fn lookup(&self, cwd: &str) -> Option<&str> {
        let mut dir = cwd;
        loop {
            if let Some((_, project)) = self.by_cwd.get(dir) {
                return Some(project);
            }
            match dir.rfind('/') {
                Some(0) if dir.len() > 1 => dir = "/",
                Some(cut) if cut > 0 => dir = &dir[..cut],
                _ => return None,
            }
        }
    }

    pub fn entries(&self) -> impl Iterator<Item = (&str, Millis, &str)> {
        self.by_cwd
            .iter()
            .map(|(cwd, (at, project))| (cwd.as_str(), *at, project.as_str()))
    }
}

/// The project of an event: its git project, else the map's answer for its cwd, else
/// the cwd. `None` when the event has neither (it belongs to no stream).
pub fn project_of<'a>(
    git_project: Option<&'a str>,
    cwd: Option<&'a str>,
    map: &'a ProjectMap,
) -> Option<&'a str> {
    if let Some(project) = git_project.filter(|p| !p.is_empty()) {
        return Some(project);
    }
    let cwd = cwd.filter(|c| !c.is_empty())?;
    Some(map.lookup(cwd).unwrap_or(cwd))
}

/// The namespace of stream ids (a fixed random UUID: ids are UUID v5 in it).
const STREAM_NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x6c1f_5a0e_93d2_4b7a_8f61_2e0c_7d45_b3a9);

/// The id of the stream of `project` on `machine_id`: the same on every hub, after
/// every recompute and every rebuild.
pub fn stream_id(machine_id: &str, project: &str) -> String {
    let key = format!("{machine_id}\n{project}");
    uuid::Uuid::new_v5(&STREAM_NAMESPACE, key.as_bytes()).to_string()
}

/// The readable part of a project: a git project as it is, a directory by its last
/// component.
pub fn base_name(project: &str) -> &str {
    if project.contains('/') {
        let trimmed = project.trim_end_matches('/');
        match trimmed.rsplit('/').next() {
            Some(last) if !last.is_empty() => last,
            _ => "/",
        }
    } else {
        project
    }
}

/// A stream to name: its id, machine label and the name it would like.
#[derive(Debug, Clone)]
pub struct NameRequest<'a> {
    pub id: &'a str,
    pub label: &'a str,
    pub wanted: &'a str,
    /// A name the user chose (`tt streams rename`): kept as it is.
    pub fixed: bool,
}

/// Unique names: the wanted name when no other stream wants it; `name@label` when
/// streams of several machines do; with a short id suffix when even that collides.
/// The result is in the order of `requests` and depends only on their content.
pub fn unique_names(requests: &[NameRequest]) -> Vec<String> {
    let mut count: HashMap<&str, usize> = HashMap::new();
    for r in requests {
        *count.entry(r.wanted).or_default() += 1;
    }
    let fixed: std::collections::HashSet<&str> =
        requests.iter().filter(|r| r.fixed).map(|r| r.wanted).collect();
    let first: Vec<String> = requests
        .iter()
        .map(|r| {
            if r.fixed || (count[r.wanted] == 1 && !fixed.contains(r.wanted)) {
                r.wanted.to_string()
            } else {
                format!("{}@{}", r.wanted, r.label)
            }
        })
        .collect();
    let mut again: HashMap<&str, usize> = HashMap::new();
    for name in &first {
        *again.entry(name.as_str()).or_default() += 1;
    }
    requests
        .iter()
        .zip(&first)
        .map(|(r, name)| {
            if r.fixed || again[name.as_str()] == 1 {
                name.clone()
            } else {
                format!("{name}~{}", &r.id[..r.id.len().min(6)])
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subdirectory_takes_the_project_of_its_nearest_known_ancestor() {
        let mut map = ProjectMap::default();
        map.learn("/home/me/acme", "acme", 10);
        map.learn("/home/me/acme/vendor/lib", "lib", 20);
        assert_eq!(project_of(None, Some("/home/me/acme/src/x"), &map), Some("acme"));
        assert_eq!(
            project_of(None, Some("/home/me/acme/vendor/lib/a"), &map),
            Some("lib")
        );
        assert_eq!(
            project_of(None, Some("/home/me/other"), &map),
            Some("/home/me/other")
        );
        assert_eq!(project_of(Some("own"), Some("/home/me/acme"), &map), Some("own"));
        assert_eq!(project_of(None, Some(""), &map), None);
        assert_eq!(project_of(None, None, &map), None);
    }

    #[test]
    fn the_earliest_observation_of_a_directory_wins_whatever_the_arrival_order() {
        let mut a = ProjectMap::default();
        a.learn("/w", "late", 20);
        assert!(a.learn("/w", "early", 10));
        let mut b = ProjectMap::default();
        b.learn("/w", "early", 10);
        assert!(!b.learn("/w", "late", 20));
        assert_eq!(a, b);
    }

    #[test]
    fn root_directory_knowledge_applies_to_everything_below() {
        let mut map = ProjectMap::default();
        map.learn("/", "root", 1);
        assert_eq!(map.lookup("/etc/x"), Some("root"));
    }

    #[test]
    fn stream_ids_depend_on_machine_and_project_only() {
        let a = stream_id("m1", "acme");
        assert_eq!(a, stream_id("m1", "acme"));
        assert_ne!(a, stream_id("m2", "acme"));
        assert_ne!(a, stream_id("m1", "acme2"));
    }

    #[test]
    fn names_get_the_machine_label_only_when_two_machines_share_them() {
        let req = |id, label, wanted| NameRequest {
            id,
            label,
            wanted,
            fixed: false,
        };
        let names = unique_names(&[
            req("aaaaaaaa", "devbox", "acme"),
            req("bbbbbbbb", "gpu", "acme"),
            req("cccccccc", "devbox", "tools"),
            req("dddddddd", "devbox", "x"),
            req("eeeeeeee", "devbox", "x"),
        ]);
        assert_eq!(
            names,
            [
                "acme@devbox",
                "acme@gpu",
                "tools",
                "x@devbox~dddddd",
                "x@devbox~eeeeee"
            ]
        );
    }

    #[test]
    fn base_names_of_directories_are_their_last_component() {
        assert_eq!(base_name("/home/me/scratch"), "scratch");
        assert_eq!(base_name("/home/me/scratch/"), "scratch");
        assert_eq!(base_name("/"), "/");
        assert_eq!(base_name("acme"), "acme");
    }
}
