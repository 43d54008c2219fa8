//! The `commune` command line: help, configuration, migrate, demo and verify.

use crate::support::TempDir;
use std::process::{Command, Output};

fn commune(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_commune"));
    command.args(args).env_remove("COMMUNE_DATABASE_URL").env_remove("COMMUNE_CONFIG");
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().expect("run commune")
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

#[test]
fn help_names_every_subcommand() {
    let out = commune(&["--help"], &[]);
    assert!(out.status.success());
    for sub in ["serve", "migrate", "demo", "verify", "openapi"] {
        assert!(text(&out).contains(sub), "{sub} in --help");
    }
    let serve = text(&commune(&["serve", "--help"], &[]));
    for flag in ["--listen", "--database-url", "--demo", "COMMUNE_LISTEN", "--config"] {
        assert!(serve.contains(flag), "{flag} in serve --help:\n{serve}");
    }
}

#[test]
fn demo_then_verify_on_a_fresh_database_from_a_config_file() {
    let dir = TempDir::new();
    let url = format!("sqlite://{}", dir.0.join("data/commune.db").display());
    let config = dir.0.join("commune.toml");
    std::fs::write(&config, format!("database_url = \"{url}\"\nlisten = \"127.0.0.1:0\"\n")).expect("write config");
    let config = config.to_string_lossy().into_owned();

    let out = commune(&["migrate", "--config", &config], &[]);
    assert!(out.status.success(), "{}", text(&out));
    let out = commune(&["demo", "--config", &config], &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("ada"), "{}", text(&out));
    let out = commune(&["demo"], &[("COMMUNE_CONFIG", &config)]);
    assert!(!out.status.success(), "the demo loads only into an empty database");
    let out = commune(&["verify", "--config", &config], &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("audit chain: OK"), "{}", text(&out));
}

#[test]
fn bad_settings_are_clear_errors() {
    let dir = TempDir::new();
    let config = dir.0.join("bad.toml");
    std::fs::write(&config, "listen = 8080\nwho = 1\n").expect("write");
    let out = commune(&["verify", "--config", &config.to_string_lossy()], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("not valid"), "{}", text(&out));

    let out = commune(&["verify", "--database-url", "mysql://x"], &[]);
    assert!(!out.status.success());
    assert!(text(&out).contains("sqlite://"), "says what is supported: {}", text(&out));

    let out = commune(&["verify", "--database-url", "postgres://user:hunter2@127.0.0.1:1/nope"], &[]);
    assert!(!out.status.success());
    assert!(!text(&out).contains("hunter2"), "passwords are never printed: {}", text(&out));
}
