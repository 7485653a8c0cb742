//! The append-only audit log: who did what to which document, and why. Every entry the gateway writes is made
//! here ([`Auditor::entry`]) with a typed [`AuditAction`] and structured [`Details`]; an authority's answer is
//! committed together with its entries (see [`crate::store::ControlWrite`]), so nothing is answered unaudited.

use std::borrow::Cow;

use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::store::{AuditEntry, ControlWrite, Durability, Principal, PrincipalKind, Store, StoreError, now};

/// Through which API an eFTI read came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// The authority API of this gate (`efti.*`).
    Authority,
    /// The gate→platform API, for another gate (`gate.*`).
    Gate,
}

impl Via {
    fn prefix(self) -> &'static str {
        match self {
            Via::Authority => "efti",
            Via::Gate => "gate",
        }
    }
}

/// What was done. The stored names (`document.read`, `efti.uil.read`, …) are stable: parties and operators
/// filter on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuditAction {
    /// A party stored a new document (`document.created`).
    DocumentCreated,
    /// A party appended the event with this seq (`event.appended:<seq>`).
    EventAppended {
        /// The event's seq.
        seq: i64,
    },
    /// A party read the signed document (`document.read`).
    DocumentRead,
    /// A dataset was read as eFTI XML (`efti.uil.read`, `gate.uil.read`).
    UilRead(Via),
    /// A read was refused for lack of entitlement (`efti.uil.refused`, `gate.uil.refused`).
    UilRefused(Via),
    /// A UIL query could not be answered (`efti.uil.failed`).
    UilFailed,
    /// The signed document was handed to an authority (`efti.document.read`).
    SignedDocumentRead(Via),
    /// An identifier search found the document or dataset (`efti.identifier.hit`).
    IdentifierHit,
    /// A follow-up message was sent about the document (`efti.follow_up`, `gate.follow_up`).
    FollowUp(Via),
    /// A platform registered or replaced an identifier dataset (`platform.dataset.put`).
    DatasetRegistered,
    /// An authority's request was forwarded to other gates (`federation.forwarded`).
    Forwarded,
    /// A message from another gate was refused: signature, destination, time window, replay or schema
    /// (`federation.refused`).
    MessageRefused,
    /// A participant gave another party principal access to the document (`participant.added`).
    ParticipantAdded,
    /// An event was accepted although its signer is not the party the note names for its role, because the
    /// gateway runs with `identity_check = "warn"` (`identity.mismatch:<seq>`).
    IdentityMismatch {
        /// The event's seq.
        seq: u64,
    },
    /// An authority signed in to the inspector web app (`inspect.session.started`).
    SessionStarted,
    /// An authority signed out of the inspector web app (`inspect.session.ended`).
    SessionEnded,
    /// A participant made a share link of the document (`share.created`).
    ShareCreated,
    /// A participant revoked a share link of the document (`share.revoked`).
    ShareRevoked,
    /// The document was read through a share link (`share.read`), entered under the party that made the link.
    ShareRead,
}

impl AuditAction {
    /// The stored name.
    pub fn name(self) -> Cow<'static, str> {
        let via = |v: Via, what: &str| Cow::Owned(format!("{}.{what}", v.prefix()));
        match self {
            AuditAction::DocumentCreated => Cow::Borrowed("document.created"),
            AuditAction::EventAppended { seq } => Cow::Owned(format!("event.appended:{seq}")),
            AuditAction::DocumentRead => Cow::Borrowed("document.read"),
            AuditAction::UilRead(v) => via(v, "uil.read"),
            AuditAction::UilRefused(v) => via(v, "uil.refused"),
            AuditAction::UilFailed => Cow::Borrowed("efti.uil.failed"),
            AuditAction::SignedDocumentRead(v) => via(v, "document.read"),
            AuditAction::IdentifierHit => Cow::Borrowed("efti.identifier.hit"),
            AuditAction::FollowUp(v) => via(v, "follow_up"),
            AuditAction::DatasetRegistered => Cow::Borrowed("platform.dataset.put"),
            AuditAction::Forwarded => Cow::Borrowed("federation.forwarded"),
            AuditAction::MessageRefused => Cow::Borrowed("federation.refused"),
            AuditAction::ParticipantAdded => Cow::Borrowed("participant.added"),
            AuditAction::IdentityMismatch { seq } => Cow::Owned(format!("identity.mismatch:{seq}")),
            AuditAction::SessionStarted => Cow::Borrowed("inspect.session.started"),
            AuditAction::SessionEnded => Cow::Borrowed("inspect.session.ended"),
            AuditAction::ShareCreated => Cow::Borrowed("share.created"),
            AuditAction::ShareRevoked => Cow::Borrowed("share.revoked"),
            AuditAction::ShareRead => Cow::Borrowed("share.read"),
        }
    }
}

/// What an entry records besides who, when and the document: what was asked and how it ended. Absent members are
/// left out of the stored object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Details {
    /// The eFTI request id the access belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<Uuid>,
    /// The subsets asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subsets: Option<Vec<String>>,
    /// The identifier searched for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identifier: Option<String>,
    /// The identifier types searched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identifier_type: Option<Vec<&'static str>>,
    /// The platform holding a registered dataset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform_id: Option<String>,
    /// A registered dataset's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dataset_id: Option<String>,
    /// How many identifiers a registered dataset has.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identifiers: Option<usize>,
    /// A follow-up message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The share link concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share_id: Option<Uuid>,
    /// The gate that asked (a request forwarded by another gate), or the gate a message was refused from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peer_gate: Option<String>,
    /// The asking gate's request id (its authority's request, carried through every hop).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peer_request_id: Option<String>,
    /// How it ended (`COMPLETE`, `refused`, `sent`, `ERROR <code>` …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// The request id the client gave (`X-Request-Id`), kept apart from the gateway's own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_request_id: Option<String>,
}

/// Where an audited action came from: the gateway's own request id, and the client's when it gave an acceptable
/// one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    /// The gateway's id of the request (also in the answer's `x-request-id` and the log lines).
    pub request_id: Option<String>,
    /// The id the client gave in `X-Request-Id`.
    pub client_request_id: Option<String>,
}

impl Details {
    /// The stored form: this object with the principal under its kind (`{"authority": {id, name, details}, …}`).
    fn with_principal(&self, who: &Principal) -> Value {
        let mut value = serde_json::to_value(self).unwrap_or_else(|_| Value::Object(serde_json::Map::new()));
        if let Value::Object(map) = &mut value {
            let mut principal = serde_json::json!({ "id": who.id, "name": who.name, "details": who.details });
            // A platform is also named by its eFTI platform id.
            if let Some(id) = super::principals::platform_id_of(who) {
                principal["platformId"] = Value::String(id.to_owned());
            }
            map.insert(who.kind.as_str().to_owned(), principal);
        }
        value
    }
}

/// The one writer of audit entries.
#[derive(Clone)]
pub struct Auditor {
    store: Store,
    /// How durable an authority's request and its entries are before the answer is sent.
    control_durability: Durability,
}

impl Auditor {
    /// The audit log of `store`; authority requests are written as durably as `control_durability` says.
    pub fn new(store: Store, control_durability: Durability) -> Auditor {
        Auditor { store, control_durability }
    }

    /// An entry of `who` doing `action` to `document`, now, for the request `origin`. Entries of parties about
    /// their own documents carry no details (but the client's request id, when it gave one); every other entry
    /// names the principal in its details.
    pub fn entry(
        who: &Principal,
        document: Option<Uuid>,
        action: AuditAction,
        details: Option<&Details>,
        origin: &Origin,
    ) -> AuditEntry {
        let client = origin.client_request_id.clone();
        let details = match (details, client) {
            (Some(d), client) => Some(Details { client_request_id: client, ..d.clone() }),
            (None, Some(client)) => Some(Details { client_request_id: Some(client), ..Details::default() }),
            (None, None) => None,
        };
        AuditEntry {
            at: now(),
            document_id: document,
            principal_id: who.id,
            principal_kind: who.kind,
            action: action.name().into_owned(),
            reason: details.map(|d| d.with_principal(who).to_string()),
            request_id: origin.request_id.clone(),
        }
    }

    /// How durable an authority's request must be before it is answered.
    pub fn control_durability(&self) -> Durability {
        self.control_durability
    }

    /// Writes entries (and, with them, an authority's request or follow-up) in one commit; returns when it is as
    /// durable as `write.durability` says.
    ///
    /// # Errors
    /// Store errors; nothing of `write` is stored then.
    pub async fn commit(&self, write: ControlWrite) -> Result<(), StoreError> {
        self.store.control.record(write).await
    }

    /// Writes an authority's or gate's entries alone, as durably as authority requests are.
    ///
    /// # Errors
    /// Store errors.
    pub async fn record(&self, entries: Vec<AuditEntry>) -> Result<(), StoreError> {
        let durability = self.control_durability;
        self.commit(ControlWrite { request: None, follow_up: None, audit: entries, durability }).await
    }

    /// Writes a party's entry, flushed to disk as its documents are.
    ///
    /// # Errors
    /// Store errors.
    pub async fn record_party(&self, entry: AuditEntry) -> Result<(), StoreError> {
        debug_assert_eq!(entry.principal_kind, PrincipalKind::Party);
        self.store.audit.append(entry).await
    }

    /// The entries about a document, oldest first.
    ///
    /// # Errors
    /// Store errors.
    pub async fn for_document(&self, id: Uuid) -> Result<Vec<AuditEntry>, StoreError> {
        self.store.audit.for_document(id).await
    }

    /// What the identity mismatches accepted for a document in `identity_check = "warn"` mode say, oldest first:
    /// the same words as the answer to the submission that brought them.
    ///
    /// # Errors
    /// Store errors.
    pub async fn mismatches(&self, id: Uuid) -> Result<Vec<String>, StoreError> {
        let entries = self.store.audit.mismatches(id).await?;
        Ok(entries
            .into_iter()
            .map(|e| {
                let stored = e.reason.as_deref().and_then(|r| serde_json::from_str::<Value>(r).ok());
                let message = stored.as_ref().and_then(|d| d.get("message")).and_then(Value::as_str);
                message.map_or(e.action.clone(), str::to_owned)
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_keep_their_stored_names() {
        let cases = [
            (AuditAction::DocumentCreated, "document.created"),
            (AuditAction::EventAppended { seq: 3 }, "event.appended:3"),
            (AuditAction::DocumentRead, "document.read"),
            (AuditAction::UilRead(Via::Authority), "efti.uil.read"),
            (AuditAction::UilRead(Via::Gate), "gate.uil.read"),
            (AuditAction::UilRefused(Via::Gate), "gate.uil.refused"),
            (AuditAction::UilFailed, "efti.uil.failed"),
            (AuditAction::SignedDocumentRead(Via::Authority), "efti.document.read"),
            (AuditAction::IdentifierHit, "efti.identifier.hit"),
            (AuditAction::FollowUp(Via::Authority), "efti.follow_up"),
            (AuditAction::FollowUp(Via::Gate), "gate.follow_up"),
            (AuditAction::DatasetRegistered, "platform.dataset.put"),
            (AuditAction::SessionStarted, "inspect.session.started"),
            (AuditAction::SessionEnded, "inspect.session.ended"),
            (AuditAction::ShareCreated, "share.created"),
            (AuditAction::ShareRevoked, "share.revoked"),
            (AuditAction::ShareRead, "share.read"),
            (AuditAction::Forwarded, "federation.forwarded"),
            (AuditAction::MessageRefused, "federation.refused"),
        ];
        for (action, name) in cases {
            assert_eq!(action.name(), name);
        }
    }

    #[test]
    fn details_name_the_principal_under_its_kind_and_leave_out_what_is_absent() {
        let who = Principal {
            id: Uuid::nil(),
            kind: PrincipalKind::Authority,
            name: "ILT".into(),
            details: serde_json::json!({"country": "NL"}),
            keys: Vec::new(),
            created_at: now(),
            revoked_at: None,
        };
        let details = Details {
            request_id: Some(Uuid::nil()),
            subsets: Some(vec!["EU01".into()]),
            outcome: Some("COMPLETE".into()),
            ..Details::default()
        };
        let origin = Origin { request_id: Some("r-1".into()), client_request_id: Some("c-1".into()) };
        let e = Auditor::entry(&who, None, AuditAction::UilRead(Via::Authority), Some(&details), &origin);
        let stored: Value = serde_json::from_str(e.reason.as_deref().expect("reason")).expect("json");
        assert_eq!(
            stored,
            serde_json::json!({
                "authority": {"id": Uuid::nil(), "name": "ILT", "details": {"country": "NL"}},
                "requestId": Uuid::nil(), "subsets": ["EU01"], "outcome": "COMPLETE", "clientRequestId": "c-1"
            })
        );
        assert_eq!(e.action, "efti.uil.read");
        assert_eq!(e.request_id.as_deref(), Some("r-1"));
    }
}
