//! Statements a gateway signs with its own Ed25519 key: **key attestations** (`ecmr-attestation/1`: this key
//! belongs to this party, with these identifiers), **receipts** (`ecmr-receipt/1`: this event of this document was
//! received at this time from this principal) and the **bundle** (`ecmr-bundle/1`: a signed document with the
//! receipts and attestations that let anyone check it offline).
//!
//! Each statement is a JSON object with a `format`, its fields, a `signer` block (`{"alg": "Ed25519",
//! "public_key": …}`) and a `signature`: Ed25519 over the format's prefix (`"ecmr-attestation/1\n"`,
//! `"ecmr-receipt/1\n"`) followed by JCS of the statement without its `signature` member — the same construction
//! as an event, with a prefix of its own so that no signature can be taken for another kind of statement.
//! `docs/signed-document.md` gives the formats and a worked example.
//!
//! ```
//! use ecmr::attest::{Attestation, PartyIdentity};
//! use ecmr::keys::{FileKey, Signer as _};
//! use ecmr::trust::{GatewayKey, TrustStore};
//!
//! let gateway = FileKey::from_seed(&[0x47; 32]);
//! let party_key = FileKey::from_seed(&[1; 32]).public_key();
//! let party = PartyIdentity::new("Brabant Zuivel B.V.", "NL").with_identifier("vat", "NL123456789B01");
//! let attestation = Attestation::new("gate-nl", party_key, party, "2026-01-01T00:00:00Z", None, "2026-01-01T00:00:00Z")
//!     .sign(&gateway)
//!     .unwrap();
//!
//! // Whoever trusts the gateway's key can check it from its JSON alone.
//! let mut store = TrustStore::new();
//! store.add_gateway_key(GatewayKey::new("gate-nl", gateway.public_key()));
//! let json = serde_json::to_vec(&attestation).unwrap();
//! let checked = Attestation::verify(&json, &store).unwrap();
//! assert_eq!(checked.key, party_key);
//! ```

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::canonical;
use crate::document::SignerInfo;
use crate::json::Pointer;
use crate::keys::{ALG_ED25519, KeyId, PublicKey, SignError, Signer, decode_b64url, encode_b64url};
use crate::model::{IdentifierScheme, Party, PartyIdentifier};
use crate::trust::TrustStore;
use crate::types::CountryCode;
use crate::verify::Verified;

/// `format` of a key attestation.
pub const ATTESTATION_FORMAT: &str = "ecmr-attestation/1";
/// `format` of a receipt.
pub const RECEIPT_FORMAT: &str = "ecmr-receipt/1";
/// `format` of a bundle.
pub const BUNDLE_FORMAT: &str = "ecmr-bundle/1";

/// Why a statement is not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StatementError {
    /// Not strict JSON, or not the statement's shape.
    #[error("malformed statement: {message} at {}", Pointer(pointer))]
    Malformed {
        /// JSON pointer of the value at fault.
        pointer: String,
        /// What is wrong.
        message: String,
    },
    /// `format` is not the one expected.
    #[error("format is {found:?}, expected \"{expected}\"")]
    WrongFormat {
        /// The format expected.
        expected: &'static str,
        /// The format found.
        found: Option<String>,
    },
    /// `signer.alg` is not `Ed25519`.
    #[error("unsupported signature algorithm `{0}`")]
    UnsupportedAlgorithm(String),
    /// `signer.public_key` is not a usable Ed25519 key.
    #[error("signer public key is unusable: {0}")]
    BadKey(String),
    /// `signature` is not base64url of 64 bytes.
    #[error("signature is not base64url of 64 bytes")]
    BadSignatureEncoding,
    /// The signature does not verify (strictly).
    #[error("bad signature")]
    BadSignature,
    /// The signer is not a trusted gateway key.
    #[error("signed by key {0}, which is not a trusted gateway key")]
    UntrustedGateway(KeyId),
    /// The signer is a trusted gateway key, but of another gate than the statement names.
    #[error("signed by a key of gate `{key_gate}`, but the statement names gate `{statement_gate}`")]
    GateMismatch {
        /// The gate the trusted key belongs to.
        key_gate: String,
        /// The gate the statement names.
        statement_gate: String,
    },
    /// The statement was made after the gateway key's `valid_until`.
    #[error("made at {made_at}, after the gateway key's validity ended ({valid_until})")]
    GatewayKeyExpired {
        /// When the statement says it was made.
        made_at: String,
        /// The end of the key's validity.
        valid_until: String,
    },
}

/// The bytes a statement's signature covers: its format as a prefix line, then the canonical JSON (RFC 8785) of the
/// statement without its `signature`.
fn signing_input(prefix: &str, mut value: Value) -> Vec<u8> {
    if let Value::Object(map) = &mut value {
        map.remove("signature");
    }
    let mut input = Vec::with_capacity(512);
    input.extend_from_slice(prefix.as_bytes());
    input.push(b'\n');
    input.extend_from_slice(&canonical::jcs(&value));
    input
}

/// Signs a statement value (its `signer` already set) and returns the signature text.
fn sign_value(format: &str, value: Value, key: &dyn Signer) -> Result<String, SignError> {
    Ok(encode_b64url(&key.sign(&signing_input(format, value))?))
}

/// Checks the signature of a statement value (already strictly parsed) against the gateway keys of `store`,
/// and returns the signer's key.
fn verify_value(format: &'static str, value: &Value, store: &TrustStore) -> Result<PublicKey, StatementError> {
    let found = value.get("format").and_then(Value::as_str);
    if found != Some(format) {
        return Err(StatementError::WrongFormat { expected: format, found: found.map(str::to_owned) });
    }
    let field = |name: &str| value.get(name);
    let alg = field("signer").and_then(|s| s.get("alg")).and_then(Value::as_str).unwrap_or_default();
    if alg != ALG_ED25519 {
        return Err(StatementError::UnsupportedAlgorithm(alg.chars().take(40).collect()));
    }
    let key_text = field("signer").and_then(|s| s.get("public_key")).and_then(Value::as_str).unwrap_or_default();
    let key = PublicKey::from_b64url(key_text).map_err(|e| StatementError::BadKey(e.to_string()))?;
    let signature = field("signature")
        .and_then(Value::as_str)
        .and_then(|s| decode_b64url(s).ok())
        .and_then(|b| <[u8; 64]>::try_from(b.as_slice()).ok())
        .ok_or(StatementError::BadSignatureEncoding)?;
    if !key.verify_strict(&signing_input(format, value.clone()), &signature) {
        return Err(StatementError::BadSignature);
    }
    let gateway = store.gateway_key(&key.key_id()).ok_or(StatementError::UntrustedGateway(key.key_id()))?;
    let gate = field("gate_id").and_then(Value::as_str).unwrap_or_default();
    if let Some(key_gate) = &gateway.gate_id
        && key_gate != gate
    {
        return Err(StatementError::GateMismatch {
            key_gate: key_gate.clone(),
            statement_gate: gate.chars().take(100).collect(),
        });
    }
    let made_at = ["issued_at", "received_at"].iter().find_map(|f| field(f).and_then(Value::as_str));
    if let (Some(made_at), Some(until)) = (made_at, &gateway.valid_until)
        && let (Some(made), Some(end)) = (parse_time(made_at), parse_time(until))
        && made > end
    {
        return Err(StatementError::GatewayKeyExpired { made_at: made_at.to_owned(), valid_until: until.clone() });
    }
    Ok(key)
}

/// Strictly parses statement bytes and reads them as `T`, keeping the value for the signature check.
fn parse<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<(Value, T), StatementError> {
    let value = canonical::parse_strict(bytes, canonical::MAX_DOCUMENT_BYTES)
        .map_err(|e| StatementError::Malformed { pointer: e.pointer.clone(), message: e.to_string() })?;
    let typed = from_value(&value)?;
    Ok((value, typed))
}

fn from_value<T: for<'de> Deserialize<'de>>(value: &Value) -> Result<T, StatementError> {
    serde_path_to_error::deserialize(value).map_err(|e| StatementError::Malformed {
        pointer: crate::json::path_pointer(e.path()),
        message: e.inner().to_string(),
    })
}

/// A time as statements write it: RFC 3339 in UTC ending in `Z`.
pub(crate) fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    if !text.ends_with('Z') {
        return None;
    }
    DateTime::parse_from_rfc3339(text).ok().map(|t| t.with_timezone(&Utc))
}

fn check_time(pointer: &str, text: &str) -> Result<(), StatementError> {
    match parse_time(text) {
        Some(_) => Ok(()),
        None => Err(StatementError::Malformed {
            pointer: pointer.to_owned(),
            message: format!("`{text}` is not an RFC 3339 UTC time ending in `Z`"),
        }),
    }
}

/// A party as a gateway's directory knows it: legal name, country and registration numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartyIdentity {
    /// Legal name.
    pub name: String,
    /// ISO 3166-1 alpha-2 country of its address.
    pub country: CountryCode,
    /// VAT, EORI and other numbers.
    #[serde(default)]
    pub identifiers: Vec<PartyIdentifier>,
}

impl PartyIdentity {
    /// A party with a name and country and no identifiers yet.
    pub fn new(name: &str, country: &str) -> Self {
        PartyIdentity { name: name.to_owned(), country: country.into(), identifiers: Vec::new() }
    }

    /// Adds an identifier given as scheme name (`vat`, `eori`, `gln`, `company_register`, `transport_licence`,
    /// `other`; any case) and value. An unknown scheme name counts as `other`.
    #[must_use]
    pub fn with_identifier(mut self, scheme: &str, value: &str) -> Self {
        self.identifiers.push(PartyIdentifier { scheme: scheme_from_name(scheme), value: value.to_owned() });
        self
    }

    /// The identity a note's party block claims.
    pub fn of(party: &Party) -> Self {
        PartyIdentity {
            name: party.name.clone(),
            country: party.address.country.clone(),
            identifiers: party.identifiers.clone(),
        }
    }

    /// Whether this (attested) identity is the party a note's block describes.
    ///
    /// When the block gives identifiers, at least one must be among this identity's (same scheme, same value
    /// once spaces, dots and hyphens are dropped and letters upper-cased), and none may contradict it: for every
    /// scheme both give, each of the block's values must be one of this identity's. When the block gives no
    /// identifiers, the legal name (ignoring case and runs of spaces) and the country must be equal.
    pub fn matches(&self, party: &Party) -> bool {
        if party.identifiers.is_empty() {
            return same_name(&self.name, &party.name) && self.country == party.address.country;
        }
        let mine = |scheme: IdentifierScheme| {
            self.identifiers.iter().filter(move |i| i.scheme == scheme).map(|i| normalise_identifier(&i.value))
        };
        let mut shared = false;
        for theirs in &party.identifiers {
            let mut values = mine(theirs.scheme).peekable();
            if values.peek().is_none() {
                continue;
            }
            let value = normalise_identifier(&theirs.value);
            if values.any(|v| v == value) {
                shared = true;
            } else {
                return false;
            }
        }
        shared
    }
}

impl fmt::Display for PartyIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}", self.name, self.country.as_str())?;
        for i in &self.identifiers {
            write!(f, ", {} {}", scheme_name(i.scheme), i.value)?;
        }
        f.write_str(")")
    }
}

/// The wire name of an identifier scheme (`vat`, `eori` …).
pub fn scheme_name(scheme: IdentifierScheme) -> &'static str {
    match scheme {
        IdentifierScheme::Vat => "vat",
        IdentifierScheme::Eori => "eori",
        IdentifierScheme::Gln => "gln",
        IdentifierScheme::CompanyRegister => "company_register",
        IdentifierScheme::TransportLicence => "transport_licence",
        IdentifierScheme::Other => "other",
    }
}

/// The identifier scheme of a name, in any case; unknown names are `Other`.
pub fn scheme_from_name(name: &str) -> IdentifierScheme {
    match name.to_ascii_lowercase().replace('-', "_").as_str() {
        "vat" => IdentifierScheme::Vat,
        "eori" => IdentifierScheme::Eori,
        "gln" => IdentifierScheme::Gln,
        "company_register" | "kvk" | "coc" => IdentifierScheme::CompanyRegister,
        "transport_licence" | "licence" => IdentifierScheme::TransportLicence,
        _ => IdentifierScheme::Other,
    }
}

/// An identifier value as compared: without spaces, dots and hyphens, letters upper-cased.
pub fn normalise_identifier(value: &str) -> String {
    value.chars().filter(|c| !matches!(c, ' ' | '.' | '-' | '\t')).flat_map(char::to_uppercase).collect()
}

fn same_name(a: &str, b: &str) -> bool {
    let words = |s: &str| s.split_whitespace().map(str::to_lowercase).collect::<Vec<_>>();
    words(a) == words(b)
}

/// A gateway's statement that a key belongs to a party of its directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attestation {
    /// Always [`ATTESTATION_FORMAT`].
    pub format: String,
    /// The gate that attests.
    pub gate_id: String,
    /// The party's signing key.
    pub key: PublicKey,
    /// Whom the key belongs to.
    pub party: PartyIdentity,
    /// From when the key speaks for the party (RFC 3339 UTC).
    pub valid_from: String,
    /// Until when, if the binding ends (RFC 3339 UTC, or `null`).
    pub valid_until: Option<String>,
    /// When the gateway made the statement (RFC 3339 UTC).
    pub issued_at: String,
    /// The gateway's key.
    pub signer: SignerInfo,
    /// Ed25519 over `"ecmr-attestation/1\n"` ‖ JCS(the attestation without `signature`), base64url.
    pub signature: String,
}

impl Attestation {
    /// An unsigned attestation; [`Attestation::sign`] completes it.
    pub fn new(
        gate_id: &str,
        key: PublicKey,
        party: PartyIdentity,
        valid_from: &str,
        valid_until: Option<&str>,
        issued_at: &str,
    ) -> Self {
        Attestation {
            format: ATTESTATION_FORMAT.to_owned(),
            gate_id: gate_id.to_owned(),
            key,
            party,
            valid_from: valid_from.to_owned(),
            valid_until: valid_until.map(str::to_owned),
            issued_at: issued_at.to_owned(),
            signer: SignerInfo { alg: String::new(), public_key: String::new() },
            signature: String::new(),
        }
    }

    /// Sets `signer` to `gateway`'s key and signs.
    ///
    /// # Errors
    /// [`SignError`] when the key holder cannot sign.
    pub fn sign(mut self, gateway: &dyn Signer) -> Result<Self, SignError> {
        self.signer = SignerInfo { alg: ALG_ED25519.to_owned(), public_key: gateway.public_key().to_b64url() };
        let value = serde_json::to_value(&self).map_err(|e| SignError(e.to_string()))?;
        self.signature = sign_value(ATTESTATION_FORMAT, value, gateway)?;
        Ok(self)
    }

    /// Parses an attestation's bytes strictly and checks it was signed by a gateway key `store` trusts, for the
    /// gate it names.
    ///
    /// # Errors
    /// [`StatementError`] naming what is wrong.
    pub fn verify(bytes: &[u8], store: &TrustStore) -> Result<Attestation, StatementError> {
        let (value, typed) = parse::<Attestation>(bytes)?;
        Self::checked(&value, typed, store)
    }

    /// As [`Attestation::verify`], from a value already parsed strictly (as inside a bundle).
    ///
    /// # Errors
    /// [`StatementError`] naming what is wrong.
    pub fn verify_value(value: &Value, store: &TrustStore) -> Result<Attestation, StatementError> {
        Self::checked(value, from_value(value)?, store)
    }

    fn checked(value: &Value, typed: Attestation, store: &TrustStore) -> Result<Attestation, StatementError> {
        check_time("/valid_from", &typed.valid_from)?;
        check_time("/issued_at", &typed.issued_at)?;
        if let Some(until) = &typed.valid_until {
            check_time("/valid_until", until)?;
        }
        verify_value(ATTESTATION_FORMAT, value, store)?;
        Ok(typed)
    }

    /// Whether the binding holds at `at` (an event's time).
    pub fn valid_at(&self, at: &str) -> bool {
        let Some(at) = parse_time(at) else { return false };
        let from_ok = parse_time(&self.valid_from).is_some_and(|from| from <= at);
        let until_ok = self.valid_until.as_deref().is_none_or(|u| parse_time(u).is_some_and(|until| at < until));
        from_ok && until_ok
    }
}

/// Who posted an event to the gateway, as a receipt names them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostedBy {
    /// The principal's id at the gate.
    pub id: String,
    /// The principal's name.
    pub name: String,
}

/// A gateway's statement that it received and stored one event of a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    /// Always [`RECEIPT_FORMAT`].
    pub format: String,
    /// The gate that received it.
    pub gate_id: String,
    /// The document.
    pub document_id: String,
    /// The event's position.
    pub seq: u64,
    /// digest(event), signature included: what the next event's `prev` holds.
    pub event_digest: String,
    /// When the gateway stored it (RFC 3339 UTC).
    pub received_at: String,
    /// The principal that posted it.
    pub posted_by: PostedBy,
    /// The identity the gateway's directory attests for the event's signing key, or `null` when the key is not
    /// in its directory.
    pub signer_identity: Option<PartyIdentity>,
    /// The gateway's key.
    pub signer: SignerInfo,
    /// Ed25519 over `"ecmr-receipt/1\n"` ‖ JCS(the receipt without `signature`), base64url.
    pub signature: String,
}

/// The facts a receipt states, before it is signed.
#[derive(Debug, Clone)]
pub struct ReceiptFacts<'a> {
    /// The gate.
    pub gate_id: &'a str,
    /// The document.
    pub document_id: &'a str,
    /// The event's position.
    pub seq: u64,
    /// digest(event).
    pub event_digest: &'a str,
    /// When it was stored.
    pub received_at: &'a str,
    /// Who posted it.
    pub posted_by: PostedBy,
    /// The attested identity of the event's signer.
    pub signer_identity: Option<PartyIdentity>,
}

/// Why a receipt does not fit the document it is checked against.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReceiptMismatch {
    /// The receipt is for another document.
    #[error("the receipt is for document {found}, not this one")]
    OtherDocument {
        /// The document the receipt names.
        found: String,
    },
    /// The document has no event at the receipt's seq.
    #[error("the document has no event {seq}")]
    NoSuchEvent {
        /// The receipt's seq.
        seq: u64,
    },
    /// The event at that seq is not the one received.
    #[error("event {seq} is not the event the gateway received (its digest is {found}, the receipt says {receipt})")]
    OtherEvent {
        /// The seq.
        seq: u64,
        /// The event's digest in this document.
        found: String,
        /// The digest the receipt states.
        receipt: String,
    },
}

impl Receipt {
    /// Makes and signs a receipt.
    ///
    /// # Errors
    /// [`SignError`] when the key holder cannot sign.
    pub fn issue(facts: ReceiptFacts<'_>, gateway: &dyn Signer) -> Result<Receipt, SignError> {
        let mut receipt = Receipt {
            format: RECEIPT_FORMAT.to_owned(),
            gate_id: facts.gate_id.to_owned(),
            document_id: facts.document_id.to_owned(),
            seq: facts.seq,
            event_digest: facts.event_digest.to_owned(),
            received_at: facts.received_at.to_owned(),
            posted_by: facts.posted_by,
            signer_identity: facts.signer_identity,
            signer: SignerInfo { alg: ALG_ED25519.to_owned(), public_key: gateway.public_key().to_b64url() },
            signature: String::new(),
        };
        let value = serde_json::to_value(&receipt).map_err(|e| SignError(e.to_string()))?;
        receipt.signature = sign_value(RECEIPT_FORMAT, value, gateway)?;
        Ok(receipt)
    }

    /// Parses a receipt's bytes strictly and checks its gateway signature against `store`.
    ///
    /// # Errors
    /// [`StatementError`] naming what is wrong.
    pub fn verify(bytes: &[u8], store: &TrustStore) -> Result<Receipt, StatementError> {
        let (value, typed) = parse::<Receipt>(bytes)?;
        Self::checked(&value, typed, store)
    }

    /// As [`Receipt::verify`], from a value already parsed strictly.
    ///
    /// # Errors
    /// [`StatementError`] naming what is wrong.
    pub fn verify_value(value: &Value, store: &TrustStore) -> Result<Receipt, StatementError> {
        Self::checked(value, from_value(value)?, store)
    }

    fn checked(value: &Value, typed: Receipt, store: &TrustStore) -> Result<Receipt, StatementError> {
        check_time("/received_at", &typed.received_at)?;
        verify_value(RECEIPT_FORMAT, value, store)?;
        Ok(typed)
    }

    /// Whether the receipt is for an event of `document` as it is.
    ///
    /// # Errors
    /// [`ReceiptMismatch`] saying how it differs.
    pub fn check_against(&self, document: &Verified<crate::document::Document>) -> Result<(), ReceiptMismatch> {
        if self.document_id != document.id() {
            return Err(ReceiptMismatch::OtherDocument { found: self.document_id.chars().take(100).collect() });
        }
        let event = usize::try_from(self.seq)
            .ok()
            .and_then(|i| document.events.get(i))
            .ok_or(ReceiptMismatch::NoSuchEvent { seq: self.seq })?;
        let digest = event.digest();
        if digest != self.event_digest {
            return Err(ReceiptMismatch::OtherEvent {
                seq: self.seq,
                found: digest,
                receipt: self.event_digest.clone(),
            });
        }
        Ok(())
    }
}

/// A signed document with the gateway statements about it: what `GET /v1/documents/{id}` answers for
/// `Accept: application/vnd.ecmr.bundle+json`, and what `ecmr verify --gateway-key` checks offline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bundle {
    /// Always [`BUNDLE_FORMAT`].
    pub format: String,
    /// The signed document (`ecmr-document/1`).
    pub document: Value,
    /// One receipt per stored event (or more, from several gates).
    pub receipts: Vec<Value>,
    /// Attestations of the keys that signed the events.
    pub attestations: Vec<Value>,
}

impl Bundle {
    /// A bundle of a document's bytes and statements.
    ///
    /// # Errors
    /// A JSON error when a statement cannot be written as a value (never for the types of this module).
    pub fn new(
        document: &[u8],
        receipts: &[Receipt],
        attestations: &[Attestation],
    ) -> Result<Bundle, serde_json::Error> {
        Ok(Bundle {
            format: BUNDLE_FORMAT.to_owned(),
            document: serde_json::from_slice(document)?,
            receipts: receipts.iter().map(serde_json::to_value).collect::<Result<_, _>>()?,
            attestations: attestations.iter().map(serde_json::to_value).collect::<Result<_, _>>()?,
        })
    }

    /// Parses a bundle strictly (the same rules as a signed document: no repeated names, no floats).
    ///
    /// # Errors
    /// [`StatementError::Malformed`] or [`StatementError::WrongFormat`].
    pub fn from_slice(bytes: &[u8]) -> Result<Bundle, StatementError> {
        let (_, bundle) = parse::<Bundle>(bytes)?;
        Self::checked(bundle)
    }

    /// As [`Bundle::from_slice`], from a value already parsed strictly.
    ///
    /// # Errors
    /// [`StatementError::Malformed`] or [`StatementError::WrongFormat`].
    pub fn from_value(value: &Value) -> Result<Bundle, StatementError> {
        Self::checked(from_value(value)?)
    }

    fn checked(bundle: Bundle) -> Result<Bundle, StatementError> {
        if bundle.format != BUNDLE_FORMAT {
            return Err(StatementError::WrongFormat { expected: BUNDLE_FORMAT, found: Some(bundle.format) });
        }
        Ok(bundle)
    }

    /// The document's bytes (compact JSON; digests and signatures are over JCS, so any serialisation verifies
    /// the same).
    pub fn document_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(&self.document).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::FileKey;

    fn party(name: &str, country: &str, ids: &[(IdentifierScheme, &str)]) -> Party {
        Party {
            name: name.into(),
            address: crate::model::Address {
                street: None,
                postcode: None,
                city: "Tilburg".into(),
                subdivision: None,
                country: country.into(),
            },
            identifiers: ids.iter().map(|(s, v)| PartyIdentifier { scheme: *s, value: (*v).into() }).collect(),
            contact: None,
            public_keys: vec![],
        }
    }

    #[test]
    fn identity_matching() {
        let id = PartyIdentity::new("Brabant Zuivel B.V.", "NL")
            .with_identifier("VAT", "NL123456789B01")
            .with_identifier("eori", "NL123456789");
        // Same VAT written with spaces and dots.
        assert!(id.matches(&party("Anything", "BE", &[(IdentifierScheme::Vat, "nl 1234.56789-b01")])));
        // A contradicting EORI next to a matching VAT.
        assert!(!id.matches(&party(
            "Brabant Zuivel B.V.",
            "NL",
            &[(IdentifierScheme::Vat, "NL123456789B01"), (IdentifierScheme::Eori, "NL999")]
        )));
        // Only a scheme the identity does not know: nothing shared.
        assert!(!id.matches(&party("Brabant Zuivel B.V.", "NL", &[(IdentifierScheme::Gln, "8712345000004")])));
        // No identifiers: name (case and spaces aside) and country.
        assert!(id.matches(&party("brabant  zuivel b.v.", "NL", &[])));
        assert!(!id.matches(&party("Brabant Zuivel B.V.", "BE", &[])));
        assert!(!id.matches(&party("Brabant Zuivel", "NL", &[])));
    }

    #[test]
    fn attestation_round_trip_and_tampering() {
        let gateway = FileKey::from_seed(&[0x47; 32]);
        let key = FileKey::from_seed(&[1; 32]).public_key();
        let a = Attestation::new(
            "gate-nl",
            key,
            PartyIdentity::new("Brabant Zuivel B.V.", "NL"),
            "2026-01-01T00:00:00Z",
            Some("2027-01-01T00:00:00Z"),
            "2026-01-01T00:00:00Z",
        )
        .sign(&gateway)
        .expect("sign");
        let mut store = TrustStore::new();
        let bytes = serde_json::to_vec(&a).expect("json");
        assert!(matches!(Attestation::verify(&bytes, &store), Err(StatementError::UntrustedGateway(_))));
        store.add_gateway_key(crate::trust::GatewayKey::new("gate-nl", gateway.public_key()));
        assert_eq!(Attestation::verify(&bytes, &store).expect("verifies"), a);
        let text = String::from_utf8(bytes).expect("utf8").replace("Brabant", "Brabamt");
        assert_eq!(Attestation::verify(text.as_bytes(), &store), Err(StatementError::BadSignature));
        assert!(a.valid_at("2026-06-01T00:00:00Z"));
        assert!(!a.valid_at("2027-01-01T00:00:00Z"));
        assert!(!a.valid_at("2025-12-31T23:59:59Z"));
        // A receipt signature is not an attestation signature: the prefixes differ.
        let mut value = serde_json::to_value(&a).expect("value");
        value["format"] = RECEIPT_FORMAT.into();
        assert!(matches!(
            Receipt::verify_value(&value, &store),
            Err(StatementError::Malformed { .. } | StatementError::BadSignature)
        ));
    }
}
