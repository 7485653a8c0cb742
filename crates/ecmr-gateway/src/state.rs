//! What every handler can reach: the services, built once from the store and the configuration.

use std::sync::Arc;
use std::time::Duration;

use crate::config::Config;
use crate::metrics::Metrics;
use crate::service::audit::Auditor;
use crate::service::documents::Documents;
use crate::service::efti::Efti;
use crate::service::gatekey::GatewayKeys;
use crate::service::principals::Principals;
use crate::service::sessions::Sessions;
use crate::service::shares::Shares;
use crate::service::work::Work;
use crate::store::Store;

/// The gateway's shared state.
#[derive(Clone)]
pub struct AppState {
    /// The configuration in force.
    pub config: Arc<Config>,
    /// The store (for health and counts; everything else goes through the services).
    pub store: Store,
    /// Request counters.
    pub metrics: Arc<Metrics>,
    /// Principals, tokens and entitlements.
    pub principals: Arc<Principals>,
    /// Signed documents of the party API.
    pub documents: Arc<Documents>,
    /// eFTI reads, searches and follow-ups.
    pub efti: Arc<Efti>,
    /// The gateway's signing key and the keys it retired.
    pub gate_keys: Arc<GatewayKeys>,
    /// The shared verifier and its bounded pool (for its metrics).
    pub work: Work,
    /// Sessions of the inspector web app.
    pub sessions: Arc<Sessions>,
    /// Share links of documents.
    pub shares: Arc<Shares>,
}

impl AppState {
    /// The state of a gateway over `store` configured by `config`.
    pub fn new(store: Store, config: Config) -> AppState {
        // One verifier for every document and event (it remembers decoded signer keys across documents), and one
        // bounded pool for its large jobs.
        let work = Work::new(config.verify_threads);
        let auditor = Auditor::new(store.clone(), config.control_durability);
        let principals = Arc::new(Principals::new(
            store.clone(),
            Duration::from_millis(config.auth_cache_millis),
            config.platform_id.clone(),
        ));
        let documents = Arc::new(Documents::new(
            store.clone(),
            work.clone(),
            auditor.clone(),
            config.identity_check,
            config.max_events_per_document,
        ));
        let efti =
            Efti::new(store.clone(), work.clone(), auditor.clone(), config.gate_id.clone(), config.platform_id.clone());
        let gate_keys = Arc::new(GatewayKeys::ephemeral(&config.gate_id));
        let sessions = Sessions::new(
            store.clone(),
            principals.clone(),
            auditor.clone(),
            Duration::from_secs(config.session_idle_minutes * 60),
            Duration::from_secs(config.session_max_minutes * 60),
        );
        let shares = Shares::new(store.clone(), documents.clone(), auditor);
        AppState {
            work,
            gate_keys,
            config: Arc::new(config),
            store,
            metrics: Arc::new(Metrics::default()),
            principals,
            documents,
            efti: Arc::new(efti),
            sessions: Arc::new(sessions),
            shares: Arc::new(shares),
        }
    }
}

impl AppState {
    /// The same state signing with `keys` (the gateway's key from its data directory) instead of a key that
    /// lives only as long as the process.
    #[must_use]
    pub fn with_gateway_keys(mut self, keys: GatewayKeys) -> AppState {
        self.gate_keys = Arc::new(keys);
        self
    }
}

impl axum::extract::FromRef<AppState> for Arc<Metrics> {
    fn from_ref(s: &AppState) -> Self {
        s.metrics.clone()
    }
}
