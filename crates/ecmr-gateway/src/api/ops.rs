//! Operations: liveness, readiness, metrics and the OpenAPI description.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::error::{ApiError, Problem};
use crate::state::AppState;

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "Alive", body = Object)))]
pub async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// The gate and the public keys its attestations and receipts are signed with (current first, then the retired
/// ones with the end of their validity), each in the form of a trust file's `gateway_keys` entry. Public.
#[utoipa::path(get, path = "/.well-known/ecmr-gateway", tag = "operations",
    responses((status = 200, description = "The gate id, platform id and gateway keys", body = crate::service::gatekey::WellKnown)))]
pub async fn well_known(State(state): State<AppState>) -> Json<crate::service::gatekey::WellKnown> {
    Json(state.gate_keys.well_known(&state.config.platform_id))
}

/// Readiness: the store answers.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "Ready", body = Object),
        (status = 503, description = "The store does not answer", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn readyz(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    state.store.ping().await.map_err(|e| {
        tracing::warn!(error = %e, "store not ready");
        ApiError::Unavailable("the store does not answer".into())
    })?;
    Ok(Json(json!({"status": "ready", "backend": state.store.backend()})))
}

/// Prometheus metrics; with `metrics_token` configured, only for `Authorization: Bearer <metrics_token>`.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses(
        (status = 200, description = "Prometheus text format", body = String, content_type = "text/plain"),
        (status = 401, description = "`metrics_token` is configured and was not given", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    if let Some(expected) = &state.config.metrics_token {
        let given =
            headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
        // Compared by their digests, so that the time taken says nothing about how much of the token was right.
        let digest = |t: &str| Sha256::digest(t.as_bytes());
        if given.is_none_or(|g| digest(g.trim()) != digest(expected)) {
            return Err(ApiError::Unauthenticated);
        }
    }
    let stored = state.store.documents.count_documents().await.ok();
    let mut text = state.metrics.render(stored, state.store.backend());
    text.push_str(&state.work.prometheus());
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], text).into_response())
}

/// This API's OpenAPI description.
#[utoipa::path(get, path = "/openapi.json", tag = "operations",
    responses((status = 200, description = "OpenAPI 3.1", body = Object)))]
pub async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], crate::api::openapi_json()).into_response()
}
