//! The HTTP application: the router with every route and layer. Handlers live in [`crate::api`], the shared state
//! in [`crate::state`].

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::{get, post};
use tower_http::LatencyUnit;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::PropagateRequestIdLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};

use crate::api::{self, control};
use crate::state::AppState;

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
        .route("/v1/documents/{id}/participants", post(api::documents::add_participant))
        .route("/v1/documents/{id}/shares", post(api::shares::create).get(api::shares::list))
        .route("/v1/documents/{id}/shares/{share_id}", axum::routing::delete(api::shares::revoke))
        .route("/v1/control/uil", post(control::uil::request_uil).get(control::uil::get_uil))
        .route("/v1/control/uil/follow-up", post(control::follow_up::follow_up))
        .route(
            "/v1/control/identifiers",
            post(control::identifiers::search_identifiers).get(control::identifiers::get_identifiers),
        )
        .route("/v1/uil/{gate_id}/{platform_id}/{dataset_id}", get(control::read::read_uil))
        .route("/api/platform/v0/consignments/{dataset_id}", axum::routing::put(api::platform::put_consignment))
        .route("/api/platform/v0/whoami", get(api::platform::whoami))
        .route("/api/gate-api/v0/consignments/{dataset_id}", get(api::gate::get_consignment))
        .route("/api/gate-api/v0/consignments/{dataset_id}/follow-up", post(api::gate::follow_up))
        .route("/federation/v1/messages", post(api::federation::receive))
        .route("/v1/admin/principals", post(api::admin::add_principal).get(api::admin::list_principals))
        .route("/v1/admin/principals/{id}", get(api::admin::get_principal))
        .route("/v1/admin/principals/{id}/subsets", axum::routing::put(api::admin::set_subsets))
        .route("/v1/admin/principals/{id}/revoke", post(api::admin::revoke_principal))
        .route("/v1/admin/principals/{id}/tokens", post(api::admin::add_token))
        .route("/v1/admin/tokens/{id}/revoke", post(api::admin::revoke_token))
        .route("/healthz", get(api::ops::healthz))
        .route("/.well-known/ecmr-gateway", get(api::ops::well_known))
        .route("/readyz", get(api::ops::readyz))
        .route("/metrics", get(api::ops::metrics))
        .route("/openapi.json", get(api::ops::openapi))
        .route("/", get(api::web::root))
        .route("/inspect", get(api::web::root))
        .route("/inspect/", get(api::web::inspect_page))
        .route("/inspect/{file}", get(api::web::file))
        .route(
            "/inspect/session",
            post(api::inspect::sign_in).get(api::inspect::session).delete(api::inspect::sign_out),
        )
        .route("/inspect/layout", post(api::inspect::layout))
        .route("/inspect/search", post(api::inspect::search))
        .route("/inspect/labels/{file}", get(api::inspect::labels))
        .route("/share/", get(api::web::share_page))
        .route("/share/{file}", get(api::web::file))
        .route("/share/open", post(api::inspect::open_share))
        .route_layer(axum::middleware::from_fn_with_state(state.metrics.clone(), crate::metrics::track))
        .fallback(|| async { StatusCode::NOT_FOUND })
        .with_state(state)
        .layer(DefaultBodyLimit::max(limit))
        .layer(RequestBodyLimitLayer::new(limit))
        .layer(TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, timeout))
        .layer(axum::middleware::from_fn_with_state(limit, crate::error::problems))
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
        .layer(axum::middleware::from_fn(api::extract::request_ids))
}
