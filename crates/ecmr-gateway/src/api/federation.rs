//! `POST /federation/v1/messages`: where other gates deliver requests and answers (the RI's gate.xsd messages,
//! signed by the sending gate). No bearer token: the signature is the authentication. The rules are the eFTI
//! service's ([`crate::service::efti::Efti::receive`]); this handler only maps its outcome to HTTP.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::api::extract::{RequestId, XmlBytes};
use crate::state::AppState;

/// Take a message from another gate: 202 once stored (a request is answered later, with a message of this
/// gate's own), 400 for a body that is not a gate.xsd message, 401 for a signature that does not check (unknown
/// gate or key, outside the time window), 403 for a message meant for another gate, 409 for a replay.
#[utoipa::path(
    post, path = "/federation/v1/messages", tag = "federation",
    request_body(content = String, content_type = "application/xml", description = "A gate.xsd message"),
    responses(
        (status = 202, description = "Taken"),
        (status = 400, description = "Not a gate.xsd message", body = String),
        (status = 401, description = "The signature does not check", body = String),
        (status = 403, description = "For another gate", body = String),
        (status = 404, description = "This gateway is not in a federation (no registry configured): the route is not served", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "A message id seen before", body = String),
    ),
)]
pub async fn receive(
    State(state): State<AppState>,
    request_id: RequestId,
    headers: HeaderMap,
    XmlBytes(body): XmlBytes,
) -> Response {
    let authorization = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    match state.efti.receive(authorization, &body, request_id.get()).await {
        Ok(()) => StatusCode::ACCEPTED.into_response(),
        Err(refusal) => {
            let status = StatusCode::from_u16(refusal.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let reason = if status.is_server_error() { "internal error".to_owned() } else { refusal.reason };
            (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], reason).into_response()
        }
    }
}
