//! The HTTP application: shared state, authentication, and the router with its layers.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRef, FromRequestParts};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::routing::{get, post};
use tower_http::LatencyUnit;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};

use crate::api;
use crate::auth::token_hash;
use crate::config::Config;
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::store::{Principal, PrincipalKind, Store};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The store.
    pub store: Store,
    /// The configuration in force.
    pub config: Arc<Config>,
    /// Request counters.
    pub metrics: Arc<Metrics>,
    /// Recently authenticated tokens.
    pub tokens: Arc<TokenCache>,
    /// The verifier of every submitted document and event; it remembers decoded signer keys across documents.
    pub verifier: Arc<ecmr::verify::Verifier>,
}

impl AppState {
    /// The state of a gateway over `store` configured by `config`.
    pub fn new(store: Store, config: Config) -> AppState {
        let tokens = Arc::new(TokenCache::new(Duration::from_millis(config.auth_cache_millis)));
        let verifier = Arc::new(ecmr::verify::Verifier::new());
        AppState { store, config: Arc::new(config), metrics: Arc::new(Metrics::default()), tokens, verifier }
    }
}

/// Most tokens remembered at once; the cache is emptied when it is full.
const TOKEN_CACHE_ENTRIES: usize = 10_000;

/// Tokens authenticated in the last `ttl`, by their SHA-256, so that a request does not cost a store lookup each.
/// Any change an admin makes through this gateway (revocation, subsets) empties it.
#[derive(Debug)]
pub struct TokenCache {
    ttl: Duration,
    entries: std::sync::Mutex<std::collections::HashMap<String, (Principal, Instant)>>,
}

impl TokenCache {
    /// A cache keeping entries for `ttl` (zero: nothing is kept).
    pub fn new(ttl: Duration) -> TokenCache {
        TokenCache { ttl, entries: std::sync::Mutex::default() }
    }

    /// The principal of a token hash authenticated less than `ttl` ago.
    pub fn get(&self, token_sha256: &str) -> Option<Principal> {
        let entries = self.entries.lock().ok()?;
        let (p, at) = entries.get(token_sha256)?;
        (at.elapsed() < self.ttl).then(|| p.clone())
    }

    /// Remembers a successful authentication.
    pub fn put(&self, token_sha256: String, principal: &Principal) {
        if self.ttl.is_zero() {
            return;
        }
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= TOKEN_CACHE_ENTRIES {
                entries.clear();
            }
            entries.insert(token_sha256, (principal.clone(), Instant::now()));
        }
    }

    /// Forgets every token (after a revocation or a change of entitlements).
    pub fn clear(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.clear();
        }
    }
}

impl FromRef<AppState> for Arc<Metrics> {
    fn from_ref(s: &AppState) -> Self {
        s.metrics.clone()
    }
}

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller(pub Principal);

impl Caller {
    /// Refuses callers of other kinds with 403.
    ///
    /// # Errors
    /// [`ApiError::Forbidden`].
    pub fn require(&self, kind: PrincipalKind) -> Result<&Principal, ApiError> {
        if self.0.kind == kind {
            Ok(&self.0)
        } else {
            Err(ApiError::Forbidden(format!(
                "this route is for {} principals; the caller is of kind {}",
                kind.as_str(),
                self.0.kind.as_str()
            )))
        }
    }

    /// The key ids bound to the caller.
    pub fn key_ids(&self) -> Vec<String> {
        self.0.keys.iter().map(|k| k.key_id.clone()).collect()
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let header = parts.headers.get(axum::http::header::AUTHORIZATION).ok_or(ApiError::Unauthenticated)?;
        let value = header.to_str().map_err(|_| ApiError::Unauthenticated)?;
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty() && t.len() <= 256)
            .ok_or(ApiError::Unauthenticated)?;
        let hash = token_hash(token);
        if let Some(principal) = state.tokens.get(&hash) {
            return Ok(Caller(principal));
        }
        let principal =
            state.store.principals.authenticate(&hash, crate::store::now()).await?.ok_or(ApiError::Unauthenticated)?;
        state.tokens.put(hash, &principal);
        Ok(Caller(principal))
    }
}

/// Builds the router with every route and layer.
pub fn router(state: AppState) -> Router {
    let limit = state.config.body_limit_bytes;
    let timeout = Duration::from_secs(state.config.request_timeout_secs);
    Router::new()
        .route("/v1/documents", post(api::documents::submit).get(api::documents::list))
        .route("/v1/documents/{id}", get(api::documents::get))
        .route("/v1/documents/{id}/events", post(api::documents::append))
        .route("/v1/documents/{id}/audit", get(api::documents::audit))
        .route("/v1/documents/{id}/follow-ups", get(api::documents::follow_ups))
        .route("/v1/control/uil", post(api::control::request_uil).get(api::control::get_uil))
        .route("/v1/control/uil/follow-up", post(api::control::follow_up))
        .route("/v1/control/identifiers", post(api::control::search_identifiers).get(api::control::get_identifiers))
        .route("/v1/uil/{gate_id}/{platform_id}/{dataset_id}", get(api::control::read_uil))
        .route("/api/platform/v0/consignments/{dataset_id}", axum::routing::put(api::platform::put_consignment))
        .route("/api/platform/v0/whoami", get(api::platform::whoami))
        .route("/api/gate-api/v0/consignments/{dataset_id}", get(api::gate::get_consignment))
        .route("/api/gate-api/v0/consignments/{dataset_id}/follow-up", post(api::gate::follow_up))
        .route("/v1/admin/principals", post(api::admin::add_principal).get(api::admin::list_principals))
        .route("/v1/admin/principals/{id}", get(api::admin::get_principal))
        .route("/v1/admin/principals/{id}/subsets", axum::routing::put(api::admin::set_subsets))
        .route("/v1/admin/principals/{id}/revoke", post(api::admin::revoke_principal))
        .route("/v1/admin/principals/{id}/tokens", post(api::admin::add_token))
        .route("/v1/admin/tokens/{id}/revoke", post(api::admin::revoke_token))
        .route("/healthz", get(api::ops::healthz))
        .route("/readyz", get(api::ops::readyz))
        .route("/metrics", get(api::ops::metrics))
        .route("/openapi.json", get(api::ops::openapi))
        .route_layer(axum::middleware::from_fn_with_state(state.metrics.clone(), crate::metrics::track))
        .fallback(|| async { StatusCode::NOT_FOUND })
        .with_state(state)
        .layer(DefaultBodyLimit::max(limit))
        .layer(RequestBodyLimitLayer::new(limit))
        .layer(TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, timeout))
        .layer(axum::middleware::from_fn(crate::error::problems))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &axum::http::Request<_>| {
                    let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
                    tracing::info_span!("request", method = %req.method(), uri = %req.uri(), request_id = %id)
                })
                // One access-log line per request.
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO).latency_unit(LatencyUnit::Micros)),
        )
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::now;

    fn principal() -> Principal {
        Principal {
            id: uuid::Uuid::new_v4(),
            kind: PrincipalKind::Authority,
            name: "ILT".into(),
            details: serde_json::json!({"country": "NL", "subsets": ["full"]}),
            keys: Vec::new(),
            created_at: now(),
            revoked_at: None,
        }
    }

    #[test]
    fn tokens_are_remembered_for_the_ttl_only() {
        let cache = TokenCache::new(Duration::from_millis(30));
        let p = principal();
        assert!(cache.get("h").is_none());
        cache.put("h".into(), &p);
        assert_eq!(cache.get("h").map(|c| c.id), Some(p.id));
        assert!(cache.get("other").is_none());
        std::thread::sleep(Duration::from_millis(40));
        assert!(cache.get("h").is_none(), "expired");
        cache.put("h".into(), &p);
        cache.clear();
        assert!(cache.get("h").is_none(), "cleared");
    }

    #[test]
    fn a_zero_ttl_keeps_nothing_and_the_cache_stays_bounded() {
        let off = TokenCache::new(Duration::ZERO);
        off.put("h".into(), &principal());
        assert!(off.get("h").is_none());
        let cache = TokenCache::new(Duration::from_secs(60));
        for i in 0..TOKEN_CACHE_ENTRIES + 5 {
            cache.put(format!("h{i}"), &principal());
        }
        assert!(cache.entries.lock().expect("lock").len() <= TOKEN_CACHE_ENTRIES);
    }
}
