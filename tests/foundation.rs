//! Identity, configuration layering and the database version check (issue 2).

mod common;

use std::os::unix::fs::PermissionsExt;

use common::{Home, stderr};

#[test]
fn init_twice_keeps_the_same_machine_id() {
    let home = Home::new();
    let first = home.init("devbox");
    let out = home.ok(&["init"]);
    assert!(
        out.contains(&first),
        "second init should print the existing id: {out}"
    );
    assert_eq!(home.init("devbox"), first);
}

#[test]
fn init_label_changes_only_the_label() {
    let home = Home::new();
    let id = home.init("old-name");
    let id_after = home.init("new-name");
    assert_eq!(id, id_after);
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(home.data_dir().join("machine.json")).unwrap()).unwrap();
    assert_eq!(json["label"], "new-name");
}

#[test]
fn init_without_label_uses_the_host_name() {
    let home = Home::new();
    home.ok(&["init"]);
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(home.data_dir().join("machine.json")).unwrap()).unwrap();
    let hostname = gethostname::gethostname().to_string_lossy().into_owned();
    assert_eq!(json["label"], hostname.as_str());
}

#[test]
fn machine_json_has_the_documented_shape_and_private_modes() {
    let home = Home::new();
    home.init("devbox");
    let file = home.data_dir().join("machine.json");
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let object = json.as_object().unwrap();
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(keys, ["label", "machine_id"]);
    let id = uuid::Uuid::parse_str(json["machine_id"].as_str().unwrap()).unwrap();
    assert_eq!(id.get_version_num(), 4);
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(
        std::fs::metadata(home.data_dir()).unwrap().permissions().mode() & 0o777,
        0o700
    );
}

#[test]
fn event_producing_commands_refuse_to_run_without_identity() {
    let home = Home::new();
    for args in [
        &["export"][..],
        &[
            "ingest",
            "pane-focus",
            "--pane",
            "%1",
            "--cwd",
            "/tmp",
            "--session",
            "main",
        ][..],
        &[
            "ingest",
            "scroll",
            "--pane",
            "%1",
            "--cwd",
            "/tmp",
            "--session",
            "main",
        ][..],
    ] {
        let out = home.run(args);
        assert_eq!(out.status.code(), Some(1), "tt {args:?}");
        assert_eq!(
            stderr(&out).trim(),
            "No machine identity found. Run 'tt init' first.",
            "tt {args:?}"
        );
        assert!(out.stdout.is_empty(), "tt {args:?} printed to stdout");
    }
}

#[test]
fn read_only_commands_work_without_identity() {
    let home = Home::new();
    home.ok(&["events"]);
    home.ok(&["config"]);
}

fn effective(home: &Home, args: &[&str], env: &[(&str, &str)]) -> toml::Table {
    let mut cmd = home.tt(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    toml::from_str(&String::from_utf8(out.stdout).unwrap()).expect("tt config prints TOML")
}

#[test]
fn config_layers_defaults_then_file_then_environment_then_flags() {
    let home = Home::new();
    let defaults = effective(&home, &["config"], &[]);
    assert_eq!(defaults["sync"]["parallelism"].as_integer(), Some(8));
    assert_eq!(defaults["allocation"]["attention_window"].as_str(), Some("5m"));

    home.write_config(
        "database_path = \"/from/file.db\"\n[sync]\nparallelism = 3\nconnect_timeout = \"60s\"\n\
         [allocation]\nattention_window = \"2m\"\n",
    );
    let file = effective(&home, &["config"], &[]);
    assert_eq!(file["sync"]["parallelism"].as_integer(), Some(3));
    assert_eq!(file["sync"]["connect_timeout"].as_str(), Some("1m"));
    assert_eq!(file["allocation"]["attention_window"].as_str(), Some("2m"));

    let env = effective(
        &home,
        &["config"],
        &[
            ("TT_SYNC__PARALLELISM", "4"),
            ("TT_ALLOCATION__ATTENTION_WINDOW", "90s"),
            ("TT_DATABASE_PATH", "/from/env.db"),
            ("TT_SSH_COMMAND", "ssh -F /dev/null"),
        ],
    );
    assert_eq!(env["sync"]["parallelism"].as_integer(), Some(4));
    assert_eq!(env["allocation"]["attention_window"].as_str(), Some("1m 30s"));
    assert_eq!(env["sync"]["ssh_command"].as_str(), Some("ssh -F /dev/null"));
    assert_eq!(
        env["sync"]["connect_timeout"].as_str(),
        Some("1m"),
        "file values not overridden stay"
    );
    assert_eq!(env["database_path"].as_str(), Some("/from/env.db"));

    let flag = effective(
        &home,
        &["--database", "/from/flag.db", "config"],
        &[("TT_DATABASE_PATH", "/from/env.db")],
    );
    assert_eq!(flag["database_path"].as_str(), Some("/from/flag.db"));
}

#[test]
fn config_flag_beats_tt_config_variable() {
    let home = Home::new();
    let a = home.root().join("a.toml");
    let b = home.root().join("b.toml");
    std::fs::write(&a, "[sync]\nparallelism = 11\n").unwrap();
    std::fs::write(&b, "[sync]\nparallelism = 22\n").unwrap();
    let via_env = effective(&home, &["config"], &[("TT_CONFIG", a.to_str().unwrap())]);
    assert_eq!(via_env["sync"]["parallelism"].as_integer(), Some(11));
    let via_flag = effective(
        &home,
        &["--config", b.to_str().unwrap(), "config"],
        &[("TT_CONFIG", a.to_str().unwrap())],
    );
    assert_eq!(via_flag["sync"]["parallelism"].as_integer(), Some(22));
}

#[test]
fn a_typo_in_config_toml_names_the_file_and_the_key() {
    let home = Home::new();
    home.write_config("[sync]\nparalelism = 3\n");
    let out = home.run(&["config"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("config.toml"), "{err}");
    assert!(err.contains("sync.paralelism"), "{err}");
    assert!(
        err.contains("parallelism"),
        "should list the expected keys: {err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
}

#[test]
fn a_wrong_type_in_config_toml_says_what_was_expected() {
    let home = Home::new();
    home.write_config("[allocation]\nattention_window = 5\n");
    let err = stderr(&home.run(&["config"]));
    assert!(err.contains("allocation.attention_window"), "{err}");
    assert!(err.contains("expected"), "{err}");
}

#[test]
fn an_unknown_tt_variable_is_named_in_the_error() {
    let home = Home::new();
    let out = home.tt(&["config"]).env("TT_SYNC__JOBS", "3").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("TT_SYNC__JOBS"), "{}", stderr(&out));
}

#[test]
fn a_missing_explicit_config_file_is_an_error() {
    let home = Home::new();
    let out = home.run(&["--config", "/nonexistent/tt.toml", "config"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("/nonexistent/tt.toml"));
}

#[test]
fn a_database_of_schema_7_is_refused_and_left_untouched() {
    let home = Home::new();
    let db = home.root().join("old.db");
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch("CREATE TABLE events (id TEXT); PRAGMA user_version = 7;")
            .unwrap();
    }
    let before = std::fs::read(&db).unwrap();
    let out = home.run(&["--database", db.to_str().unwrap(), "events"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("schema version 7") && err.contains("schema version 8"),
        "{err}"
    );
    assert!(err.contains("move it aside"), "{err}");
    assert_eq!(
        std::fs::read(&db).unwrap(),
        before,
        "the old database must not change"
    );
    assert!(!home.root().join("old.db-wal").exists());
}

#[test]
fn a_non_empty_database_without_version_is_refused() {
    let home = Home::new();
    let db = home.root().join("foreign.db");
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch("CREATE TABLE t (x);")
        .unwrap();
    let err = stderr(&home.run(&["--database", db.to_str().unwrap(), "events"]));
    assert!(err.contains("no schema version"), "{err}");
}

#[test]
fn a_new_database_gets_schema_8_wal_and_mode_0600() {
    let home = Home::new();
    home.ok_with_input(&["import"], b"");
    let db = home.database();
    assert_eq!(
        std::fs::metadata(&db).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let conn = rusqlite::Connection::open(&db).unwrap();
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, 8);
    let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
    assert_eq!(mode, "wal");
    for table in ["events", "machines", "agent_sessions", "streams", "stream_tags"] {
        let n: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?1",
                [table],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 1, "table {table}");
    }
}

#[test]
fn completions_are_generated_for_bash_zsh_and_fish() {
    let home = Home::new();
    for shell in ["bash", "zsh", "fish"] {
        let script = home.ok(&["completions", shell]);
        assert!(script.contains("init") && script.contains("export"), "{shell}");
    }
}

#[test]
fn every_command_in_help_has_its_own_help() {
    let home = Home::new();
    let help = home.ok(&["--help"]);
    let commands: Vec<&str> = help
        .lines()
        .skip_while(|line| !line.starts_with("Commands:"))
        .skip(1)
        .take_while(|line| line.starts_with("  "))
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .collect();
    for expected in ["init", "sync", "streams", "recompute", "tag"] {
        assert!(commands.contains(&expected), "{expected} missing from:\n{help}");
    }
    for command in commands {
        home.ok(&[command, "--help"]);
    }
}
