//! The party API: submit, extend, read and list signed documents, and read who accessed them.

use axum::Json;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::api::control::read::wants_bundle;
use crate::api::extract::{JsonBytes, Party, RequestId};
use crate::error::{ApiError, Problem};
use crate::service::documents::{ListFilter, Outcome, Stored};
use crate::service::principals::PrincipalRef;
pub use crate::service::uil::Uil;
use crate::state::AppState;
use crate::store::{AuditEntry, DocumentSummary, StoredDocument};
pub use ecmr_wire::party::{
    AuditRecord, DocumentPage, DocumentReceipt, FollowUpMessage, ParticipantAdded, ParticipantRequest,
};

fn receipt(state: &AppState, s: &DocumentSummary) -> DocumentReceipt {
    DocumentReceipt {
        id: s.id,
        uil: Uil {
            gate_id: state.config.gate_id.clone(),
            platform_id: state.config.platform_id.clone(),
            dataset_id: s.id,
        },
        note_number: s.note_number.clone(),
        state: s.state.clone(),
        last_seq: s.last_seq,
        last_event_digest: s.last_event_digest.clone(),
        received_at: s.received_at,
        updated_at: s.updated_at,
        appended_seqs: Vec::new(),
        identity_warnings: Vec::new(),
    }
}

/// 201 for what was stored now, 200 for what was stored before and for a chain extended by a submitted document
/// (with the seqs appended).
fn answer(state: &AppState, stored: Stored) -> (StatusCode, Json<DocumentReceipt>) {
    let Stored { outcome, summary, identity_warnings } = stored;
    let mut receipt = receipt(state, &summary);
    receipt.identity_warnings = identity_warnings;
    let status = match outcome {
        Outcome::Stored => StatusCode::CREATED,
        Outcome::AlreadyStored => StatusCode::OK,
        Outcome::Extended(seqs) => {
            receipt.appended_seqs = seqs;
            StatusCode::OK
        }
    };
    (status, Json(receipt))
}

/// Submit or sync a signed document. It is parsed, verified completely and validated; the caller must hold a key
/// that signed one of its events. A new document is stored (201). For a document already stored, its events
/// must start with the stored chain or be its first ones: the same chain or a shorter one changes nothing (200);
/// a longer one has its new events appended in order (200, with `appended_seqs`), each of which the caller must
/// be allowed to append as with `POST /v1/documents/{id}/events`. Retrying a sync is always safe.
#[utoipa::path(
    post, path = "/v1/documents", tag = "documents",
    request_body(content = ecmr_wire::StrictJson, content_type = "application/json", description = "A signed document `ecmr-document/1`"),
    responses(
        (status = 201, description = "Stored", body = DocumentReceipt),
        (status = 200, description = "Already stored as far, or further (nothing changed), or extended by the new events named in `appended_seqs`", body = DocumentReceipt),
        (status = 400, description = "Not strict JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a party, none of its keys signed the document, or it did not sign a new event", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "A document with this id is stored that the caller may not see, and the submitted one is longer", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The chain differs from the stored one (`document-id-taken` from seq 0, else `chain-diverged`; `seq`, `stored_digest` and `submitted_digest` say where), or a note number the sender already used", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Too large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Does not verify, or the note is invalid (failures and findings included)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn submit(
    State(state): State<AppState>,
    Party(party): Party,
    request_id: RequestId,
    JsonBytes(body): JsonBytes,
) -> Result<(StatusCode, Json<DocumentReceipt>), ApiError> {
    Ok(answer(&state, state.documents.submit(&party, body, request_id.get()).await?))
}

/// Append one signed event to a document. It is verified against the stored chain; the caller must hold the
/// key that signed it.
#[utoipa::path(
    post, path = "/v1/documents/{id}/events", tag = "documents",
    params(("id" = Uuid, Path, description = "Document id")),
    request_body(content = ecmr_wire::StrictJson, content_type = "application/json", description = "One signed event"),
    responses(
        (status = 201, description = "Appended", body = DocumentReceipt),
        (status = 200, description = "This very event was stored before", body = DocumentReceipt),
        (status = 400, description = "Not strict JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller did not sign the event", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such document the caller may see", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Another event already holds that seq", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The event does not verify or is not allowed now", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn append(
    State(state): State<AppState>,
    Party(party): Party,
    request_id: RequestId,
    Path(id): Path<String>,
    JsonBytes(body): JsonBytes,
) -> Result<(StatusCode, Json<DocumentReceipt>), ApiError> {
    Ok(answer(&state, state.documents.append(&party, &id, &body, request_id.get()).await?))
}

/// The media type of a bundle: the signed document with the gateway's receipts and attestations.
pub const BUNDLE_MEDIA_TYPE: &str = "application/vnd.ecmr.bundle+json";

/// The full signed document: the note as issued and every event. With `Accept: application/vnd.ecmr.bundle+json`,
/// a bundle (`ecmr-bundle/1`): the document with a receipt for every event and an attestation of every signer key
/// the party directory knows, each signed by the gateway's key (`GET /.well-known/ecmr-gateway`), for checking
/// offline (`ecmr verify --gateway-key`).
#[utoipa::path(
    get, path = "/v1/documents/{id}", tag = "documents",
    params(("id" = Uuid, Path, description = "Document id")),
    responses(
        (status = 200, description = "The signed document, or with `Accept: application/vnd.ecmr.bundle+json` the bundle", content((Object = "application/json"), (Object = "application/vnd.ecmr.bundle+json"))),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a party", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such document the caller may see", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn get(
    State(state): State<AppState>,
    Party(party): Party,
    request_id: RequestId,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let doc = state.documents.read(&party, &id, request_id.get()).await?;
    if !wants_bundle(&headers) {
        return Ok(([(header::CONTENT_TYPE, "application/json")], doc.to_json()).into_response());
    }
    bundle_response(&state, &doc).await
}

/// A stored document as a bundle (`ecmr-bundle/1`), answered as `application/vnd.ecmr.bundle+json`: the party
/// API and the authorities' direct read hand it over alike.
pub(crate) async fn bundle_response(state: &AppState, doc: &StoredDocument) -> Result<Response, ApiError> {
    let bundle = state.documents.bundle(doc, &state.gate_keys).await?;
    let body = serde_json::to_vec(&bundle).map_err(|e| ApiError::Internal(format!("bundle: {e}")))?;
    Ok(([(header::CONTENT_TYPE, BUNDLE_MEDIA_TYPE)], body).into_response())
}

/// Filters and paging of the caller's documents.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only documents in this state.
    #[param(pattern = "^(issued|cancelled|in_transit|delivered|refused)$")]
    pub state: Option<String>,
    /// Only documents where one of the caller's keys is linked in this role.
    #[param(pattern = "^(sender|carrier|successive_carrier|consignee)$")]
    pub role: Option<String>,
    /// Only documents updated at or after this time (RFC 3339).
    #[param(value_type = Option<DateTime<Utc>>)]
    pub updated_since: Option<String>,
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page; a cursor this gateway did not issue is refused (422).
    pub cursor: Option<String>,
}

fn encode_cursor(s: &DocumentSummary) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}|{}", crate::store::format_time(s.updated_at), s.id))
}

fn decode_cursor(c: &str) -> Result<(DateTime<Utc>, Uuid), ApiError> {
    let bad = || ApiError::invalid_request(format!("cursor {c:?} is not one this gateway issued"));
    let raw = URL_SAFE_NO_PAD.decode(c).map_err(|_| bad())?;
    let text = String::from_utf8(raw).map_err(|_| bad())?;
    let (t, id) = text.split_once('|').ok_or_else(bad)?;
    let t = DateTime::parse_from_rfc3339(t).map_err(|_| bad())?.with_timezone(&Utc);
    Ok((t, Uuid::parse_str(id).map_err(|_| bad())?))
}

const STATES: [&str; 5] = ["issued", "cancelled", "in_transit", "delivered", "refused"];
const ROLES: [&str; 4] = ["sender", "carrier", "successive_carrier", "consignee"];

/// The caller's documents (signed by or pinning one of its keys), paged by update time.
#[utoipa::path(
    get, path = "/v1/documents", tag = "documents",
    params(ListParams),
    responses(
        (status = 200, description = "A page", body = DocumentPage),
        (status = 400, description = "A parameter is wrong", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a party", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A cursor this gateway did not issue", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    Party(party): Party,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<Json<DocumentPage>, ApiError> {
    let Query(p) = params?;
    if let Some(s) = &p.state
        && !STATES.contains(&s.as_str())
    {
        return Err(ApiError::BadRequest(format!("state {s:?} is not one of {}", STATES.join(", "))));
    }
    if let Some(r) = &p.role
        && !ROLES.contains(&r.as_str())
    {
        return Err(ApiError::BadRequest(format!("role {r:?} is not one of {}", ROLES.join(", "))));
    }
    let updated_since = p
        .updated_since
        .as_deref()
        .map(|t| {
            DateTime::parse_from_rfc3339(t)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|e| ApiError::BadRequest(format!("updated_since {t:?} is not an RFC 3339 time: {e}")))
        })
        .transpose()?;
    let limit = p.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::BadRequest(format!("limit {limit} is not between 1 and 500")));
    }
    let after = p.cursor.as_deref().map(decode_cursor).transpose()?;
    let filter = ListFilter { state: p.state, role: p.role, updated_since, after, limit };
    let page = state.documents.list(&party, filter).await?;
    let next_cursor = if page.len() == limit as usize { page.last().map(encode_cursor) } else { None };
    Ok(Json(DocumentPage { items: page.iter().map(|s| receipt(&state, s)).collect(), next_cursor }))
}

/// An audit entry as a document's parties read it.
fn audit_record((e, principal): (AuditEntry, PrincipalRef)) -> AuditRecord {
    // The stored details name the principal under its kind as well; it is `principal` here.
    let details = e.reason.as_deref().and_then(|r| serde_json::from_str::<serde_json::Value>(r).ok()).map(|mut d| {
        if let Some(map) = d.as_object_mut() {
            map.remove(principal.kind.as_str());
        }
        d
    });
    AuditRecord { at: e.at, document_id: e.document_id, principal, action: e.action, details, request_id: e.request_id }
}

/// Who accessed a document, when and why: the audit log of one of the caller's documents.
#[utoipa::path(
    get, path = "/v1/documents/{id}/audit", tag = "documents",
    params(("id" = Uuid, Path, description = "Document id")),
    responses(
        (status = 200, description = "The entries, oldest first", body = Vec<AuditRecord>),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a party", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such document the caller may see", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn audit(
    State(state): State<AppState>,
    Party(party): Party,
    Path(id): Path<String>,
) -> Result<Json<Vec<AuditRecord>>, ApiError> {
    Ok(Json(state.documents.audit_log(&party, &id).await?.into_iter().map(audit_record).collect()))
}

/// Give another party principal access to one of the caller's documents: it reads the document and may post
/// events for the role the note names it in (its keys and the identity check decide). Audited
/// (`participant.added`).
#[utoipa::path(
    post, path = "/v1/documents/{id}/participants", tag = "documents",
    params(("id" = Uuid, Path, description = "Document id")),
    request_body(content = ParticipantRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Access given", body = ParticipantAdded),
        (status = 200, description = "The principal had been given access before", body = ParticipantAdded),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a party", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such document the caller may see", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not an active party principal", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn add_participant(
    State(state): State<AppState>,
    Party(party): Party,
    request_id: RequestId,
    Path(id): Path<String>,
    JsonBytes(body): JsonBytes,
) -> Result<(StatusCode, Json<ParticipantAdded>), ApiError> {
    let req: ParticipantRequest = crate::api::control::body_of(&body)?;
    let (doc, who, added) = state.documents.add_participant(&party, &id, req.principal_id, request_id.get()).await?;
    let status = if added { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(ParticipantAdded { document_id: doc, principal_id: who.id, name: who.name })))
}

/// The follow-up messages control authorities sent about one of the caller's documents.
#[utoipa::path(
    get, path = "/v1/documents/{id}/follow-ups", tag = "documents",
    params(("id" = Uuid, Path, description = "Document id")),
    responses(
        (status = 200, description = "The messages, oldest first", body = Vec<FollowUpMessage>),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a party", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such document the caller may see", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn follow_ups(
    State(state): State<AppState>,
    Party(party): Party,
    Path(id): Path<String>,
) -> Result<Json<Vec<FollowUpMessage>>, ApiError> {
    let messages = state.documents.follow_ups(&party, &id).await?;
    Ok(Json(
        messages
            .into_iter()
            .map(|(m, principal)| FollowUpMessage {
                request_id: m.request_id,
                document_id: m.document_id,
                principal,
                message: m.message,
                at: m.at,
            })
            .collect(),
    ))
}
