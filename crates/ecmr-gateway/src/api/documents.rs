//! The party API: submit, extend, read and list signed documents, and read who accessed them.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::app::{AppState, Caller};
use crate::error::{ApiError, Problem};
use crate::ingest::{self, EventCheck};
use crate::store::{
    AppendOutcome, AuditEntry, DocumentSummary, FollowUp, InsertOutcome, ListQuery, PrincipalKind, StoredDocument, now,
};

/// The eFTI Unique Information Locator of a document.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Uil {
    /// This gate's id.
    pub gate_id: String,
    /// The platform id the gateway stores as.
    pub platform_id: String,
    /// The document id.
    pub dataset_id: Uuid,
}

/// What the gateway holds of a document.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct DocumentReceipt {
    /// The document id (the eFTI datasetId).
    pub id: Uuid,
    /// Where eFTI authorities find it.
    pub uil: Uil,
    /// The note number.
    pub note_number: String,
    /// Lifecycle state (`issued`, `in_transit`, `delivered`, `refused`, `cancelled`).
    pub state: String,
    /// Seq of the last event.
    pub last_seq: i64,
    /// Digest of the last event: the `prev` of the next one.
    pub last_event_digest: String,
    /// When the gateway first received the document.
    pub received_at: DateTime<Utc>,
    /// When the last event was stored.
    pub updated_at: DateTime<Utc>,
}

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
    }
}

fn not_found(id: &str) -> ApiError {
    ApiError::NotFound(format!("no document {id} that the caller may see"))
}

fn request_id(headers: &HeaderMap) -> Option<String> {
    headers.get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_owned)
}

/// Loads a document the calling party may see; anything else is 404 (existence is not revealed).
async fn visible(state: &AppState, caller: &Caller, id: &str) -> Result<StoredDocument, ApiError> {
    let uuid = Uuid::parse_str(id).map_err(|_| not_found(id))?;
    let keys = caller.key_ids();
    if !state.store.documents.is_linked(uuid, &keys).await? {
        return Err(not_found(id));
    }
    state.store.documents.get_document(uuid).await?.ok_or_else(|| not_found(id))
}

/// Submit a signed document. It is parsed, verified completely and validated before it is stored; the caller
/// must hold a key that signed one of its events.
#[utoipa::path(
    post, path = "/v1/documents", tag = "documents",
    request_body(content = Object, content_type = "application/json", description = "A signed document `ecmr-document/1`"),
    responses(
        (status = 201, description = "Stored", body = DocumentReceipt),
        (status = 200, description = "The same document was stored before", body = DocumentReceipt),
        (status = 400, description = "Not strict JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a party, or none of its keys signed the document", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Same id with other content, or a note number the sender already used", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Too large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Does not verify, or the note is invalid (failures and findings included)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn submit(
    State(state): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> Result<(StatusCode, Json<DocumentReceipt>), ApiError> {
    let party = caller.require(PrincipalKind::Party)?;
    let checked = ingest::check_document(&state.verifier, &body, party.id)?;
    if !party.keys.iter().any(|k| checked.signer_key_ids.contains(&k.key_id)) {
        return Err(ApiError::Forbidden("none of the caller's keys signed this document".into()));
    }
    let mut record = checked.record;
    if let Some(issued) = record.events.first() {
        let owner = state.store.principals.key_owner(&issued.signer_key_id).await?;
        record.sender_ref = crate::store::sender_ref(&issued.signer_key_id, owner);
    }
    let id = record.id;
    let number = record.note_number.clone();
    match state.store.documents.insert_document(record).await? {
        InsertOutcome::Created(s) => Ok((StatusCode::CREATED, Json(receipt(&state, &s)))),
        InsertOutcome::Identical(s) => Ok((StatusCode::OK, Json(receipt(&state, &s)))),
        InsertOutcome::IdTaken => Err(ApiError::Conflict {
            slug: "document-id-taken",
            detail: format!("a different document with id {id} is already stored"),
        }),
        InsertOutcome::NoteNumberTaken { existing } => Err(ApiError::Conflict {
            slug: "note-number-taken",
            detail: format!("the sender already used note number {number:?} for document {existing}"),
        }),
    }
}

/// Append one signed event to a document. It is verified against the stored chain; the caller must hold the
/// key that signed it.
#[utoipa::path(
    post, path = "/v1/documents/{id}/events", tag = "documents",
    params(("id" = Uuid, Path, description = "Document id")),
    request_body(content = Object, content_type = "application/json", description = "One signed event"),
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
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<DocumentReceipt>), ApiError> {
    let party = caller.require(PrincipalKind::Party)?;
    let event = ingest::parse_body(&body)?;
    let stored = visible(&state, &caller, &id).await?;
    match ingest::event_signer(&event) {
        Some(key) if party.keys.iter().any(|k| k.key_id == key) => {}
        Some(_) => return Err(ApiError::Forbidden("the event is signed by a key the caller does not hold".into())),
        None => {
            return Err(ApiError::Unprocessable {
                slug: "invalid-event",
                detail: "the event has no readable signer.public_key".into(),
                failures: Vec::new(),
                findings: Vec::new(),
            });
        }
    }
    let seq_taken = |seq: i64| ApiError::Conflict {
        slug: "event-seq-taken",
        detail: format!("another event already holds seq {seq} of document {id}"),
    };
    match ingest::check_event(&state.verifier, &stored, &event, party.id)? {
        EventCheck::AlreadyStored => Ok((StatusCode::OK, Json(receipt(&state, &stored.summary)))),
        EventCheck::SeqTaken { seq } => Err(seq_taken(i64::try_from(seq).unwrap_or(i64::MAX))),
        EventCheck::Append(a) => {
            let seq = a.event.seq;
            match state.store.documents.append_event(*a).await? {
                AppendOutcome::Appended(s) => Ok((StatusCode::CREATED, Json(receipt(&state, &s)))),
                AppendOutcome::Identical(s) => Ok((StatusCode::OK, Json(receipt(&state, &s)))),
                AppendOutcome::SeqTaken { .. } => Err(seq_taken(seq)),
                AppendOutcome::NotFound => Err(not_found(&id)),
            }
        }
    }
}

/// The full signed document: the note as issued and every event.
#[utoipa::path(
    get, path = "/v1/documents/{id}", tag = "documents",
    params(("id" = Uuid, Path, description = "Document id")),
    responses(
        (status = 200, description = "The signed document", body = Object, content_type = "application/json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a party", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such document the caller may see", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let party = caller.require(PrincipalKind::Party)?;
    let doc = visible(&state, &caller, &id).await?;
    state
        .store
        .audit
        .append(AuditEntry {
            at: now(),
            document_id: Some(doc.summary.id),
            principal_id: party.id,
            principal_kind: party.kind,
            action: "document.read".into(),
            reason: None,
            request_id: request_id(&headers),
        })
        .await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], doc.to_json()).into_response())
}

/// Filters and paging of the caller's documents.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only documents in this state.
    pub state: Option<String>,
    /// Only documents where one of the caller's keys is linked in this role.
    pub role: Option<String>,
    /// Only documents updated at or after this time (RFC 3339).
    pub updated_since: Option<String>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A page of documents.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DocumentPage {
    /// The documents, oldest update first.
    pub items: Vec<DocumentReceipt>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

fn encode_cursor(s: &DocumentSummary) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}|{}", crate::store::format_time(s.updated_at), s.id))
}

fn decode_cursor(c: &str) -> Result<(DateTime<Utc>, Uuid), ApiError> {
    let bad = || ApiError::BadRequest(format!("cursor {c:?} is not one this gateway issued"));
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
    ),
    security(("bearer" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    params: Result<Query<ListParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<DocumentPage>, ApiError> {
    caller.require(PrincipalKind::Party)?;
    let Query(p) = params.map_err(|e| ApiError::BadRequest(e.body_text()))?;
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
    let query = ListQuery { key_ids: caller.key_ids(), state: p.state, role: p.role, updated_since, after, limit };
    let page = state.store.documents.list_documents(&query).await?;
    let next_cursor = if page.len() == limit as usize { page.last().map(encode_cursor) } else { None };
    Ok(Json(DocumentPage { items: page.iter().map(|s| receipt(&state, s)).collect(), next_cursor }))
}

/// Who accessed a document, when and why: the audit log of one of the caller's documents.
#[utoipa::path(
    get, path = "/v1/documents/{id}/audit", tag = "documents",
    params(("id" = Uuid, Path, description = "Document id")),
    responses(
        (status = 200, description = "The entries, oldest first", body = Vec<AuditEntry>),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a party", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such document the caller may see", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn audit(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Vec<AuditEntry>>, ApiError> {
    caller.require(PrincipalKind::Party)?;
    let uuid = Uuid::parse_str(&id).map_err(|_| not_found(&id))?;
    if !state.store.documents.is_linked(uuid, &caller.key_ids()).await? {
        return Err(not_found(&id));
    }
    Ok(Json(state.store.audit.for_document(uuid).await?))
}

/// The follow-up messages control authorities sent about one of the caller's documents.
#[utoipa::path(
    get, path = "/v1/documents/{id}/follow-ups", tag = "documents",
    params(("id" = Uuid, Path, description = "Document id")),
    responses(
        (status = 200, description = "The messages, oldest first", body = Vec<FollowUp>),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a party", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such document the caller may see", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn follow_ups(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Vec<FollowUp>>, ApiError> {
    caller.require(PrincipalKind::Party)?;
    let uuid = Uuid::parse_str(&id).map_err(|_| not_found(&id))?;
    if !state.store.documents.is_linked(uuid, &caller.key_ids()).await? {
        return Err(not_found(&id));
    }
    Ok(Json(state.store.control.follow_ups(uuid).await?))
}
