//! The main job on a built-in example: three remote dev servers and a laptop that is
//! also the hub, a week of work (several projects, one project on two machines,
//! parallel Claude Code sessions with subagents from real logs, lunch breaks, the
//! terminal losing focus), synced with `tt sync`, tagged, and reported.
//!
//! The remotes are local directories reached through a stand-in for ssh (the same seam
//! as `TT_SSH_COMMAND`); the end-to-end tests use a real sshd instead. The clock is
//! pinned to the Friday evening of the demo week, so `tt report --week` shows it.
//!
//! Run: `cargo run --release --example fleet_demo` (set TT_DEMO_KEEP=1 to keep the
//! directory and look around). tests/fleet_demo.rs runs the same story.

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::PathBuf;
use std::process::Command;

use common::demo::{Demo, Mode};

fn main() {
    let tt = tt_binary();
    let dir = tempfile::tempdir().expect("temp dir");
    let root = if std::env::var_os("TT_DEMO_KEEP").is_some() {
        dir.keep()
    } else {
        dir.path().to_path_buf()
    };
    println!("fleet demo in {}", root.display());
    let demo = Demo::create(&root, &tt);
    demo.run(Mode::Show);
    println!("{}", demo.epilogue());
}

/// The tt binary of the same profile, built if needed (`cargo run --example` builds
/// only the library and the example).
fn tt_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().unwrap().parent().unwrap();
    let tt = profile_dir.join("tt");
    let release = profile_dir.file_name().is_some_and(|n| n == "release");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut build = Command::new(cargo);
    build
        .args(["build", "--quiet", "--bin", "tt"])
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    if release {
        build.arg("--release");
    }
    assert!(build.status().unwrap().success(), "building tt failed");
    assert!(tt.exists(), "{} missing", tt.display());
    tt
}
