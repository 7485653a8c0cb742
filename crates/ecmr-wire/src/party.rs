//! The party API: what the gateway answers about signed documents.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The eFTI Unique Information Locator of one of the gateway's documents.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Uil {
    /// The gate's id.
    pub gate_id: String,
    /// The platform id the gateway stores as.
    pub platform_id: String,
    /// The document id.
    pub dataset_id: Uuid,
}

/// What the gateway holds of a document.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    /// The seqs this request appended, when a submitted document extended the stored chain; absent otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub appended_seqs: Vec<u64>,
    /// Events accepted although their signer is not, by the gateway's party directory, the party the note names
    /// for the role — only when the gateway runs with `identity_check = "warn"`; each is also in the audit log.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identity_warnings: Vec<String>,
}

/// A party principal given access to a document by one of its participants.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ParticipantRequest {
    /// The party principal to give access (it reads the document and may post events for the role the note
    /// names it in, as its keys and the identity check allow).
    pub principal_id: Uuid,
}

/// Access given.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ParticipantAdded {
    /// The document.
    pub document_id: Uuid,
    /// The party principal that now has access.
    pub principal_id: Uuid,
    /// Its name.
    pub name: String,
}

/// A page of documents.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DocumentPage {
    /// The documents, oldest update first.
    pub items: Vec<DocumentReceipt>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// What a principal is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PrincipalKind {
    /// A sender, carrier or consignee, bound to its public keys.
    Party,
    /// A control authority.
    Authority,
    /// An eFTI platform.
    Platform,
    /// Another gate.
    Gate,
    /// An operator of the gateway.
    Admin,
}

impl PrincipalKind {
    /// The name on the wire and in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalKind::Party => "party",
            PrincipalKind::Authority => "authority",
            PrincipalKind::Platform => "platform",
            PrincipalKind::Gate => "gate",
            PrincipalKind::Admin => "admin",
        }
    }
}

impl std::str::FromStr for PrincipalKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "party" => PrincipalKind::Party,
            "authority" => PrincipalKind::Authority,
            "platform" => PrincipalKind::Platform,
            "gate" => PrincipalKind::Gate,
            "admin" => PrincipalKind::Admin,
            other => {
                return Err(format!(
                    "unknown principal kind {other:?} (expected party, authority, platform, gate or admin)"
                ));
            }
        })
    }
}

/// A principal as audit entries and follow-ups name it: its id with its kind, name and country (when it has one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PrincipalRef {
    /// The principal's id.
    pub id: Uuid,
    /// What it is.
    pub kind: PrincipalKind,
    /// Its name; empty when the principal is no longer known.
    pub name: String,
    /// Its country (ISO 3166-1 alpha-2), for an authority.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

/// An audit entry as a document's parties read it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditRecord {
    /// When.
    pub at: DateTime<Utc>,
    /// The document concerned.
    pub document_id: Option<Uuid>,
    /// Who: id, kind, name and (for an authority) country.
    pub principal: PrincipalRef,
    /// What (`document.created`, `document.read`, `event.appended:<seq>`, `efti.uil.read`, …).
    pub action: String,
    /// What was asked and how it ended (`requestId`, `subsets`, `identifier`, `outcome`, …), when recorded.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub details: Option<serde_json::Value>,
    /// The request id, to find the log lines.
    pub request_id: Option<String>,
}

/// A follow-up message as a document's parties read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct FollowUpMessage {
    /// The control request it follows up.
    pub request_id: Uuid,
    /// The document concerned.
    pub document_id: Uuid,
    /// Who sent it: id, kind, name and (for an authority) country.
    pub principal: PrincipalRef,
    /// The message.
    pub message: String,
    /// When it was received.
    pub at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principal_kinds_read_back_as_written() {
        for kind in [
            PrincipalKind::Party,
            PrincipalKind::Authority,
            PrincipalKind::Platform,
            PrincipalKind::Gate,
            PrincipalKind::Admin,
        ] {
            assert_eq!(kind.as_str().parse::<PrincipalKind>(), Ok(kind));
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
        }
        assert!("Party".parse::<PrincipalKind>().unwrap_err().contains("unknown principal kind"));
    }

    #[test]
    fn a_receipt_without_appended_seqs_leaves_them_out() {
        let r = DocumentReceipt {
            id: Uuid::nil(),
            uil: Uil { gate_id: "g".into(), platform_id: "p".into(), dataset_id: Uuid::nil() },
            note_number: "N".into(),
            state: "issued".into(),
            last_seq: 0,
            last_event_digest: "sha256:00".into(),
            received_at: DateTime::UNIX_EPOCH,
            updated_at: DateTime::UNIX_EPOCH,
            appended_seqs: Vec::new(),
            identity_warnings: Vec::new(),
        };
        let v = serde_json::to_value(&r).unwrap();
        assert!(v.get("appended_seqs").is_none());
        assert_eq!(v["uil"]["datasetId"], Uuid::nil().to_string());
        assert_eq!(serde_json::from_value::<DocumentReceipt>(v).unwrap(), r);
    }
}
