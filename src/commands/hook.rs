//! `tt hook tmux`: print the tmux hooks, calling this very binary.

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::capture::tmux;
use crate::cli::{HookArgs, HookCommand};

pub fn run(args: &HookArgs) -> Result<()> {
    match args.command {
        HookCommand::Tmux => {
            let exe = std::env::current_exe()
                .context("cannot find the path of the running tt to put in the hooks")?;
            let hooks = tmux::hooks_for(&exe)?;
            if let Some(warning) = nix_store_warning(&exe, std::env::var_os("NIX_STORE_DIR")) {
                eprintln!("{warning}");
            }
            std::io::stdout().write_all(hooks.as_bytes())?;
            Ok(())
        }
    }
}

/// A warning when `exe` lies in the Nix store (`NIX_STORE_DIR`, as Nix reads it, or
/// /nix/store): the hooks would name one build of tt, which the next upgrade
/// replaces and garbage collection then deletes, and every hook would fail.
fn nix_store_warning(exe: &Path, store_dir: Option<OsString>) -> Option<String> {
    let store = store_dir
        .filter(|dir| !dir.is_empty())
        .map_or_else(|| PathBuf::from("/nix/store"), PathBuf::from);
    exe.starts_with(&store).then(|| {
        format!(
            "warning: the hooks call {}, a path in the Nix store that stops working once this tt \
             is upgraded and garbage-collected: write your profile's bin/tt there instead \
             (e.g. ~/.nix-profile/bin/tt), or let the home-manager module install the hooks \
             (programs.tt.enableTmuxIntegration)",
            exe.display()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tt_in_the_nix_store_is_warned_about() {
        let warning = nix_store_warning(Path::new("/nix/store/abc-tt-0.1.0/bin/tt"), None)
            .expect("a store path must be warned about");
        assert!(warning.contains("/nix/store/abc-tt-0.1.0/bin/tt"), "{warning}");
        assert!(warning.contains("profile's bin/tt"), "{warning}");
    }

    #[test]
    fn a_tt_outside_the_store_is_not_warned_about() {
        for exe in [
            "/home/me/.nix-profile/bin/tt",
            "/usr/local/bin/tt",
            // Only whole path components count.
            "/nix/store-backup/tt",
        ] {
            assert_eq!(nix_store_warning(Path::new(exe), None), None, "{exe}");
        }
    }

    #[test]
    fn nix_store_dir_moves_the_store() {
        let store = Some(OsString::from("/opt/nix/store"));
        assert!(nix_store_warning(Path::new("/opt/nix/store/abc-tt/bin/tt"), store.clone()).is_some());
        assert_eq!(
            nix_store_warning(Path::new("/nix/store/abc-tt/bin/tt"), store),
            None
        );
        // An empty variable is no store at all: the default holds.
        assert!(nix_store_warning(Path::new("/nix/store/abc-tt/bin/tt"), Some(OsString::new())).is_some());
    }
}
