//! The eFTI authority API, compatible with the EU reference implementation's (RI) `simulator-api.yaml`: UIL
//! queries, identifier searches, follow-up messages, and a direct read of one dataset.
//!
//! The RI answers request errors inside its DTOs (`status: ERROR` with an `errorCode`), and so do the RI routes
//! here (the follow-up's errors are a `400` with its `NoteResponseDto`, as the RI's); authentication, the kind of
//! caller and bodies that are not JSON are problem documents (401, 403, 400), and so are all errors of the direct
//! read, which is not an RI route. Every request is stored with its answer (a UIL answer as the seq of the document
//! it was taken from), in the same commit as its audit entries, so that `GET …?requestId=` returns the same result
//! and nothing is answered unaudited. Differences from the RI
//! are listed in `docs/efti-compat.md`.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ecmr::efti::identifiers::{self, IdentifierConsignment};
use ecmr::efti::{Consignment, Subsets};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::app::{AppState, Caller};
use crate::auth;
use crate::error::{ApiError, Problem, RawBody};
use crate::store::{
    AuditEntry, ControlRequest, ControlWrite, Durability, FollowUp, IdentifierQuery, Principal, PrincipalKind,
    StoredDocument, now,
};

/// Most identifier-search results returned for one request.
pub const SEARCH_LIMIT: u32 = 100;

/// Longest identifier the RI accepts in a search.
pub const IDENTIFIER_MAX: usize = 17;

/// Longest follow-up message the RI accepts.
pub const NOTE_MAX: usize = 255;

/// A UIL query (RI `UilDto`). `subsetIds` is accepted as another name of `subsetId`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UilDto {
    /// The gate holding the dataset: this gate's `gate_id`.
    pub gate_id: String,
    /// The platform holding the dataset: this gateway's `platform_id`.
    pub platform_id: String,
    /// The dataset (the document id).
    pub dataset_id: String,
    /// The subsets asked for (`full`, `identifier`, `EU01`, …).
    #[serde(default)]
    pub subset_id: Vec<String>,
}

/// The answer to a UIL or identifier query (RI `RequestIdDto`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RequestIdDto {
    /// The request id, for `GET …?requestId=` and follow-ups.
    pub request_id: String,
    /// `PENDING`, `COMPLETE`, `ERROR` or `TIMEOUT`.
    pub status: String,
    /// The RI error code when `status` is `ERROR`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// What went wrong.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
    /// Base64 of the eFTI XML, when `COMPLETE`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
}

/// A follow-up message about a control (RI `PostFollowUpRequestDto`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PostFollowUpRequestDto {
    /// The message, at most 255 characters.
    pub message: String,
    /// The UIL request it is about.
    pub request_id: String,
}

/// The answer to a follow-up (RI `NoteResponseDto`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NoteResponseDto {
    /// `Note sent`, or what went wrong.
    pub message: String,
    /// The RI error code, on error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// What went wrong.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
}

/// An identifier search (RI `SearchWithIdentifiersRequestDto`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchWithIdentifiersRequestDto {
    /// Letters and digits; matched case-insensitively.
    pub identifier: String,
    /// `means`, `equipment`, `carried`; all three when empty.
    #[serde(default)]
    pub identifier_type: Vec<String>,
    /// One digit (UN/ECE Rec. 19), e.g. `3` for road.
    #[serde(default)]
    pub mode_code: Option<String>,
    /// ISO 3166-1 alpha-2 registration country of the means or equipment.
    #[serde(default)]
    pub registration_country_code: Option<String>,
    /// Only consignments with (or without) dangerous goods.
    #[serde(default)]
    pub dangerous_goods_indicator: Option<bool>,
    /// Gates to ask (country codes); this gateway answers from its own data.
    #[serde(default)]
    pub efti_gate_indicator: Vec<String>,
}

/// The answer to an identifier search (RI `IdentifiersResponseDto`): the consignments found, each naming its gate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IdentifiersResponseDto {
    /// The request id.
    pub request_id: String,
    /// `COMPLETE` or `ERROR`.
    pub status: String,
    /// The RI error code when `status` is `ERROR`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// What went wrong.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
    /// The consignments found.
    pub identifiers: Vec<ConsignmentApiDto>,
}

/// One consignment found (RI `ConsignmentApiDto`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConsignmentApiDto {
    /// The gate holding it (this gate).
    pub gate_id: String,
    /// The platform holding it.
    pub platform_id: String,
    /// The dataset id: with the two above, the UIL to ask for.
    pub dataset_id: String,
    /// When the carrier took the goods over (RFC 3339), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carrier_acceptance_datetime: Option<String>,
    /// When the goods were delivered (RFC 3339), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_event_actual_occurrence_datetime: Option<String>,
    /// The means of transport.
    pub main_carriage_transport_movement: Vec<MainCarriageTransportMovementApiDto>,
    /// The equipment, with what it carries.
    pub used_transport_equipment: Vec<UsedTransportEquipmentApiDto>,
}

/// A means of transport (RI `MainCarriageTransportMovementApiDto`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MainCarriageTransportMovementApiDto {
    /// Its id (registration).
    pub id: String,
    /// Transport mode code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode_code: Option<i32>,
    /// Whether the consignment carries dangerous goods.
    pub dangerous_goods_indicator: bool,
    /// Registration country.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registration_country_code: Option<String>,
}

/// Transport equipment (RI `UsedTransportEquipmentApiDto`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UsedTransportEquipmentApiDto {
    /// Its id.
    pub id: String,
    /// Position, from 1.
    pub sequence_number: i32,
    /// Registration country.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registration_country: Option<String>,
    /// Category code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category_code: Option<String>,
    /// Equipment it carries.
    pub carried_transport_equipment: Vec<CarriedTransportEquipmentApiDto>,
}

/// Carried equipment (RI `CarriedTransportEquipmentApiDto`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CarriedTransportEquipmentApiDto {
    /// Its id.
    pub id: String,
    /// Position, from 1.
    pub sequence_number: i32,
}

/// `?requestId=` of the follow-up GETs.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct RequestIdParam {
    /// The request id the POST answered.
    pub request_id: String,
}

// ---------------------------------------------------------------------------------------------------------------
// Helpers

/// An RI error: code and description.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RiError {
    code: &'static str,
    description: String,
}

fn ri(code: &'static str, description: impl Into<String>) -> RiError {
    RiError { code, description: description.into() }
}

fn http_request_id(headers: &HeaderMap) -> Option<String> {
    headers.get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_owned)
}

/// The caller as an authority; anyone else gets 403.
fn authority(caller: &Caller) -> Result<&Principal, ApiError> {
    caller.require(PrincipalKind::Authority)
}

/// A string member of the body: `Ok(None)` when absent or null, an error when of another type.
fn member<'a>(body: &'a Value, name: &str, wrong_type: RiError) -> Result<Option<&'a str>, RiError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(wrong_type),
    }
}

/// A list of strings: absent, null or an array of strings.
fn string_list(body: &Value, name: &str, wrong: RiError) -> Result<Vec<String>, RiError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => {
            items.iter().map(|v| v.as_str().map(str::to_owned).ok_or_else(|| wrong.clone())).collect()
        }
        Some(_) => Err(wrong),
    }
}

/// The RI's pattern for gate and platform ids: `^[-@./#&+\w\s]*$`.
pub(crate) fn id_chars_ok(s: &str) -> bool {
    s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c.is_whitespace() || "-@./#&+".contains(c))
}

/// Checks a gate or platform id as the RI does: missing or blank, longer than 255, wrong characters.
fn check_uil_part(
    value: Option<&str>,
    missing: &'static str,
    too_long: &'static str,
    format: &'static str,
    what: &str,
) -> Result<String, RiError> {
    let v = value.unwrap_or_default();
    if v.trim().is_empty() {
        return Err(ri(missing, format!("Missing parameter {what}")));
    }
    if v.chars().count() > 255 {
        return Err(ri(too_long, format!("{what} max length is 255 characters.")));
    }
    if !id_chars_ok(v) {
        return Err(ri(format, format!("{what} format incorrect: only letters, digits, spaces and -@./#&+_")));
    }
    Ok(v.to_owned())
}

/// The validated parts of a UIL query.
struct UilQuery {
    gate_id: String,
    platform_id: String,
    dataset_id: Uuid,
    subsets: Vec<String>,
}

fn parse_uil(body: &Value) -> Result<UilQuery, RiError> {
    let gate = member(body, "gateId", ri("UIL_GATE_INCORRECT_FORMAT", "gateId must be a string"))?;
    let gate_id = check_uil_part(gate, "UIL_GATE_MISSING", "UIL_GATE_TOO_LONG", "UIL_GATE_INCORRECT_FORMAT", "gateId")?;
    let platform = member(body, "platformId", ri("UIL_PLATFORM_INCORRECT_FORMAT", "platformId must be a string"))?;
    let platform_id = check_uil_part(
        platform,
        "UIL_PLATFORM_MISSING",
        "UIL_PLATFORM_TOO_LONG",
        "UIL_PLATFORM_INCORRECT_FORMAT",
        "platformId",
    )?;
    let dataset = member(body, "datasetId", ri("UIL_UUID_INCORRECT_FORMAT", "datasetId must be a string"))?;
    let dataset = dataset.unwrap_or_default();
    if dataset.trim().is_empty() {
        return Err(ri("UIL_UUID_MISSING", "Missing parameter datasetId"));
    }
    if dataset.chars().count() > 36 {
        return Err(ri("UIL_UUID_TOO_LONG", "Uuid max length is 36 characters."));
    }
    let dataset_id = Uuid::try_parse(dataset)
        .ok()
        .filter(|_| dataset.len() == 36)
        .ok_or_else(|| ri("UIL_UUID_INCORRECT_FORMAT", format!("datasetId {dataset:?} is not a UUID")))?;
    let wrong = ri("SUBSET_ID_INCORRECT", "subsetId must be an array of subset ids");
    let mut subsets = string_list(body, "subsetId", wrong.clone())?;
    subsets.extend(string_list(body, "subsetIds", wrong)?);
    if subsets.is_empty() {
        return Err(ri("SUBSET_ID_MISSING", "Missing parameter subsetId: name the subsets asked for, e.g. [\"EU01\"]"));
    }
    Ok(UilQuery { gate_id, platform_id, dataset_id, subsets })
}

/// An audit entry for an access: who (under its kind, with its details), the document, the eFTI request id, what was
/// asked (`what`: subsets or the identifier searched) and the outcome, in `reason` as JSON.
pub(crate) fn entry(
    who: &Principal,
    document_id: Option<Uuid>,
    action: &str,
    what: Value,
    headers: &HeaderMap,
) -> AuditEntry {
    let mut reason = json!({ who.kind.as_str(): { "id": who.id, "name": who.name, "details": who.details } });
    if let (Some(r), Value::Object(w)) = (reason.as_object_mut(), what) {
        r.extend(w);
    }
    AuditEntry {
        at: now(),
        document_id,
        principal_id: who.id,
        principal_kind: who.kind,
        action: action.to_owned(),
        reason: Some(reason.to_string()),
        request_id: http_request_id(headers),
    }
}

/// What a UIL access asked for and how it ended, for [`entry`].
fn uil_what(request_id: Option<Uuid>, subsets: &[String], outcome: &str) -> Value {
    json!({ "requestId": request_id, "subsets": subsets, "outcome": outcome })
}

/// Writes an authority's access to the audit log; returns when it is as durable as `control_durability` says.
async fn audit(state: &AppState, e: AuditEntry) -> Result<(), ApiError> {
    let durability = state.config.control_durability;
    Ok(state.store.control.record(ControlWrite { request: None, follow_up: None, audit: vec![e], durability }).await?)
}

/// A stored document (or a prefix of its chain) verified again, so that nothing is answered that does not verify.
fn verify_stored(
    state: &AppState,
    doc: &StoredDocument,
) -> Result<ecmr::verify::Verified<ecmr::document::Document>, ApiError> {
    let id = doc.summary.id;
    let upto = doc.events.len();
    state
        .verifier
        .verify(doc.to_json().as_bytes(), None)
        .map_err(|e| ApiError::Internal(format!("stored document {id} (events up to #{upto}) no longer verifies: {e}")))
}

/// Loads a stored document and verifies it again.
async fn verified(
    state: &AppState,
    id: Uuid,
) -> Result<Option<(StoredDocument, ecmr::verify::Verified<ecmr::document::Document>)>, ApiError> {
    let Some(doc) = state.store.documents.get_document(id).await? else { return Ok(None) };
    let v = verify_stored(state, &doc)?;
    Ok(Some((doc, v)))
}

/// The common dataset of a stored document (or a prefix of its chain), verified again and projected: what reads
/// fall back to when the document has no stored dataset, or one that no longer reads.
fn projected(state: &AppState, doc: &StoredDocument) -> Result<Consignment, ApiError> {
    ecmr::efti::project(&verify_stored(state, doc)?).map_err(|e| ApiError::Internal(format!("projection: {e}")))
}

/// The `identifier` subset as subset ids of the common dataset: cut out of a stored full dataset, it keeps the
/// elements the identifier dataset is made of, in the common namespace.
static IDENTIFIER_PART: LazyLock<Subsets> = LazyLock::new(|| Subsets::Ids(BTreeSet::from(["identifier".to_owned()])));

/// The identifier dataset of one of our documents for a search result, `None` when there is no such document. It
/// is read from the full dataset text stored with it (`stored`, already fetched; `None` when the document has
/// none): the elements of the `identifier` subset are cut out of the text first, so that only they are read back.
/// A document stored without a dataset, or with one that no longer reads, is verified again and projected.
async fn identifiers_from(
    state: &AppState,
    id: Uuid,
    stored: Option<String>,
) -> Result<Option<IdentifierConsignment>, ApiError> {
    if let Some(xml) = stored {
        match ecmr::efti::filter_xml(&xml, &IDENTIFIER_PART).and_then(|text| Consignment::from_xml(&text)) {
            Ok(c) => return Ok(Some(identifiers::from_projection(&c))),
            Err(e) => tracing::warn!(document = %id, error = %e, "stored eFTI dataset unreadable; projecting again"),
        }
    }
    let Some(doc) = state.store.documents.get_document(id).await? else { return Ok(None) };
    Ok(Some(identifiers::from_projection(&projected(state, &doc)?)))
}

/// The eFTI XML of one of our documents for `subsets` with the seq of the last event it reflects, `None` when
/// there is no such document; with `at`, as it was when its last event was that seq (what a UIL query answered
/// then, see [`ControlRequest::answered_seq`]). It is taken from the full dataset stored with the document (written
/// from the verified document when it or its last event was stored; see [`ecmr::efti::filter_xml`]) while that
/// is of the state asked for; otherwise — an older state, a document stored without a dataset, or one that no
/// longer reads — the document's chain up to that state is verified again and projected.
async fn dataset_xml(
    state: &AppState,
    id: Uuid,
    subsets: &Subsets,
    at: Option<i64>,
) -> Result<Option<(String, i64)>, ApiError> {
    let Some(stored) = state.store.documents.efti_dataset(id).await? else { return Ok(None) };
    if at.is_none_or(|seq| seq == stored.last_seq)
        && let Some(xml) = &stored.xml
    {
        match ecmr::efti::filter_xml(xml, subsets) {
            Ok(out) => return Ok(Some((out.into_owned(), stored.last_seq))),
            Err(e) => tracing::warn!(document = %id, error = %e, "stored eFTI dataset unreadable; projecting again"),
        }
    }
    let Some(mut doc) = state.store.documents.get_document(id).await? else { return Ok(None) };
    let mut seq = doc.summary.last_seq;
    if let Some(at) = at {
        // The chain is append-only: its events up to `at` are the document as it was.
        let keep = usize::try_from(at).ok().and_then(|s| s.checked_add(1)).filter(|&n| n <= doc.events.len());
        let Some(keep) = keep else {
            return Err(ApiError::Internal(format!("document {id} has no event {at} any more")));
        };
        doc.events.truncate(keep);
        seq = at;
    }
    Ok(Some((projected(state, &doc)?.to_xml(subsets), seq)))
}

fn outcome_of(dto: &RequestIdDto) -> String {
    match &dto.error_code {
        Some(code) => format!("{} {code}", dto.status),
        None => dto.status.clone(),
    }
}

fn error_dto(request_id: Uuid, e: &RiError) -> RequestIdDto {
    RequestIdDto {
        request_id: request_id.to_string(),
        status: "ERROR".into(),
        error_code: Some(e.code.to_owned()),
        error_description: Some(e.description.clone()),
        data: None,
    }
}

// ---------------------------------------------------------------------------------------------------------------
// UIL query

/// Answers a UIL query for this gate: the checks in RI order, then entitlement, then the dataset.
async fn answer_uil(
    state: &AppState,
    who: &Principal,
    q: &UilQuery,
) -> Result<(Option<Uuid>, Result<(String, i64), RiError>), ApiError> {
    if q.gate_id != state.config.gate_id {
        return Ok((
            None,
            Err(ri(
                "UIL_GATE_NOT_LOCAL",
                format!(
                    "gate {:?} is not this gate ({:?}); asking other gates needs federation, which this gateway does \
                     not do yet",
                    q.gate_id, state.config.gate_id
                ),
            )),
        ));
    }
    let subsets = match Subsets::parse(&q.subsets) {
        Ok(s) => s,
        Err(e) => return Ok((None, Err(ri("SUBSET_ID_INCORRECT", e.to_string())))),
    };
    let local = q.platform_id == state.config.platform_id;
    if let Some(id) = auth::first_not_entitled(who, &q.subsets) {
        // Refused before anything is read; the document, if stored here, is named so that its parties see it.
        let document_id =
            if local { state.store.documents.get_document(q.dataset_id).await?.map(|d| d.summary.id) } else { None };
        let granted = auth::entitled_subsets(who);
        return Ok((
            document_id,
            Err(ri(
                "SUBSET_NOT_ALLOWED",
                format!(
                    "this authority may not request subset {id:?}; it may request: {}",
                    if granted.is_empty() { "nothing (no subsets granted)".to_owned() } else { granted.join(", ") }
                ),
            )),
        ));
    }
    if !local {
        // Datasets registered by external platforms are found by identifier search, but their data stays with
        // the platform, and this gateway does not ask platforms for it yet.
        return Ok((
            None,
            Err(ri(
                "UIL_PLATFORM_NOT_LOCAL",
                format!(
                    "platform {:?} is not this gateway's platform ({:?}); reading datasets held by other platforms is \
                     not supported yet",
                    q.platform_id, state.config.platform_id
                ),
            )),
        ));
    }
    let Some((xml, seq)) = dataset_xml(state, q.dataset_id, &subsets, None).await? else {
        return Ok((
            None,
            Err(ri(
                "DATA_NOT_FOUND",
                format!("no dataset {} on platform {:?} of this gate", q.dataset_id, q.platform_id),
            )),
        ));
    };
    let document_id = Some(q.dataset_id);
    Ok((document_id, Ok((STANDARD.encode(xml), seq))))
}

/// Ask for a dataset by its UIL. Answered at once for this gate (`COMPLETE` with `data`, or `ERROR`).
#[utoipa::path(
    post, path = "/v1/control/uil", tag = "efti",
    request_body = UilDto,
    responses(
        (status = 202, description = "The request and its answer (`COMPLETE` with base64 XML, or `ERROR` with an RI error code)", body = RequestIdDto),
        (status = 400, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an authority", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn request_uil(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<RequestIdDto>), ApiError> {
    let who = authority(&caller)?;
    let value = crate::ingest::parse_body(&body)?;
    let request_id = Uuid::now_v7();
    let (query, document_id, answer) = match parse_uil(&value) {
        Ok(q) => {
            let (doc, answer) = answer_uil(&state, who, &q).await?;
            (Some(q), doc, answer)
        }
        Err(e) => (None, None, Err(e)),
    };
    let subsets = query.as_ref().map(|q| q.subsets.clone()).unwrap_or_default();
    let dto = match &answer {
        Ok((data, _)) => RequestIdDto {
            request_id: request_id.to_string(),
            status: "COMPLETE".into(),
            error_code: None,
            error_description: None,
            data: Some(data.clone()),
        },
        Err(e) => error_dto(request_id, e),
    };
    let action = match &answer {
        Ok(_) => "efti.uil.read",
        Err(e) if e.code == "SUBSET_NOT_ALLOWED" => "efti.uil.refused",
        Err(_) => "efti.uil.failed",
    };
    let what = uil_what(Some(request_id), &subsets, &outcome_of(&dto));
    let request = ControlRequest {
        id: request_id,
        kind: "uil".into(),
        principal_id: who.id,
        document_id,
        subsets: subsets.join(","),
        status: dto.status.clone(),
        error_code: dto.error_code.clone(),
        error_description: dto.error_description.clone(),
        // The answer is not stored: asking again computes it from the document as it was (see `get_uil`).
        data: None,
        answered_seq: answer.as_ref().ok().map(|(_, seq)| *seq),
        created_at: now(),
    };
    // The answer, and the audit entry saying who got it, commit together before the answer is sent.
    let audit = vec![entry(who, document_id, action, what, &headers)];
    let durability = state.config.control_durability;
    state.store.control.record(ControlWrite { request: Some(request), follow_up: None, audit, durability }).await?;
    Ok((StatusCode::ACCEPTED, Json(dto)))
}

fn parse_request_id(raw: &str) -> Option<Uuid> {
    Uuid::try_parse(raw.trim()).ok()
}

/// Loads a stored request of this authority and kind; another authority's request is "not found".
async fn own_request(
    state: &AppState,
    who: &Principal,
    raw: &str,
    kind: &str,
) -> Result<Option<ControlRequest>, ApiError> {
    let Some(id) = parse_request_id(raw) else { return Ok(None) };
    Ok(state.store.control.get_request(id).await?.filter(|r| r.principal_id == who.id && r.kind == kind))
}

fn id_not_found(raw: &str) -> RiError {
    ri("ID_NOT_FOUND", format!("no request {raw:?} of this authority"))
}

fn query_param(
    q: Result<axum::extract::Query<RequestIdParam>, axum::extract::rejection::QueryRejection>,
) -> Result<String, ApiError> {
    q.map(|axum::extract::Query(p)| p.request_id).map_err(|e| ApiError::BadRequest(e.body_text()))
}

/// The answer to an earlier UIL query (the same as the POST gave).
#[utoipa::path(
    get, path = "/v1/control/uil", tag = "efti",
    params(RequestIdParam),
    responses(
        (status = 200, description = "The stored answer, or `ERROR` `ID_NOT_FOUND`", body = RequestIdDto),
        (status = 400, description = "No requestId", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an authority", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn get_uil(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    params: Result<axum::extract::Query<RequestIdParam>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<RequestIdDto>, ApiError> {
    let who = authority(&caller)?;
    let raw = query_param(params)?;
    let Some(r) = own_request(&state, who, &raw, "uil").await? else {
        let mut dto = error_dto(Uuid::nil(), &id_not_found(&raw));
        dto.request_id = raw;
        return Ok(Json(dto));
    };
    let subsets: Vec<String> = r.subsets.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect();
    let data = match (r.data, r.answered_seq, r.document_id) {
        (Some(data), _, _) => Some(data),
        // The answer as it was given: the dataset of the document with its events up to the one answered from.
        (None, Some(seq), Some(id)) => {
            let parsed = Subsets::parse(&subsets)
                .map_err(|e| ApiError::Internal(format!("request {} has subsets {:?}: {e}", r.id, r.subsets)))?;
            let missing = || ApiError::Internal(format!("document {id} answered by request {} is gone", r.id));
            let (xml, _) = dataset_xml(&state, id, &parsed, Some(seq)).await?.ok_or_else(missing)?;
            Some(STANDARD.encode(xml))
        }
        _ => None,
    };
    // Handing out the answer again is a read of the document too.
    if data.is_some() {
        let what = uil_what(Some(r.id), &subsets, "COMPLETE (earlier answer)");
        audit(&state, entry(who, r.document_id, "efti.uil.read", what, &headers)).await?;
    }
    Ok(Json(RequestIdDto {
        request_id: r.id.to_string(),
        status: r.status,
        error_code: r.error_code,
        error_description: r.error_description,
        data,
    }))
}

// ---------------------------------------------------------------------------------------------------------------
// Direct read

/// The subset ids of a query string: `subsetId` (or `subsetIds`), repeated or comma-separated.
pub(crate) fn subset_params(raw: Option<&str>) -> Result<Vec<String>, ApiError> {
    let mut out = Vec::new();
    for pair in raw.unwrap_or_default().split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        match k {
            "subsetId" | "subsetIds" => {
                // A comma may come percent-encoded.
                let v = v.replace("%2C", ",").replace("%2c", ",");
                for id in v.split(',').filter(|s| !s.is_empty()) {
                    if !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
                        return Err(ApiError::BadRequest(format!("subsetId {id:?} is not a subset id")));
                    }
                    out.push(id.to_owned());
                }
            }
            other => {
                return Err(ApiError::BadRequest(format!("unknown query parameter {other:?} (expected subsetId)")));
            }
        }
    }
    Ok(out)
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| {
        a.split(',').any(|t| t.trim().split(';').next().is_some_and(|m| m.trim() == "application/json"))
    })
}

/// Read one dataset by its UIL: the eFTI XML of the requested subsets, or with `Accept: application/json` the
/// signed document itself (for authorities entitled to `full`), so that an inspector can verify the signatures.
#[utoipa::path(
    get, path = "/v1/uil/{gateId}/{platformId}/{datasetId}", tag = "efti",
    params(
        ("gateId" = String, Path, description = "This gate's id"),
        ("platformId" = String, Path, description = "This gateway's platform id"),
        ("datasetId" = Uuid, Path, description = "The document id"),
        ("subsetId" = Option<String>, Query, description = "Subset ids, repeated or comma-separated; required for XML"),
    ),
    responses(
        (status = 200, description = "The eFTI XML (`application/xml`) or the signed document (`application/json`)", body = String, content_type = "application/xml"),
        (status = 400, description = "Missing or unknown subset ids", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an authority, or not entitled to the subsets", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such dataset at this gate and platform", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn read_uil(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path((gate_id, platform_id, dataset_id)): Path<(String, String, String)>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let who = authority(&caller)?;
    let json = wants_json(&headers);
    let mut subsets = subset_params(query.as_deref())?;
    if json {
        subsets = vec![auth::FULL.to_owned()];
    }
    let not_found = || ApiError::NotFound(format!("no dataset {gate_id}/{platform_id}/{dataset_id} at this gate"));
    if gate_id != state.config.gate_id || platform_id != state.config.platform_id {
        return Err(not_found());
    }
    read_dataset(&state, who, &dataset_id, &subsets, json, &headers, "efti").await.map_err(|e| match e {
        ApiError::NotFound(_) => not_found(),
        e => e,
    })
}

/// Reads one of our own documents for a caller entitled by its details' `subsets`: the eFTI XML of `subsets`, or
/// (`json`) the signed document. Refusals and reads are audited under `{prefix}.uil.refused` and
/// `{prefix}.uil.read` (`{prefix}.document.read` for the signed document). Shared by the authority's direct read
/// and the gate API (`crate::api::gate`).
///
/// # Errors
/// 404 when there is no such document, 400 for unknown subsets, 403 when the caller is not entitled to them.
pub(crate) async fn read_dataset(
    state: &AppState,
    who: &Principal,
    dataset_id: &str,
    subsets: &[String],
    json: bool,
    headers: &HeaderMap,
    prefix: &str,
) -> Result<Response, ApiError> {
    let not_found = || ApiError::NotFound(format!("no dataset {dataset_id} on this gateway's platform"));
    let parsed = Subsets::parse(subsets).map_err(|e| ApiError::BadRequest(format!("subsetId: {e}")))?;
    let id = Uuid::try_parse(dataset_id).map_err(|_| not_found())?;
    // The signed document is verified again before it is handed out; the XML comes from the stored dataset.
    let body = if json {
        verified(state, id).await?.map(|(doc, _)| doc.to_json())
    } else {
        dataset_xml(state, id, &parsed, None).await?.map(|(xml, _)| xml)
    };
    let Some(body) = body else { return Err(not_found()) };
    if let Some(refused) = auth::first_not_entitled(who, subsets) {
        let what = uil_what(None, subsets, "refused");
        audit(state, entry(who, Some(id), &format!("{prefix}.uil.refused"), what, headers)).await?;
        return Err(ApiError::Forbidden(if json {
            "the signed document is only for authorities entitled to subset \"full\"".to_owned()
        } else {
            format!("this {} may not request subset {refused:?}", who.kind.as_str())
        }));
    }
    let content_type = if json { "application/json" } else { "application/xml" };
    let action = if json { format!("{prefix}.document.read") } else { format!("{prefix}.uil.read") };
    audit(state, entry(who, Some(id), &action, uil_what(None, subsets, "COMPLETE"), headers)).await?;
    Ok(([(header::CONTENT_TYPE, content_type)], body).into_response())
}

// ---------------------------------------------------------------------------------------------------------------
// Follow-up

fn note_reply(status: StatusCode, message: &str, error: Option<RiError>) -> Response {
    let dto = NoteResponseDto {
        message: message.to_owned(),
        error_code: error.as_ref().map(|e| e.code.to_owned()),
        error_description: error.map(|e| e.description),
    };
    let mut resp = (status, Json(dto)).into_response();
    resp.extensions_mut().insert(RawBody);
    resp
}

/// Send a follow-up message about a UIL request; the document's parties read it.
#[utoipa::path(
    post, path = "/v1/control/uil/follow-up", tag = "efti",
    request_body = PostFollowUpRequestDto,
    responses(
        (status = 202, description = "Stored; `Note sent`", body = NoteResponseDto),
        (status = 400, description = "`NOTE_TOO_LONG`, `ID_NOT_FOUND`, or a missing member", body = NoteResponseDto),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an authority", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn follow_up(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let who = authority(&caller)?;
    let value = crate::ingest::parse_body(&body)?;
    let bad = |e: RiError| note_reply(StatusCode::BAD_REQUEST, "Note not sent", Some(e));
    let message = match member(&value, "message", ri("DEFAULT_ERROR", "message must be a string")) {
        Ok(Some(m)) if !m.trim().is_empty() => m.to_owned(),
        Ok(_) => return Ok(bad(ri("DEFAULT_ERROR", "Missing parameter message"))),
        Err(e) => return Ok(bad(e)),
    };
    if message.chars().count() > NOTE_MAX {
        return Ok(bad(ri("NOTE_TOO_LONG", "Note max length is 255 characters.")));
    }
    let raw = match member(&value, "requestId", ri("ID_NOT_FOUND", "requestId must be a string")) {
        Ok(Some(r)) => r.to_owned(),
        Ok(None) => return Ok(bad(ri("ID_NOT_FOUND", "Missing parameter requestId"))),
        Err(e) => return Ok(bad(e)),
    };
    let request = own_request(&state, who, &raw, "uil").await?;
    let Some((request, document_id)) = request.and_then(|r| r.document_id.map(|d| (r, d))) else {
        return Ok(bad(id_not_found(&raw)));
    };
    if request.status != "COMPLETE" {
        return Ok(bad(ri("ID_NOT_FOUND", format!("request {raw} returned no data to follow up"))));
    }
    let subsets: Vec<String> = request.subsets.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect();
    let what = json!({ "requestId": request.id, "subsets": subsets, "outcome": "sent", "message": message });
    let audit = vec![entry(who, Some(document_id), "efti.follow_up", what, &headers)];
    let follow_up = FollowUp { request_id: request.id, document_id, principal_id: who.id, message, at: now() };
    // A message to the document's parties is flushed like their documents are.
    let durability = Durability::Full;
    state.store.control.record(ControlWrite { request: None, follow_up: Some(follow_up), audit, durability }).await?;
    Ok(note_reply(StatusCode::ACCEPTED, "Note sent", None))
}

// ---------------------------------------------------------------------------------------------------------------
// Identifier search

/// The stored kinds for the RI's identifier types.
fn kind_of(identifier_type: &str) -> Option<&'static str> {
    match identifier_type {
        "means" => Some("vehicle"),
        "equipment" => Some("equipment"),
        "carried" => Some("carried_equipment"),
        _ => None,
    }
}

/// The RI's identifier types for stored kinds.
fn types_of(kinds: &[String]) -> Vec<&'static str> {
    kinds
        .iter()
        .filter_map(|k| match k.as_str() {
            "vehicle" => Some("means"),
            "equipment" => Some("equipment"),
            "carried_equipment" => Some("carried"),
            _ => None,
        })
        .collect()
}

fn is_country(code: &str) -> bool {
    ecmr::efti::table::COUNTRY_CODES.binary_search(&code).is_ok()
}

fn read_search(body: &Value) -> Result<IdentifierQuery, RiError> {
    let identifier = member(body, "identifier", ri("IDENTIFIER_INCORRECT_FORMAT", "identifier must be a string"))?
        .unwrap_or_default();
    if identifier.trim().is_empty() {
        return Err(ri("IDENTIFIER_MISSING", "Identifier missing."));
    }
    if identifier.chars().count() > IDENTIFIER_MAX {
        return Err(ri("IDENTIFIER_TOO_LONG", format!("Identifier too long: at most {IDENTIFIER_MAX} characters")));
    }
    if !identifier.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(ri("IDENTIFIER_INCORRECT_FORMAT", "Identifier incorrect format: letters and digits only"));
    }
    let types =
        string_list(body, "identifierType", ri("IDENTIFIER_TYPE_INCORRECT", "identifierType must be an array"))?;
    let mut kinds = Vec::new();
    for t in &types {
        let kind = kind_of(t).ok_or_else(|| {
            ri("IDENTIFIER_TYPE_INCORRECT", format!("identifierType {t:?} is not means, equipment or carried"))
        })?;
        if !kinds.iter().any(|k| k == kind) {
            kinds.push(kind.to_owned());
        }
    }
    let mode_code = member(body, "modeCode", ri("MODE_CODE_INCORRECT_FORMAT", "modeCode must be a string"))?;
    if let Some(m) = mode_code
        && !(m.len() == 1 && m.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(ri("MODE_CODE_INCORRECT_FORMAT", "Mode Code Incorrect : must be one digit"));
    }
    let country = member(
        body,
        "registrationCountryCode",
        ri("REGISTRATION_COUNTRY_INCORRECT", "registrationCountryCode must be a string"),
    )?;
    if let Some(c) = country
        && !is_country(c)
    {
        return Err(ri("REGISTRATION_COUNTRY_INCORRECT", format!("{c:?} is not an ISO 3166-1 alpha-2 country code")));
    }
    let dangerous_goods = match body.get("dangerousGoodsIndicator") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => return Err(ri("DEFAULT_ERROR", "dangerousGoodsIndicator must be true or false")),
    };
    let gates =
        string_list(body, "eftiGateIndicator", ri("GATE_INDICATOR_INCORRECT", "eftiGateIndicator must be an array"))?;
    if let Some(g) = gates.iter().find(|g| !is_country(g)) {
        return Err(ri("GATE_INDICATOR_INCORRECT", format!("GateIndicator incorrect: {g:?} is not a country code")));
    }
    Ok(IdentifierQuery {
        value: identifier.to_ascii_uppercase(),
        kinds,
        mode_code: mode_code.map(str::to_owned),
        country: country.map(str::to_owned),
        dangerous_goods,
        limit: SEARCH_LIMIT,
    })
}

/// Builds one search result from the identifier dataset of a consignment: ours (projected) or one an external
/// platform registered, so that both answer alike.
fn result_dto(
    state: &AppState,
    platform_id: &str,
    dataset_id: &str,
    c: &ecmr::efti::identifiers::IdentifierConsignment,
) -> ConsignmentApiDto {
    let id = |i: &Option<ecmr::efti::identifiers::Identifier>| i.as_ref().map(|i| i.value.clone()).unwrap_or_default();
    let seq = |n: Option<i64>, pos: i32| n.and_then(|n| i32::try_from(n).ok()).unwrap_or(pos);
    ConsignmentApiDto {
        gate_id: state.config.gate_id.clone(),
        platform_id: platform_id.to_owned(),
        dataset_id: dataset_id.to_owned(),
        carrier_acceptance_datetime: c.carrier_acceptance_date_time.as_ref().and_then(|t| t.to_rfc3339()),
        delivery_event_actual_occurrence_datetime: c
            .delivery_event
            .as_ref()
            .and_then(|d| d.actual_occurrence_date_time.as_ref())
            .and_then(|t| t.to_rfc3339()),
        main_carriage_transport_movement: c
            .main_carriage_transport_movements
            .iter()
            .filter_map(|m| {
                m.used_transport_means.as_ref().map(|t| MainCarriageTransportMovementApiDto {
                    id: id(&t.id),
                    mode_code: m.mode_code.parse::<i32>().ok(),
                    dangerous_goods_indicator: m.dangerous_goods_indicator,
                    registration_country_code: Some(t.registration_country.clone()),
                })
            })
            .collect(),
        used_transport_equipment: c
            .used_transport_equipment
            .iter()
            .zip(1..)
            .map(|(e, pos)| UsedTransportEquipmentApiDto {
                id: id(&e.id),
                sequence_number: seq(e.sequence_number, pos),
                registration_country: Some(e.registration_country.clone()),
                category_code: e.category_code.clone(),
                carried_transport_equipment: e
                    .carried_transport_equipment
                    .iter()
                    .zip(1..)
                    .map(|(ce, pos)| CarriedTransportEquipmentApiDto {
                        id: id(&ce.id),
                        sequence_number: seq(ce.sequence_number, pos),
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// Search this gate's consignments by the id of a means of transport, equipment or carried equipment.
#[utoipa::path(
    post, path = "/v1/control/identifiers", tag = "efti",
    request_body = SearchWithIdentifiersRequestDto,
    responses(
        (status = 200, description = "The request and its answer (`COMPLETE` with the consignments found, or `ERROR` with an RI error code)", body = IdentifiersResponseDto),
        (status = 400, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an authority", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn search_identifiers(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<IdentifiersResponseDto>, ApiError> {
    let who = authority(&caller)?;
    let value = crate::ingest::parse_body(&body)?;
    let request_id = Uuid::now_v7();
    let mut audit = Vec::new();
    let mut dto = IdentifiersResponseDto {
        request_id: request_id.to_string(),
        status: "COMPLETE".into(),
        error_code: None,
        error_description: None,
        identifiers: Vec::new(),
    };
    match read_search(&value) {
        Err(e) => {
            dto.status = "ERROR".into();
            dto.error_code = Some(e.code.to_owned());
            dto.error_description = Some(e.description);
        }
        Ok(q) => {
            let hits = state.store.control.search_identifiers(&q).await?;
            // Every hit is audited, in the same commit as the stored answer.
            for (id, stored) in hits {
                let Some(found) = identifiers_from(&state, id, stored).await? else { continue };
                dto.identifiers.push(result_dto(&state, &state.config.platform_id, &id.to_string(), &found));
                let what = json!({
                    "requestId": request_id,
                    "identifier": q.value,
                    "identifierType": types_of(&q.kinds),
                    "outcome": "COMPLETE",
                });
                audit.push(entry(who, Some(id), "efti.identifier.hit", what, &headers));
            }
            // Then the datasets external platforms registered, found through the same index rows.
            let left = SEARCH_LIMIT as usize - dto.identifiers.len().min(SEARCH_LIMIT as usize);
            let found = state.store.control.search_datasets(&q).await?;
            for hit in found.into_iter().take(left) {
                let c = ecmr::efti::identifiers::parse(&hit.xml).map_err(|e| {
                    ApiError::Internal(format!(
                        "stored dataset {}/{} no longer reads: {e}",
                        hit.platform_id, hit.dataset_id
                    ))
                })?;
                dto.identifiers.push(result_dto(&state, &hit.platform_id, &hit.dataset_id, &c));
                let what = json!({
                    "requestId": request_id,
                    "identifier": q.value,
                    "identifierType": types_of(&q.kinds),
                    "platformId": hit.platform_id,
                    "datasetId": hit.dataset_id,
                    "outcome": "COMPLETE",
                });
                audit.push(entry(who, None, "efti.identifier.hit", what, &headers));
            }
        }
    }
    let data = serde_json::to_string(&dto.identifiers).map_err(|e| ApiError::Internal(e.to_string()))?;
    let request = ControlRequest {
        id: request_id,
        kind: "identifiers".into(),
        principal_id: who.id,
        document_id: None,
        subsets: String::new(),
        status: dto.status.clone(),
        error_code: dto.error_code.clone(),
        error_description: dto.error_description.clone(),
        data: Some(data),
        answered_seq: None,
        created_at: now(),
    };
    let durability = state.config.control_durability;
    state.store.control.record(ControlWrite { request: Some(request), follow_up: None, audit, durability }).await?;
    Ok(Json(dto))
}

/// The answer to an earlier identifier search (the same as the POST gave).
#[utoipa::path(
    get, path = "/v1/control/identifiers", tag = "efti",
    params(RequestIdParam),
    responses(
        (status = 200, description = "The stored answer, or `ERROR` `ID_NOT_FOUND`", body = IdentifiersResponseDto),
        (status = 400, description = "No requestId", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an authority", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn get_identifiers(
    State(state): State<AppState>,
    caller: Caller,
    params: Result<axum::extract::Query<RequestIdParam>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<IdentifiersResponseDto>, ApiError> {
    let who = authority(&caller)?;
    let raw = query_param(params)?;
    let Some(r) = own_request(&state, who, &raw, "identifiers").await? else {
        let e = id_not_found(&raw);
        return Ok(Json(IdentifiersResponseDto {
            request_id: raw,
            status: "ERROR".into(),
            error_code: Some(e.code.to_owned()),
            error_description: Some(e.description),
            identifiers: Vec::new(),
        }));
    };
    let identifiers = match r.data.as_deref() {
        Some(d) => serde_json::from_str(d).map_err(|e| ApiError::Internal(format!("stored search result: {e}")))?,
        None => Vec::new(),
    };
    Ok(Json(IdentifiersResponseDto {
        request_id: r.id.to_string(),
        status: r.status,
        error_code: r.error_code,
        error_description: r.error_description,
        identifiers,
    }))
}
