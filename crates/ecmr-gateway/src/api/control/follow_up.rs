//! Follow-up messages: `POST /v1/control/uil/follow-up` about a UIL request the authority made.

use axum::Json;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::dto::{NoteResponseDto, PostFollowUpRequestDto, member, note_dto};
use super::ri_json_body;
use crate::api::extract::{Authority, JsonBytes, RequestId};
use crate::error::{ApiError, Problem, RawBody, RiCode, RiError};
use crate::state::AppState;

fn reply(status: StatusCode, message: &str, error: Option<RiError>) -> Response {
    let mut resp = (status, Json(note_dto(message, error))).into_response();
    resp.extensions_mut().insert(RawBody);
    resp
}

/// Send a follow-up message about a UIL request; the document's parties read it.
#[utoipa::path(
    post, path = "/v1/control/uil/follow-up", tag = "efti",
    request_body = PostFollowUpRequestDto,
    responses(
        (status = 202, description = "Stored; `Note sent`", body = NoteResponseDto),
        (status = 400, description = "`NOTE_TOO_LONG`, `ID_NOT_FOUND`, or a missing member", body = NoteResponseDto),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an authority", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn follow_up(
    State(state): State<AppState>,
    Authority(who): Authority,
    request_id: RequestId,
    JsonBytes(body): JsonBytes,
) -> Result<Response, ApiError> {
    let value = ri_json_body(&body)?;
    let bad = |e: RiError| reply(StatusCode::BAD_REQUEST, "Note not sent", Some(e));
    let message = match member(&value, "message", RiError::new(RiCode::DefaultError, "message must be a string")) {
        Ok(m) => m,
        Err(e) => return Ok(bad(e)),
    };
    let raw = match member(&value, "requestId", RiError::new(RiCode::IdNotFound, "requestId must be a string")) {
        Ok(r) => r,
        Err(e) => return Ok(bad(e)),
    };
    Ok(match state.efti.follow_up(&who, message, raw, request_id.get()).await? {
        Ok(()) => reply(StatusCode::ACCEPTED, "Note sent", None),
        Err(e) => bad(e),
    })
}
