//! The eFTI platform API, compatible with the EU reference implementation's (RI) `gate-api-for-platform.yaml`:
//! an external platform registers the identifiers of its consignments (`PUT …/consignments/{datasetId}` with the
//! identifier XML of `consignment-identifier.xsd`) so that authorities find them by identifier search, and asks
//! who it is (`GET …/whoami`).
//!
//! Only platform principals may call these routes. A platform principal's eFTI platform id is the string
//! `platformId` of its details (set when the principal is created); a platform principal without one is refused.
//! A dataset is keyed by this gate, the caller's platform id and the dataset id of the path: registering it again
//! replaces the stored XML and its index rows in one transaction. Every registration is audited.
//!
//! Errors in the body are answered as `application/problem+xml` (RFC 7807, appendix A) with the position of the
//! fault (`line`, `column`, `path`); authentication and kind errors are problem documents as on every route.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::api::extract::{Platform, RequestId, XmlBytes};
use crate::error::{ApiError, Problem, RawBody};
use crate::service::efti::RegisterError;
use crate::state::AppState;

/// Media type of the XML problem documents of this API.
pub const PROBLEM_XML: &str = "application/problem+xml";

/// Escapes text for XML content.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Where an error in the body is.
struct Position {
    line: usize,
    column: usize,
    path: String,
}

/// An `application/problem+xml` answer.
fn problem_xml(status: StatusCode, slug: &str, title: &str, detail: &str, at: Option<Position>) -> Response {
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<problem xmlns=\"urn:ietf:rfc:7807\"><type>urn:ecmr:problem:{}</type>\
         <title>{}</title><status>{}</status><detail>{}</detail>",
        escape(slug),
        escape(title),
        status.as_u16(),
        escape(detail)
    );
    if let Some(p) = at {
        xml.push_str(&format!("<line>{}</line><column>{}</column><path>{}</path>", p.line, p.column, escape(&p.path)));
    }
    xml.push_str("</problem>");
    let mut resp = (status, [(header::CONTENT_TYPE, PROBLEM_XML)], xml).into_response();
    resp.extensions_mut().insert(RawBody);
    resp
}

/// Register or replace the identifiers of one of the calling platform's consignments.
#[utoipa::path(
    put, path = "/api/platform/v0/consignments/{datasetId}", tag = "platform",
    params(("datasetId" = String, Path, description = "The platform's id of the dataset")),
    request_body(content = String, content_type = "application/xml",
        description = "`consignment` of `consignment-identifier.xsd`"),
    responses(
        (status = 200, description = "Registered (or replaced)"),
        (status = 400, description = "Not a valid identifier dataset, with its position; or more than 256 pieces of equipment or movements", body = String, content_type = "application/problem+xml"),
        (status = 413, description = "Larger than 128 KiB", body = String, content_type = "application/problem+xml"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a platform, or no platform id", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn put_consignment(
    State(state): State<AppState>,
    Platform { principal, .. }: Platform,
    request_id: RequestId,
    Path(dataset_id): Path<String>,
    XmlBytes(body): XmlBytes,
) -> Result<Response, ApiError> {
    let bad = |slug: &str, title: &str, detail: String, at: Option<Position>| {
        Ok(problem_xml(StatusCode::BAD_REQUEST, slug, title, &detail, at))
    };
    match state.efti.register_dataset(&principal, &dataset_id, &body, request_id.get()).await {
        Ok(_) => Ok(StatusCode::OK.into_response()),
        Err(e @ RegisterError::DatasetId(_)) => bad("invalid-dataset-id", "Invalid dataset id", e.to_string(), None),
        Err(e @ RegisterError::NotUtf8) => bad("invalid-xml", "Invalid identifier dataset", e.to_string(), None),
        Err(RegisterError::Invalid(e)) => {
            let at = Position { line: e.line, column: e.column, path: e.path.clone() };
            bad("invalid-xml", "Invalid identifier dataset", e.to_string(), Some(at))
        }
        Err(e @ RegisterError::TooLarge(_)) => Ok(problem_xml(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload-too-large",
            "Dataset too large",
            &e.to_string(),
            None,
        )),
        Err(e @ RegisterError::TooMany { .. }) => bad("too-many-items", "Dataset too large", e.to_string(), None),
        Err(RegisterError::Store(e)) => Err(e.into()),
        // The extractor refuses a platform principal without an id before this is reached.
        Err(e @ RegisterError::NoPlatformId) => Err(ApiError::Forbidden(e.to_string())),
    }
}

/// Who the calling platform is: its platform id (`appId`) and role.
#[utoipa::path(
    get, path = "/api/platform/v0/whoami", tag = "platform",
    responses(
        (status = 200, description = "`whoamiResponse` with `appId` and `role`", body = String, content_type = "application/xml"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a platform, or no platform id", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn whoami(Platform { platform_id, .. }: Platform) -> Result<Response, ApiError> {
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<whoamiResponse><appId>{}</appId><role>PLATFORM</role></whoamiResponse>",
        escape(&platform_id)
    );
    Ok(([(header::CONTENT_TYPE, "application/xml")], xml).into_response())
}
