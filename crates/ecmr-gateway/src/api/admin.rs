//! Administration: principals and tokens (the same operations as the `principal` sub-commands).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::app::{AppState, Caller};
use crate::auth::{self, NewPrincipal, PrincipalError};
use crate::error::{ApiError, Problem};
use crate::store::{Principal, PrincipalKind, TokenInfo, now};

impl From<PrincipalError> for ApiError {
    fn from(e: PrincipalError) -> Self {
        match e {
            PrincipalError::Invalid(m) => ApiError::Unprocessable {
                slug: "invalid-request",
                detail: m,
                failures: Vec::new(),
                findings: Vec::new(),
            },
            PrincipalError::NotFound(id) => ApiError::NotFound(format!("no active principal or token {id}")),
            PrincipalError::Store(e) => e.into(),
            PrincipalError::Random(m) => ApiError::Internal(m),
        }
    }
}

fn json_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let value = crate::ingest::parse_body(body)?;
    serde_json::from_value(value).map_err(|e| ApiError::Unprocessable {
        slug: "invalid-request",
        detail: format!("the request body does not fit: {e}"),
        failures: Vec::new(),
        findings: Vec::new(),
    })
}

fn parse_id(id: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(id).map_err(|_| ApiError::NotFound(format!("no principal or token {id}")))
}

/// A new principal with its first token (shown only here).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PrincipalCreated {
    /// The principal.
    pub principal: Principal,
    /// The bearer token. It is not stored and cannot be shown again.
    pub token: String,
    /// The token's id, to revoke it.
    pub token_id: Uuid,
}

/// Create a principal and its first token.
#[utoipa::path(
    post, path = "/v1/admin/principals", tag = "admin",
    request_body = NewPrincipal,
    responses(
        (status = 201, description = "Created; the token is shown once", body = PrincipalCreated),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The request is wrong", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn add_principal(
    State(state): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> Result<(StatusCode, Json<PrincipalCreated>), ApiError> {
    caller.require(PrincipalKind::Admin)?;
    let req: NewPrincipal = json_body(&body)?;
    let (principal, token) = auth::create_principal(&state.store, req).await?;
    tracing::info!(principal = %principal.id, kind = principal.kind.as_str(), by = %caller.0.id, "principal created");
    Ok((StatusCode::CREATED, Json(PrincipalCreated { principal, token: token.token, token_id: token.stored.id })))
}

/// Every principal.
#[utoipa::path(
    get, path = "/v1/admin/principals", tag = "admin",
    responses(
        (status = 200, description = "All principals, oldest first", body = Vec<Principal>),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn list_principals(State(state): State<AppState>, caller: Caller) -> Result<Json<Vec<Principal>>, ApiError> {
    caller.require(PrincipalKind::Admin)?;
    Ok(Json(state.store.principals.list_principals().await?))
}

/// A principal and its tokens.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PrincipalDetail {
    /// The principal.
    pub principal: Principal,
    /// Its tokens (metadata only).
    pub tokens: Vec<TokenInfo>,
}

/// One principal with its tokens.
#[utoipa::path(
    get, path = "/v1/admin/principals/{id}", tag = "admin",
    params(("id" = Uuid, Path, description = "Principal id")),
    responses(
        (status = 200, description = "The principal", body = PrincipalDetail),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such principal", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn get_principal(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<PrincipalDetail>, ApiError> {
    caller.require(PrincipalKind::Admin)?;
    let id = parse_id(&id)?;
    let principal = state
        .store
        .principals
        .get_principal(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no principal {id}")))?;
    let tokens = state.store.principals.list_tokens(id).await?;
    Ok(Json(PrincipalDetail { principal, tokens }))
}

/// Revoke a principal and all its tokens.
#[utoipa::path(
    post, path = "/v1/admin/principals/{id}/revoke", tag = "admin",
    params(("id" = Uuid, Path, description = "Principal id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such active principal", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn revoke_principal(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    caller.require(PrincipalKind::Admin)?;
    let id = parse_id(&id)?;
    if state.store.principals.revoke_principal(id, now()).await? {
        state.tokens.clear();
        tracing::info!(principal = %id, by = %caller.0.id, "principal revoked");
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound(format!("no active principal {id}")))
    }
}

/// When a new token should stop working.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTokenRequest {
    /// Expiry; none means it works until revoked.
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
}

/// A new token (shown only here).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenCreated {
    /// The bearer token. It is not stored and cannot be shown again.
    pub token: String,
    /// Its id, to revoke it.
    pub token_id: Uuid,
    /// When it stops working.
    pub expires_at: Option<DateTime<Utc>>,
}

/// Add a token to a principal.
#[utoipa::path(
    post, path = "/v1/admin/principals/{id}/tokens", tag = "admin",
    params(("id" = Uuid, Path, description = "Principal id")),
    request_body = NewTokenRequest,
    responses(
        (status = 201, description = "Created; the token is shown once", body = TokenCreated),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such active principal", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The request is wrong", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn add_token(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<TokenCreated>), ApiError> {
    caller.require(PrincipalKind::Admin)?;
    let id = parse_id(&id)?;
    let req: NewTokenRequest = if body.is_empty() { NewTokenRequest::default() } else { json_body(&body)? };
    let token = auth::add_token(&state.store, id, req.expires_at).await?;
    Ok((
        StatusCode::CREATED,
        Json(TokenCreated { token: token.token, token_id: token.stored.id, expires_at: token.stored.expires_at }),
    ))
}

/// Revoke one token.
#[utoipa::path(
    post, path = "/v1/admin/tokens/{id}/revoke", tag = "admin",
    params(("id" = Uuid, Path, description = "Token id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such active token", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn revoke_token(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    caller.require(PrincipalKind::Admin)?;
    let id = parse_id(&id)?;
    if state.store.principals.revoke_token(id, now()).await? {
        state.tokens.clear();
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound(format!("no active token {id}")))
    }
}

/// The eFTI subsets an authority may request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubsetsRequest {
    /// Subset ids (`EU01`, `identifier`, … or `full` for all); empty grants nothing.
    pub subsets: Vec<String>,
}

/// Replace the eFTI subsets an authority may request.
#[utoipa::path(
    put, path = "/v1/admin/principals/{id}/subsets", tag = "admin",
    params(("id" = Uuid, Path, description = "Principal id")),
    request_body = SubsetsRequest,
    responses(
        (status = 200, description = "The authority as it is now", body = Principal),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such active principal", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not an authority, or an unknown subset id", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn set_subsets(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Principal>, ApiError> {
    caller.require(PrincipalKind::Admin)?;
    let id = parse_id(&id)?;
    let req: SubsetsRequest = json_body(&body)?;
    let principal = auth::set_subsets(&state.store, id, &req.subsets).await?;
    state.tokens.clear();
    tracing::info!(principal = %id, subsets = ?req.subsets, by = %caller.0.id, "authority subsets set");
    Ok(Json(principal))
}
