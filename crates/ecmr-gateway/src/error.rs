//! Every error the HTTP API answers with, and the one place where they become RFC 9457 problem documents.
//!
//! Each variant has a stable `type` URI (`urn:ecmr:problem:<slug>`). Internal faults are logged with their cause
//! and answered with a generic 500 that carries only the request id.

use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::service::documents::{DocumentError, RefusalKind};
use crate::service::efti::EftiError;
use crate::service::principals::PrincipalError;
use crate::store::StoreError;

/// Media type of problem documents.
pub use ecmr_wire::problem::PROBLEM_JSON;

/// Marks an error response whose body is already what the route documents (the eFTI DTOs answer some errors
/// themselves); [`problems`] leaves such responses alone.
#[derive(Debug, Clone, Copy)]
pub struct RawBody;

/// The kinds of problem the gateway answers with: each has a stable `type` URI (`urn:ecmr:problem:<slug>`), a
/// title and an HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProblemType {
    /// 401: no valid bearer token.
    Unauthenticated,
    /// 403: the caller may not do this.
    Forbidden,
    /// 404: no such resource, or none the caller may see; also an unknown route.
    NotFound,
    /// 405: the route does not take the method.
    MethodNotAllowed,
    /// 400: the request is malformed (query, path, headers).
    BadRequest,
    /// 400: the body is not strict JSON.
    MalformedJson,
    /// 413: the body is larger than accepted.
    PayloadTooLarge,
    /// 415: the body's media type is not one the route takes.
    UnsupportedMediaType,
    /// 422: the document does not verify.
    VerificationFailed,
    /// 422: the consignment note is invalid.
    InvalidNote,
    /// 422: the event does not verify or is not allowed now.
    InvalidEvent,
    /// 422: the request is well-formed JSON but not what the route takes.
    InvalidRequest,
    /// 422: the key that signed `issued` is not, by the party directory, the sender the note names.
    SenderIdentityMismatch,
    /// 422: the key that signed a later event is not, by the party directory, the party the note names for its
    /// role.
    SignerIdentityMismatch,
    /// 422: the document holds, or would hold, more events than a document may.
    TooManyEvents,
    /// 409: another document with this id is stored (its chain differs from the submitted one from seq 0).
    DocumentIdTaken,
    /// 409: the submitted document's chain differs from the stored one at a seq after 0.
    ChainDiverged,
    /// 409: the sender already used this note number.
    NoteNumberTaken,
    /// 409: another event already holds this seq.
    EventSeqTaken,
    /// 409: the change would leave no active admin.
    LastAdmin,
    /// 503 (or 408): the request took longer than allowed.
    Timeout,
    /// 503: the store is unreachable or shutting down.
    Unavailable,
    /// 429: too many failed attempts from this address; try again later.
    TooManyRequests,
    /// 500: a fault of the gateway.
    Internal,
}

impl ProblemType {
    /// The slug of the `type` URI.
    pub fn slug(self) -> &'static str {
        match self {
            ProblemType::Unauthenticated => "unauthenticated",
            ProblemType::Forbidden => "forbidden",
            ProblemType::NotFound => "not-found",
            ProblemType::MethodNotAllowed => "method-not-allowed",
            ProblemType::BadRequest => "bad-request",
            ProblemType::MalformedJson => "malformed-json",
            ProblemType::PayloadTooLarge => "payload-too-large",
            ProblemType::UnsupportedMediaType => "unsupported-media-type",
            ProblemType::VerificationFailed => "verification-failed",
            ProblemType::InvalidNote => "invalid-note",
            ProblemType::SenderIdentityMismatch => "sender-identity-mismatch",
            ProblemType::SignerIdentityMismatch => "signer-identity-mismatch",
            ProblemType::InvalidEvent => "invalid-event",
            ProblemType::InvalidRequest => "invalid-request",
            ProblemType::DocumentIdTaken => "document-id-taken",
            ProblemType::ChainDiverged => "chain-diverged",
            ProblemType::NoteNumberTaken => "note-number-taken",
            ProblemType::EventSeqTaken => "event-seq-taken",
            ProblemType::TooManyEvents => "too-many-events",
            ProblemType::LastAdmin => "last-admin",
            ProblemType::Timeout => "timeout",
            ProblemType::Unavailable => "unavailable",
            ProblemType::TooManyRequests => "too-many-requests",
            ProblemType::Internal => "internal",
        }
    }

    /// The short summary of the kind.
    pub fn title(self) -> &'static str {
        match self {
            ProblemType::Unauthenticated => "Authentication required",
            ProblemType::Forbidden => "Not allowed",
            ProblemType::NotFound => "Not found",
            ProblemType::MethodNotAllowed => "Method not allowed",
            ProblemType::BadRequest => "Bad request",
            ProblemType::MalformedJson => "Malformed JSON",
            ProblemType::PayloadTooLarge => "Payload too large",
            ProblemType::UnsupportedMediaType => "Unsupported media type",
            ProblemType::VerificationFailed => "The document does not verify",
            ProblemType::InvalidNote => "The consignment note is invalid",
            ProblemType::InvalidEvent => "The event is not allowed",
            ProblemType::InvalidRequest => "The request cannot be processed",
            ProblemType::SenderIdentityMismatch => "The signer is not the sender the note names",
            ProblemType::SignerIdentityMismatch => "The signer is not the party the note names for the role",
            ProblemType::TooManyEvents => "Too many events for one document",
            ProblemType::DocumentIdTaken
            | ProblemType::ChainDiverged
            | ProblemType::NoteNumberTaken
            | ProblemType::EventSeqTaken => "Conflict",
            ProblemType::LastAdmin => "The last admin must remain",
            ProblemType::Timeout => "Timed out",
            ProblemType::Unavailable => "Service unavailable",
            ProblemType::TooManyRequests => "Too many requests",
            ProblemType::Internal => "Internal error",
        }
    }

    /// The HTTP status.
    pub fn status(self) -> StatusCode {
        match self {
            ProblemType::Unauthenticated => StatusCode::UNAUTHORIZED,
            ProblemType::Forbidden => StatusCode::FORBIDDEN,
            ProblemType::NotFound => StatusCode::NOT_FOUND,
            ProblemType::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ProblemType::BadRequest | ProblemType::MalformedJson => StatusCode::BAD_REQUEST,
            ProblemType::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ProblemType::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ProblemType::VerificationFailed
            | ProblemType::InvalidNote
            | ProblemType::InvalidEvent
            | ProblemType::InvalidRequest
            | ProblemType::SenderIdentityMismatch
            | ProblemType::SignerIdentityMismatch
            | ProblemType::TooManyEvents => StatusCode::UNPROCESSABLE_ENTITY,
            ProblemType::DocumentIdTaken
            | ProblemType::ChainDiverged
            | ProblemType::NoteNumberTaken
            | ProblemType::EventSeqTaken
            | ProblemType::LastAdmin => StatusCode::CONFLICT,
            ProblemType::Timeout | ProblemType::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ProblemType::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            ProblemType::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// The error codes of the eFTI reference implementation that this gateway answers with inside its DTOs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
#[allow(missing_docs)] // Each variant is the RI code of the same name.
pub enum RiCode {
    UilGateMissing,
    UilGateTooLong,
    UilGateIncorrectFormat,
    UilGateNotLocal,
    UilPlatformMissing,
    UilPlatformTooLong,
    UilPlatformIncorrectFormat,
    UilPlatformNotLocal,
    UilUuidMissing,
    UilUuidTooLong,
    UilUuidIncorrectFormat,
    SubsetIdMissing,
    SubsetIdIncorrect,
    SubsetNotAllowed,
    DataNotFound,
    IdNotFound,
    NoteTooLong,
    IdentifierMissing,
    IdentifierTooLong,
    IdentifierIncorrectFormat,
    IdentifierTypeIncorrect,
    ModeCodeIncorrectFormat,
    RegistrationCountryIncorrect,
    GateIndicatorIncorrect,
    DefaultError,
}

impl RiCode {
    /// The code as the RI writes it, e.g. `UIL_GATE_NOT_LOCAL`.
    pub fn as_str(self) -> &'static str {
        match self {
            RiCode::UilGateMissing => "UIL_GATE_MISSING",
            RiCode::UilGateTooLong => "UIL_GATE_TOO_LONG",
            RiCode::UilGateIncorrectFormat => "UIL_GATE_INCORRECT_FORMAT",
            RiCode::UilGateNotLocal => "UIL_GATE_NOT_LOCAL",
            RiCode::UilPlatformMissing => "UIL_PLATFORM_MISSING",
            RiCode::UilPlatformTooLong => "UIL_PLATFORM_TOO_LONG",
            RiCode::UilPlatformIncorrectFormat => "UIL_PLATFORM_INCORRECT_FORMAT",
            RiCode::UilPlatformNotLocal => "UIL_PLATFORM_NOT_LOCAL",
            RiCode::UilUuidMissing => "UIL_UUID_MISSING",
            RiCode::UilUuidTooLong => "UIL_UUID_TOO_LONG",
            RiCode::UilUuidIncorrectFormat => "UIL_UUID_INCORRECT_FORMAT",
            RiCode::SubsetIdMissing => "SUBSET_ID_MISSING",
            RiCode::SubsetIdIncorrect => "SUBSET_ID_INCORRECT",
            RiCode::SubsetNotAllowed => "SUBSET_NOT_ALLOWED",
            RiCode::DataNotFound => "DATA_NOT_FOUND",
            RiCode::IdNotFound => "ID_NOT_FOUND",
            RiCode::NoteTooLong => "NOTE_TOO_LONG",
            RiCode::IdentifierMissing => "IDENTIFIER_MISSING",
            RiCode::IdentifierTooLong => "IDENTIFIER_TOO_LONG",
            RiCode::IdentifierIncorrectFormat => "IDENTIFIER_INCORRECT_FORMAT",
            RiCode::IdentifierTypeIncorrect => "IDENTIFIER_TYPE_INCORRECT",
            RiCode::ModeCodeIncorrectFormat => "MODE_CODE_INCORRECT_FORMAT",
            RiCode::RegistrationCountryIncorrect => "REGISTRATION_COUNTRY_INCORRECT",
            RiCode::GateIndicatorIncorrect => "GATE_INDICATOR_INCORRECT",
            RiCode::DefaultError => "DEFAULT_ERROR",
        }
    }

    /// The code named `s`, as stored with an answered request.
    pub fn parse(s: &str) -> Option<RiCode> {
        RiCode::ALL.into_iter().find(|c| c.as_str() == s)
    }

    const ALL: [RiCode; 25] = [
        RiCode::UilGateMissing,
        RiCode::UilGateTooLong,
        RiCode::UilGateIncorrectFormat,
        RiCode::UilGateNotLocal,
        RiCode::UilPlatformMissing,
        RiCode::UilPlatformTooLong,
        RiCode::UilPlatformIncorrectFormat,
        RiCode::UilPlatformNotLocal,
        RiCode::UilUuidMissing,
        RiCode::UilUuidTooLong,
        RiCode::UilUuidIncorrectFormat,
        RiCode::SubsetIdMissing,
        RiCode::SubsetIdIncorrect,
        RiCode::SubsetNotAllowed,
        RiCode::DataNotFound,
        RiCode::IdNotFound,
        RiCode::NoteTooLong,
        RiCode::IdentifierMissing,
        RiCode::IdentifierTooLong,
        RiCode::IdentifierIncorrectFormat,
        RiCode::IdentifierTypeIncorrect,
        RiCode::ModeCodeIncorrectFormat,
        RiCode::RegistrationCountryIncorrect,
        RiCode::GateIndicatorIncorrect,
        RiCode::DefaultError,
    ];
}

impl From<&ecmr::efti::search::QueryError> for RiCode {
    fn from(e: &ecmr::efti::search::QueryError) -> RiCode {
        use ecmr::efti::search::QueryError;
        match e {
            QueryError::IdentifierMissing => RiCode::IdentifierMissing,
            QueryError::IdentifierTooLong => RiCode::IdentifierTooLong,
            QueryError::IdentifierIncorrectFormat => RiCode::IdentifierIncorrectFormat,
            QueryError::IdentifierTypeIncorrect => RiCode::IdentifierTypeIncorrect,
            QueryError::ModeCodeIncorrectFormat => RiCode::ModeCodeIncorrectFormat,
            QueryError::RegistrationCountryIncorrect => RiCode::RegistrationCountryIncorrect,
            _ => RiCode::DefaultError,
        }
    }
}

/// An eFTI request refused the reference implementation's way: its code and a description, answered inside the
/// request's DTO (`status: ERROR`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code:?}: {description}")]
pub struct RiError {
    /// The RI error code.
    pub code: RiCode,
    /// What went wrong.
    pub description: String,
}

impl RiError {
    /// An error of `code` saying `description`.
    pub fn new(code: RiCode, description: impl Into<String>) -> RiError {
        RiError { code, description: description.into() }
    }
}

impl From<ecmr::efti::search::QueryError> for RiError {
    fn from(e: ecmr::efti::search::QueryError) -> RiError {
        RiError { code: RiCode::from(&e), description: e.to_string() }
    }
}

/// An error answered to a client as a problem document.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// No valid bearer token.
    #[error("a valid bearer token is required: send the header `Authorization: Bearer <token>`")]
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
    /// The body's media type is not one the route takes.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The document or event does not verify, the note is invalid, or the request body does not fit.
    #[error("{detail}")]
    Unprocessable {
        /// [`ProblemType::VerificationFailed`], [`ProblemType::InvalidNote`], [`ProblemType::InvalidEvent`] or
        /// [`ProblemType::InvalidRequest`].
        problem: ProblemType,
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
        /// [`ProblemType::DocumentIdTaken`], [`ProblemType::NoteNumberTaken`] or [`ProblemType::EventSeqTaken`].
        problem: ProblemType,
        /// What conflicts.
        detail: String,
    },
    /// A submitted document's chain differs from the stored one: [`ProblemType::DocumentIdTaken`] when it does
    /// from seq 0, else [`ProblemType::ChainDiverged`].
    #[error("{detail}")]
    Diverged {
        /// What differs.
        detail: String,
        /// The first seq at which the chains differ.
        seq: u64,
        /// Digest of the stored event at `seq`.
        stored_digest: String,
        /// Digest of the submitted event at `seq`.
        submitted_digest: String,
    },
    /// The store is unreachable or shutting down.
    #[error("the service is unavailable: {0}")]
    Unavailable(String),
    /// Too many failed attempts from the caller's address.
    #[error("{0}")]
    TooManyRequests(String),
    /// A fault of the gateway; the cause is logged, never sent.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    /// A 422 `invalid-request`: the body is JSON but not what the route takes.
    pub fn invalid_request(detail: impl Into<String>) -> ApiError {
        ApiError::Unprocessable {
            problem: ProblemType::InvalidRequest,
            detail: detail.into(),
            failures: Vec::new(),
            findings: Vec::new(),
        }
    }

    /// The error of a body that [`ecmr::canonical::parse_strict`] refused: 413 when too large, else 400.
    pub fn from_strict_json(e: ecmr::canonical::StrictJsonError) -> ApiError {
        match e.kind {
            ecmr::canonical::StrictJsonErrorKind::TooLarge => ApiError::PayloadTooLarge(e.message),
            _ => ApiError::MalformedJson { pointer: e.pointer, line: e.line, column: e.column, message: e.message },
        }
    }
}

/// A query string the route's parameters do not take: 400 with axum's account of what is wrong.
impl From<QueryRejection> for ApiError {
    fn from(e: QueryRejection) -> Self {
        ApiError::BadRequest(e.body_text())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Closed => ApiError::Unavailable("the store is shutting down".into()),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<DocumentError> for ApiError {
    fn from(e: DocumentError) -> Self {
        let detail = e.to_string();
        match e {
            DocumentError::Malformed { pointer, line, column, message } => {
                ApiError::MalformedJson { pointer, line, column, message }
            }
            DocumentError::TooLarge(m) => ApiError::PayloadTooLarge(m),
            DocumentError::Refused(r) => ApiError::Unprocessable {
                problem: match r.kind {
                    RefusalKind::VerificationFailed => ProblemType::VerificationFailed,
                    RefusalKind::InvalidNote => ProblemType::InvalidNote,
                    RefusalKind::InvalidEvent => ProblemType::InvalidEvent,
                },
                detail: r.detail,
                failures: r.failures,
                findings: r.findings,
            },
            DocumentError::IdentityMismatch { seq, .. } => ApiError::Unprocessable {
                problem: if seq == 0 {
                    ProblemType::SenderIdentityMismatch
                } else {
                    ProblemType::SignerIdentityMismatch
                },
                detail,
                failures: Vec::new(),
                findings: Vec::new(),
            },
            DocumentError::NotASigner | DocumentError::NotYourKey => ApiError::Forbidden(detail),
            DocumentError::NotAParty(_) => ApiError::invalid_request(detail),
            DocumentError::TooManyEvents(_) => ApiError::Unprocessable {
                problem: ProblemType::TooManyEvents,
                detail,
                failures: Vec::new(),
                findings: Vec::new(),
            },
            DocumentError::NotFound(_) => ApiError::NotFound(detail),
            DocumentError::Diverged { seq, stored, submitted, .. } => {
                ApiError::Diverged { detail, seq, stored_digest: stored, submitted_digest: submitted }
            }
            DocumentError::NoteNumberTaken { .. } => {
                ApiError::Conflict { problem: ProblemType::NoteNumberTaken, detail }
            }
            DocumentError::SeqTaken { .. } => ApiError::Conflict { problem: ProblemType::EventSeqTaken, detail },
            DocumentError::Corrupt { .. } => ApiError::Internal(detail),
            DocumentError::Store(e) => e.into(),
        }
    }
}

impl From<PrincipalError> for ApiError {
    fn from(e: PrincipalError) -> Self {
        match e {
            PrincipalError::Invalid(m) => ApiError::invalid_request(m),
            PrincipalError::NotFound(id) => ApiError::NotFound(format!("no active principal or token {id}")),
            e @ PrincipalError::LastAdmin => {
                ApiError::Conflict { problem: ProblemType::LastAdmin, detail: e.to_string() }
            }
            PrincipalError::Store(e) => e.into(),
            PrincipalError::Random(m) => ApiError::Internal(m),
        }
    }
}

impl From<crate::service::shares::ShareError> for ApiError {
    fn from(e: crate::service::shares::ShareError) -> Self {
        use crate::service::shares::ShareError;
        let detail = e.to_string();
        match e {
            ShareError::Invalid(_) => ApiError::invalid_request(detail),
            ShareError::NotFound(_) => ApiError::NotFound(detail),
            ShareError::Throttled(_) => ApiError::TooManyRequests(detail),
            ShareError::Random(_) => ApiError::Internal(detail),
            ShareError::Document(e) => e.into(),
            ShareError::Store(e) => e.into(),
        }
    }
}

impl From<crate::service::sessions::SessionError> for ApiError {
    fn from(e: crate::service::sessions::SessionError) -> Self {
        use crate::service::sessions::SessionError;
        let detail = e.to_string();
        match e {
            SessionError::BadToken => ApiError::Unauthenticated,
            SessionError::NotAnAuthority(_) => ApiError::Forbidden(detail),
            SessionError::Random(_) => ApiError::Internal(detail),
            SessionError::Store(e) => e.into(),
        }
    }
}

impl From<EftiError> for ApiError {
    fn from(e: EftiError) -> Self {
        let detail = e.to_string();
        match e {
            EftiError::NotFound(_) => ApiError::NotFound(detail),
            EftiError::BadSubsets(_) => ApiError::BadRequest(detail),
            EftiError::NotEntitled(_) => ApiError::Forbidden(detail),
            EftiError::Corrupt(_) => ApiError::Internal(detail),
            EftiError::Store(e) => e.into(),
        }
    }
}

pub use ecmr_wire::Problem;

/// A problem of a kind.
pub fn problem_of(kind: ProblemType, detail: Option<String>) -> Problem {
    problem_with_status(kind, kind.status(), detail)
}

/// A problem of a kind answered with another status than its usual one (a framework's 408 timeout).
fn problem_with_status(kind: ProblemType, status: StatusCode, detail: Option<String>) -> Problem {
    Problem {
        type_: format!("urn:ecmr:problem:{}", kind.slug()),
        title: kind.title().to_owned(),
        status: status.as_u16(),
        detail,
        request_id: None,
        failures: Vec::new(),
        findings: Vec::new(),
        pointer: None,
        seq: None,
        stored_digest: None,
        submitted_digest: None,
    }
}

/// The answer carrying a problem document (the problem is also kept in the answer's extensions).
pub(crate) fn problem_response(problem: Problem) -> Response {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_vec(&problem).unwrap_or_default();
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = status;
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    if status == StatusCode::UNAUTHORIZED {
        resp.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    resp.extensions_mut().insert(problem);
    resp
}

impl ApiError {
    /// The kind of problem.
    pub fn problem_type(&self) -> ProblemType {
        match self {
            ApiError::Unauthenticated => ProblemType::Unauthenticated,
            ApiError::Forbidden(_) => ProblemType::Forbidden,
            ApiError::NotFound(_) => ProblemType::NotFound,
            ApiError::BadRequest(_) => ProblemType::BadRequest,
            ApiError::MalformedJson { .. } => ProblemType::MalformedJson,
            ApiError::PayloadTooLarge(_) => ProblemType::PayloadTooLarge,
            ApiError::UnsupportedMediaType(_) => ProblemType::UnsupportedMediaType,
            ApiError::Unprocessable { problem, .. } | ApiError::Conflict { problem, .. } => *problem,
            ApiError::Diverged { seq: 0, .. } => ProblemType::DocumentIdTaken,
            ApiError::Diverged { .. } => ProblemType::ChainDiverged,
            ApiError::Unavailable(_) => ProblemType::Unavailable,
            ApiError::TooManyRequests(_) => ProblemType::TooManyRequests,
            ApiError::Internal(_) => ProblemType::Internal,
        }
    }

    /// The problem document for this error (without request id).
    pub fn problem(&self) -> Problem {
        let detail = match self {
            ApiError::Internal(_) => INTERNAL_DETAIL.to_owned(),
            other => other.to_string(),
        };
        let mut p = problem_of(self.problem_type(), Some(detail));
        match self {
            ApiError::MalformedJson { pointer, .. } => p.pointer = Some(pointer.clone()),
            ApiError::Unprocessable { failures, findings, .. } => {
                p.failures = failures.iter().filter_map(|f| serde_json::to_value(f).ok()).collect();
                p.findings = findings.iter().filter_map(|f| serde_json::to_value(f).ok()).collect();
            }
            ApiError::Diverged { seq, stored_digest, submitted_digest, .. } => {
                p.seq = Some(*seq);
                p.stored_digest = Some(stored_digest.clone());
                p.submitted_digest = Some(submitted_digest.clone());
            }
            _ => {}
        }
        p
    }
}

/// What a 500 answer says: the cause stays in the log.
const INTERNAL_DETAIL: &str = "the gateway failed; quote the request id when reporting this";

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(cause) = &self {
            tracing::error!(cause = %cause, "internal error");
        }
        problem_response(self.problem())
    }
}

/// Middleware that puts the request id into every problem document and turns the bare error responses of the
/// framework and the layers (unknown route 404, 405, 413 body too large, timeouts) into problem documents too.
/// `body_limit` is the largest body accepted, named in a 413's detail.
pub async fn problems(State(body_limit): State<usize>, req: Request, next: Next) -> Response {
    let request_id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let resp = next.run(req).await;
    if resp.extensions().get::<RawBody>().is_some() {
        return resp;
    }
    let status = resp.status();
    let problem = match resp.extensions().get::<Problem>() {
        Some(p) => p.clone(),
        None if status.is_client_error() || status.is_server_error() => bare(status, body_limit),
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

fn bare(status: StatusCode, body_limit: usize) -> Problem {
    let (kind, detail) = match status {
        StatusCode::NOT_FOUND => (ProblemType::NotFound, Some("no such route")),
        StatusCode::METHOD_NOT_ALLOWED => (ProblemType::MethodNotAllowed, Some("this route does not take that method")),
        StatusCode::PAYLOAD_TOO_LARGE => {
            let detail = format!("the body is larger than the {body_limit} bytes this gateway accepts");
            return problem_of(ProblemType::PayloadTooLarge, Some(detail));
        }
        StatusCode::REQUEST_TIMEOUT | StatusCode::SERVICE_UNAVAILABLE => {
            (ProblemType::Timeout, Some("the request took longer than the gateway allows"))
        }
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (ProblemType::UnsupportedMediaType, None),
        other if other.is_server_error() => (ProblemType::Internal, Some(INTERNAL_DETAIL)),
        other => {
            let mut p = problem_with_status(ProblemType::BadRequest, other, None);
            p.title = other.canonical_reason().unwrap_or("Bad request").to_owned();
            return p;
        }
    };
    problem_with_status(kind, status, detail.map(str::to_owned))
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
            (ApiError::Conflict { problem: ProblemType::EventSeqTaken, detail: "x".into() }, 409, "event-seq-taken"),
            (ApiError::Unavailable("x".into()), 503, "unavailable"),
            (ApiError::TooManyRequests("x".into()), 429, "too-many-requests"),
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
