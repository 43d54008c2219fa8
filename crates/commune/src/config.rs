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

/// The instance key that seals secrets at rest (`commune_app::sealed`): read from `path`, or
/// created there (32 random bytes as hex, mode 0600) on first start. A key file that others may
/// read is refused, as ssh refuses a readable private key. Without a path (an in-memory
/// database, which ends with the process) a fresh random key is used.
pub fn instance_key(path: Option<&Path>) -> anyhow::Result<commune_app::sealed::InstanceKey> {
    use std::io::Write;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let Some(path) = path else { return Ok(commune_app::sealed::InstanceKey::random()) };
    if !path.exists() {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let fresh = hex::encode(commune_app::secrets::random_bytes());
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .with_context(|| format!("cannot create the key file {}", path.display()))?;
        file.write_all(fresh.as_bytes())?;
        file.sync_all()?;
        tracing::info!(path = %path.display(), "created the instance key file");
    }
    let mode = std::fs::metadata(path)?.permissions().mode();
    if mode & 0o077 != 0 {
        anyhow::bail!(
            "the key file {} may be read by others (mode {:o}); run: chmod 600 {}",
            path.display(),
            mode & 0o777,
            path.display()
        );
    }
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read the key file {}", path.display()))?;
    let bytes: [u8; 32] = hex::decode(text.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .with_context(|| format!("the key file {} must hold 64 hex digits", path.display()))?;
    Ok(commune_app::sealed::InstanceKey::from_bytes(bytes))
}

/// Where the instance key lives by default: beside a SQLite database file, else
/// `./commune-data/commune.key`; `None` for an in-memory database.
pub fn default_key_path(database_url: &str) -> Option<std::path::PathBuf> {
    if database_url.contains(":memory:") || database_url.contains("mode=memory") {
        return None;
    }
    let file = database_url.strip_prefix("sqlite://").or_else(|| database_url.strip_prefix("sqlite:"));
    match file {
        Some(file) => {
            let file = file.split('?').next().unwrap_or(file);
            let dir = Path::new(file).parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
            Some(dir.join("commune.key"))
        }
        None => Some(Path::new("commune-data").join("commune.key")),
    }
}
