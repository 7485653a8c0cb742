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
    /// Longest a client may take to send a request's headers, in seconds; a connection that is slower is closed.
    /// Env `ECMR_HEADER_READ_TIMEOUT_SECS`.
    pub header_read_timeout_secs: u64,
    /// Most connections open at once from one IP address (0: no limit); further connections from it are closed at
    /// once. Env `ECMR_MAX_CONNECTIONS_PER_IP`.
    pub max_connections_per_ip: usize,
    /// When set, `GET /metrics` requires `Authorization: Bearer <metrics_token>`; unset (the default), the metrics
    /// are open to anyone who can reach the listen address. Env `ECMR_METRICS_TOKEN`.
    pub metrics_token: Option<String>,
    /// Whether every posted event's signer must be the party the note names for its role, by the party
    /// directory: `enforce` (the default: a mismatch is refused with 422) or `warn` (accepted, recorded in the
    /// audit log and named in the answer; for a migration period). Env `ECMR_IDENTITY_CHECK`.
    pub identity_check: crate::service::identity::IdentityCheck,
    /// The gate registry file (TOML, or JSON by its `.json` extension) naming every gate of the federation with
    /// its keys; unset, this gate answers only for itself. Read again when it changes. Env
    /// `ECMR_FEDERATION_REGISTRY`.
    pub federation_registry: Option<PathBuf>,
    /// PEM certificates of a private CA whose certificates the gates of the federation show, trusted for
    /// `https://` peers besides the Mozilla roots. Env `ECMR_FEDERATION_CA_FILE`.
    pub federation_ca_file: Option<PathBuf>,
    /// How long other gates have to answer a forwarded request before it is `TIMEOUT`, in seconds. Env
    /// `ECMR_FEDERATION_TIMEOUT_SECS`.
    pub federation_timeout_secs: u64,
    /// How far a peer's message creation time may be from this gate's clock, in seconds. Env
    /// `ECMR_FEDERATION_WINDOW_SECS`.
    pub federation_window_secs: u64,
    /// Delivery attempts per message. Env `ECMR_FEDERATION_ATTEMPTS`.
    pub federation_attempts: u32,
    /// The wait after the first failed delivery, in milliseconds; it doubles after each. Env
    /// `ECMR_FEDERATION_RETRY_MILLIS`.
    pub federation_retry_millis: u64,
    /// The longest wait between deliveries, in milliseconds. Env `ECMR_FEDERATION_RETRY_MAX_MILLIS`.
    pub federation_retry_max_millis: u64,
    /// Most events one document may hold: an event beyond is refused (422 `too-many-events`) before any signature
    /// is checked, and so is a submitted document with more (once read; the body limit bounds what reading it
    /// costs). A consignment note has a handful of events; the bound keeps what one append may cost bounded.
    /// Env `ECMR_MAX_EVENTS_PER_DOCUMENT`.
    pub max_events_per_document: usize,
    /// Most verifications of large documents or long chains running at once, each on a thread of its own so that
    /// the request workers keep answering (health, reads, other parties); 0, the default, means one per CPU.
    /// Env `ECMR_VERIFY_THREADS`.
    pub verify_threads: usize,
    /// The address at which users reach this gateway (`https://gate.example.eu`, optionally with a path), without
    /// query or fragment: the base of share links (`<public_url>/share/#t=…`) and of the inspector links that
    /// `ecmr render --gateway-url` prints in QR codes. When it is `https://…`, the inspector's session cookie is
    /// `Secure`. Unset, share links are answered as paths (`/share/#t=…`). Env `ECMR_PUBLIC_URL`.
    pub public_url: Option<String>,
    /// How long an inspector session lasts without use, in minutes (default 480: a working day's pauses).
    /// Env `ECMR_SESSION_IDLE_MINUTES`.
    pub session_idle_minutes: u64,
    /// How long an inspector session lasts at most after sign-in, in minutes (default 720: one shift).
    /// Env `ECMR_SESSION_MAX_MINUTES`.
    pub session_max_minutes: u64,
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
            header_read_timeout_secs: 10,
            max_connections_per_ip: 256,
            metrics_token: None,
            identity_check: crate::service::identity::IdentityCheck::Enforce,
            federation_registry: None,
            federation_ca_file: None,
            federation_timeout_secs: 60,
            federation_window_secs: 300,
            federation_attempts: 6,
            federation_retry_millis: 2000,
            federation_retry_max_millis: 10_000,
            max_events_per_document: 1000,
            verify_threads: 0,
            public_url: None,
            session_idle_minutes: 480,
            session_max_minutes: 720,
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
        if let Some(v) = env("ECMR_HEADER_READ_TIMEOUT_SECS") {
            self.header_read_timeout_secs = parse("ECMR_HEADER_READ_TIMEOUT_SECS", v)?;
        }
        if let Some(v) = env("ECMR_MAX_CONNECTIONS_PER_IP") {
            self.max_connections_per_ip = parse("ECMR_MAX_CONNECTIONS_PER_IP", v)?;
        }
        if let Some(v) = env("ECMR_IDENTITY_CHECK") {
            self.identity_check = parse("ECMR_IDENTITY_CHECK", v)?;
        }
        if let Some(v) = env("ECMR_FEDERATION_REGISTRY") {
            self.federation_registry = Some(PathBuf::from(v)).filter(|p| !p.as_os_str().is_empty());
        }
        if let Some(v) = env("ECMR_FEDERATION_CA_FILE") {
            self.federation_ca_file = Some(PathBuf::from(v)).filter(|p| !p.as_os_str().is_empty());
        }
        if let Some(v) = env("ECMR_FEDERATION_TIMEOUT_SECS") {
            self.federation_timeout_secs = parse("ECMR_FEDERATION_TIMEOUT_SECS", v)?;
        }
        if let Some(v) = env("ECMR_FEDERATION_WINDOW_SECS") {
            self.federation_window_secs = parse("ECMR_FEDERATION_WINDOW_SECS", v)?;
        }
        if let Some(v) = env("ECMR_FEDERATION_ATTEMPTS") {
            self.federation_attempts = parse("ECMR_FEDERATION_ATTEMPTS", v)?;
        }
        if let Some(v) = env("ECMR_FEDERATION_RETRY_MILLIS") {
            self.federation_retry_millis = parse("ECMR_FEDERATION_RETRY_MILLIS", v)?;
        }
        if let Some(v) = env("ECMR_FEDERATION_RETRY_MAX_MILLIS") {
            self.federation_retry_max_millis = parse("ECMR_FEDERATION_RETRY_MAX_MILLIS", v)?;
        }
        if let Some(v) = env("ECMR_MAX_EVENTS_PER_DOCUMENT") {
            self.max_events_per_document = parse("ECMR_MAX_EVENTS_PER_DOCUMENT", v)?;
        }
        if let Some(v) = env("ECMR_VERIFY_THREADS") {
            self.verify_threads = parse("ECMR_VERIFY_THREADS", v)?;
        }
        if let Some(v) = env("ECMR_METRICS_TOKEN") {
            self.metrics_token = Some(v).filter(|s| !s.is_empty());
        }
        if let Some(v) = env("ECMR_PUBLIC_URL") {
            self.public_url = Some(v).filter(|s| !s.is_empty());
        }
        if let Some(v) = env("ECMR_SESSION_IDLE_MINUTES") {
            self.session_idle_minutes = parse("ECMR_SESSION_IDLE_MINUTES", v)?;
        }
        if let Some(v) = env("ECMR_SESSION_MAX_MINUTES") {
            self.session_max_minutes = parse("ECMR_SESSION_MAX_MINUTES", v)?;
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
        if !(1..=3600).contains(&self.header_read_timeout_secs) {
            return Err(ConfigError::Invalid(format!(
                "header_read_timeout_secs = {} is out of range (1 to 3600)",
                self.header_read_timeout_secs
            )));
        }
        if self.metrics_token.as_ref().is_some_and(|t| t.len() < 16) {
            return Err(ConfigError::Invalid("metrics_token must be at least 16 characters".into()));
        }
        if let Some(url) = &self.public_url {
            let digest = format!("sha256:{}", "0".repeat(64));
            ecmr::qr::QrPayload::new(&self.gate_id, &self.platform_id, "x", 0, &digest)
                .and_then(|p| p.with_gateway_url(url))
                .map_err(|e| ConfigError::Invalid(format!("public_url = {url:?}: {e}")))?;
        }
        if self.session_idle_minutes == 0 || self.session_idle_minutes > self.session_max_minutes {
            return Err(ConfigError::Invalid(format!(
                "session_idle_minutes = {} must be at least 1 and at most session_max_minutes",
                self.session_idle_minutes
            )));
        }
        if !(1..=7 * 24 * 60).contains(&self.session_max_minutes) {
            return Err(ConfigError::Invalid(format!(
                "session_max_minutes = {} is out of range (1 to 10080, a week)",
                self.session_max_minutes
            )));
        }
        if !(1..=3600).contains(&self.federation_timeout_secs) {
            return Err(ConfigError::Invalid(format!(
                "federation_timeout_secs = {} is out of range (1 to 3600)",
                self.federation_timeout_secs
            )));
        }
        if !(1..=86_400).contains(&self.federation_window_secs) {
            return Err(ConfigError::Invalid(format!(
                "federation_window_secs = {} is out of range (1 to 86400)",
                self.federation_window_secs
            )));
        }
        if !(1..=100).contains(&self.federation_attempts) {
            return Err(ConfigError::Invalid(format!(
                "federation_attempts = {} is out of range (1 to 100)",
                self.federation_attempts
            )));
        }
        if self.federation_retry_millis == 0 || self.federation_retry_max_millis < self.federation_retry_millis {
            return Err(ConfigError::Invalid(
                "federation_retry_millis must be at least 1 and at most federation_retry_max_millis".into(),
            ));
        }
        if !(1..=100_000).contains(&self.max_events_per_document) {
            return Err(ConfigError::Invalid(format!(
                "max_events_per_document = {} is out of range (1 to 100000)",
                self.max_events_per_document
            )));
        }
        if self.verify_threads > 256 {
            return Err(ConfigError::Invalid(format!(
                "verify_threads = {} is out of range (0, one per CPU, to 256)",
                self.verify_threads
            )));
        }
        if self.gate_id.trim().is_empty() || self.platform_id.trim().is_empty() {
            return Err(ConfigError::Invalid("gate_id and platform_id must not be empty".into()));
        }
        Ok(())
    }

    /// The public URL without trailing `/`, if one is configured.
    pub fn public_base(&self) -> Option<&str> {
        self.public_url.as_deref().map(|u| u.trim_end_matches('/'))
    }

    /// Whether users reach the gateway over TLS (the public URL is `https://…`): cookies are then `Secure`.
    pub fn is_https(&self) -> bool {
        self.public_url.as_deref().is_some_and(|u| u.starts_with("https://"))
    }

    /// The federation's timeouts and retries.
    pub fn federation_settings(&self) -> crate::service::federation::Settings {
        crate::service::federation::Settings {
            timeout: std::time::Duration::from_secs(self.federation_timeout_secs),
            window_secs: i64::try_from(self.federation_window_secs).unwrap_or(i64::MAX),
            attempts: self.federation_attempts,
            first_delay: std::time::Duration::from_millis(self.federation_retry_millis),
            max_delay: std::time::Duration::from_millis(self.federation_retry_max_millis),
        }
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
    fn public_url_and_session_lengths() {
        let c = Config::load_with_env(None, env(&[("ECMR_PUBLIC_URL", "https://gate.example.eu/")])).unwrap();
        assert_eq!(c.public_base(), Some("https://gate.example.eu"));
        assert!(c.is_https());
        let c = Config::from_toml("public_url = \"http://127.0.0.1:8080/ecmr\"").unwrap();
        assert_eq!(c.public_base(), Some("http://127.0.0.1:8080/ecmr"));
        assert!(!c.is_https());
        assert_eq!((c.session_idle_minutes, c.session_max_minutes), (480, 720));
        for bad in ["gate.example.eu", "https://gate.example.eu/?x=1", "https://gate.example.eu/#a", "ftp://x"] {
            let err = Config::load_with_env(None, env(&[("ECMR_PUBLIC_URL", bad)])).unwrap_err();
            assert!(err.to_string().contains("public_url"), "{bad}: {err}");
        }
        let err = Config::load_with_env(None, env(&[("ECMR_SESSION_IDLE_MINUTES", "800")])).unwrap_err();
        assert!(err.to_string().contains("session_idle_minutes"), "{err}");
        let err = Config::load_with_env(None, env(&[("ECMR_SESSION_MAX_MINUTES", "0")])).unwrap_err();
        assert!(err.to_string().contains("session_"), "{err}");
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
        let err = Config::load_with_env(None, env(&[("ECMR_FEDERATION_TIMEOUT_SECS", "0")])).unwrap_err();
        assert!(err.to_string().contains("federation_timeout_secs"), "{err}");
        let err = Config::from_toml("federation_retry_millis = \"soon\"").unwrap_err();
        assert!(err.contains("federation_retry_millis"), "{err}");
        let c = Config::load_with_env(None, env(&[("ECMR_FEDERATION_REGISTRY", "/etc/ecmr/gates.toml")])).unwrap();
        assert_eq!(c.federation_registry.as_deref(), Some(Path::new("/etc/ecmr/gates.toml")));
        assert_eq!(c.federation_settings().timeout.as_secs(), 60);
        let err = Config::load_with_env(Some(Path::new("/nonexistent/ecmr.toml")), env(&[])).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/ecmr.toml"), "{err}");
    }
}
