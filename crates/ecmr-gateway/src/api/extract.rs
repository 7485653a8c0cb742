//! Who is calling, as typed extractors: a route that takes [`Authority`] cannot be reached by a party. Each
//! authenticates the bearer token (401 without a valid one) and refuses other kinds of principal (403).

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::service::audit::Origin;
use crate::service::principals::platform_id_of;
use crate::state::AppState;
use crate::store::{Principal, PrincipalKind};

/// The principal of the request's bearer token.
async fn authenticated(parts: &Parts, state: &AppState) -> Result<Principal, ApiError> {
    let header = parts.headers.get(axum::http::header::AUTHORIZATION).ok_or(ApiError::Unauthenticated)?;
    let value = header.to_str().map_err(|_| ApiError::Unauthenticated)?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
        .ok_or(ApiError::Unauthenticated)?;
    state.principals.authenticate(token).await?.ok_or(ApiError::Unauthenticated)
}

/// The authenticated principal, if it is of `kind`.
async fn of_kind(parts: &Parts, state: &AppState, kind: PrincipalKind) -> Result<Principal, ApiError> {
    let p = authenticated(parts, state).await?;
    if p.kind == kind {
        Ok(p)
    } else {
        Err(ApiError::Forbidden(format!(
            "this route is for {} principals; the caller is of kind {}",
            kind.as_str(),
            p.kind.as_str()
        )))
    }
}

macro_rules! kind_extractor {
    ($(#[$doc:meta])* $name:ident, $kind:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name(pub Principal);

        impl FromRequestParts<AppState> for $name {
            type Rejection = ApiError;

            async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
                of_kind(parts, state, $kind).await.map($name)
            }
        }
    };
}

kind_extractor!(
    /// A sender, carrier or consignee, with its keys.
    Party,
    PrincipalKind::Party
);
/// A control authority: by its bearer token, or by the session cookie of the inspector web app
/// ([`SESSION_COOKIE`]) on a request that proves it comes from the app's own pages (see [`same_origin`]).
#[derive(Debug, Clone)]
pub struct Authority(pub Principal);

impl FromRequestParts<AppState> for Authority {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if parts.headers.contains_key(axum::http::header::AUTHORIZATION) {
            return of_kind(parts, state, PrincipalKind::Authority).await.map(Authority);
        }
        let Some(id) = session_cookie(&parts.headers) else { return Err(ApiError::Unauthenticated) };
        same_origin(&parts.headers)?;
        // Sessions are only ever made for authorities, and checked against their token on every use.
        state.sessions.authenticate(&id).await?.map(Authority).ok_or(ApiError::Unauthenticated)
    }
}

/// The name of the inspector's session cookie.
pub const SESSION_COOKIE: &str = "ecmr_session";

/// The header the inspector's pages send with every request made with the session cookie. A page of another site
/// cannot send it without a CORS preflight, which the gateway never grants.
pub const APP_HEADER: &str = "x-ecmr-inspector";

/// The value of the session cookie in a request's `Cookie` headers, if any.
pub fn session_cookie(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// Refuses (403) a request made with the session cookie unless it carries [`APP_HEADER`] and, when the browser
/// says where it comes from (`Sec-Fetch-Site`), comes from the same origin: so a page of another site cannot make
/// the browser send the cookie with a request of its choosing (cross-site request forgery). `SameSite=Strict`
/// already keeps the cookie off cross-site requests; this holds also where that is not honoured.
///
/// # Errors
/// [`ApiError::Forbidden`] naming what is missing.
pub fn same_origin(headers: &axum::http::HeaderMap) -> Result<(), ApiError> {
    if headers.get(APP_HEADER).is_none() {
        return Err(ApiError::Forbidden(format!(
            "a request with the inspector's session cookie must carry the header {APP_HEADER}"
        )));
    }
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && site != "same-origin"
    {
        return Err(ApiError::Forbidden(format!("a request from {site} may not use the inspector's session")));
    }
    Ok(())
}
kind_extractor!(
    /// Another eFTI gate using this gateway as its platform.
    Gate,
    PrincipalKind::Gate
);
kind_extractor!(
    /// An operator of this gateway.
    Admin,
    PrincipalKind::Admin
);

/// An eFTI platform with its platform id (a platform principal without one is refused).
#[derive(Debug, Clone)]
pub struct Platform {
    /// The principal.
    pub principal: Principal,
    /// Its eFTI platform id.
    pub platform_id: String,
}

impl FromRequestParts<AppState> for Platform {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let principal = of_kind(parts, state, PrincipalKind::Platform).await?;
        let platform_id = platform_id_of(&principal).map(str::to_owned).ok_or_else(|| {
            ApiError::Forbidden(
                "this platform principal has no eFTI platform id: set \"platformId\" in its details".to_owned(),
            )
        })?;
        Ok(Platform { principal, platform_id })
    }
}

/// Longest client request id accepted.
pub const CLIENT_REQUEST_ID_MAX: usize = 64;

/// The request id a client gave, when it was acceptable (see [`request_ids`]).
#[derive(Debug, Clone)]
struct ClientRequestId(String);

/// Whether a client's request id is short and plain: 1 to [`CLIENT_REQUEST_ID_MAX`] of `A-Z a-z 0-9 . _ -`.
pub fn is_plain_request_id(id: &[u8]) -> bool {
    !id.is_empty()
        && id.len() <= CLIENT_REQUEST_ID_MAX
        && id.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Middleware giving every request the gateway's own id in `x-request-id` (for the logs, problem documents and
/// audit entries). A client's `X-Request-Id` is never taken as the gateway's: when short and plain it is kept
/// apart (audit details, and `x-client-request-id` on the answer); anything else is refused with 400, so that no
/// client writes long or forged ids into the append-only log.
pub async fn request_ids(mut req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let ours = uuid::Uuid::now_v7().to_string();
    let Ok(ours_header) = axum::http::HeaderValue::from_str(&ours) else {
        return ApiError::Internal("a request id is not a header value".into()).into_response();
    };
    let client = req.headers_mut().remove("x-request-id");
    if let Some(c) = &client {
        if !is_plain_request_id(c.as_bytes()) {
            let mut problem = ApiError::BadRequest(format!(
                "X-Request-Id must be 1 to {CLIENT_REQUEST_ID_MAX} characters of A-Z a-z 0-9 . _ -"
            ))
            .problem();
            problem.request_id = Some(ours);
            let mut resp = crate::error::problem_response(problem);
            resp.headers_mut().insert("x-request-id", ours_header);
            return resp;
        }
        req.extensions_mut().insert(ClientRequestId(c.to_str().unwrap_or_default().to_owned()));
    }
    req.headers_mut().insert("x-request-id", ours_header);
    let mut resp = next.run(req).await;
    if let Some(c) = client {
        resp.headers_mut().insert("x-client-request-id", c);
    }
    resp
}

/// Where the request came from, for audit entries: the gateway's request id and the client's, if any.
#[derive(Debug, Clone, Default)]
pub struct RequestId(pub Origin);

impl RequestId {
    /// The origin of the request.
    pub fn get(&self) -> &Origin {
        &self.0
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RequestId {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let request_id = parts.headers.get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let client_request_id = parts.extensions.get::<ClientRequestId>().map(|c| c.0.clone());
        Ok(RequestId(Origin { request_id, client_request_id }))
    }
}

/// The media types a body may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MediaType {
    /// `application/json` or `application/*+json`.
    Json,
    /// `application/xml`, `text/xml` or `application/*+xml`.
    Xml,
    /// `text/plain`.
    Text,
}

impl MediaType {
    fn accepts(self, essence: &str) -> bool {
        match self {
            MediaType::Json => {
                essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
            }
            MediaType::Xml => {
                essence == "application/xml"
                    || essence == "text/xml"
                    || (essence.starts_with("application/") && essence.ends_with("+xml"))
            }
            MediaType::Text => essence == "text/plain",
        }
    }

    fn name(self) -> &'static str {
        match self {
            MediaType::Json => "application/json",
            MediaType::Xml => "application/xml",
            MediaType::Text => "text/plain",
        }
    }
}

/// The body of a request whose `Content-Type` (when given) is `kind`: another media type is refused with 415.
/// A request without `Content-Type` is taken as `kind`, as simple clients send none.
async fn body_of(req: axum::extract::Request, state: &AppState, kind: MediaType) -> Result<Bytes, Response> {
    if let Some(value) = req.headers().get(axum::http::header::CONTENT_TYPE) {
        let text = value.to_str().unwrap_or_default();
        let essence = text.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        if !kind.accepts(&essence) {
            return Err(ApiError::UnsupportedMediaType(format!(
                "this route takes {} bodies; the request says Content-Type: {text}",
                kind.name()
            ))
            .into_response());
        }
    }
    Bytes::from_request(req, state).await.map_err(IntoResponse::into_response)
}

/// A JSON request body (`application/json` or a `+json` type; no `Content-Type` is taken as JSON). Another media
/// type is refused with 415 before the body is read.
#[derive(Debug, Clone)]
pub struct JsonBytes(pub Bytes);

impl FromRequest<AppState> for JsonBytes {
    type Rejection = Response;

    async fn from_request(req: axum::extract::Request, state: &AppState) -> Result<Self, Response> {
        body_of(req, state, MediaType::Json).await.map(JsonBytes)
    }
}

/// An XML request body (`application/xml`, `text/xml` or a `+xml` type; no `Content-Type` is taken as XML).
/// Another media type is refused with 415 before the body is read.
#[derive(Debug, Clone)]
pub struct XmlBytes(pub Bytes);

impl FromRequest<AppState> for XmlBytes {
    type Rejection = Response;

    async fn from_request(req: axum::extract::Request, state: &AppState) -> Result<Self, Response> {
        body_of(req, state, MediaType::Xml).await.map(XmlBytes)
    }
}

/// A plain text request body (`text/plain`; no `Content-Type` is taken as text). Another media type is refused
/// with 415 before the body is read. The bytes are not checked to be UTF-8: that is the route's to say.
#[derive(Debug, Clone)]
pub struct TextBytes(pub Bytes);

impl FromRequest<AppState> for TextBytes {
    type Rejection = Response;

    async fn from_request(req: axum::extract::Request, state: &AppState) -> Result<Self, Response> {
        body_of(req, state, MediaType::Text).await.map(TextBytes)
    }
}

/// The address of the peer that sent the request (the unspecified address when the request came otherwise than
/// over a socket, as in tests). Behind a reverse proxy it is the proxy's.
#[derive(Debug, Clone, Copy)]
pub struct PeerIp(pub std::net::IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for PeerIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>();
        Ok(PeerIp(peer.map_or(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED), |c| c.0.ip())))
    }
}
