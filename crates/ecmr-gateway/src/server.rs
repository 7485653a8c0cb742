//! Running the gateway: logging, opening the store, the first admin token, serving until SIGINT/SIGTERM, then
//! draining in-flight requests and closing the store.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::app::{AppState, router};
use crate::auth::{NewPrincipal, create_principal};
use crate::config::{Config, LogFormat};
use crate::store::{PrincipalKind, Store};

/// Why the gateway could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// The data directory cannot be made.
    #[error("cannot create data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The store cannot be opened.
    #[error("cannot open the store at {url}: {source}")]
    Store {
        /// The database URL (without password).
        url: String,
        /// Why.
        source: crate::store::StoreError,
    },
    /// The first admin cannot be made.
    #[error("cannot create the first admin: {0}")]
    Bootstrap(String),
    /// The address cannot be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: std::net::SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The server failed.
    #[error("server: {0}")]
    Io(#[from] std::io::Error),
}

/// Sets up JSON (or text) logs on stderr. Calling it twice is harmless.
pub fn init_logging(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log_level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match config.log_format {
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(true).with_span_list(false).try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// A database URL fit for logs: the password, if any, replaced.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Opens the store the configuration names, creating the data directory first.
///
/// # Errors
/// [`ServeError`] when the directory or the store cannot be opened.
pub async fn open_store(config: &Config) -> Result<Store, ServeError> {
    std::fs::create_dir_all(&config.data_dir)
        .map_err(|source| ServeError::DataDir { path: config.data_dir.clone(), source })?;
    let url = config.database_url();
    Store::open(&url).await.map_err(|source| ServeError::Store { url: redact(&url), source })
}

/// The file holding the first admin token.
pub fn admin_token_path(data_dir: &Path) -> PathBuf {
    data_dir.join("admin-token")
}

/// On a store without principals, creates an admin and writes its token to a new file readable only by the owner
/// (mode 0600). Returns the file's path when it did.
///
/// # Errors
/// [`ServeError::Bootstrap`] when the admin or the file cannot be made.
pub async fn bootstrap_admin(store: &Store, data_dir: &Path) -> Result<Option<PathBuf>, ServeError> {
    let count = store.principals.count_principals().await.map_err(|e| ServeError::Bootstrap(e.to_string()))?;
    if count > 0 {
        return Ok(None);
    }
    let path = admin_token_path(data_dir);
    let req = NewPrincipal {
        kind: PrincipalKind::Admin,
        name: "first admin".into(),
        public_keys: Vec::new(),
        details: None,
        token_expires_at: None,
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(&path).map_err(|e| ServeError::Bootstrap(format!("{}: {e}", path.display())))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| ServeError::Bootstrap(format!("{}: {e}", path.display())))?;
    }
    let (_, token) = create_principal(store, req).await.map_err(|e| ServeError::Bootstrap(e.to_string()))?;
    file.write_all(format!("{}\n", token.token).as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| ServeError::Bootstrap(format!("{}: {e}", path.display())))?;
    Ok(Some(path))
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutdown requested; finishing in-flight requests");
}

/// Runs the gateway until a shutdown signal, then drains requests and closes the store.
///
/// # Errors
/// [`ServeError`] when it cannot start or the server fails.
pub async fn serve(config: Config) -> Result<(), ServeError> {
    let store = open_store(&config).await?;
    if let Some(path) = bootstrap_admin(&store, &config.data_dir).await? {
        tracing::info!(path = %path.display(), "created the first admin; its token is in this file (mode 0600)");
        eprintln!("ecmr-gateway: first admin token written to {}", path.display());
    }
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| ServeError::Bind { addr: config.listen, source })?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, backend = store.backend(), database = %redact(&config.database_url()), "listening");
    let state = AppState::new(store.clone(), config);
    let app = router(state);
    let result = axum::serve(listener, app).with_graceful_shutdown(shutdown_signal()).await;
    store.close().await;
    tracing::info!("stopped");
    Ok(result?)
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(redact("postgres://u:secret@h:5432/db"), "postgres://u:***@h:5432/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("sqlite:ecmr-data/ecmr.sqlite3"), "sqlite:ecmr-data/ecmr.sqlite3");
    }
}
