//! Building the ssh command line (SPEC §9 step 1 and 6), without a local shell.
//!
//! The command is an argument vector: `<ssh_command words> -o BatchMode=yes -o
//! ConnectTimeout=N <destination> <remote command>`. ssh hands the last argument to
//! the remote user's shell, so that one string is built from individually quoted
//! words. Everything that came from a remote (the cursor) is checked for shape and
//! travels as one quoted word: a crafted event id must never become shell syntax on
//! the remote.

use std::time::Duration;

use thiserror::Error;

use crate::event::machine_prefix;

/// Longest cursor accepted; real event ids are around 100 bytes.
const MAX_CURSOR_LEN: usize = 1024;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SshError {
    #[error("destination {0:?} starts with '-' and would be read by ssh as an option; refusing it")]
    OptionLikeDestination(String),
    #[error("destination is empty")]
    EmptyDestination,
    #[error("destination {0:?} contains whitespace or control characters; use an ~/.ssh/config alias")]
    BadDestination(String),
    #[error("sync.ssh_command {0:?} is not a valid command line (unbalanced quotes?)")]
    BadSshCommand(String),
    #[error("sync.remote_command {0:?} is not a valid command line (unbalanced quotes?)")]
    BadRemoteCommand(String),
}

/// Refuses destinations ssh could misread. Called for every destination before any
/// ssh process starts.
pub fn check_destination(destination: &str) -> Result<(), SshError> {
    if destination.is_empty() {
        return Err(SshError::EmptyDestination);
    }
    if destination.starts_with('-') {
        return Err(SshError::OptionLikeDestination(destination.to_string()));
    }
    if destination.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(SshError::BadDestination(destination.to_string()));
    }
    Ok(())
}

/// Whether a stored cursor has the shape of an event id and nothing else: a machine
/// id prefix, no whitespace or control characters, a sane length. A cursor that
/// fails is not used (the sync falls back to a full export, which is idempotent).
pub fn is_valid_cursor(cursor: &str) -> bool {
    cursor.len() <= MAX_CURSOR_LEN
        && machine_prefix(cursor).is_some()
        && !cursor.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Quotes one word for a POSIX shell. A leading `~/` stays unquoted so that
/// `remote_command = "~/.nix-profile/bin/tt"` still expands on the remote.
fn quote_word(word: &str) -> Result<String, shlex::QuoteError> {
    if word == "~" {
        return Ok(word.to_string());
    }
    if let Some(rest) = word.strip_prefix("~/") {
        if rest.is_empty() {
            return Ok(word.to_string());
        }
        return Ok(format!("~/{}", shlex::try_quote(rest)?));
    }
    Ok(shlex::try_quote(word)?.into_owned())
}

/// The single string ssh runs on the remote: `<remote_command> export [--after <cursor>]`,
/// every word quoted. The caller checks the cursor with [`is_valid_cursor`] first;
/// it is quoted here regardless.
pub fn remote_command_line(remote_command: &str, cursor: Option<&str>) -> Result<String, SshError> {
    let bad = || SshError::BadRemoteCommand(remote_command.to_string());
    let mut words = shlex::split(remote_command)
        .filter(|w| !w.is_empty())
        .ok_or_else(bad)?;
    if words.is_empty() {
        return Err(bad());
    }
    words.push("export".into());
    if let Some(cursor) = cursor {
        words.push("--after".into());
        words.push(cursor.to_string());
    }
    let quoted = words
        .iter()
        .map(|w| quote_word(w))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| bad())?;
    Ok(quoted.join(" "))
}

/// `ConnectTimeout` takes whole seconds; round up so "500ms" does not become 0
/// (which ssh reads as "no timeout").
fn connect_timeout_secs(timeout: Duration) -> u64 {
    timeout.as_millis().div_ceil(1000).max(1) as u64
}

/// The full argument vector for one remote. `ssh_command` is split like a shell
/// would split words (no expansion happens: there is no shell).
pub fn ssh_argv(
    ssh_command: &str,
    connect_timeout: Duration,
    destination: &str,
    remote_line: &str,
) -> Result<Vec<String>, SshError> {
    check_destination(destination)?;
    let mut argv = shlex::split(ssh_command)
        .filter(|words| !words.is_empty())
        .ok_or_else(|| SshError::BadSshCommand(ssh_command.to_string()))?;
    argv.extend([
        "-o".to_string(),
        "BatchMode=yes".to_string(),
        "-o".to_string(),
        format!("ConnectTimeout={}", connect_timeout_secs(connect_timeout)),
        destination.to_string(),
        remote_line.to_string(),
    ]);
    Ok(argv)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CURSOR: &str =
        "a1b2c3d4-e5f6-4890-abcd-ef1234567890:remote.tmux:tmux_pane_focus:2025-01-29T14:32:01.000Z:%3";

    #[test]
    fn destinations_that_look_like_options_are_refused() {
        assert_eq!(
            check_destination("-oProxyCommand=touch /tmp/x"),
            Err(SshError::OptionLikeDestination(
                "-oProxyCommand=touch /tmp/x".into()
            ))
        );
        assert!(check_destination("-p").is_err());
        assert!(check_destination("").is_err());
        assert!(check_destination("dev box").is_err());
        assert!(check_destination("devbox\n").is_err());
        assert!(check_destination("me@10.0.0.5").is_ok());
        assert!(check_destination("devbox-2").is_ok());
    }

    #[test]
    fn ssh_argv_refuses_an_option_like_destination_too() {
        assert!(ssh_argv("ssh", Duration::from_secs(10), "-oProxyCommand=x", "tt export").is_err());
    }

    #[test]
    fn argv_is_the_split_ssh_command_then_batch_options_then_destination_then_one_remote_string() {
        let argv = ssh_argv(
            "ssh -F '/tmp/my config'",
            Duration::from_secs(10),
            "devbox",
            "tt export",
        )
        .unwrap();
        assert_eq!(
            argv,
            [
                "ssh",
                "-F",
                "/tmp/my config",
                "-o",
                "BatchMode=yes",
                "-o",
                "ConnectTimeout=10",
                "devbox",
                "tt export"
            ]
        );
    }

    #[test]
    fn connect_timeout_rounds_up_to_whole_seconds_and_never_zero() {
        assert_eq!(connect_timeout_secs(Duration::from_millis(500)), 1);
        assert_eq!(connect_timeout_secs(Duration::from_millis(1500)), 2);
        assert_eq!(connect_timeout_secs(Duration::ZERO), 1);
    }

    #[test]
    fn unbalanced_ssh_command_is_an_error() {
        assert!(matches!(
            ssh_argv("ssh -F 'oops", Duration::from_secs(1), "devbox", "tt export"),
            Err(SshError::BadSshCommand(_))
        ));
        assert!(ssh_argv("", Duration::from_secs(1), "devbox", "tt export").is_err());
    }

    #[test]
    fn remote_line_without_cursor_is_a_full_export() {
        assert_eq!(remote_command_line("tt", None).unwrap(), "tt export");
    }

    #[test]
    fn cursor_travels_as_one_quoted_word() {
        let line = remote_command_line("tt", Some(CURSOR)).unwrap();
        assert_eq!(line, format!("tt export --after '{CURSOR}'"));
        assert_eq!(shlex::split(&line).unwrap(), ["tt", "export", "--after", CURSOR]);
    }

    #[test]
    fn a_crafted_cursor_cannot_become_shell_syntax() {
        let evil = "a1b2c3d4-e5f6-4890-abcd-ef1234567890:x';touch /tmp/pwned;'$(reboot)`id`";
        let line = remote_command_line("tt", Some(evil)).unwrap();
        // Whatever the quoting, a POSIX shell reads it back as the same single word.
        assert_eq!(shlex::split(&line).unwrap(), ["tt", "export", "--after", evil]);
    }

    #[test]
    fn cursor_shape_is_checked() {
        assert!(is_valid_cursor(CURSOR));
        assert!(!is_valid_cursor("not-an-event-id"));
        assert!(!is_valid_cursor("a1b2c3d4-e5f6-4890-abcd-ef1234567890:x y"));
        assert!(!is_valid_cursor("a1b2c3d4-e5f6-4890-abcd-ef1234567890:x\ny"));
        assert!(!is_valid_cursor(&format!(
            "{CURSOR}{}",
            "x".repeat(MAX_CURSOR_LEN)
        )));
    }

    #[test]
    fn remote_command_words_are_quoted_and_a_leading_tilde_still_expands() {
        assert_eq!(
            remote_command_line("~/.nix-profile/bin/tt", None).unwrap(),
            "~/.nix-profile/bin/tt export"
        );
        assert_eq!(
            remote_command_line("'/opt/my tools/tt' --config /etc/tt.toml", None).unwrap(),
            "'/opt/my tools/tt' --config /etc/tt.toml export"
        );
        assert_eq!(
            remote_command_line("'~/a b/tt'", None).unwrap(),
            "~/'a b/tt' export"
        );
        assert!(remote_command_line("tt 'oops", None).is_err());
        assert!(remote_command_line("  ", None).is_err());
    }
}
