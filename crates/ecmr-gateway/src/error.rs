//! Every error the HTTP API answers with, and the one place where they become RFC 9457 problem documents.
//!
//! Each variant has a stable `type` URI (`urn:ecmr:problem:<slug>`). Internal faults are logged with their cause
//! and answered with a generic 500 that carries only the request id.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::store::StoreError;

/// Media type of problem documents.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Marks an error response whose body is already what the route documents (the eFTI DTOs answer some errors
/// themselves); [`problems`] leaves such responses alone.
#[derive(Debug, Clone, Copy)]
pub struct RawBody;

/// An error answered to a client.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// No valid bearer token.
    #[error("a valid bearer token is required")]
    Unauthenticated,
    /// The caller may not use this route.
    #[error("{0}")]
    Forbidden(String),
    /// No such resource, or not one the caller may see.
    #[error("{0}")]
    NotFound(String),
    /// The request is malformed (query, path, headers).
    #[error("{0}")]
    BadRequest(String),
    /// The body is not strict JSON.
    #[error("the body is not valid JSON: {message} at {}", if pointer.is_empty() { format!("line {line}, column {column}") } else { format!("{pointer} (line {line}, column {column})") })]
    MalformedJson {
        /// JSON pointer of the value at fault.
        pointer: String,
        /// Line.
        line: usize,
        /// Column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// The body is larger than accepted.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// The document or event does not verify, or the note is invalid.
    #[error("{detail}")]
    Unprocessable {
        /// Problem slug (`verification-failed`, `invalid-note`, `invalid-event`, `invalid-request`).
        slug: &'static str,
        /// Summary.
        detail: String,
        /// Verification failures, when it was verification that failed.
        failures: Vec<ecmr::verify::Failure>,
        /// Validation findings of the note.
        findings: Vec<ecmr::validate::Finding>,
    },
    /// Conflicts with what is stored.
    #[error("{detail}")]
    Conflict {
        /// Problem slug (`document-id-taken`, `note-number-taken`, `event-seq-taken`).
        slug: &'static str,
        /// What conflicts.
        detail: String,
    },
    /// The store is unreachable or shutting down.
    #[error("the service is unavailable: {0}")]
    Unavailable(String),
    /// A fault of the gateway; the cause is logged, never sent.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Closed => ApiError::Unavailable("the store is shutting down".into()),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

/// The problem document (RFC 9457) with this API's extension members.
#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Problem {
    /// Stable URI naming the kind of problem, `urn:ecmr:problem:<slug>`.
    #[serde(rename = "type")]
    pub type_: String,
    /// Short summary of the kind.
    pub title: String,
    /// HTTP status.
    pub status: u16,
    /// What went wrong in this case.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The request id (also in the `x-request-id` header), to find the log lines.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Verification failures, each with the event's `seq` and a named `failure`.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    #[schema(value_type = Vec<Object>)]
    pub failures: Vec<serde_json::Value>,
    /// Validation findings of the note (`severity`, `path`, `code`, `message`).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    #[schema(value_type = Vec<Object>)]
    pub findings: Vec<serde_json::Value>,
    /// Where in the body the problem is (JSON pointer), for malformed JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
}

impl Problem {
    /// A problem of a slug and status with a title.
    pub fn new(slug: &str, status: StatusCode, title: &str, detail: Option<String>) -> Problem {
        Problem {
            type_: format!("urn:ecmr:problem:{slug}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail,
            request_id: None,
            failures: Vec::new(),
            findings: Vec::new(),
            pointer: None,
        }
    }

    fn into_response_with(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut resp = Response::new(Body::from(body));
        *resp.status_mut() = status;
        resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        resp.extensions_mut().insert(self);
        resp
    }
}

impl ApiError {
    /// The problem document for this error (without request id).
    pub fn problem(&self) -> Problem {
        let detail = Some(self.to_string());
        match self {
            ApiError::Unauthenticated => {
                Problem::new("unauthenticated", StatusCode::UNAUTHORIZED, "Authentication required", detail)
            }
            ApiError::Forbidden(_) => Problem::new("forbidden", StatusCode::FORBIDDEN, "Not allowed", detail),
            ApiError::NotFound(_) => Problem::new("not-found", StatusCode::NOT_FOUND, "Not found", detail),
            ApiError::BadRequest(_) => Problem::new("bad-request", StatusCode::BAD_REQUEST, "Bad request", detail),
            ApiError::MalformedJson { pointer, .. } => {
                let mut p = Problem::new("malformed-json", StatusCode::BAD_REQUEST, "Malformed JSON", detail);
                p.pointer = Some(pointer.clone());
                p
            }
            ApiError::PayloadTooLarge(_) => {
                Problem::new("payload-too-large", StatusCode::PAYLOAD_TOO_LARGE, "Payload too large", detail)
            }
            ApiError::Unprocessable { slug, failures, findings, .. } => {
                let title = match *slug {
                    "verification-failed" => "The document does not verify",
                    "invalid-note" => "The consignment note is invalid",
                    "invalid-event" => "The event is not allowed",
                    _ => "The request cannot be processed",
                };
                let mut p = Problem::new(slug, StatusCode::UNPROCESSABLE_ENTITY, title, detail);
                p.failures = failures.iter().filter_map(|f| serde_json::to_value(f).ok()).collect();
                p.findings = findings.iter().filter_map(|f| serde_json::to_value(f).ok()).collect();
                p
            }
            ApiError::Conflict { slug, .. } => Problem::new(slug, StatusCode::CONFLICT, "Conflict", detail),
            ApiError::Unavailable(_) => {
                Problem::new("unavailable", StatusCode::SERVICE_UNAVAILABLE, "Service unavailable", detail)
            }
            ApiError::Internal(_) => Problem::new(
                "internal",
                StatusCode::INTERNAL_SERVER_ERROR,
                "Internal error",
                Some("the gateway failed; quote the request id when reporting this".into()),
            ),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(cause) = &self {
            tracing::error!(cause = %cause, "internal error");
        }
        self.problem().into_response_with()
    }
}

/// Middleware that puts the request id into every problem document and turns the bare error responses of the
/// framework and the layers (unknown route 404, 405, 413 body too large, timeouts) into problem documents too.
pub async fn problems(req: Request, next: Next) -> Response {
    let request_id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let resp = next.run(req).await;
    if resp.extensions().get::<RawBody>().is_some() {
        return resp;
    }
    let status = resp.status();
    let problem = match resp.extensions().get::<Problem>() {
        Some(p) => p.clone(),
        None if status.is_client_error() || status.is_server_error() => bare(status),
        None => return resp,
    };
    let mut problem = problem;
    problem.request_id = request_id;
    let (mut parts, _) = resp.into_parts();
    let body = serde_json::to_vec(&problem).unwrap_or_default();
    parts.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(body))
}

fn bare(status: StatusCode) -> Problem {
    match status {
        StatusCode::NOT_FOUND => Problem::new("not-found", status, "Not found", Some("no such route".into())),
        StatusCode::METHOD_NOT_ALLOWED => Problem::new(
            "method-not-allowed",
            status,
            "Method not allowed",
            Some("this route does not take that method".into()),
        ),
        StatusCode::PAYLOAD_TOO_LARGE => Problem::new(
            "payload-too-large",
            status,
            "Payload too large",
            Some("the body is larger than the gateway accepts".into()),
        ),
        StatusCode::REQUEST_TIMEOUT | StatusCode::SERVICE_UNAVAILABLE => {
            Problem::new("timeout", status, "Timed out", Some("the request took longer than the gateway allows".into()))
        }
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            Problem::new("unsupported-media-type", status, "Unsupported media type", None)
        }
        other if other.is_server_error() => Problem::new(
            "internal",
            other,
            "Internal error",
            Some("the gateway failed; quote the request id when reporting this".into()),
        ),
        other => Problem::new("bad-request", other, other.canonical_reason().unwrap_or("Bad request"), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_keep_their_cause_to_the_log() {
        let resp = ApiError::Internal("disk on fire at /var/lib/secret".into()).into_response();
        assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(resp.headers()[header::CONTENT_TYPE], PROBLEM_JSON);
        let p = resp.extensions().get::<Problem>().expect("problem");
        assert_eq!(p.type_, "urn:ecmr:problem:internal");
        assert!(!p.detail.clone().unwrap_or_default().contains("secret"));
    }

    #[test]
    fn every_error_has_a_stable_type_and_matching_status() {
        let cases = [
            (ApiError::Unauthenticated, 401, "unauthenticated"),
            (ApiError::Forbidden("x".into()), 403, "forbidden"),
            (ApiError::NotFound("x".into()), 404, "not-found"),
            (ApiError::BadRequest("x".into()), 400, "bad-request"),
            (ApiError::PayloadTooLarge("x".into()), 413, "payload-too-large"),
            (ApiError::Conflict { slug: "event-seq-taken", detail: "x".into() }, 409, "event-seq-taken"),
            (ApiError::Unavailable("x".into()), 503, "unavailable"),
        ];
        for (e, status, slug) in cases {
            let p = e.problem();
            assert_eq!(p.status, status);
            assert_eq!(p.type_, format!("urn:ecmr:problem:{slug}"));
        }
        let store: ApiError = StoreError::Closed.into();
        assert_eq!(store.problem().status, 503);
    }
}
