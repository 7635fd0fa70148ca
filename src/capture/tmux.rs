//! The tmux hook configuration printed by `tt hook tmux`.

use std::path::Path;

use anyhow::{Result, bail};

/// The hooks as shipped in the repository: they call `tt` from tmux's PATH.
pub const HOOKS: &str = include_str!("tmux.conf");

/// How every hook calls tt in [`HOOKS`].
const CALL: &str = "; tt ingest ";

/// [`HOOKS`] calling the tt at `tt_path` instead of `tt` from the PATH.
///
/// The path lands inside a tmux single-quoted string (which has no escapes, so it cannot
/// hold `'`) that `run-shell` expands as a format and then hands to /bin/sh: it is
/// written in shell double quotes with `#` doubled (no format expansion).
pub fn hooks_for(tt_path: &Path) -> Result<String> {
    let Some(path) = tt_path.to_str() else {
        bail!(
            "the path of tt ({}) is not UTF-8: install tt under a UTF-8 path",
            tt_path.display()
        );
    };
    if path.chars().any(|c| c.is_control() || c == '\'') {
        bail!(
            "the path of tt ({path:?}) contains a quote or control character: install tt under a plain path"
        );
    }
    let mut quoted = String::with_capacity(path.len() + 2);
    quoted.push('"');
    for c in path.chars() {
        match c {
            '"' | '\\' | '$' | '`' => {
                quoted.push('\\');
                quoted.push(c);
            }
            '#' => quoted.push_str("##"),
            _ => quoted.push(c),
        }
    }
    quoted.push('"');
    Ok(HOOKS.replace(CALL, &format!("; {quoted} ingest ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_hook_calls_the_given_binary() {
        let calls = HOOKS.matches(CALL).count();
        assert_eq!(calls, 9, "one call per hook");
        let hooks = hooks_for(Path::new("/opt/tt 1/bin/tt")).unwrap();
        assert_eq!(hooks.matches("; \"/opt/tt 1/bin/tt\" ingest ").count(), calls);
        assert!(!hooks.contains(CALL));
    }

    #[test]
    fn shell_and_format_characters_in_the_path_are_escaped() {
        let hooks = hooks_for(Path::new("/o k/$x/#{y}/\"z\"/`tt`")).unwrap();
        assert!(
            hooks.contains(r#"; "/o k/\$x/##{y}/\"z\"/\`tt\`" ingest "#),
            "{hooks}"
        );
    }

    #[test]
    fn a_path_that_cannot_sit_in_tmux_single_quotes_is_refused() {
        assert!(hooks_for(Path::new("/it's/tt")).is_err());
        assert!(hooks_for(Path::new("/a\nb/tt")).is_err());
    }
}
