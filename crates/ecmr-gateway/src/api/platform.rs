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

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use ecmr::efti::identifiers;
use ecmr::efti::search::{IdentifierType, index_keys};
use serde_json::json;

use crate::app::{AppState, Caller};
use crate::error::{ApiError, Problem, RawBody};
use crate::store::{AuditEntry, PlatformDataset, PlatformIdentifier, Principal, PrincipalKind, now};

/// Media type of the XML problem documents of this API.
pub const PROBLEM_XML: &str = "application/problem+xml";

/// Longest dataset id accepted (as for the RI's gate and platform ids).
pub const DATASET_ID_MAX: usize = 255;

/// The eFTI platform id of a platform principal: the `platformId` string of its details.
pub fn platform_id_of(p: &Principal) -> Option<&str> {
    p.details.get("platformId").and_then(|v| v.as_str()).map(str::trim).filter(|s| !s.is_empty())
}

/// The caller as a platform with its platform id; anyone else gets 403.
fn platform(caller: &Caller) -> Result<(&Principal, String), ApiError> {
    let who = caller.require(PrincipalKind::Platform)?;
    let id = platform_id_of(who).ok_or_else(|| {
        ApiError::Forbidden(
            "this platform principal has no eFTI platform id: set \"platformId\" in its details".to_owned(),
        )
    })?;
    Ok((who, id.to_owned()))
}

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

/// The stored kind of an identifier type (as in the `identifiers` table of our own documents).
fn kind(t: IdentifierType) -> &'static str {
    match t {
        IdentifierType::Means => "vehicle",
        IdentifierType::Equipment => "equipment",
        IdentifierType::Carried => "carried_equipment",
    }
}

/// Register or replace the identifiers of one of the calling platform's consignments.
#[utoipa::path(
    put, path = "/api/platform/v0/consignments/{datasetId}", tag = "platform",
    params(("datasetId" = String, Path, description = "The platform's id of the dataset")),
    request_body(content = String, content_type = "application/xml",
        description = "`consignment` of `consignment-identifier.xsd`"),
    responses(
        (status = 200, description = "Registered (or replaced)"),
        (status = 400, description = "Not a valid identifier dataset, with its position", body = String, content_type = "application/problem+xml"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a platform, or no platform id", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn put_consignment(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(dataset_id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let (who, platform_id) = platform(&caller)?;
    let bad = |slug: &str, title: &str, detail: String, at: Option<Position>| {
        Ok(problem_xml(StatusCode::BAD_REQUEST, slug, title, &detail, at))
    };
    if dataset_id.trim().is_empty()
        || dataset_id.chars().count() > DATASET_ID_MAX
        || !super::control::id_chars_ok(&dataset_id)
    {
        return bad(
            "invalid-dataset-id",
            "Invalid dataset id",
            format!("datasetId {dataset_id:?}: 1 to 255 letters, digits, spaces and -@./#&+_"),
            None,
        );
    }
    let Ok(text) = std::str::from_utf8(&body) else {
        return bad("invalid-xml", "Invalid identifier dataset", "the body is not UTF-8".to_owned(), None);
    };
    let consignment = match identifiers::parse(text) {
        Ok(c) => c,
        Err(e) => {
            let at = Position { line: e.line, column: e.column, path: e.path.clone() };
            return bad("invalid-xml", "Invalid identifier dataset", e.to_string(), Some(at));
        }
    };
    let rows: Vec<PlatformIdentifier> = index_keys(&consignment)
        .into_iter()
        .map(|k| PlatformIdentifier {
            kind: kind(k.identifier_type).to_owned(),
            value: k.identifier,
            country: Some(k.registration_country),
            mode_code: k.mode_code,
            dangerous_goods: k.dangerous_goods_indicator,
        })
        .collect();
    let at = now();
    let reason = json!({
        "platform": { "id": who.id, "name": who.name, "platformId": platform_id },
        "datasetId": dataset_id,
        "identifiers": rows.len(),
    });
    let audit = AuditEntry {
        at,
        document_id: None,
        principal_id: who.id,
        principal_kind: who.kind,
        action: "platform.dataset.put".to_owned(),
        reason: Some(reason.to_string()),
        request_id: headers.get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_owned),
    };
    let dataset = PlatformDataset {
        platform_id,
        dataset_id,
        principal_id: who.id,
        xml: text.to_owned(),
        identifiers: rows,
        updated_at: at,
    };
    state.store.control.put_dataset(&dataset, &audit).await?;
    Ok(StatusCode::OK.into_response())
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
pub async fn whoami(caller: Caller) -> Result<Response, ApiError> {
    let (_, platform_id) = platform(&caller)?;
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<whoamiResponse><appId>{}</appId><role>PLATFORM</role></whoamiResponse>",
        escape(&platform_id)
    );
    Ok(([(header::CONTENT_TYPE, "application/xml")], xml).into_response())
}
