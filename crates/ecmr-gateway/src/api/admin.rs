//! Administration: principals and tokens (the same operations as the `principal` sub-commands).

use axum::Json;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use uuid::Uuid;

use super::control::body_of;
use crate::api::extract::{Admin, JsonBytes};
use crate::error::{ApiError, Problem};
use crate::service::principals::{NewPrincipal, PrincipalError};
use crate::state::AppState;
use crate::store::{Principal, TokenInfo};
pub use ecmr_wire::admin::{
    NewTokenRequest, PrincipalCreated, PrincipalDetail, PrincipalKeyView, PrincipalView, SubsetsRequest, TokenCreated,
    TokenView,
};

fn parse_id(id: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(id).map_err(|_| ApiError::NotFound(format!("no principal or token {id}")))
}

impl From<Principal> for PrincipalView {
    fn from(p: Principal) -> PrincipalView {
        PrincipalView {
            id: p.id,
            kind: p.kind,
            name: p.name,
            details: p.details,
            keys: p.keys.into_iter().map(|k| PrincipalKeyView { key_id: k.key_id, public_key: k.public_key }).collect(),
            created_at: p.created_at,
            revoked_at: p.revoked_at,
        }
    }
}

impl From<TokenInfo> for TokenView {
    fn from(t: TokenInfo) -> TokenView {
        TokenView {
            id: t.id,
            principal_id: t.principal_id,
            created_at: t.created_at,
            expires_at: t.expires_at,
            revoked_at: t.revoked_at,
        }
    }
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
    Admin(admin): Admin,
    JsonBytes(body): JsonBytes,
) -> Result<(StatusCode, Json<PrincipalCreated>), ApiError> {
    let req: NewPrincipal = body_of(&body)?;
    let (principal, token) = state.principals.create(req).await?;
    tracing::info!(principal = %principal.id, kind = principal.kind.as_str(), by = %admin.id, "principal created");
    Ok((
        StatusCode::CREATED,
        Json(PrincipalCreated { principal: principal.into(), token: token.token, token_id: token.stored.id }),
    ))
}

/// Every principal.
#[utoipa::path(
    get, path = "/v1/admin/principals", tag = "admin",
    responses(
        (status = 200, description = "All principals, oldest first", body = Vec<PrincipalView>),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn list_principals(State(state): State<AppState>, _: Admin) -> Result<Json<Vec<PrincipalView>>, ApiError> {
    Ok(Json(state.principals.list().await?.into_iter().map(PrincipalView::from).collect()))
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
    _: Admin,
    Path(id): Path<String>,
) -> Result<Json<PrincipalDetail>, ApiError> {
    let id = parse_id(&id)?;
    let (principal, tokens) = state.principals.get(id).await.map_err(|e| match e {
        PrincipalError::NotFound(_) => ApiError::NotFound(format!("no principal {id}")),
        e => e.into(),
    })?;
    Ok(Json(PrincipalDetail { principal: principal.into(), tokens: tokens.into_iter().map(TokenView::from).collect() }))
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
        (status = 409, description = "It would leave no active admin with a usable token (`last-admin`)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn revoke_principal(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = parse_id(&id)?;
    state.principals.revoke(id).await.map_err(|e| match e {
        PrincipalError::NotFound(_) => ApiError::NotFound(format!("no active principal {id}")),
        e => e.into(),
    })?;
    tracing::info!(principal = %id, by = %admin.id, "principal revoked");
    Ok(StatusCode::NO_CONTENT)
}

/// Add a token to a principal.
#[utoipa::path(
    post, path = "/v1/admin/principals/{id}/tokens", tag = "admin",
    params(("id" = Uuid, Path, description = "Principal id")),
    request_body = Option<NewTokenRequest>,
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
    _: Admin,
    Path(id): Path<String>,
    JsonBytes(body): JsonBytes,
) -> Result<(StatusCode, Json<TokenCreated>), ApiError> {
    let id = parse_id(&id)?;
    let req: NewTokenRequest = if body.is_empty() { NewTokenRequest::default() } else { body_of(&body)? };
    let token = state.principals.add_token(id, req.expires_at).await?;
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
        (status = 409, description = "It would leave no active admin with a usable token (`last-admin`)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn revoke_token(
    State(state): State<AppState>,
    _: Admin,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = parse_id(&id)?;
    state.principals.revoke_token(id).await.map_err(|e| match e {
        PrincipalError::NotFound(_) => ApiError::NotFound(format!("no active token {id}")),
        e => e.into(),
    })?;
    Ok(StatusCode::NO_CONTENT)
}

/// Replace the eFTI subsets an authority may request.
#[utoipa::path(
    put, path = "/v1/admin/principals/{id}/subsets", tag = "admin",
    params(("id" = Uuid, Path, description = "Principal id")),
    request_body = SubsetsRequest,
    responses(
        (status = 200, description = "The authority as it is now", body = PrincipalView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such active principal", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not an authority, or an unknown subset id", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn set_subsets(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(id): Path<String>,
    JsonBytes(body): JsonBytes,
) -> Result<Json<PrincipalView>, ApiError> {
    let id = parse_id(&id)?;
    let req: SubsetsRequest = body_of(&body)?;
    let principal = state.principals.set_subsets(id, &req.subsets).await?;
    tracing::info!(principal = %id, subsets = ?req.subsets, by = %admin.id, "authority subsets set");
    Ok(Json(principal.into()))
}
