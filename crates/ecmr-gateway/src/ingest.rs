//! From submitted bytes to verified records ready to store. All checks run here, before (and outside) any store
//! write: strict parsing, complete verification with the `ecmr` library, note validation, and extraction of what
//! the store indexes (keys, identifiers).

use std::collections::BTreeSet;

use ecmr::canonical::{self, MAX_DOCUMENT_BYTES, StrictJsonErrorKind};
use ecmr::document::Document;
use ecmr::efti::{Consignment, Subsets};
use ecmr::verify::{FailureKind, Verified, Verifier};
use serde_json::Value;
use sha2::{Digest as _, Sha256};
use uuid::Uuid;

use crate::error::ApiError;
use crate::store::{
    DocumentKey, EventAppend, Identifier, KeyRelation, NewDocument, NewEvent, StoredDocument, StoredEvent, now,
};

/// Parses a body strictly (no floats, no repeated keys), mapping failures to 400 (or 413 when too large).
///
/// # Errors
/// [`ApiError::MalformedJson`] naming where.
pub fn parse_body(bytes: &[u8]) -> Result<Value, ApiError> {
    canonical::parse_strict(bytes, MAX_DOCUMENT_BYTES).map_err(|e| match e.kind {
        StrictJsonErrorKind::TooLarge => ApiError::PayloadTooLarge(e.message),
        _ => ApiError::MalformedJson { pointer: e.pointer, line: e.line, column: e.column, message: e.message },
    })
}

/// A verification failure as a 422. When the note itself is invalid (verification runs the content checks), the
/// problem is `invalid-note` and carries every finding of the note concerned, warnings included.
fn refused(e: ecmr::verify::VerifyError, notes: &[&Value]) -> ApiError {
    let detail = e.report.failures.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
    let invalid_note = e.report.failures.iter().any(|f| matches!(f.kind, FailureKind::InvalidNote { .. }));
    let mut findings = Vec::new();
    if invalid_note {
        for note in notes {
            if let Ok(typed) = serde_json::from_value::<ecmr::ConsignmentNote>((*note).clone()) {
                let report = ecmr::validate::validate(&typed);
                if !report.is_valid() {
                    findings = report.findings;
                    break;
                }
            }
        }
    }
    let (slug, detail) = if invalid_note {
        ("invalid-note", format!("the consignment note is invalid: {detail}"))
    } else {
        ("verification-failed", format!("the document does not verify: {detail}"))
    };
    ApiError::Unprocessable { slug, detail, failures: e.report.failures, findings }
}

fn key_id(public_key: &str) -> Option<String> {
    let bytes = ecmr::keys::decode_b64url(public_key).ok().filter(|b| b.len() == 32)?;
    Some(canonical::hex(&Sha256::digest(&bytes)))
}

fn key_id_of(public_key: &str) -> Result<String, ApiError> {
    key_id(public_key).ok_or_else(|| ApiError::Internal("verified signer key unreadable".into()))
}

/// The current note of a verified document as the typed model (verification has already run its content checks).
fn typed_note(verified: &Verified<Document>) -> Result<ecmr::ConsignmentNote, ApiError> {
    verified.current_note_typed().map_err(|e| ApiError::Internal(format!("verified note does not parse: {e}")))
}

/// Keys the current note pins, per role.
fn pinned_keys(note: &Value) -> Vec<DocumentKey> {
    let mut out = Vec::new();
    let mut add = |party: Option<&Value>, role: &str| {
        let keys = party.and_then(|p| p.get("public_keys")).and_then(Value::as_array);
        for k in keys.into_iter().flatten() {
            if let Some(id) = k.as_str().and_then(key_id) {
                out.push(DocumentKey { key_id: id, role: role.to_owned(), relation: KeyRelation::Pinned });
            }
        }
    };
    add(note.get("sender"), "sender");
    add(note.get("carrier"), "carrier");
    add(note.get("consignee"), "consignee");
    for sc in note.get("successive_carriers").and_then(Value::as_array).into_iter().flatten() {
        add(Some(sc), "successive_carrier");
    }
    out
}

fn normalise_id(s: &str) -> String {
    s.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_uppercase()).collect()
}

/// Vehicle and equipment identifiers of the current note (for roadside searches).
fn identifiers(note: &ecmr::ConsignmentNote) -> Vec<Identifier> {
    let dg = note.goods.iter().any(|g| g.dangerous_goods.is_some());
    let mode = note.transport.mode_code.clone();
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    let mut push = |kind: &str, value: &str, country: Option<String>| {
        let value = normalise_id(value);
        if !value.is_empty() && seen.insert((kind.to_owned(), value.clone())) {
            out.push(Identifier {
                kind: kind.to_owned(),
                value,
                country,
                mode_code: mode.clone(),
                dangerous_goods: dg,
            });
        }
    };
    for v in &note.transport.vehicles {
        push("vehicle", &v.registration, Some(v.country.to_string()));
    }
    for e in &note.transport.equipment {
        push("equipment", &e.id, e.country.as_ref().map(ToString::to_string));
        for c in &e.carried {
            push("carried_equipment", &c.id, None);
        }
    }
    out
}

/// The full eFTI common dataset of a verified document as XML, kept with the document so that authority reads
/// need neither the signed document nor a new projection. Only a dataset that reads back as exactly the projected
/// consignment is kept (anything else is projected from the signed document when read).
fn efti_view(verified: &Verified<Document>, note: &ecmr::ConsignmentNote) -> Option<String> {
    // The current note is already parsed for the identifiers; the projection reuses it.
    let projected = match ecmr::efti::project_parts(note, &verified.events) {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(document = verified.id(), error = %e, "verified document does not project");
            return None;
        }
    };
    let xml = projected.to_xml(&Subsets::Full);
    match Consignment::from_xml(&xml) {
        Ok(back) if back == projected => Some(xml),
        other => {
            let why = other.err().map_or_else(|| "differs".to_owned(), |e| e.to_string());
            tracing::warn!(document = verified.id(), why, "eFTI dataset does not read back; not kept");
            None
        }
    }
}

fn new_events(doc: &Document) -> Result<Vec<NewEvent>, ApiError> {
    doc.events
        .iter()
        .map(|e| {
            Ok(NewEvent {
                seq: i64::try_from(e.seq).map_err(|_| ApiError::Internal("seq out of range".into()))?,
                kind: e.kind.as_str().to_owned(),
                role: e.role.as_str().to_owned(),
                signer_key_id: key_id_of(&e.signer.public_key)?,
                digest: e.digest(),
                body: serde_json::to_string(&e.to_value()).map_err(|e| ApiError::Internal(e.to_string()))?,
            })
        })
        .collect()
}

fn signer_keys(events: &[NewEvent]) -> Vec<DocumentKey> {
    events
        .iter()
        .map(|e| DocumentKey { key_id: e.signer_key_id.clone(), role: e.role.clone(), relation: KeyRelation::Signer })
        .collect()
}

fn dedup(mut keys: Vec<DocumentKey>) -> Vec<DocumentKey> {
    let mut seen = BTreeSet::new();
    keys.retain(|k| seen.insert((k.key_id.clone(), k.role.clone(), k.relation.as_str())));
    keys
}

/// Digest of a document's content, independent of its JSON layout: the id, the digest of the note as issued
/// (verified equal to `events[0].note_digest`) and the digest of every event, each canonical (JCS).
fn content_digest(id: &str, note_digest: &str, events: &[NewEvent]) -> String {
    let mut text = format!("ecmr-content/1\n{id}\n{note_digest}\n");
    for e in events {
        text.push_str(&e.digest);
        text.push('\n');
    }
    canonical::sha256_tagged(text.as_bytes())
}

/// A submitted document after every check, ready to store.
#[derive(Debug)]
pub struct CheckedDocument {
    /// What to store.
    pub record: NewDocument,
    /// Key ids that signed any event.
    pub signer_key_ids: BTreeSet<String>,
}

/// Verifies a submitted document completely (with the gateway's shared `verifier`, which remembers decoded signer
/// keys) and prepares its record.
///
/// # Errors
/// 400 for malformed JSON, 422 for a document that does not verify or a note with errors.
pub fn check_document(verifier: &Verifier, bytes: &[u8], submitted_by: Uuid) -> Result<CheckedDocument, ApiError> {
    let value = parse_body(bytes)?;
    let verified =
        verifier.verify(bytes, None).map_err(|e| refused(e, &[value.get("note").unwrap_or(&Value::Null)]))?;
    let typed = typed_note(&verified)?;
    let id = Uuid::parse_str(verified.id())
        .map_err(|e| ApiError::Internal(format!("verified document id is not a UUID: {e}")))?;
    let events = new_events(&verified)?;
    let Some(first) = events.first() else {
        return Err(ApiError::Internal("verified document without events".into()));
    };
    let first_note_digest = verified.events.first().map(|e| e.note_digest.clone()).unwrap_or_default();
    let note_number = verified.note.get("number").and_then(Value::as_str).unwrap_or_default().to_owned();
    let mut keys = signer_keys(&events);
    keys.extend(pinned_keys(&verified.note));
    keys.extend(pinned_keys(verified.current_note()));
    let signer_key_ids = events.iter().map(|e| e.signer_key_id.clone()).collect();
    let record = NewDocument {
        id,
        content_digest: content_digest(verified.id(), &first_note_digest, &events),
        note_number,
        sender_ref: crate::store::sender_ref(&first.signer_key_id, None),
        note_json: serde_json::to_string(&verified.note).map_err(|e| ApiError::Internal(e.to_string()))?,
        state: verified.state().as_str().to_owned(),
        identifiers: identifiers(&typed),
        efti_xml: efti_view(&verified, &typed),
        events,
        keys: dedup(keys),
        submitted_by,
        received_at: now(),
    };
    Ok(CheckedDocument { record, signer_key_ids })
}

/// What to do with a submitted event.
#[derive(Debug)]
pub enum EventCheck {
    /// A new event that extends the chain: store it.
    Append(Box<EventAppend>),
    /// The very event already stored at that seq: nothing to do.
    AlreadyStored,
    /// Another event already holds that seq.
    SeqTaken {
        /// The seq asked for.
        seq: u64,
    },
}

/// The seq and signer key id of an event body, when it has them.
fn peek(value: &Value) -> (Option<u64>, Option<String>) {
    let seq = value.get("seq").and_then(Value::as_u64);
    let key = value.get("signer").and_then(|s| s.get("public_key")).and_then(Value::as_str).and_then(key_id);
    (seq, key)
}

/// Signer key id of an event body, when readable.
pub fn event_signer(value: &Value) -> Option<String> {
    peek(value).1
}

/// Verifies one submitted event against the stored chain: the stored document plus the event must verify as a
/// whole.
///
/// # Errors
/// 400 for malformed JSON, 422 when the event does not verify or is not allowed.
pub fn check_event(
    verifier: &Verifier,
    stored: &StoredDocument,
    event: &Value,
    submitted_by: Uuid,
) -> Result<EventCheck, ApiError> {
    let (seq, _) = peek(event);
    let digest = canonical::digest_value(event);
    if let Some(seq) = seq
        && let Some(existing) = stored.events.iter().find(|e| u64::try_from(e.seq).ok() == Some(seq))
    {
        return Ok(if existing.digest == digest { EventCheck::AlreadyStored } else { EventCheck::SeqTaken { seq } });
    }
    let event_json = serde_json::to_string(event).map_err(|e| ApiError::Internal(e.to_string()))?;
    let mut longer = StoredDocument { events: stored.events.clone(), ..stored.clone() };
    longer.events.push(StoredEvent {
        seq: stored.summary.last_seq + 1,
        kind: String::new(),
        role: String::new(),
        signer_key_id: String::new(),
        digest: String::new(),
        body: event_json,
        received_at: now(),
    });
    let bytes = longer.to_json().into_bytes();
    let verified = match verifier.verify(&bytes, None) {
        Ok(v) => v,
        Err(e) => {
            // The note the event would make: the stored one, with an amendment's patch applied.
            let mut note: Value = serde_json::from_str(&stored.note_json).unwrap_or(Value::Null);
            for e in
                stored.events.iter().filter_map(|e| serde_json::from_str::<Value>(&e.body).ok()).chain([event.clone()])
            {
                if e.get("kind").and_then(Value::as_str) == Some("amended")
                    && let Some(patch) = e.get("data").and_then(|d| d.get("patch"))
                {
                    canonical::merge_patch(&mut note, patch);
                }
            }
            let mut err = refused(e, &[&note]);
            if let ApiError::Unprocessable { slug, detail, .. } = &mut err
                && *slug == "verification-failed"
            {
                *slug = "invalid-event";
                *detail = detail.replacen("the document does not verify", "the event does not verify", 1);
            }
            return Err(err);
        }
    };
    let mut events = new_events(&verified)?;
    let Some(new) = events.pop() else {
        return Err(ApiError::Internal("verified chain lost its last event".into()));
    };
    let mut keys =
        vec![DocumentKey { key_id: new.signer_key_id.clone(), role: new.role.clone(), relation: KeyRelation::Signer }];
    keys.extend(pinned_keys(verified.current_note()));
    let typed = typed_note(&verified)?;
    Ok(EventCheck::Append(Box::new(EventAppend {
        document_id: stored.summary.id,
        state: verified.state().as_str().to_owned(),
        event: new,
        keys: dedup(keys),
        identifiers: identifiers(&typed),
        efti_xml: efti_view(&verified, &typed),
        submitted_by,
        received_at: now(),
    })))
}
