//! UIL queries: `POST /v1/control/uil` asks, `GET /v1/control/uil?requestId=` asks again.

use axum::Json;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::dto::{self, RequestIdDto, RequestIdParam, UilDto, request_id_dto};
use super::{request_id_param, ri_json_body};
use crate::api::extract::{Authority, JsonBytes, RequestId};
use crate::error::{ApiError, Problem};
use crate::service::efti::{Status, id_not_found};
use crate::state::AppState;

/// Ask for a dataset by its UIL. Answered at once for this gate (`COMPLETE` with `data`, or `ERROR`).
#[utoipa::path(
    post, path = "/v1/control/uil", tag = "efti",
    request_body = UilDto,
    responses(
        (status = 202, description = "The request and its answer (`COMPLETE` with base64 XML, or `ERROR` with an RI error code)", body = RequestIdDto),
        (status = 400, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an authority", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn request_uil(
    State(state): State<AppState>,
    Authority(who): Authority,
    request_id: RequestId,
    JsonBytes(body): JsonBytes,
) -> Result<(StatusCode, Json<RequestIdDto>), ApiError> {
    let query = dto::uil_query(&ri_json_body(&body)?);
    let answer = state.efti.request_uil(&who, query, request_id.get()).await?;
    let data = answer.xml.map(|xml| STANDARD.encode(xml));
    Ok((StatusCode::ACCEPTED, Json(request_id_dto(answer.request_id.to_string(), &answer.status, data))))
}

/// The answer to an earlier UIL query (the same as the POST gave).
#[utoipa::path(
    get, path = "/v1/control/uil", tag = "efti",
    params(RequestIdParam),
    responses(
        (status = 200, description = "The stored answer, or `ERROR` `ID_NOT_FOUND`", body = RequestIdDto),
        (status = 400, description = "No requestId", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an authority", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn get_uil(
    State(state): State<AppState>,
    Authority(who): Authority,
    request_id: RequestId,
    params: Result<Query<RequestIdParam>, QueryRejection>,
) -> Result<Json<RequestIdDto>, ApiError> {
    let raw = request_id_param(params)?;
    let dto = match state.efti.earlier_uil(&who, &raw, request_id.get()).await? {
        Some(a) => request_id_dto(a.request_id.to_string(), &a.status, a.xml.map(|xml| STANDARD.encode(xml))),
        None => request_id_dto(raw.clone(), &Status::Error(id_not_found(&raw)), None),
    };
    Ok(Json(dto))
}
