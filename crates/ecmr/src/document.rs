//! The signed document `ecmr-document/1`: the note as issued and the chain of signed events.
//!
//! The types here are the wire form. Every field round-trips exactly (strings stay strings), so the JSON value of
//! an event, and therefore its canonical form and signature, is the same whether it was parsed or built. See
//! `docs/signed-document.md` for the byte-exact rules.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::canonical::{self, MAX_DOCUMENT_BYTES, StrictJsonError};
use crate::model::Location;
use crate::types::Timestamp;

/// The `format` value of this version of the signed document.
pub const FORMAT: &str = "ecmr-document/1";

/// The domain-separation prefix of event signatures.
pub const EVENT_SIGNATURE_PREFIX: &[u8] = b"ecmr-event/1\n";

/// Event fields the signature does not cover (removed before canonicalising for signing).
pub const FIELDS_TO_REMOVE_FOR_SIGNING: &[&str] = &["signature"];

/// The signed document: the note exactly as issued and the events that followed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Document {
    /// Always [`FORMAT`].
    pub format: String,
    /// The document's id: a UUID in lowercase hyphenated form (also the eFTI datasetId).
    pub id: String,
    /// The consignment note exactly as issued (amendments are events, never applied here).
    pub note: Value,
    /// The signed events, `seq` 0, 1, 2 …
    pub events: Vec<Event>,
}

/// One signed step of the lifecycle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    /// Position in the chain, from 0.
    pub seq: u64,
    /// What happened.
    pub kind: EventKind,
    /// The document's `id`.
    pub document_id: String,
    /// RFC 3339 UTC time (`Z`) claimed by the signer.
    pub at: String,
    /// `null` for seq 0, else the tagged digest of the previous event (signature included).
    #[serde(deserialize_with = "required_nullable")]
    pub prev: Option<String>,
    /// Tagged digest of the note as it stands after this event.
    pub note_digest: String,
    /// The role the signer acts in.
    pub role: Role,
    /// Kind-specific data (see [`EventData`]).
    pub data: Value,
    /// Who signed.
    pub signer: SignerInfo,
    /// base64url (no padding) Ed25519 signature.
    pub signature: String,
}

fn required_nullable<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Option::<String>::deserialize(d)
}

/// The `signer` block of an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignerInfo {
    /// Always `"Ed25519"`.
    pub alg: String,
    /// base64url (no padding) of the 32 public-key bytes.
    pub public_key: String,
}

/// Reads a unit enum from its wire name only. serde's derive would also take the map spelling
/// (`{"issued": null}`), which is a different JSON value with the same meaning: the bytes an independent verifier
/// canonicalises would then differ from what was signed.
macro_rules! deserialize_from_wire_name {
    ($ty:ident, $what:literal) => {
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl serde::de::Visitor<'_> for V {
                    type Value = $ty;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str(concat!($what, " written as a string"))
                    }
                    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<$ty, E> {
                        $ty::ALL.into_iter().find(|x| x.as_str() == v).ok_or_else(|| {
                            let names: Vec<&str> = $ty::ALL.iter().map(|x| x.as_str()).collect();
                            E::custom(format_args!("unknown {} `{v}`, expected one of {}", $what, names.join(", ")))
                        })
                    }
                }
                d.deserialize_str(V)
            }
        }
    };
}

deserialize_from_wire_name!(Role, "role");
deserialize_from_wire_name!(EventKind, "event kind");

/// The role a signer acts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The sender (box 1, signs box 22).
    Sender,
    /// The (first) carrier (box 16, signs box 23).
    Carrier,
    /// A successive carrier (box 17, Art. 34).
    SuccessiveCarrier,
    /// The consignee (box 2, signs box 24).
    Consignee,
}

impl Role {
    pub(crate) const ALL: [Role; 4] = [Role::Sender, Role::Carrier, Role::SuccessiveCarrier, Role::Consignee];

    /// The wire name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Sender => "sender",
            Role::Carrier => "carrier",
            Role::SuccessiveCarrier => "successive_carrier",
            Role::Consignee => "consignee",
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an event records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// The sender issues the note (seq 0 only).
    Issued,
    /// The sender cancels the note before take-over (final).
    Cancelled,
    /// The carrier takes over goods and note (Art. 8).
    TakenOver,
    /// The sender accepts the carrier's reservations (Art. 8.2).
    ReservationsAccepted,
    /// The holder of the right of disposal changes the note (Art. 12).
    Amended,
    /// A successive carrier takes over goods and note (Art. 34).
    HandedOver,
    /// The consignee receives the goods (Art. 13, 30; final).
    Delivered,
    /// The consignee refuses the goods (final).
    DeliveryRefused,
}

impl EventKind {
    pub(crate) const ALL: [EventKind; 8] = [
        EventKind::Issued,
        EventKind::Cancelled,
        EventKind::TakenOver,
        EventKind::ReservationsAccepted,
        EventKind::Amended,
        EventKind::HandedOver,
        EventKind::Delivered,
        EventKind::DeliveryRefused,
    ];

    /// The wire name.
    pub fn as_str(&self) -> &'static str {
        match self {
            EventKind::Issued => "issued",
            EventKind::Cancelled => "cancelled",
            EventKind::TakenOver => "taken_over",
            EventKind::ReservationsAccepted => "reservations_accepted",
            EventKind::Amended => "amended",
            EventKind::HandedOver => "handed_over",
            EventKind::Delivered => "delivered",
            EventKind::DeliveryRefused => "delivery_refused",
        }
    }
}

impl std::fmt::Display for EventKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A reservation entered by a carrier (Art. 8.2, Art. 35) or by the consignee at delivery (Art. 30), with its
/// grounds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reservation {
    /// What the reservation is about.
    pub subject: ReservationSubject,
    /// The reservation itself, e.g. "2 pallets wrapping torn".
    pub text: String,
    /// The grounds on which it is made (required, Art. 8.2).
    pub grounds: String,
}

/// What a reservation concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReservationSubject {
    /// The number of packages (Art. 8.1 (a)).
    NumberOfPackages,
    /// Marks and numbers (Art. 8.1 (a)).
    MarksAndNumbers,
    /// Apparent condition of the goods (Art. 8.1 (b)).
    ApparentCondition,
    /// Apparent condition of the packaging (Art. 8.1 (b)).
    Packaging,
    /// Loss or damage found at delivery (Art. 30).
    LossOrDamage,
    /// Anything else.
    Other,
}

/// The result of a check the sender required of the carrier (Art. 8.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckResult {
    /// What was checked.
    pub subject: CheckSubject,
    /// What the check found, e.g. "12460 kg on the weighbridge".
    pub result: String,
}

/// What the carrier may be required to check (Art. 8.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckSubject {
    /// The gross weight.
    GrossWeight,
    /// The quantity otherwise expressed.
    Quantity,
    /// The contents of the packages.
    Contents,
}

/// `data` of `issued`: empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Issue {}

/// `data` of `cancelled`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cancel {
    /// Why the note is cancelled (required, not empty).
    pub reason: String,
}

/// `data` of `taken_over`: where and when, the carrier's reservations and the Art. 8.3 check results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TakeOver {
    /// Where the goods were taken over.
    pub place: Location,
    /// When the goods were taken over.
    pub time: Timestamp,
    /// Reservations, each with grounds (box 18).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reservations: Vec<Reservation>,
    /// Results of the checks the sender required (Art. 8.3).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<CheckResult>,
}

/// `data` of `reservations_accepted`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcceptReservations {
    /// The `seq` of each `taken_over` / `handed_over` event whose reservations the sender accepts.
    pub events: Vec<u64>,
}

/// `data` of `amended`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Amend {
    /// RFC 7396 merge patch applied to the note as it stands (a JSON object).
    pub patch: Value,
    /// Why (required, not empty).
    pub reason: String,
}

/// `data` of `handed_over` (Art. 34).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HandOver {
    /// Where the successive carrier took over.
    pub place: Location,
    /// When.
    pub time: Timestamp,
    /// The successive carrier's reservations, each with grounds.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reservations: Vec<Reservation>,
}

/// `data` of `delivered` (Art. 13, 30).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deliver {
    /// Where the goods were delivered.
    pub place: Location,
    /// When.
    pub time: Timestamp,
    /// The consignee's reservations (Art. 30), each with grounds.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reservations: Vec<Reservation>,
}

/// `data` of `delivery_refused`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefuseDelivery {
    /// Why (required, not empty).
    pub reason: String,
    /// When the goods were refused, if stated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<Timestamp>,
}

/// The typed `data` of an event.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum EventData {
    /// `issued`.
    Issued(Issue),
    /// `cancelled`.
    Cancelled(Cancel),
    /// `taken_over`.
    TakenOver(TakeOver),
    /// `reservations_accepted`.
    ReservationsAccepted(AcceptReservations),
    /// `amended`.
    Amended(Amend),
    /// `handed_over`.
    HandedOver(HandOver),
    /// `delivered`.
    Delivered(Deliver),
    /// `delivery_refused`.
    DeliveryRefused(RefuseDelivery),
}

impl EventData {
    /// The kind this data belongs to.
    pub fn kind(&self) -> EventKind {
        match self {
            EventData::Issued(_) => EventKind::Issued,
            EventData::Cancelled(_) => EventKind::Cancelled,
            EventData::TakenOver(_) => EventKind::TakenOver,
            EventData::ReservationsAccepted(_) => EventKind::ReservationsAccepted,
            EventData::Amended(_) => EventKind::Amended,
            EventData::HandedOver(_) => EventKind::HandedOver,
            EventData::Delivered(_) => EventKind::Delivered,
            EventData::DeliveryRefused(_) => EventKind::DeliveryRefused,
        }
    }

    /// Parses `data` for `kind`, strictly (unknown fields refused), and checks required texts are not empty.
    ///
    /// # Errors
    /// `(pointer within data, message)`.
    pub fn parse(kind: EventKind, data: &Value) -> Result<EventData, (String, String)> {
        fn de<T: serde::de::DeserializeOwned>(v: &Value) -> Result<T, (String, String)> {
            // The path is tracked only to explain a failure.
            T::deserialize(v).or_else(|_| {
                serde_path_to_error::deserialize(v)
                    .map_err(|e| (crate::json::path_pointer(e.path()), e.inner().to_string()))
            })
        }
        let data = match kind {
            EventKind::Issued => EventData::Issued(de(data)?),
            EventKind::Cancelled => EventData::Cancelled(de(data)?),
            EventKind::TakenOver => EventData::TakenOver(de(data)?),
            EventKind::ReservationsAccepted => EventData::ReservationsAccepted(de(data)?),
            EventKind::Amended => EventData::Amended(de(data)?),
            EventKind::HandedOver => EventData::HandedOver(de(data)?),
            EventKind::Delivered => EventData::Delivered(de(data)?),
            EventKind::DeliveryRefused => EventData::DeliveryRefused(de(data)?),
        };
        data.check()?;
        Ok(data)
    }

    fn check(&self) -> Result<(), (String, String)> {
        let blank = |s: &str| s.trim().is_empty();
        let reservations = |rs: &[Reservation]| {
            for (i, r) in rs.iter().enumerate() {
                if blank(&r.text) {
                    return Err((format!("/reservations/{i}/text"), "reservation text is empty".to_owned()));
                }
                if blank(&r.grounds) {
                    return Err((format!("/reservations/{i}/grounds"), "reservation has no grounds".to_owned()));
                }
            }
            Ok(())
        };
        match self {
            EventData::Issued(_) => Ok(()),
            EventData::Cancelled(Cancel { reason }) | EventData::DeliveryRefused(RefuseDelivery { reason, .. }) => {
                if blank(reason) {
                    Err(("/reason".to_owned(), "a reason is required".to_owned()))
                } else {
                    Ok(())
                }
            }
            EventData::TakenOver(t) => {
                reservations(&t.reservations)?;
                for (i, c) in t.checks.iter().enumerate() {
                    if blank(&c.result) {
                        return Err((format!("/checks/{i}/result"), "check result is empty".to_owned()));
                    }
                }
                Ok(())
            }
            EventData::ReservationsAccepted(a) => {
                if a.events.is_empty() {
                    Err(("/events".to_owned(), "names no event whose reservations are accepted".to_owned()))
                } else {
                    Ok(())
                }
            }
            EventData::Amended(a) => {
                if !a.patch.is_object() {
                    Err(("/patch".to_owned(), "merge patch must be a JSON object".to_owned()))
                } else if blank(&a.reason) {
                    Err(("/reason".to_owned(), "a reason is required".to_owned()))
                } else {
                    Ok(())
                }
            }
            EventData::HandedOver(h) => reservations(&h.reservations),
            EventData::Delivered(d) => reservations(&d.reservations),
        }
    }

    /// The reservations this event enters, if any.
    pub fn reservations(&self) -> &[Reservation] {
        match self {
            EventData::TakenOver(t) => &t.reservations,
            EventData::HandedOver(h) => &h.reservations,
            EventData::Delivered(d) => &d.reservations,
            _ => &[],
        }
    }

    /// The JSON value of the data.
    pub fn to_value(&self) -> Value {
        let v = match self {
            EventData::Issued(d) => serde_json::to_value(d),
            EventData::Cancelled(d) => serde_json::to_value(d),
            EventData::TakenOver(d) => serde_json::to_value(d),
            EventData::ReservationsAccepted(d) => serde_json::to_value(d),
            EventData::Amended(d) => serde_json::to_value(d),
            EventData::HandedOver(d) => serde_json::to_value(d),
            EventData::Delivered(d) => serde_json::to_value(d),
            EventData::DeliveryRefused(d) => serde_json::to_value(d),
        };
        v.unwrap_or(Value::Null)
    }
}

/// Says which `format` a document has instead of `ecmr-document/1`: a string, or none (missing or not a string).
pub(crate) struct FormatFound<'a>(pub(crate) Option<&'a str>);

impl std::fmt::Display for FormatFound<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(found) => write!(f, "unknown format {found:?}; expected \"{FORMAT}\""),
            None => write!(f, "no `format` string; expected \"{FORMAT}\""),
        }
    }
}

/// Why bytes are not a signed document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// Not strict JSON (too large, not UTF-8, syntax, float, out-of-range integer, repeated key).
    #[error("{0}")]
    Json(#[from] StrictJsonError),
    /// `format` missing or not `ecmr-document/1`.
    #[error("{}", FormatFound(.0.as_deref()))]
    UnknownFormat(Option<String>),
    /// The JSON does not have the document's shape.
    #[error("{message} at {}", crate::json::Pointer(pointer))]
    Shape {
        /// JSON pointer of the value at fault.
        pointer: String,
        /// What is wrong.
        message: String,
    },
}

impl Document {
    /// Parses a signed document strictly: size cap ([`MAX_DOCUMENT_BYTES`]), no floats or repeated keys anywhere,
    /// known `format`, document shape (unknown fields refused). Does not verify anything; see
    /// [`crate::verify::verify`].
    ///
    /// # Errors
    /// [`ParseError`] naming the problem and where.
    pub fn from_slice(bytes: &[u8]) -> Result<Document, ParseError> {
        let text = canonical::prelude(bytes, MAX_DOCUMENT_BYTES)?;
        if let Some(doc) = one_pass::document(text) {
            return Ok(doc);
        }
        let value = canonical::parse_strict(bytes, MAX_DOCUMENT_BYTES)?;
        Self::from_value(value)
    }

    /// As [`Document::from_slice`], from a value that passed [`canonical::parse_strict`]. The parts of the value
    /// are moved into the document, not copied or rebuilt.
    ///
    /// # Errors
    /// [`ParseError`].
    pub fn from_value(value: Value) -> Result<Document, ParseError> {
        match value.get("format") {
            Some(Value::String(f)) if f == FORMAT => {}
            Some(Value::String(f)) => return Err(ParseError::UnknownFormat(Some(f.clone()))),
            _ => return Err(ParseError::UnknownFormat(None)),
        }
        let mut map = Fields::new(value, String::new(), &["format", "id", "note", "events"])?;
        let format = map.string("format")?;
        let id = map.string("id")?;
        let note = map.take("note")?;
        let events = match map.take("events")? {
            Value::Array(items) => items,
            _ => return Err(shape("/events".into(), "invalid type: expected a sequence")),
        };
        let events = events
            .into_iter()
            .enumerate()
            .map(|(i, v)| Event::from_value(v, format!("/events/{i}")))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Document { format, id, note, events })
    }

    /// Compact JSON bytes of the document.
    pub fn to_vec(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Pretty-printed JSON of the document (for files people read; the signatures do not depend on layout).
    pub fn to_string_pretty(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

fn shape(pointer: String, message: &str) -> ParseError {
    ParseError::Shape { pointer, message: message.to_owned() }
}

/// The members of one JSON object, taken out one by one, with unknown members refused.
struct Fields {
    map: serde_json::Map<String, Value>,
    at: String,
}

impl Fields {
    fn new(value: Value, at: String, allowed: &[&str]) -> Result<Self, ParseError> {
        let Value::Object(map) = value else { return Err(shape(at, "invalid type: expected an object")) };
        if let Some(k) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
            let pointer = format!("{at}/{}", canonical::escape_segment(k));
            return Err(ParseError::Shape { pointer, message: format!("unknown field `{k}`") });
        }
        Ok(Fields { map, at })
    }

    fn pointer(&self, key: &str) -> String {
        format!("{}/{key}", self.at)
    }

    fn take(&mut self, key: &str) -> Result<Value, ParseError> {
        self.map.remove(key).ok_or_else(|| shape(self.at.clone(), &format!("missing field `{key}`")))
    }

    fn string(&mut self, key: &str) -> Result<String, ParseError> {
        match self.take(key)? {
            Value::String(s) => Ok(s),
            _ => Err(shape(self.pointer(key), "invalid type: expected a string")),
        }
    }

    fn parse<T: serde::de::DeserializeOwned>(&mut self, key: &str) -> Result<T, ParseError> {
        let v = self.take(key)?;
        serde_json::from_value(v).map_err(|e| shape(self.pointer(key), &e.to_string()))
    }
}

impl Event {
    /// Parses one event (for example, one a party sends to be appended) by the same strict rules as a document.
    ///
    /// # Errors
    /// [`ParseError`] naming the problem and where.
    pub fn from_slice(bytes: &[u8]) -> Result<Event, ParseError> {
        let text = canonical::prelude(bytes, MAX_DOCUMENT_BYTES)?;
        if let Some(ev) = one_pass::event(text) {
            return Ok(ev);
        }
        let value = canonical::parse_strict(bytes, MAX_DOCUMENT_BYTES)?;
        Event::from_value(value, String::new())
    }

    fn from_value(value: Value, at: String) -> Result<Event, ParseError> {
        const FIELDS: &[&str] =
            &["seq", "kind", "document_id", "at", "prev", "note_digest", "role", "data", "signer", "signature"];
        let mut f = Fields::new(value, at, FIELDS)?;
        let seq = match f.take("seq")? {
            Value::Number(n) => n.as_u64().ok_or_else(|| shape(f.pointer("seq"), "expected a non-negative integer"))?,
            _ => return Err(shape(f.pointer("seq"), "invalid type: expected an integer")),
        };
        let kind = f.parse("kind")?;
        let document_id = f.string("document_id")?;
        let at = f.string("at")?;
        let prev = match f.take("prev")? {
            Value::Null => None,
            Value::String(s) => Some(s),
            _ => return Err(shape(f.pointer("prev"), "invalid type: expected a string or null")),
        };
        let note_digest = f.string("note_digest")?;
        let role = f.parse("role")?;
        let data = f.take("data")?;
        let mut signer = Fields::new(f.take("signer")?, f.pointer("signer"), &["alg", "public_key"])?;
        let signer = SignerInfo { alg: signer.string("alg")?, public_key: signer.string("public_key")? };
        let signature = f.string("signature")?;
        Ok(Event { seq, kind, document_id, at, prev, note_digest, role, data, signer, signature })
    }

    /// The JSON value of the whole event (signature included).
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// The bytes the signature covers: `"ecmr-event/1\n"` ‖ JCS(event without `signature`).
    pub fn signing_input(&self) -> Vec<u8> {
        self.canonical(false, EVENT_SIGNATURE_PREFIX).map(|(bytes, _)| bytes).unwrap_or_else(|| {
            let mut value = self.to_value();
            signing_input_of(&mut value)
        })
    }

    /// `"sha256:" + hex(SHA-256(JCS(event)))`, signature included: the next event's `prev`.
    pub fn digest(&self) -> String {
        match self.canonical(true, b"") {
            Some((bytes, _)) => canonical::sha256_tagged(&bytes),
            None => canonical::digest_value(&self.to_value()),
        }
    }

    /// The signing input and the digest together, canonicalising the event once: the JCS form with the
    /// signature differs from the one without only by the `signature` member, which sorts between `seq` and
    /// `signer`, so the digest hashes the signing input's JCS part with that member spliced in.
    pub(crate) fn signing_input_and_digest(&self) -> (Vec<u8>, String) {
        use sha2::{Digest as _, Sha256};
        let Some((input, split)) = self.canonical(false, EVENT_SIGNATURE_PREFIX) else {
            return (self.signing_input(), self.digest());
        };
        let (Some(head), Some(tail)) = (input.get(EVENT_SIGNATURE_PREFIX.len()..split), input.get(split..)) else {
            return (self.signing_input(), self.digest());
        };
        let mut member = Vec::with_capacity(16 + self.signature.len());
        member.extend_from_slice(b",\"signature\":");
        canonical::write_jcs_str(&self.signature, &mut member);
        let mut hasher = Sha256::new();
        hasher.update(head);
        hasher.update(&member);
        hasher.update(tail);
        let digest = canonical::tagged_hex(&hasher.finalize());
        (input, digest)
    }

    /// `prefix` ‖ JCS(event), written field by field in JCS member order without building a JSON value; `None`
    /// when `seq` or a number in `data` is outside the safe-integer range (callers then take the general path).
    /// With the bytes comes the offset where the `signature` member goes (after `seq`, before `signer`).
    fn canonical(&self, with_signature: bool, prefix: &[u8]) -> Option<(Vec<u8>, usize)> {
        use canonical::{write_jcs, write_jcs_str};
        if self.seq > canonical::MAX_SAFE_INTEGER {
            return None;
        }
        let mut out = Vec::with_capacity(prefix.len() + 512);
        out.extend_from_slice(prefix);
        out.extend_from_slice(b"{\"at\":");
        write_jcs_str(&self.at, &mut out);
        out.extend_from_slice(b",\"data\":");
        if !write_jcs(&self.data, &mut out) {
            return None;
        }
        out.extend_from_slice(b",\"document_id\":");
        write_jcs_str(&self.document_id, &mut out);
        out.extend_from_slice(b",\"kind\":");
        write_jcs_str(self.kind.as_str(), &mut out);
        out.extend_from_slice(b",\"note_digest\":");
        write_jcs_str(&self.note_digest, &mut out);
        out.extend_from_slice(b",\"prev\":");
        match &self.prev {
            Some(p) => write_jcs_str(p, &mut out),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"role\":");
        write_jcs_str(self.role.as_str(), &mut out);
        out.extend_from_slice(b",\"seq\":");
        canonical::write_u64(self.seq, &mut out);
        let split = out.len();
        if with_signature {
            out.extend_from_slice(b",\"signature\":");
            write_jcs_str(&self.signature, &mut out);
        }
        out.extend_from_slice(b",\"signer\":{\"alg\":");
        write_jcs_str(&self.signer.alg, &mut out);
        out.extend_from_slice(b",\"public_key\":");
        write_jcs_str(&self.signer.public_key, &mut out);
        out.extend_from_slice(b"}}");
        Some((out, split))
    }
}

/// The signing input of an event value; removes the unsigned fields from `value`.
pub(crate) fn signing_input_of(value: &mut Value) -> Vec<u8> {
    if let Value::Object(map) = value {
        for f in FIELDS_TO_REMOVE_FOR_SIGNING {
            map.remove(*f);
        }
    }
    let mut out = EVENT_SIGNATURE_PREFIX.to_vec();
    out.extend_from_slice(&canonical::jcs(value));
    out
}

/// One-pass reading of a document: the typed parts are read straight from the text, `note` and `data` with the
/// strict value reader of [`canonical::parse_strict`]. It accepts a subset of what the two-step path
/// (`parse_strict`, then `from_value`) accepts and gives the same document; anything it refuses goes to the
/// two-step path, which decides, and explains an error with its pointer. Tracking pointers and building a value
/// of the whole text is paid only then.
mod one_pass {
    use std::fmt;

    use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

    use super::{Document, Event, EventKind, FORMAT, Role, SignerInfo};
    use crate::canonical::{Ctx, Key, MAX_SAFE_INTEGER, Seed};

    /// The document in `text`, or `None` when the two-step path must decide.
    pub(super) fn document(text: &str) -> Option<Document> {
        let ctx = Ctx::new();
        let mut de = serde_json::Deserializer::from_str(text);
        let doc = DocumentSeed(&ctx).deserialize(&mut de).ok()?;
        de.end().ok()?;
        Some(doc)
    }

    /// The event in `text`, or `None` when the two-step path must decide.
    pub(super) fn event(text: &str) -> Option<Event> {
        let ctx = Ctx::new();
        let mut de = serde_json::Deserializer::from_str(text);
        let ev = EventSeed(&ctx).deserialize(&mut de).ok()?;
        de.end().ok()?;
        Some(ev)
    }

    fn refuse<E: serde::de::Error>() -> E {
        E::custom("left to the two-step reader")
    }

    /// Stores a member seen for the first time; a repeated member is refused.
    fn once<T, E: serde::de::Error>(slot: &mut Option<T>, value: T) -> Result<(), E> {
        if slot.is_some() {
            return Err(refuse());
        }
        *slot = Some(value);
        Ok(())
    }

    struct DocumentSeed<'c>(&'c Ctx);

    impl<'de> DeserializeSeed<'de> for DocumentSeed<'_> {
        type Value = Document;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Document, D::Error> {
            d.deserialize_map(self)
        }
    }

    impl<'de> Visitor<'de> for DocumentSeed<'_> {
        type Value = Document;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a signed document")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Document, A::Error> {
            let (mut format, mut id, mut note, mut events) = (None, None, None, None);
            while let Some(key) = map.next_key_seed(Key)? {
                match &*key {
                    "format" => {
                        let f = map.next_value::<String>()?;
                        if f != FORMAT {
                            return Err(refuse());
                        }
                        once(&mut format, f)?;
                    }
                    "id" => once(&mut id, map.next_value::<String>()?)?,
                    "note" => once(&mut note, map.next_value_seed(Seed(self.0))?)?,
                    "events" => once(&mut events, map.next_value_seed(EventsSeed(self.0))?)?,
                    _ => return Err(refuse()),
                }
            }
            match (format, id, note, events) {
                (Some(format), Some(id), Some(note), Some(events)) => Ok(Document { format, id, note, events }),
                _ => Err(refuse()),
            }
        }
    }

    struct EventsSeed<'c>(&'c Ctx);

    impl<'de> DeserializeSeed<'de> for EventsSeed<'_> {
        type Value = Vec<Event>;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<Event>, D::Error> {
            d.deserialize_seq(self)
        }
    }

    impl<'de> Visitor<'de> for EventsSeed<'_> {
        type Value = Vec<Event>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a sequence of events")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Event>, A::Error> {
            let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
            while let Some(ev) = seq.next_element_seed(EventSeed(self.0))? {
                out.push(ev);
            }
            Ok(out)
        }
    }

    struct EventSeed<'c>(&'c Ctx);

    impl<'de> DeserializeSeed<'de> for EventSeed<'_> {
        type Value = Event;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Event, D::Error> {
            d.deserialize_map(self)
        }
    }

    /// A member whose value is one of a fixed set of names, written as a plain string.
    struct Name;

    impl<'de> DeserializeSeed<'de> for Name {
        type Value = std::borrow::Cow<'de, str>;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            Key.deserialize(d)
        }
    }

    fn kind_of<E: serde::de::Error>(name: &str) -> Result<EventKind, E> {
        EventKind::ALL.iter().copied().find(|k| k.as_str() == name).ok_or_else(refuse)
    }

    fn role_of<E: serde::de::Error>(name: &str) -> Result<Role, E> {
        Role::ALL.iter().copied().find(|r| r.as_str() == name).ok_or_else(refuse)
    }

    impl<'de> Visitor<'de> for EventSeed<'_> {
        type Value = Event;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an event")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Event, A::Error> {
            let (mut seq, mut kind, mut document_id, mut at, mut prev) = (None, None, None, None, None);
            let (mut note_digest, mut role, mut data, mut signer, mut signature) = (None, None, None, None, None);
            while let Some(key) = map.next_key_seed(Key)? {
                match &*key {
                    "seq" => {
                        let n = map.next_value::<u64>()?;
                        if n > MAX_SAFE_INTEGER {
                            return Err(refuse());
                        }
                        once(&mut seq, n)?;
                    }
                    "kind" => once(&mut kind, kind_of(&map.next_value_seed(Name)?)?)?,
                    "document_id" => once(&mut document_id, map.next_value::<String>()?)?,
                    "at" => once(&mut at, map.next_value::<String>()?)?,
                    "prev" => once(&mut prev, map.next_value::<Option<String>>()?)?,
                    "note_digest" => once(&mut note_digest, map.next_value::<String>()?)?,
                    "role" => once(&mut role, role_of(&map.next_value_seed(Name)?)?)?,
                    "data" => once(&mut data, map.next_value_seed(Seed(self.0))?)?,
                    "signer" => once(&mut signer, map.next_value_seed(SignerSeed)?)?,
                    "signature" => once(&mut signature, map.next_value::<String>()?)?,
                    _ => return Err(refuse()),
                }
            }
            match (seq, kind, document_id, at, prev, note_digest, role, data, signer, signature) {
                (
                    Some(seq),
                    Some(kind),
                    Some(document_id),
                    Some(at),
                    Some(prev),
                    Some(note_digest),
                    Some(role),
                    Some(data),
                    Some(signer),
                    Some(signature),
                ) => Ok(Event { seq, kind, document_id, at, prev, note_digest, role, data, signer, signature }),
                _ => Err(refuse()),
            }
        }
    }

    struct SignerSeed;

    impl<'de> DeserializeSeed<'de> for SignerSeed {
        type Value = SignerInfo;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<SignerInfo, D::Error> {
            d.deserialize_map(self)
        }
    }

    impl<'de> Visitor<'de> for SignerSeed {
        type Value = SignerInfo;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a signer block")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<SignerInfo, A::Error> {
            let (mut alg, mut public_key) = (None, None);
            while let Some(key) = map.next_key_seed(Key)? {
                match &*key {
                    "alg" => once(&mut alg, map.next_value::<String>()?)?,
                    "public_key" => once(&mut public_key, map.next_value::<String>()?)?,
                    _ => return Err(refuse()),
                }
            }
            match (alg, public_key) {
                (Some(alg), Some(public_key)) => Ok(SignerInfo { alg, public_key }),
                _ => Err(refuse()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::FileKey;

    fn signed() -> Vec<u8> {
        let note: Value =
            serde_json::from_str(include_str!("../../../examples/domestic-pallets.json")).expect("example note");
        let at = "2026-11-27T15:00:00Z".parse().expect("time");
        let key = FileKey::from_seed(&[7; 32]);
        let doc = crate::sign::issue_value(uuid::Uuid::from_u128(9), note, at, &key).expect("issue");
        let doc = doc
            .amend(serde_json::json!({"payment_instructions": "Carriage \"forward\"\n"}), "Customer", at, &key)
            .expect("amend");
        doc.into_bytes()
    }

    fn two_step(bytes: &[u8]) -> Result<Document, ParseError> {
        Document::from_value(canonical::parse_strict(bytes, MAX_DOCUMENT_BYTES)?)
    }

    fn text(bytes: &[u8]) -> &str {
        std::str::from_utf8(bytes).expect("UTF-8")
    }

    #[test]
    fn one_pass_reads_the_same_document_as_two_steps() {
        let bytes = signed();
        let fast = one_pass::document(text(&bytes)).expect("one pass reads a well-formed document");
        assert_eq!(fast, two_step(&bytes).expect("two steps read it too"));
        assert_eq!(fast.events.len(), 2);
        // Whitespace and member order do not matter to either.
        let pretty =
            serde_json::to_vec_pretty(&serde_json::from_slice::<Value>(&bytes).expect("json")).expect("pretty");
        assert_eq!(one_pass::document(text(&pretty)), Some(fast.clone()));
        let event = serde_json::to_vec(&fast.events[1]).expect("event");
        assert_eq!(one_pass::event(text(&event)).as_ref(), Some(&fast.events[1]));
        assert_eq!(Event::from_slice(&event).as_ref(), Ok(&fast.events[1]));
    }

    #[test]
    fn what_one_pass_refuses_gets_the_two_step_answer() {
        let good = String::from_utf8(signed()).expect("UTF-8");
        let cases = [
            good.replacen("{\"format\"", "{\"format\":\"ecmr-document/1\",\"format\"", 1),
            good.replacen("\"id\"", "\"extra\":1,\"id\"", 1),
            good.replacen("\"ecmr-document/1\"", "\"ecmr-document/2\"", 1),
            good.replacen("\"seq\":0", "\"seq\":0.0", 1),
            good.replacen("\"seq\":0", "\"seq\":9007199254740992", 1),
            good.replacen("\"seq\":0", "\"seq\":-1", 1),
            good.replacen("\"prev\":null,", "", 1),
            good.replacen("\"role\":\"sender\"", "\"role\":\"Sender\"", 1),
            good.replacen("\"alg\":\"Ed25519\"", "\"alg\":\"Ed25519\",\"alg\":\"Ed25519\"", 1),
            good.replacen("\"data\":{}", "\"data\":{\"a\":1,\"a\":1}", 1),
            good.replacen("\"number\"", "\"weight\":1.5,\"number\"", 1),
            format!("{good} x"),
        ];
        for case in &cases {
            assert_ne!(case, &good, "the case changes the document");
            assert_eq!(one_pass::document(case), None, "{case}");
            assert_eq!(Document::from_slice(case.as_bytes()), two_step(case.as_bytes()), "{case}");
            assert!(Document::from_slice(case.as_bytes()).is_err(), "{case}");
        }
        // serde's map spelling of an enum value is another JSON value than the signed string: both readers refuse it.
        for (from, to) in [
            ("\"kind\":\"issued\"", "\"kind\":{\"issued\":null}"),
            ("\"role\":\"sender\"", "\"role\":{\"sender\":null}"),
        ] {
            let map_form = good.replacen(from, to, 1);
            assert_ne!(map_form, good);
            assert_eq!(one_pass::document(&map_form), None);
            let err = Document::from_slice(map_form.as_bytes()).expect_err("map spelling refused");
            assert!(err.to_string().contains("written as a string"), "{err}");
        }
        // An escaped member name is the same name; both readers accept it.
        let escaped = good.replacen("\"note\"", "\"no\\u0074e\"", 1);
        assert_eq!(Document::from_slice(escaped.as_bytes()), two_step(good.as_bytes()));
    }

    #[test]
    fn one_canonicalisation_gives_both_signing_input_and_digest() {
        let doc = Document::from_slice(&signed()).expect("document");
        for ev in &doc.events {
            assert_eq!(ev.signing_input_and_digest(), (ev.signing_input(), ev.digest()));
            let mut value = ev.to_value();
            assert_eq!(ev.digest(), canonical::digest_value(&value));
            assert_eq!(ev.signing_input(), signing_input_of(&mut value));
        }
    }
}
