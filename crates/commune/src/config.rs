//! Settings: flags and `COMMUNE_*` environment variables (through clap) win over the TOML file,
//! which wins over defaults. The database URL is never logged with its password.

use anyhow::Context;
use std::path::Path;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://./commune-data/commune.db";

/// The TOML file's shape; every key is optional.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    listen: Option<String>,
    database_url: Option<String>,
    secure_cookies: Option<bool>,
    log_format: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: Option<String>,
    pub database_url: String,
    pub secure_cookies: bool,
    pub log_format: String,
}

impl Settings {
    pub fn resolve(
        file: Option<&Path>,
        database_url: Option<String>,
        log_format: Option<String>,
    ) -> anyhow::Result<Settings> {
        let file: File = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read the config file {}", path.display()))?;
                toml::from_str(&text).with_context(|| format!("the config file {} is not valid", path.display()))?
            }
            None => File::default(),
        };
        let log_format = log_format.or(file.log_format).unwrap_or_else(|| "text".to_owned());
        if log_format != "text" && log_format != "json" {
            anyhow::bail!("log format must be text or json, not '{log_format}'");
        }
        Ok(Settings {
            listen: file.listen,
            database_url: database_url.or(file.database_url).unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned()),
            secure_cookies: file.secure_cookies.unwrap_or(false),
            log_format,
        })
    }
}

/// Structured logs to stderr; `COMMUNE_LOG` (or `RUST_LOG`) sets the filter, default `info`.
pub fn init_logging(format: &str) {
    let filter = std::env::var("COMMUNE_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| "info,sqlx=warn,tower_http=info".to_owned());
    let filter =
        tracing_subscriber::EnvFilter::try_new(filter).unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi);
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}
