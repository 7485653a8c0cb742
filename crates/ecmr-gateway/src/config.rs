//! Configuration: defaults, a TOML file (`--config`), then `ECMR_*` environment variables, in that order.
//! Unknown keys in the file are an error, as are environment values that do not parse.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::store::Durability;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One JSON object per line (the default; for log collectors).
    Json,
    /// Human-readable lines.
    Text,
}

/// Everything the gateway can be told.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address to listen on. Env `ECMR_LISTEN`.
    pub listen: SocketAddr,
    /// Directory for the SQLite database and the first admin token. Env `ECMR_DATA_DIR`.
    pub data_dir: PathBuf,
    /// `postgres://…` to use PostgreSQL, `sqlite:path` for another SQLite file; unset means
    /// `sqlite:<data_dir>/ecmr.sqlite3`. Env `ECMR_DATABASE_URL`.
    pub database_url: Option<String>,
    /// Largest request body accepted, in bytes. Env `ECMR_BODY_LIMIT_BYTES`.
    pub body_limit_bytes: usize,
    /// Longest a request may take, in seconds. Env `ECMR_REQUEST_TIMEOUT_SECS`.
    pub request_timeout_secs: u64,
    /// Log line format. Env `ECMR_LOG_FORMAT` (`json` or `text`).
    pub log_format: LogFormat,
    /// Log filter, e.g. `info` or `ecmr_gateway=debug`. Env `ECMR_LOG`.
    pub log_level: String,
    /// This gate's eFTI id, the first part of every UIL. Env `ECMR_GATE_ID`.
    pub gate_id: String,
    /// The platform id this gateway stores documents as, the second part of every UIL. Env `ECMR_PLATFORM_ID`.
    pub platform_id: String,
    /// How long an authenticated token is remembered, in milliseconds (0: look every token up in the store).
    /// Revocations and subset changes made through this gateway's admin API apply at once; those made with the
    /// offline `principal`/`token` commands while it runs apply within this time. Env `ECMR_AUTH_CACHE_MILLIS`.
    pub auth_cache_millis: u64,
    /// How durable an authority's request (UIL read, identifier search, gate read) and its audit entries are before
    /// the answer is sent: `normal` (the default: in the database's log, so they survive a crash or kill of the
    /// gateway, and flushed to disk with the next document write or checkpoint — SQLite checkpoints every second —
    /// or by PostgreSQL's WAL writer) or `full` (an fsync before every answer, as for documents, which are always
    /// `full`). Env `ECMR_CONTROL_DURABILITY`.
    pub control_durability: Durability,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("ecmr-data"),
            database_url: None,
            body_limit_bytes: 8 * 1024 * 1024,
            request_timeout_secs: 30,
            log_format: LogFormat::Json,
            log_level: "info".into(),
            gate_id: "ecmr-gate".into(),
            platform_id: "ecmr-platform".into(),
            auth_cache_millis: 1000,
            control_durability: Durability::Normal,
        }
    }
}

/// Why the configuration cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML or has unknown or mistyped keys.
    #[error("config file {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong and where.
        message: String,
    },
    /// An environment variable does not parse.
    #[error("environment variable {var}={value:?}: {message}")]
    Env {
        /// The variable.
        var: &'static str,
        /// Its value.
        value: String,
        /// What is wrong.
        message: String,
    },
    /// A value is out of range.
    #[error("{0}")]
    Invalid(String),
}

impl Config {
    /// Loads the configuration: defaults, then the file if given, then the environment.
    ///
    /// # Errors
    /// [`ConfigError`] naming the file, key or variable at fault.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        Config::load_with_env(file, |k| std::env::var(k).ok())
    }

    /// As [`Config::load`], reading variables through `env` (for tests).
    ///
    /// # Errors
    /// As [`Config::load`].
    pub fn load_with_env(file: Option<&Path>, env: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let mut config = match file {
            None => Config::default(),
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|source| ConfigError::Read { path: path.to_owned(), source })?;
                Config::from_toml(&text).map_err(|message| ConfigError::Parse { path: path.to_owned(), message })?
            }
        };
        config.apply_env(env)?;
        config.check()?;
        Ok(config)
    }

    /// Parses TOML text.
    ///
    /// # Errors
    /// The parser's message, naming the line and key.
    pub fn from_toml(text: &str) -> Result<Config, String> {
        toml::from_str(text).map_err(|e| e.to_string().trim_end().to_owned())
    }

    fn apply_env(&mut self, env: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        fn parse<T: std::str::FromStr>(var: &'static str, value: String) -> Result<T, ConfigError>
        where
            T::Err: std::fmt::Display,
        {
            value.parse().map_err(|e: T::Err| ConfigError::Env { var, message: e.to_string(), value })
        }
        if let Some(v) = env("ECMR_LISTEN") {
            self.listen = parse("ECMR_LISTEN", v)?;
        }
        if let Some(v) = env("ECMR_DATA_DIR") {
            self.data_dir = PathBuf::from(v);
        }
        if let Some(v) = env("ECMR_DATABASE_URL") {
            self.database_url = Some(v).filter(|s| !s.is_empty());
        }
        if let Some(v) = env("ECMR_BODY_LIMIT_BYTES") {
            self.body_limit_bytes = parse("ECMR_BODY_LIMIT_BYTES", v)?;
        }
        if let Some(v) = env("ECMR_REQUEST_TIMEOUT_SECS") {
            self.request_timeout_secs = parse("ECMR_REQUEST_TIMEOUT_SECS", v)?;
        }
        if let Some(v) = env("ECMR_LOG_FORMAT") {
            self.log_format = match v.as_str() {
                "json" => LogFormat::Json,
                "text" => LogFormat::Text,
                _ => {
                    return Err(ConfigError::Env {
                        var: "ECMR_LOG_FORMAT",
                        value: v,
                        message: "expected json or text".into(),
                    });
                }
            };
        }
        if let Some(v) = env("ECMR_LOG") {
            self.log_level = v;
        }
        if let Some(v) = env("ECMR_GATE_ID") {
            self.gate_id = v;
        }
        if let Some(v) = env("ECMR_PLATFORM_ID") {
            self.platform_id = v;
        }
        if let Some(v) = env("ECMR_AUTH_CACHE_MILLIS") {
            self.auth_cache_millis = parse("ECMR_AUTH_CACHE_MILLIS", v)?;
        }
        if let Some(v) = env("ECMR_CONTROL_DURABILITY") {
            self.control_durability = parse("ECMR_CONTROL_DURABILITY", v)?;
        }
        Ok(())
    }

    fn check(&self) -> Result<(), ConfigError> {
        if self.body_limit_bytes < 1024 {
            return Err(ConfigError::Invalid(format!(
                "body_limit_bytes = {} is too small (at least 1024)",
                self.body_limit_bytes
            )));
        }
        if self.request_timeout_secs == 0 {
            return Err(ConfigError::Invalid("request_timeout_secs must be at least 1".into()));
        }
        if self.auth_cache_millis > 60_000 {
            return Err(ConfigError::Invalid(format!(
                "auth_cache_millis = {} is too long (at most 60000: revocations must apply within a minute)",
                self.auth_cache_millis
            )));
        }
        if self.gate_id.trim().is_empty() || self.platform_id.trim().is_empty() {
            return Err(ConfigError::Invalid("gate_id and platform_id must not be empty".into()));
        }
        Ok(())
    }

    /// The database URL in force: the configured one, or SQLite in the data directory.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite:{}", self.data_dir.join("ecmr.sqlite3").display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let pairs: Vec<(String, String)> = pairs.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect();
        move |k| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
    }

    #[test]
    fn defaults_are_local_sqlite_on_8080() {
        let c = Config::load_with_env(None, env(&[])).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(c.database_url(), format!("sqlite:{}", Path::new("ecmr-data").join("ecmr.sqlite3").display()));
        assert_eq!(c.log_format, LogFormat::Json);
        assert_eq!(c.control_durability, Durability::Normal);
        let strict = Config::load_with_env(None, env(&[("ECMR_CONTROL_DURABILITY", "full")])).unwrap();
        assert_eq!(strict.control_durability, Durability::Full);
        let strict = Config::from_toml("control_durability = \"full\"").unwrap();
        assert_eq!(strict.control_durability, Durability::Full);
    }

    #[test]
    fn file_then_environment() {
        let c =
            Config::from_toml("listen = \"0.0.0.0:9000\"\nlog_format = \"text\"\nbody_limit_bytes = 4096\n").unwrap();
        assert_eq!(c.listen.port(), 9000);
        assert_eq!(c.log_format, LogFormat::Text);
        assert_eq!(c.body_limit_bytes, 4096);

        let dir = std::env::temp_dir().join(format!("ecmr-config-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("gateway.toml");
        std::fs::write(&file, "listen = \"127.0.0.1:9001\"\ndata_dir = \"/var/lib/x\"\n").unwrap();
        let c = Config::load_with_env(
            Some(&file),
            env(&[("ECMR_LISTEN", "127.0.0.1:9002"), ("ECMR_DATABASE_URL", "postgres://u@h/db")]),
        )
        .unwrap();
        assert_eq!(c.listen.port(), 9002, "the environment wins over the file");
        assert_eq!(c.data_dir, PathBuf::from("/var/lib/x"));
        assert_eq!(c.database_url(), "postgres://u@h/db");
    }

    #[test]
    fn unknown_keys_and_bad_values_are_errors() {
        let err = Config::from_toml("listen = \"127.0.0.1:1\"\nlisten_port = 5\n").unwrap_err();
        assert!(err.contains("listen_port"), "{err}");
        let err = Config::from_toml("request_timeout_secs = \"soon\"").unwrap_err();
        assert!(err.contains("request_timeout_secs"), "{err}");
        let err = Config::load_with_env(None, env(&[("ECMR_LISTEN", "localhost")])).unwrap_err();
        assert!(err.to_string().contains("ECMR_LISTEN"), "{err}");
        let err = Config::load_with_env(None, env(&[("ECMR_LOG_FORMAT", "xml")])).unwrap_err();
        assert!(err.to_string().contains("json or text"), "{err}");
        let err = Config::load_with_env(None, env(&[("ECMR_REQUEST_TIMEOUT_SECS", "0")])).unwrap_err();
        assert!(err.to_string().contains("request_timeout_secs"), "{err}");
        let err = Config::load_with_env(None, env(&[("ECMR_CONTROL_DURABILITY", "fsync")])).unwrap_err();
        assert!(err.to_string().contains("expected full or normal"), "{err}");
        let err = Config::from_toml("control_durability = \"fsync\"").unwrap_err();
        assert!(err.contains("control_durability"), "{err}");
        let err = Config::load_with_env(Some(Path::new("/nonexistent/ecmr.toml")), env(&[])).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/ecmr.toml"), "{err}");
    }
}
