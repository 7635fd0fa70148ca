//! `tt hook tmux` run from the Nix store warns that its hooks would name a path that
//! garbage collection deletes.

mod common;

use std::fs;

use common::{Home, tt_bin};

#[test]
fn hook_tmux_warns_on_stderr_when_it_would_write_a_nix_store_path() {
    let home = Home::new();
    // A store of our own (NIX_STORE_DIR, as Nix reads it) holding a copy of tt.
    let store = home.root().join("store");
    let bin = store.join("0123abcd-tt-0.1.0/bin");
    fs::create_dir_all(&bin).unwrap();
    let stored_tt = bin.join("tt");
    fs::copy(tt_bin(), &stored_tt).unwrap();

    let out = home
        .command(&stored_tt)
        .args(["hook", "tmux"])
        .env("NIX_STORE_DIR", &store)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "tt hook tmux: {stderr}");
    let quoted = format!("\"{}\" ingest", stored_tt.display());
    assert!(stdout.contains(&quoted), "the hooks still call this tt: {stdout}");
    assert_eq!(stderr.lines().count(), 1, "one warning line: {stderr}");
    assert!(stderr.starts_with("warning: "), "{stderr}");
    assert!(stderr.contains(&stored_tt.display().to_string()), "{stderr}");
    assert!(
        !stdout.contains("warning"),
        "the warning stays out of the hooks: {stdout}"
    );

    // The same tt outside that store prints no warning.
    let out = home
        .command(tt_bin())
        .args(["hook", "tmux"])
        .env("NIX_STORE_DIR", &store)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}
