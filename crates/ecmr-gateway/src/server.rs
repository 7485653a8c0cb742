//! Running the gateway: logging, opening the store, the first admin token, serving until SIGINT/SIGTERM, then
//! draining in-flight requests and closing the store.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::app::router;
use crate::config::{Config, LogFormat};
use crate::service::principals::{NewPrincipal, create_principal};
use crate::state::AppState;
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
    /// The gateway's signing key cannot be loaded or made.
    #[error("gateway signing key: {0}")]
    GatewayKey(String),
    /// The gate registry cannot be read.
    #[error("federation: {0}")]
    Federation(String),
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

/// Opens the store the configuration names, creating the data directory first. The data directory is made
/// readable by its owner only (0700), and so is an SQLite database (0600; SQLite gives its WAL and shared-memory
/// files the mode of the database file); looser modes found on start are tightened.
///
/// # Errors
/// [`ServeError`] when the directory or the store cannot be opened.
pub async fn open_store(config: &Config) -> Result<Store, ServeError> {
    let dir_error = |source| ServeError::DataDir { path: config.data_dir.clone(), source };
    std::fs::create_dir_all(&config.data_dir).map_err(dir_error)?;
    owner_only(&config.data_dir, 0o700).map_err(dir_error)?;
    let url = config.database_url();
    if let Some(path) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
        let path = Path::new(path);
        let file_error = |source| ServeError::DataDir { path: path.to_owned(), source };
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        drop(options.open(path).map_err(file_error)?);
        for suffix in ["", "-wal", "-shm"] {
            let file = PathBuf::from(format!("{}{suffix}", path.display()));
            if file.exists() {
                owner_only(&file, 0o600).map_err(file_error)?;
            }
        }
    }
    Store::open(&url).await.map_err(|source| ServeError::Store { url: redact(&url), source })
}

/// Sets `path`'s permission bits to `mode` when they allow more (Unix; a no-op elsewhere).
fn owner_only(path: &Path, mode: u32) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let current = std::fs::metadata(path)?.permissions().mode() & 0o777;
        if current & !mode != 0 {
            tracing::info!(path = %path.display(), from = format!("{current:o}"), to = format!("{mode:o}"), "permissions tightened");
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
        }
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(())
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

/// A future that resolves on SIGINT or SIGTERM. The handlers are installed when this is called, not when the future
/// is first polled, so that a signal arriving while the gateway starts is not lost (nor kills the process).
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let signals = {
        use tokio::signal::unix::{SignalKind, signal};
        (signal(SignalKind::interrupt()).ok(), signal(SignalKind::terminate()).ok())
    };
    async move {
        #[cfg(unix)]
        {
            let wait = |s: Option<tokio::signal::unix::Signal>| async move {
                match s {
                    Some(mut s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            let (int, term) = signals;
            tokio::select! {
                () = wait(int) => {},
                () = wait(term) => {},
            }
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutdown requested; finishing in-flight requests");
    }
}

/// Runs the gateway until a shutdown signal, then drains requests and closes the store.
///
/// # Errors
/// [`ServeError`] when it cannot start or the server fails.
pub async fn serve(config: Config) -> Result<(), ServeError> {
    let shutdown = shutdown_signal();
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
    let limits = ConnectionLimits {
        header_read_timeout: std::time::Duration::from_secs(config.header_read_timeout_secs),
        per_ip: config.max_connections_per_ip,
    };
    let keys = crate::service::gatekey::GatewayKeys::load_or_create(&config.data_dir, &config.gate_id)
        .map_err(|e| ServeError::GatewayKey(e.to_string()))?;
    tracing::info!(key_id = %ecmr::keys::Signer::public_key(keys.signer()).key_id(), "gateway signing key");
    let federation = match &config.federation_registry {
        Some(path) => {
            let registry = crate::service::federation::registry::Registry::load(path)
                .map_err(|e| ServeError::Federation(e.to_string()))?;
            let roots = match &config.federation_ca_file {
                Some(file) => {
                    crate::service::federation::transport::read_roots(file).map_err(ServeError::Federation)?
                }
                None => Vec::new(),
            };
            let transport = crate::service::federation::transport::HttpTransport::new(
                &config.gate_id,
                keys.signer().clone(),
                std::time::Duration::from_secs(config.federation_timeout_secs.min(30)),
                roots,
            )
            .map_err(ServeError::Federation)?;
            Some(std::sync::Arc::new(crate::service::federation::Federation::new(
                &config.gate_id,
                registry,
                std::sync::Arc::new(transport),
                store.clone(),
                config.federation_settings(),
            )))
        }
        None => None,
    };
    let state = AppState::new(store.clone(), config).with_gateway_keys(keys);
    if let Some(federation) = federation {
        tracing::info!(gates = federation.registry().gates.len(), "in a federation of gates");
        state.efti.set_federation(federation.clone());
        let efti = state.efti.clone();
        tokio::spawn(async move {
            if let Err(e) = efti.resume_federation().await {
                tracing::error!(error = %e, "federation not resumed");
            }
        });
        #[cfg(unix)]
        if let Ok(mut hup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
            tokio::spawn(async move {
                while hup.recv().await.is_some() {
                    federation.reload();
                }
            });
        }
    }
    run(listener, router(state), limits, shutdown).await;
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// What one client may hold of the server.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// The longest a client may take to send a request's headers.
    pub header_read_timeout: std::time::Duration,
    /// Most connections open at once from one IP address (0: no limit).
    pub per_ip: usize,
}

/// Open connections per client address, so that one client cannot hold them all.
#[derive(Default)]
struct PerIp(std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, usize>>);

/// One connection counted in [`PerIp`]; dropping it gives the slot back.
struct Slot(std::sync::Arc<PerIp>, std::net::IpAddr);

impl PerIp {
    fn take(self: &std::sync::Arc<Self>, ip: std::net::IpAddr, limit: usize) -> Option<Slot> {
        let mut open = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let n = open.entry(ip).or_default();
        if limit > 0 && *n >= limit {
            return None;
        }
        *n += 1;
        Some(Slot(self.clone(), ip))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.0.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(n) = open.get_mut(&self.1) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.1);
            }
        }
    }
}

/// Serves `app` on `listener` over HTTP/1.1 until `shutdown` resolves, then lets the requests in flight finish.
/// Each connection must send its request headers within `limits.header_read_timeout`, and one IP address holds at
/// most `limits.per_ip` connections (more are closed at once).
pub async fn run(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    limits: ConnectionLimits,
    shutdown: impl std::future::Future<Output = ()>,
) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    let per_ip = std::sync::Arc::new(PerIp::default());
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Some(slot) = per_ip.take(peer.ip(), limits.per_ip) else {
            tracing::warn!(peer = %peer.ip(), limit = limits.per_ip, "connection refused: too many from this address");
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        // The peer's address travels with each request, for the throttles that count per address.
        let with_peer = tower::ServiceBuilder::new()
            .map_request(move |mut req: axum::extract::Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(axum::extract::ConnectInfo(peer));
                req
            })
            .service(app.clone());
        let service = hyper_util::service::TowerToHyperService::new(with_peer);
        let conn = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    graceful.shutdown().await;
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
