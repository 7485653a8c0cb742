//! The routes of the inspector web app and the driver view besides their static pages ([`crate::api::web`]):
//! signing in and out (`/inspect/session`), laying a dataset out in boxes (`/inspect/layout`), the words of the
//! paper form (`/inspect/labels/{lang}.json`), the search with what its result list shows (`/inspect/search`) and
//! the driver view of a share link (`/share/open`).
//!
//! Everything else the app does it does through the authority API (`/v1/control/…`, `/v1/uil/…`), with the
//! session cookie in place of the bearer token: each action is an ordinary, audited authority request.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::api::extract::{
    Authority, JsonBytes, PeerIp, RequestId, SESSION_COOKIE, XmlBytes, same_origin, session_cookie,
};
use crate::error::{ApiError, Problem};
use crate::service::principals::Entitlements;
use crate::service::views::{self, ViewError};
use crate::state::AppState;
use crate::store::Principal;
pub use ecmr_wire::inspect::{HitNote, NoteView, SearchView, SessionInfo, ShareOpen, ShareView, SignIn};

impl From<ViewError> for ApiError {
    fn from(e: ViewError) -> Self {
        match e {
            ViewError::Language(_) => ApiError::BadRequest(e.to_string()),
            ViewError::Dataset(_) => ApiError::invalid_request(e.to_string()),
            ViewError::Qr(_) => ApiError::Internal(e.to_string()),
        }
    }
}

/// The language of a view.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LangParam {
    /// `en` (default), `nl`, `fr` or `de`.
    #[param(pattern = "^(en|nl|fr|de)$")]
    pub lang: Option<String>,
}

fn lang_of(q: Result<Query<LangParam>, QueryRejection>) -> Result<String, ApiError> {
    let Query(p) = q?;
    Ok(p.lang.unwrap_or_else(|| "en".to_owned()))
}

fn session_info(state: &AppState, who: &Principal, expires_at: Option<chrono::DateTime<chrono::Utc>>) -> SessionInfo {
    let subsets = match Entitlements::of(who) {
        Entitlements::Full => vec![crate::service::principals::FULL.to_owned()],
        Entitlements::Subsets(s) => s,
    };
    SessionInfo {
        name: who.name.clone(),
        country: who.details.get("country").and_then(|c| c.as_str()).map(str::to_owned),
        subsets,
        gate_id: state.config.gate_id.clone(),
        platform_id: state.config.platform_id.clone(),
        expires_at,
    }
}

fn cookie(state: &AppState, value: &str, max_age: u64) -> Result<HeaderValue, ApiError> {
    let secure = if state.config.is_https() { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    ))
    .map_err(|e| ApiError::Internal(format!("session cookie: {e}")))
}

/// Sign in to the inspector: exchange an authority's bearer token for a session cookie (`HttpOnly`,
/// `SameSite=Strict`, `Secure` when the public URL is `https`). The request must carry `X-Ecmr-Inspector`.
#[utoipa::path(
    post, path = "/inspect/session", tag = "inspector",
    request_body = SignIn,
    responses(
        (status = 200, description = "Signed in; the answer sets the session cookie", body = SessionInfo),
        (status = 401, description = "Not a valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an authority's token, or not from the app's pages", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn sign_in(
    State(state): State<AppState>,
    request_id: RequestId,
    headers: HeaderMap,
    JsonBytes(body): JsonBytes,
) -> Result<Response, ApiError> {
    same_origin(&headers)?;
    let req: SignIn = crate::api::control::body_of(&body)?;
    let session = state.sessions.sign_in(&req.token, request_id.get()).await?;
    let set = cookie(&state, &session.id, state.sessions.max_age().as_secs())?;
    let info = session_info(&state, &session.principal, Some(session.expires_at));
    let mut resp = Json(info).into_response();
    resp.headers_mut().insert(header::SET_COOKIE, set);
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}

/// Search by identifier for the inspector app: the identifier search of `POST /v1/control/identifiers` (the same
/// query, answer, storage and audit), with what the result list shows of each consignment found here — the note
/// number, sender and carrier as far as the authority's subsets include them, and the state.
#[utoipa::path(
    post, path = "/inspect/search", tag = "inspector",
    request_body = ecmr_wire::control::SearchWithIdentifiersRequestDto,
    responses(
        (status = 200, description = "The answer and, at the same positions, the notes found", body = SearchView),
    ),
    security(("bearer" = []))
)]
pub async fn search(
    State(state): State<AppState>,
    Authority(who): Authority,
    request_id: RequestId,
    JsonBytes(body): JsonBytes,
) -> Result<Json<SearchView>, ApiError> {
    let query = crate::api::control::dto::search_query(&crate::api::control::ri_json_body(&body)?);
    let found = state.efti.search(&who, query, request_id.get()).await?;
    let notes = state.efti.hit_notes(&who, &found.hits).await?;
    let answer =
        crate::api::control::dto::identifiers_dto(found.request_id.to_string(), &found.status, found.hits, found.gates);
    Ok(Json(SearchView { answer, notes }))
}

/// The authority signed in (by session cookie or bearer token).
#[utoipa::path(
    get, path = "/inspect/session", tag = "inspector",
    responses(
        (status = 200, description = "The signed-in authority", body = SessionInfo),
        (status = 401, description = "No open session", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an authority's token, or a session cookie sent otherwise than from the app's pages", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn session(State(state): State<AppState>, Authority(who): Authority) -> Json<SessionInfo> {
    Json(session_info(&state, &who, None))
}

/// Sign out: the session ends (audited) and the cookie is cleared. Answers 204 also without an open session.
#[utoipa::path(
    delete, path = "/inspect/session", tag = "inspector",
    responses(
        (status = 204, description = "Signed out"),
        (status = 403, description = "Not from the app's pages", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn sign_out(
    State(state): State<AppState>,
    request_id: RequestId,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let Some(id) = session_cookie(&headers) {
        same_origin(&headers)?;
        state.sessions.sign_out(&id, request_id.get()).await?;
    }
    let mut resp = StatusCode::NO_CONTENT.into_response();
    resp.headers_mut().insert(header::SET_COOKIE, cookie(&state, "", 0)?);
    Ok(resp)
}

/// Lay an eFTI consignment dataset (whole or a subset, as a UIL read answers it) out in the 24 boxes of the paper
/// form, in a language: the same layout and words as `ecmr render`. Reads nothing stored.
#[utoipa::path(
    post, path = "/inspect/layout", tag = "inspector",
    params(LangParam),
    request_body(content = String, content_type = "application/xml"),
    responses(
        (status = 200, description = "The boxes", body = NoteView),
        (status = 400, description = "Unknown language", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token or session", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not an eFTI consignment dataset", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn layout(
    Authority(_): Authority,
    q: Result<Query<LangParam>, QueryRejection>,
    XmlBytes(body): XmlBytes,
) -> Result<Json<NoteView>, ApiError> {
    let lang = lang_of(q)?;
    let xml = std::str::from_utf8(&body).map_err(|_| ApiError::BadRequest("the body is not UTF-8".into()))?;
    Ok(Json(views::note_view(xml, &lang)?))
}

/// The words of the paper form in a language (`en`, `nl`, `fr`, `de`): the title and the labels of the 24 boxes,
/// as `ecmr render` prints them. Public.
#[utoipa::path(
    get, path = "/inspect/labels/{file}", tag = "inspector",
    params(("file" = String, Path, description = "`en.json`, `nl.json`, `fr.json` or `de.json`")),
    responses(
        (status = 200, description = "The words", body = Object),
        (status = 404, description = "No such language", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn labels(Path(file): Path<String>) -> Result<Response, ApiError> {
    let not_found = || ApiError::NotFound(format!("no labels {file:?} (en.json, nl.json, fr.json or de.json)"));
    let lang = file.strip_suffix(".json").filter(|l| views::LANGUAGES.contains(l)).ok_or_else(not_found)?;
    let value = views::labels_json(lang).map_err(|_| not_found())?;
    let mut resp = Json(value).into_response();
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
    Ok(resp)
}

/// The driver view of a share link: the document it shows in boxes, its state and events, and the QR code of
/// the inspector link. The token comes in the body (from the link's fragment), never in a URL. Public, but an
/// address that asks for too many links that do not exist is refused for a while (429).
#[utoipa::path(
    post, path = "/share/open", tag = "inspector",
    params(LangParam),
    request_body = ShareOpen,
    responses(
        (status = 200, description = "The driver view", body = ShareView),
        (status = 404, description = "No such link, or revoked, or expired", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The body does not fit (an unknown member, say)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed look-ups from this address", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn open_share(
    State(state): State<AppState>,
    request_id: RequestId,
    PeerIp(from): PeerIp,
    q: Result<Query<LangParam>, QueryRejection>,
    JsonBytes(body): JsonBytes,
) -> Result<Response, ApiError> {
    let lang = lang_of(q)?;
    views::labels(&lang)?;
    let req: ShareOpen = crate::api::control::body_of(&body)?;
    let (share, doc) = state.shares.open(&req.token, from, request_id.get()).await?;
    let s = &doc.summary;
    let xml = state
        .efti
        .full_dataset(s.id)
        .await?
        .ok_or_else(|| ApiError::NotFound("no such share link, or it was revoked or has expired".into()))?;
    let payload = ecmr::qr::QrPayload::new(
        &state.config.gate_id,
        &state.config.platform_id,
        &s.id.to_string(),
        u64::try_from(s.last_seq).unwrap_or_default(),
        &s.last_event_digest,
    )
    .and_then(|p| match state.config.public_base() {
        Some(url) => p.with_gateway_url(url),
        None => Ok(p),
    })
    .map_err(|e| ApiError::Internal(format!("QR payload of {}: {e}", s.id)))?;
    // The language was checked above: what fails now is the gateway's own stored dataset.
    let view = views::share_view(&share, &doc, &xml, payload.to_string(), &lang)
        .map_err(|e| ApiError::Internal(format!("driver view of {}: {e}", s.id)))?;
    let mut resp = Json(view).into_response();
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}
