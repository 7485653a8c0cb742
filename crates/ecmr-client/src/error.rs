//! The one error every request can end with.

use std::time::Duration;

use ecmr_wire::Problem;

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The gateway answered with an error: a problem document, an eFTI reference-implementation error inside its
    /// DTO (`status: ERROR`), or an error status with some other body.
    #[error("{0}")]
    Api(Box<ApiError>),
    /// The request did not reach the gateway, or its answer did not come back (connection refused or reset, DNS,
    /// TLS).
    #[error("{method} {url} failed: {message} ({})", retry_note(*.retry_safe))]
    Network {
        /// The method.
        method: String,
        /// The URL.
        url: String,
        /// What went wrong.
        message: String,
        /// Whether sending the request again cannot do anything twice: the request is idempotent, or it was never
        /// sent (the connection could not be made).
        retry_safe: bool,
    },
    /// No answer within the client's timeout.
    #[error("{method} {url} got no answer within {after:?} ({})", retry_note(*.retry_safe))]
    Timeout {
        /// The method.
        method: String,
        /// The URL.
        url: String,
        /// The timeout.
        after: Duration,
        /// Whether the request is idempotent, so that sending it again cannot do anything twice.
        retry_safe: bool,
    },
    /// The gateway answered 2xx with a body that is not what the route documents.
    #[error("{method} {url}: unexpected answer: {message}")]
    Decode {
        /// The method.
        method: String,
        /// The URL.
        url: String,
        /// What is wrong with it.
        message: String,
    },
    /// The gateway URL is not an `http://` or `https://` URL this client can use.
    #[error("gateway URL {url:?}: {why}")]
    Url {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        why: String,
    },
    /// The request cannot be made from what was given (a body that does not serialise, a header value).
    #[error("cannot build the request: {0}")]
    Request(String),
}

fn retry_note(safe: bool) -> &'static str {
    if safe { "safe to retry" } else { "not known whether the gateway acted on it; retrying may repeat it" }
}

impl Error {
    /// Whether the same request may be sent again without risk of doing anything twice, and could then succeed:
    /// network failures and timeouts of idempotent requests (or of requests that never left), and the gateway's
    /// "unavailable" answers (429, 502, 503, 504) to idempotent requests.
    pub fn is_retry_safe(&self) -> bool {
        match self {
            Error::Network { retry_safe, .. } | Error::Timeout { retry_safe, .. } => *retry_safe,
            Error::Api(e) => e.idempotent && transient(e.status),
            _ => false,
        }
    }

    /// The gateway's answer, when it answered with an error.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Error::Api(e) => Some(e),
            _ => None,
        }
    }

    /// Whether the gateway answered 404 (no such resource, or not one the caller may see).
    pub fn is_not_found(&self) -> bool {
        self.api().is_some_and(|e| e.status == 404)
    }

    /// The URL of the request, when there was one.
    pub fn url(&self) -> Option<&str> {
        match self {
            Error::Api(e) => Some(&e.url),
            Error::Network { url, .. } | Error::Timeout { url, .. } | Error::Decode { url, .. } => Some(url),
            Error::Url { url, .. } => Some(url),
            Error::Request(_) => None,
        }
    }
}

/// Statuses that say "not now" rather than "no".
pub(crate) fn transient(status: u16) -> bool {
    matches!(status, 429 | 502 | 503 | 504)
}

/// An error answer of the gateway.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// The method of the request.
    pub method: String,
    /// The URL of the request.
    pub url: String,
    /// The HTTP status.
    pub status: u16,
    /// The problem document, on the gateway's own routes.
    pub problem: Option<Problem>,
    /// The reference implementation's error code (`UIL_GATE_NOT_LOCAL`, `ID_NOT_FOUND`, …), on the eFTI routes.
    pub ri_code: Option<String>,
    /// What the reference implementation's error says.
    pub ri_description: Option<String>,
    /// The body as text, when it was neither of the above (or the problem document was XML).
    pub body: String,
    /// Whether the request was idempotent.
    pub idempotent: bool,
}

impl ApiError {
    /// What kind of error: the problem's slug (`not-found`, `chain-diverged`, …), the RI error code, or
    /// `http-<status>`.
    pub fn code(&self) -> String {
        if let Some(p) = &self.problem {
            return p.slug().to_owned();
        }
        if let Some(c) = &self.ri_code {
            return c.clone();
        }
        format!("http-{}", self.status)
    }

    /// What went wrong, as the gateway said it.
    pub fn detail(&self) -> String {
        if let Some(d) = self.problem.as_ref().and_then(|p| p.detail.clone()) {
            return d;
        }
        if let Some(d) = &self.ri_description {
            return d.clone();
        }
        let text = self.body.trim();
        if text.is_empty() { format!("HTTP {}", self.status) } else { text.chars().take(500).collect() }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {} {}: {}", self.method, self.url, self.status, self.code(), self.detail())
    }
}

/// Result of a request.
pub type Result<T, E = Error> = std::result::Result<T, E>;
