//! Share links of a document for its driver (party API): `POST|GET /v1/documents/{id}/shares`,
//! `DELETE /v1/documents/{id}/shares/{share_id}`; the driver view reads through `POST /share/open`
//! ([`crate::api::inspect::open_share`]).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::Utc;

use crate::api::extract::{JsonBytes, Party, RequestId};
use crate::error::{ApiError, Problem};
use crate::state::AppState;
use crate::store::ShareRecord;
pub use ecmr_wire::inspect::{ShareCreated, ShareInfo, ShareList, ShareRequest};

/// The link of a share token: `<public_url>/share/#t=<token>`, or the path alone without a public URL.
pub(crate) fn share_url(state: &AppState, token: &str) -> String {
    format!("{}/share/#t={token}", state.config.public_base().unwrap_or_default())
}

fn info(r: ShareRecord) -> ShareInfo {
    let status = if r.revoked_at.is_some() {
        "revoked"
    } else if r.expires_at <= Utc::now() {
        "expired"
    } else {
        "active"
    };
    ShareInfo {
        id: r.id,
        document_id: r.document_id,
        label: r.label,
        created_by: r.created_by,
        created_at: r.created_at,
        expires_at: r.expires_at,
        revoked_at: r.revoked_at,
        status: status.to_owned(),
    }
}

/// Make a share link of one of the caller's documents for its driver: a read-only view of this document only,
/// by a random token shown once in `url`. Lasts `expires_in` seconds (default 72 hours, at most 30 days).
#[utoipa::path(
    post, path = "/v1/documents/{id}/shares", tag = "documents",
    params(("id" = Uuid, Path, description = "Document id")),
    request_body = Option<ShareRequest>,
    responses(
        (status = 201, description = "Made; `url` holds the token", body = ShareCreated),
        (status = 400, description = "Not strict JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a party", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such document the caller may see", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Lifetime out of range, or a bad label", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    Party(party): Party,
    request_id: RequestId,
    Path(id): Path<String>,
    JsonBytes(body): JsonBytes,
) -> Result<(StatusCode, Json<ShareCreated>), ApiError> {
    let req: ShareRequest = if body.iter().all(u8::is_ascii_whitespace) {
        ShareRequest::default()
    } else {
        crate::api::control::body_of(&body)?
    };
    let made = state.shares.create(&party, &id, req.expires_in, req.label, request_id.get()).await?;
    let url = share_url(&state, &made.token);
    Ok((StatusCode::CREATED, Json(ShareCreated { id: made.record.id, url, expires_at: made.record.expires_at })))
}

/// The share links of one of the caller's documents, oldest first (their tokens are not kept).
#[utoipa::path(
    get, path = "/v1/documents/{id}/shares", tag = "documents",
    params(("id" = Uuid, Path, description = "Document id")),
    responses(
        (status = 200, description = "The links", body = ShareList),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a party", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such document the caller may see", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    Party(party): Party,
    Path(id): Path<String>,
) -> Result<Json<ShareList>, ApiError> {
    let items = state.shares.list(&party, &id).await?.into_iter().map(info).collect();
    Ok(Json(ShareList { items }))
}

/// Revoke a share link: from now on it reads as if it never existed.
#[utoipa::path(
    delete, path = "/v1/documents/{id}/shares/{shareId}", tag = "documents",
    params(("id" = Uuid, Path, description = "Document id"), ("shareId" = Uuid, Path, description = "The link's id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a party", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such document the caller may see, or no such link of it not yet revoked", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn revoke(
    State(state): State<AppState>,
    Party(party): Party,
    request_id: RequestId,
    Path((id, share_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    state.shares.revoke(&party, &id, &share_id, request_id.get()).await?;
    Ok(StatusCode::NO_CONTENT)
}
