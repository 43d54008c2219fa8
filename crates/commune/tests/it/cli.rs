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

#[test]
fn serve_answers_then_shuts_down_gracefully_on_sigterm() {
    use std::io::{BufRead, BufReader, Read, Write};
    let dir = TempDir::new();
    let url = format!("sqlite://{}", dir.0.join("serve.db").display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_commune"))
        .args(["serve", "--listen", "127.0.0.1:0", "--database-url", &url, "--log-format", "json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start commune serve");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    stdout.read_line(&mut line).expect("the address line");
    let address = line.trim().trim_start_matches("Commune is running at http://").trim_end_matches('/').to_owned();

    let mut stream = std::net::TcpStream::connect(&address).expect("connect");
    write!(stream, "GET /healthz HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n").expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    assert!(response.starts_with("HTTP/1.1 200") && response.contains("\"ok\""), "{response}");

    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill");
    assert!(killed.success());
    let status = child.wait().expect("wait");
    assert!(status.success(), "exits cleanly on SIGTERM: {status}");
    let mut logs = String::new();
    child.stderr.take().expect("stderr").read_to_string(&mut logs).expect("logs");
    let first = logs.lines().next().unwrap_or_default();
    assert!(serde_json::from_str::<serde_json::Value>(first).is_ok(), "structured JSON logs: {first}");
    assert!(logs.contains("shut down cleanly"), "{logs}");
}
