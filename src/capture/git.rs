//! The git project of a directory, found by reading git's own files.
//!
//! This runs on every pane switch, so it never spawns `git`: it walks up to the nearest
//! `.git`, follows a `.git` file (linked worktrees, submodules) to the real git
//! directory, and reads `remote "origin"` from the repository's `config`. A handful of
//! `stat`s and one small file read; no cache here, callers that look up many
//! directories keep their own.

use std::fs;
use std::path::{Component, Path, PathBuf};

/// The project name of the git repository or worktree containing `dir`: the repository
/// name from the `origin` remote URL, else the name of the repository's top-level
/// directory (for a linked worktree, the main checkout's). `None` outside a repository
/// or when git's files cannot be read.
pub fn project_for(dir: &Path) -> Option<String> {
    let repo = find_repo(dir)?;
    let origin = fs::read_to_string(repo.common_dir.join("config"))
        .ok()
        .and_then(|config| origin_url(&config))
        .and_then(|url| name_from_url(&url));
    origin.or_else(|| repo.top_level_name())
}

/// Where a repository's files are.
#[derive(Debug, PartialEq)]
struct Repo {
    /// The directory holding `.git` (the worktree's top level).
    work_dir: PathBuf,
    /// The directory holding `config`: the git directory, or for a linked worktree the
    /// main repository's git directory that its `commondir` file names.
    common_dir: PathBuf,
    linked_worktree: bool,
}

impl Repo {
    fn top_level_name(&self) -> Option<String> {
        let dir = if self.linked_worktree {
            // `<main>/.git` for a normal checkout, `<name>.git` for a bare repository.
            match self.common_dir.file_name()?.to_str()? {
                ".git" => self.common_dir.parent()?.to_path_buf(),
                _ => self.common_dir.clone(),
            }
        } else {
            self.work_dir.clone()
        };
        let name = dir.file_name()?.to_string_lossy();
        let name = name.strip_suffix(".git").unwrap_or(&name);
        (!name.is_empty()).then(|| name.to_string())
    }
}

fn find_repo(dir: &Path) -> Option<Repo> {
    for candidate in dir.ancestors() {
        let dot_git = candidate.join(".git");
        let Ok(meta) = fs::metadata(&dot_git) else {
            continue;
        };
        let git_dir = if meta.is_dir() {
            dot_git
        } else {
            // A linked worktree or a submodule: `gitdir: <path>`, relative to `candidate`.
            let text = fs::read_to_string(&dot_git).ok()?;
            let target = text.lines().next()?.strip_prefix("gitdir:")?.trim();
            normalize(&candidate.join(target))
        };
        let (common_dir, linked_worktree) = match fs::read_to_string(git_dir.join("commondir")) {
            Ok(common) => (
                normalize(&git_dir.join(common.trim_end_matches(['\n', '\r']))),
                true,
            ),
            Err(_) => (git_dir, false),
        };
        return Some(Repo {
            work_dir: candidate.to_path_buf(),
            common_dir,
            linked_worktree,
        });
    }
    None
}

/// Resolves `.` and `..` without touching the file system (`commondir` is usually `../..`).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// The last `url` of the `[remote "origin"]` section(s) of a git config file (git reads
/// the last value of a single-valued key). Includes and `insteadOf` rewrites are not
/// followed: the repository name is the last path segment either way.
fn origin_url(config: &str) -> Option<String> {
    let mut in_origin = false;
    let mut url = None;
    let mut lines = config.lines();
    while let Some(line) = lines.next() {
        let mut rest = line.trim_start();
        if let Some(header) = rest.strip_prefix('[') {
            let Some(end) = header_end(header) else { continue };
            in_origin = is_origin_section(&header[..end]);
            // Git allows a key on the same line as the header.
            rest = header[end + 1..].trim_start();
        }
        if !in_origin || rest.is_empty() || rest.starts_with(['#', ';']) {
            continue;
        }
        let key_len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .unwrap_or(rest.len());
        if !rest[..key_len].eq_ignore_ascii_case("url") {
            continue;
        }
        let Some(raw) = rest[key_len..].trim_start().strip_prefix('=') else {
            continue;
        };
        let mut raw = raw.to_string();
        // A value ending in an unescaped backslash continues on the next line.
        while ends_with_continuation(&raw) {
            raw.pop();
            match lines.next() {
                Some(next) => raw.push_str(next),
                None => break,
            }
        }
        url = Some(parse_value(&raw));
    }
    url.filter(|url| !url.is_empty())
}

/// The index of the `]` closing a section header, skipping quoted subsection names.
fn header_end(header: &str) -> Option<usize> {
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in header.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ']' if !quoted => return Some(i),
            _ => {}
        }
    }
    None
}

/// `remote "origin"` (subsection names are case-sensitive) or the legacy `remote.origin`.
fn is_origin_section(header: &str) -> bool {
    let header = header.trim();
    if let Some((section, subsection)) = header.split_once(char::is_whitespace) {
        let subsection = subsection.trim();
        let Some(name) = subsection.strip_prefix('"').and_then(|s| s.strip_suffix('"')) else {
            return false;
        };
        return section.eq_ignore_ascii_case("remote") && unescape_subsection(name) == "origin";
    }
    match header.split_once('.') {
        Some((section, subsection)) => {
            section.eq_ignore_ascii_case("remote") && subsection.eq_ignore_ascii_case("origin")
        }
        None => false,
    }
}

fn unescape_subsection(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut chars = name.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            out.extend(chars.next());
        } else {
            out.push(c);
        }
    }
    out
}

fn ends_with_continuation(raw: &str) -> bool {
    raw.bytes().rev().take_while(|&b| b == b'\\').count() % 2 == 1
}

/// A config value: surrounding blanks dropped, `"..."` quoting and `\` escapes
/// resolved, and a `#` or `;` outside quotes starting a comment.
fn parse_value(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut quoted = false;
    // Blanks are kept only when something other than blanks follows them.
    let mut pending_blanks = String::new();
    let mut chars = raw.trim_start().chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => quoted = !quoted,
            '#' | ';' if !quoted => break,
            '\\' => {
                out.push_str(&std::mem::take(&mut pending_blanks));
                match chars.next() {
                    Some('n') => out.push('\n'),
                    Some('t') => out.push('\t'),
                    Some('b') => {
                        out.pop();
                    }
                    Some(other) => out.push(other),
                    None => {}
                }
            }
            ' ' | '\t' if !quoted => pending_blanks.push(c),
            _ => {
                out.push_str(&std::mem::take(&mut pending_blanks));
                out.push(c);
            }
        }
    }
    out
}

/// The repository name in a remote URL: its last path segment without `.git`.
/// `git@github.com:owner/acme.git`, `https://host/owner/acme/`, `/srv/git/acme.git`
/// and `/srv/acme/.git` all give `acme`.
fn name_from_url(url: &str) -> Option<String> {
    let url = url.trim().trim_end_matches('/');
    let url = url.strip_suffix(".git").unwrap_or(url).trim_end_matches('/');
    let name = url.rsplit(['/', ':']).next()?;
    (!name.is_empty() && name != "." && name != "..").then(|| name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_name_is_the_last_segment_of_the_url() {
        for (url, name) in [
            ("git@github.com:owner/acme.git", "acme"),
            ("git@github.com:acme.git", "acme"),
            ("https://github.com/owner/acme.git", "acme"),
            ("https://github.com/owner/acme/", "acme"),
            ("ssh://git@host:2222/srv/acme.git", "acme"),
            ("/srv/git/acme.git", "acme"),
            ("/srv/acme/.git", "acme"),
            ("file:///srv/acme", "acme"),
            ("../acme", "acme"),
        ] {
            assert_eq!(name_from_url(url).as_deref(), Some(name), "{url}");
        }
        for url in ["", "/", ".git", "host:"] {
            assert_eq!(name_from_url(url), None, "{url:?}");
        }
    }

    #[test]
    fn origin_url_comes_from_the_origin_section_only() {
        let config = "[core]\n\tbare = false\n[remote \"upstream\"]\n\turl = https://h/up/other.git\n\
                      [remote \"origin\"]\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n\
                      \turl = git@h:me/acme.git\n[branch \"main\"]\n\tremote = origin\n\turl = nope\n";
        assert_eq!(origin_url(config).as_deref(), Some("git@h:me/acme.git"));
    }

    #[test]
    fn origin_url_follows_git_config_syntax() {
        // Case-insensitive section and key, quotes, comments, the last value wins.
        let config = "[Remote \"origin\"]\nURL = first\n  url = \"/srv/my repo.git\" # moved\n";
        assert_eq!(origin_url(config).as_deref(), Some("/srv/my repo.git"));
        assert_eq!(
            origin_url("[remote.origin]\nurl=/srv/legacy.git\n").as_deref(),
            Some("/srv/legacy.git")
        );
        assert_eq!(
            origin_url("[remote \"origin\"] url = /srv/inline.git\n").as_deref(),
            Some("/srv/inline.git")
        );
        assert_eq!(
            origin_url("[remote \"origin\"]\nurl = /srv/\\\nsplit.git\n").as_deref(),
            Some("/srv/split.git")
        );
        assert_eq!(
            origin_url("[remote \"origin\"]\nurl = /a\\\\b ; c\n").as_deref(),
            Some("/a\\b")
        );
    }

    #[test]
    fn subsection_names_are_case_sensitive_and_may_contain_brackets() {
        assert_eq!(origin_url("[remote \"Origin\"]\nurl = /x.git\n"), None);
        assert_eq!(origin_url("[remote \"a]b\"]\nurl = /x.git\n"), None);
        assert_eq!(origin_url("[remote \"origin\"]\n"), None);
    }

    #[test]
    fn normalize_resolves_dot_dot_lexically() {
        assert_eq!(
            normalize(Path::new("/r/.git/worktrees/wt/../..")),
            PathBuf::from("/r/.git")
        );
        assert_eq!(normalize(Path::new("/r/./sub/../x")), PathBuf::from("/r/x"));
    }
}
