//! The gate→platform API, compatible with the EU reference implementation's (RI) `platform-api-for-gate.yaml`, so
//! that an RI gate can use this gateway as its platform: it reads our own documents as eFTI XML of the subsets it
//! asks for, and passes on an authority's follow-up message, which the document's parties then read.
//!
//! Only gate principals may call these routes; a gate is entitled to subsets by the `subsets` of its details, as
//! an authority is. Reads, refusals and follow-ups are audited (`gate.uil.read`, `gate.uil.refused`,
//! `gate.follow_up`).

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::control::read::{dataset_response, subset_params};
use crate::api::extract::{Gate, RequestId, TextBytes};
use crate::error::{ApiError, Problem};
use crate::service::audit::Via;
use crate::service::efti::NOTE_MAX;
use crate::state::AppState;

/// The consignment of one of our documents, holding only the elements of the requested subsets.
#[utoipa::path(
    get, path = "/api/gate-api/v0/consignments/{datasetId}", tag = "gate",
    params(
        ("datasetId" = Uuid, Path, description = "The document id"),
        ("subsetId" = String, Query, description = "Subset ids, repeated or comma-separated; must not be empty"),
    ),
    responses(
        (status = 200, description = "The eFTI XML of the subsets", body = String, content_type = "application/xml"),
        (status = 400, description = "Missing or unknown subset ids", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a gate, or not entitled to the subsets", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such document", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn get_consignment(
    State(state): State<AppState>,
    Gate(who): Gate,
    request_id: RequestId,
    Path(dataset_id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let subsets = subset_params(query.as_deref())?;
    Ok(dataset_response(state.efti.read(&who, Via::Gate, &dataset_id, &subsets, false, request_id.get()).await?))
}

/// The text of a gate's follow-up: at least one character that is not white space, at most [`NOTE_MAX`] (255).
#[derive(Debug, Clone, Copy)]
pub struct FollowUpText;

impl utoipa::PartialSchema for FollowUpText {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new().schema_type(Type::String).pattern(Some(r"\S")).max_length(Some(NOTE_MAX)).into()
    }
}

impl utoipa::ToSchema for FollowUpText {}

/// A follow-up message about one of our documents, from an authority through its gate.
#[utoipa::path(
    post, path = "/api/gate-api/v0/consignments/{datasetId}/follow-up", tag = "gate",
    params(("datasetId" = Uuid, Path, description = "The document id")),
    request_body(content = FollowUpText, content_type = "text/plain", description = "The message, at most 255 characters"),
    responses(
        (status = 200, description = "Stored; the document's parties read it"),
        (status = 400, description = "Empty, not UTF-8 or too long", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a gate", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such document", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn follow_up(
    State(state): State<AppState>,
    Gate(who): Gate,
    request_id: RequestId,
    Path(dataset_id): Path<String>,
    TextBytes(body): TextBytes,
) -> Result<Response, ApiError> {
    let message = std::str::from_utf8(&body)
        .map_err(|_| ApiError::BadRequest("the follow-up message is not UTF-8 text".into()))?
        .trim()
        .to_owned();
    if message.is_empty() {
        return Err(ApiError::BadRequest("the follow-up message is empty".into()));
    }
    if message.chars().count() > NOTE_MAX {
        return Err(ApiError::BadRequest(format!("the follow-up message is longer than {NOTE_MAX} characters")));
    }
    state.efti.gate_follow_up(&who, &dataset_id, message, request_id.get()).await?;
    Ok(StatusCode::OK.into_response())
}
