//! Building signed documents: issue a note, then add one signed event per lifecycle step.
//!
//! Every builder checks the new event with the same rules as verification (lifecycle, role, pinned keys, note
//! validity) before handing back the longer document, so what is built here always verifies.
//!
//! ```
//! use ecmr::keys::FileKey;
//! use ecmr::lifecycle::State;
//! # let note: serde_json::Value = serde_json::from_str(include_str!("../../../examples/domestic-pallets.json")).unwrap();
//! let (sender, consignee) = (FileKey::from_seed(&[1; 32]), FileKey::from_seed(&[2; 32]));
//! let id = uuid::Uuid::from_u128(7);
//! let doc = ecmr::sign::issue_value(id, note, "2026-11-27T15:00:00Z".parse().unwrap(), &sender).unwrap();
//! let patch = serde_json::json!({"payment_instructions": "Carriage forward"});
//! let doc = doc.amend(patch, "customer asked", "2026-11-27T15:30:00Z".parse().unwrap(), &sender).unwrap();
//! assert_eq!(doc.state(), State::Issued);
//! // Only the sender may cancel.
//! let err = doc.append(ecmr::document::Role::Consignee,
//!     ecmr::document::EventData::Cancelled(ecmr::document::Cancel { reason: "no".into() }),
//!     "2026-11-27T16:00:00Z".parse().unwrap(), &consignee).unwrap_err();
//! assert_eq!(err.failure().map(|f| f.kind.code()), Some("disallowed_transition"));
//! ```

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;
use uuid::Uuid;

use crate::canonical::{self, StrictJsonError};
use crate::document::{
    AcceptReservations, Amend, Cancel, Deliver, Document, Event, EventData, FORMAT, HandOver, Issue, RefuseDelivery,
    Role, SignerInfo, TakeOver,
};
use crate::keys::{ALG_ED25519, SignError, Signer, encode_b64url};
use crate::lifecycle::signing_role;
use crate::model::ConsignmentNote;
use crate::types::Timestamp;
use crate::verify::{Failure, Verified};

/// Why an event could not be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The event would not verify; the failures say why (wrong role, wrong state, key not pinned, invalid note …).
    #[error("event refused: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Refused(Vec<Failure>),
    /// The signer could not sign.
    #[error(transparent)]
    Sign(#[from] SignError),
    /// The note or data carries what signed JSON may not (floats, huge integers).
    #[error("not signable: {0}")]
    NotSignable(#[from] StrictJsonError),
}

impl BuildError {
    /// The first failure, when the event was refused.
    pub fn failure(&self) -> Option<&Failure> {
        match self {
            BuildError::Refused(f) => f.first(),
            _ => None,
        }
    }
}

/// Formats a time as `at` is written: RFC 3339 UTC with `Z`, fractional seconds only when present.
pub fn format_at(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

impl Event {
    /// Fills in `signer` from `key` and signs the event: `signature` = Ed25519 over
    /// `"ecmr-event/1\n"` ‖ JCS(event without `signature`). No lifecycle checks; the builders in this module make
    /// checked events.
    ///
    /// # Errors
    /// [`SignError`] from the key.
    pub fn sign(&mut self, key: &dyn Signer) -> Result<(), SignError> {
        self.signer = SignerInfo { alg: ALG_ED25519.to_owned(), public_key: key.public_key().to_b64url() };
        self.signature = String::new();
        let sig = key.sign(&self.signing_input())?;
        self.signature = encode_b64url(&sig);
        Ok(())
    }
}

/// Issues a typed note: a new document whose only event is `issued`, signed by the sender.
///
/// # Errors
/// [`BuildError`] when the note is invalid, the key is not the one the note pins for the sender, or signing fails.
pub fn issue(
    id: Uuid,
    note: &ConsignmentNote,
    at: DateTime<Utc>,
    sender: &dyn Signer,
) -> Result<Verified<Document>, BuildError> {
    let value = serde_json::to_value(note).unwrap_or(Value::Null);
    issue_value(id, value, at, sender)
}

/// Issues a note given as its JSON value (the digest is over this value).
///
/// # Errors
/// As [`issue`], and [`BuildError::NotSignable`] when the value carries floats.
pub fn issue_value(
    id: Uuid,
    note: Value,
    at: DateTime<Utc>,
    sender: &dyn Signer,
) -> Result<Verified<Document>, BuildError> {
    canonical::check_value(&note)?;
    let id = id.hyphenated().to_string();
    let mut event = Event {
        seq: 0,
        kind: crate::document::EventKind::Issued,
        document_id: id.clone(),
        at: format_at(at),
        prev: None,
        note_digest: canonical::digest_value(&note),
        role: Role::Sender,
        data: EventData::Issued(Issue {}).to_value(),
        signer: SignerInfo { alg: String::new(), public_key: String::new() },
        signature: String::new(),
    };
    event.sign(sender)?;
    let doc = Document { format: FORMAT.to_owned(), id, note, events: vec![event] };
    Verified::first(doc).map_err(BuildError::Refused)
}

impl Verified<Document> {
    /// Adds an event of `data`'s kind signed in `role` by `key`: computes `seq`, `prev` and `note_digest`, signs,
    /// and checks the event as verification would.
    ///
    /// # Errors
    /// [`BuildError::Refused`] with the failures (e.g. `disallowed_transition` for a wrong role or state).
    pub fn append(
        &self,
        role: Role,
        data: EventData,
        at: DateTime<Utc>,
        key: &dyn Signer,
    ) -> Result<Verified<Document>, BuildError> {
        let data_value = data.to_value();
        canonical::check_value(&data_value)?;
        let note_digest = match &data {
            EventData::Amended(a) => {
                let mut note = self.current_note().clone();
                canonical::merge_patch(&mut note, &a.patch);
                canonical::digest_value(&note)
            }
            _ => self.note_digest().to_owned(),
        };
        let mut event = Event {
            seq: self.next_seq(),
            kind: data.kind(),
            document_id: self.id().to_owned(),
            at: format_at(at),
            prev: self.last_event_digest().map(str::to_owned),
            note_digest,
            role,
            data: data_value,
            signer: SignerInfo { alg: String::new(), public_key: String::new() },
            signature: String::new(),
        };
        event.sign(key)?;
        self.append_event(event, None).map_err(|e| BuildError::Refused(e.report.failures))
    }

    /// The sender cancels the note before take-over.
    ///
    /// # Errors
    /// [`BuildError`], e.g. when the goods were already taken over.
    pub fn cancel(&self, reason: &str, at: DateTime<Utc>, sender: &dyn Signer) -> Result<Self, BuildError> {
        self.append(Role::Sender, EventData::Cancelled(Cancel { reason: reason.to_owned() }), at, sender)
    }

    /// The carrier takes over goods and note, with its reservations and check results.
    ///
    /// # Errors
    /// [`BuildError`].
    pub fn take_over(&self, data: TakeOver, at: DateTime<Utc>, carrier: &dyn Signer) -> Result<Self, BuildError> {
        self.append(Role::Carrier, EventData::TakenOver(data), at, carrier)
    }

    /// The sender accepts the reservations entered by the events with these `seq`s (Art. 8.2).
    ///
    /// # Errors
    /// [`BuildError`], e.g. when an event has no open reservations.
    pub fn accept_reservations(
        &self,
        events: Vec<u64>,
        at: DateTime<Utc>,
        sender: &dyn Signer,
    ) -> Result<Self, BuildError> {
        self.append(Role::Sender, EventData::ReservationsAccepted(AcceptReservations { events }), at, sender)
    }

    /// The holder of the right of disposal amends the note with an RFC 7396 merge patch. The role is the
    /// consignee's when the note (as it stands) says `consignee_has_right_of_disposal`, else the sender's.
    ///
    /// # Errors
    /// [`BuildError`], e.g. when the amended note is invalid or the key is not the holder's.
    pub fn amend(&self, patch: Value, reason: &str, at: DateTime<Utc>, key: &dyn Signer) -> Result<Self, BuildError> {
        let flag = self.current_note().get("consignee_has_right_of_disposal") == Some(&Value::Bool(true));
        let role = signing_role(crate::document::EventKind::Amended, flag);
        self.append(role, EventData::Amended(Amend { patch, reason: reason.to_owned() }), at, key)
    }

    /// A successive carrier takes over goods and note (Art. 34).
    ///
    /// # Errors
    /// [`BuildError`].
    pub fn hand_over(&self, data: HandOver, at: DateTime<Utc>, carrier: &dyn Signer) -> Result<Self, BuildError> {
        self.append(Role::SuccessiveCarrier, EventData::HandedOver(data), at, carrier)
    }

    /// The consignee confirms delivery, with Art. 30 reservations.
    ///
    /// # Errors
    /// [`BuildError`].
    pub fn deliver(&self, data: Deliver, at: DateTime<Utc>, consignee: &dyn Signer) -> Result<Self, BuildError> {
        self.append(Role::Consignee, EventData::Delivered(data), at, consignee)
    }

    /// The consignee refuses delivery, giving a reason.
    ///
    /// # Errors
    /// [`BuildError`].
    pub fn refuse_delivery(
        &self,
        reason: &str,
        time: Option<Timestamp>,
        at: DateTime<Utc>,
        consignee: &dyn Signer,
    ) -> Result<Self, BuildError> {
        let data = EventData::DeliveryRefused(RefuseDelivery { reason: reason.to_owned(), time });
        self.append(Role::Consignee, data, at, consignee)
    }
}
