//! Identifier searches: `POST /v1/control/identifiers` searches, `GET /v1/control/identifiers?requestId=` gives
//! the answer again.

use axum::Json;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};

use super::dto::{self, IdentifiersResponseDto, RequestIdParam, SearchWithIdentifiersRequestDto, identifiers_dto};
use super::{request_id_param, ri_json_body};
use crate::api::extract::{Authority, JsonBytes, RequestId};
use crate::error::{ApiError, Problem};
use crate::service::efti::{Status, id_not_found};
use crate::state::AppState;

/// Search consignments by the id of a means of transport, equipment or carried equipment: this gate's, and in a
/// federation those of the gates `eftiGateIndicator` names (all when empty), each answering `PENDING` until in.
#[utoipa::path(
    post, path = "/v1/control/identifiers", tag = "efti",
    request_body = SearchWithIdentifiersRequestDto,
    responses(
        (status = 200, description = "The request and its answer (`COMPLETE` with the consignments found, or `ERROR` with an RI error code)", body = IdentifiersResponseDto),
        (status = 400, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an authority", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn search_identifiers(
    State(state): State<AppState>,
    Authority(who): Authority,
    request_id: RequestId,
    JsonBytes(body): JsonBytes,
) -> Result<Json<IdentifiersResponseDto>, ApiError> {
    let query = dto::search_query(&ri_json_body(&body)?);
    let answer = state.efti.search(&who, query, request_id.get()).await?;
    Ok(Json(identifiers_dto(answer.request_id.to_string(), &answer.status, answer.hits, answer.gates)))
}

/// The answer to an earlier identifier search (the same as the POST gave).
#[utoipa::path(
    get, path = "/v1/control/identifiers", tag = "efti",
    params(RequestIdParam),
    responses(
        (status = 200, description = "The stored answer, or `ERROR` `ID_NOT_FOUND`", body = IdentifiersResponseDto),
        (status = 400, description = "No requestId", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an authority", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn get_identifiers(
    State(state): State<AppState>,
    Authority(who): Authority,
    params: Result<Query<RequestIdParam>, QueryRejection>,
) -> Result<Json<IdentifiersResponseDto>, ApiError> {
    let raw = request_id_param(params)?;
    let dto = match state.efti.earlier_search(&who, &raw).await? {
        Some(a) => identifiers_dto(a.request_id.to_string(), &a.status, a.hits, a.gates),
        None => identifiers_dto(raw.clone(), &Status::Error(id_not_found(&raw)), Vec::new(), Vec::new()),
    };
    Ok(Json(dto))
}
