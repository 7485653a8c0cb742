//! Verification of a signed document: every signature, the hash chain, the note digests, the lifecycle and the
//! pinned keys, with a structured [`Report`]. Only verification makes a [`Verified`] value.
//!
//! ```
//! # use ecmr::keys::FileKey;
//! # let note: serde_json::Value = serde_json::from_str(include_str!("../../../examples/domestic-pallets.json")).unwrap();
//! let sender = FileKey::from_seed(&[1; 32]);
//! let at = "2026-11-27T15:00:00Z".parse().unwrap();
//! let id = uuid::Uuid::from_u128(1);
//! let doc = ecmr::sign::issue_value(id, note, at, &sender).unwrap();
//! let verified = ecmr::verify::verify(doc.bytes(), None).unwrap();
//! assert_eq!(verified.state(), ecmr::lifecycle::State::Issued);
//! ```

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::fmt;
use std::sync::{Mutex, PoisonError};

use serde::Serialize;
use serde_json::Value;

use crate::canonical;
use crate::document::{Document, Event, EventData, EventKind, ParseError, Role};
use crate::json::Pointer;
use crate::keys::{ALG_ED25519, KeyError, KeyId, PublicKey, decode_b64url};
use crate::lifecycle::{self, LifecycleError, State};
use crate::model::ConsignmentNote;
use crate::trust::{Trust, TrustStore, Unvouched, party_blocks};

/// One reason a document does not verify, with the position of the event concerned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{}{kind}", match seq { Some(s) => format!("event {s}: "), None => String::new() })]
pub struct Failure {
    /// Position of the event in `events` (its `seq` when that is right); `None` for the document as a whole.
    pub seq: Option<u64>,
    /// What is wrong.
    #[serde(flatten)]
    pub kind: FailureKind,
}

/// The named verification failures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "failure", rename_all = "snake_case")]
#[non_exhaustive]
pub enum FailureKind {
    /// `format` is missing or not `ecmr-document/1`.
    #[error("{}", crate::document::FormatFound(found.as_deref()))]
    UnknownFormat {
        /// The `format` found, if it was a string.
        found: Option<String>,
    },
    /// Not strict JSON, or not the document's shape.
    #[error("malformed document: {message} at {}", Pointer(pointer))]
    Malformed {
        /// JSON pointer of the value at fault.
        pointer: String,
        /// What is wrong.
        message: String,
    },
    /// `id` is not a UUID in lowercase hyphenated form.
    #[error("document id `{found}` is not a lowercase hyphenated UUID")]
    InvalidDocumentId {
        /// The id found.
        found: String,
    },
    /// The document has no events.
    #[error("the document has no events; the first must be `issued`")]
    NoEvents,
    /// `seq` skips ahead.
    #[error("seq gap: expected {expected}, found {found}")]
    SeqGap {
        /// The seq that should be here.
        expected: u64,
        /// The seq found.
        found: u64,
    },
    /// `seq` repeats or goes back.
    #[error("seq repeated: expected {expected}, found {found}")]
    SeqRepeat {
        /// The seq that should be here.
        expected: u64,
        /// The seq found.
        found: u64,
    },
    /// `document_id` is not the document's `id`.
    #[error("document_id `{found}` is not this document's id")]
    WrongDocumentId {
        /// The id found.
        found: String,
    },
    /// `prev` is not the digest of the previous event (or not `null` at seq 0).
    #[error("{}", BrokenPrev(expected.as_deref(), found.as_deref()))]
    BrokenPrev {
        /// The digest expected.
        expected: Option<String>,
        /// The digest found.
        found: Option<String>,
    },
    /// `note_digest` is not the digest of the note as it stands after the event.
    #[error("note_digest {found} does not match the note ({expected})")]
    WrongNoteDigest {
        /// The digest computed.
        expected: String,
        /// The digest found.
        found: String,
    },
    /// `signer.alg` is not `Ed25519`.
    #[error("unsupported signature algorithm `{found}`")]
    UnsupportedAlgorithm {
        /// The algorithm found.
        found: String,
    },
    /// `signer.public_key` is not base64url of a 32-byte Ed25519 point.
    #[error("signer public key is unusable: {message}")]
    BadKey {
        /// What is wrong.
        message: String,
    },
    /// The public key has small order.
    #[error("weak signer public key (small order)")]
    WeakKey,
    /// `signature` is not base64url of 64 bytes.
    #[error("signature is not base64url of 64 bytes")]
    BadSignatureEncoding,
    /// The signature is valid only under lax rules (non-canonical `S` or malleable `R`); `verify_strict` refuses it.
    #[error("non-canonical signature (refused by strict verification)")]
    NonCanonicalSignature,
    /// The signature does not match the event and key.
    #[error("bad signature")]
    BadSignature,
    /// The note pins keys for this role and the signer's key is not one of them.
    #[error("key {key_id} is not among the keys the note pins for the {role}")]
    KeyNotPinned {
        /// The signer's key id.
        key_id: KeyId,
        /// The role signed in.
        role: Role,
    },
    /// Key continuity: the role was bound to another key by an earlier event, and the note does not pin this one
    /// for the role.
    #[error(
        "the {role}'s key changed: {key_id} signs, but event {bound_seq} bound the {role} to key {bound_key_id} and the note pins no other key for the {role}"
    )]
    KeyChanged {
        /// The role signed in.
        role: Role,
        /// The signer's key id.
        key_id: KeyId,
        /// The key the role is bound to.
        bound_key_id: KeyId,
        /// The event that bound it.
        bound_seq: u64,
    },
    /// Key continuity: the key already signed for another role's party, and the note does not pin it for both.
    #[error(
        "key {key_id} signed event {earlier_seq} for the {earlier_role} and may not sign for the {role} unless the note pins it for both"
    )]
    KeyReusedAcrossRoles {
        /// The signer's key id.
        key_id: KeyId,
        /// The role signed in now.
        role: Role,
        /// The role it signed for before.
        earlier_role: Role,
        /// The event it signed then.
        earlier_seq: u64,
    },
    /// The lifecycle does not allow this event here (wrong role, wrong state, after a final state …).
    #[error("disallowed transition: {0}")]
    DisallowedTransition(LifecycleError),
    /// `at` or `data` is not what the kind requires.
    #[error("invalid event data at {}: {message}", Pointer(pointer))]
    InvalidEventData {
        /// JSON pointer into the document.
        pointer: String,
        /// What is wrong.
        message: String,
    },
    /// An amendment changes what it may not change.
    #[error("forbidden amendment at {}: {message}", Pointer(pointer))]
    ForbiddenAmendment {
        /// JSON pointer into the note.
        pointer: String,
        /// What is wrong.
        message: String,
    },
    /// The note (as issued, or after an amendment) is not a valid consignment note.
    #[error("invalid note at {}: {message}", Pointer(pointer))]
    InvalidNote {
        /// JSON pointer into the note.
        pointer: String,
        /// What is wrong.
        message: String,
    },
}

/// The words for a `prev` that is not what it should be: `expected` is `None` on the first event (whose `prev`
/// is `null`), `found` is `None` for a `null` `prev`.
struct BrokenPrev<'a>(Option<&'a str>, Option<&'a str>);

impl fmt::Display for BrokenPrev<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.0, self.1) {
            (Some(expected), Some(found)) => {
                write!(f, "prev {found} is not the digest of the previous event ({expected})")
            }
            (None, Some(found)) => write!(f, "prev is {found}, but the first event's prev must be null"),
            (Some(expected), None) => {
                write!(f, "prev is null, but it must be the digest of the previous event ({expected})")
            }
            (None, None) => f.write_str("prev is not the digest of the previous event"),
        }
    }
}

impl FailureKind {
    /// The stable snake_case name of the failure, as used in test vectors.
    pub fn code(&self) -> &'static str {
        match self {
            FailureKind::UnknownFormat { .. } => "unknown_format",
            FailureKind::Malformed { .. } => "malformed",
            FailureKind::InvalidDocumentId { .. } => "invalid_document_id",
            FailureKind::NoEvents => "no_events",
            FailureKind::SeqGap { .. } => "seq_gap",
            FailureKind::SeqRepeat { .. } => "seq_repeat",
            FailureKind::WrongDocumentId { .. } => "wrong_document_id",
            FailureKind::BrokenPrev { .. } => "broken_prev",
            FailureKind::WrongNoteDigest { .. } => "wrong_note_digest",
            FailureKind::UnsupportedAlgorithm { .. } => "unsupported_algorithm",
            FailureKind::BadKey { .. } => "bad_key",
            FailureKind::WeakKey => "weak_key",
            FailureKind::BadSignatureEncoding => "bad_signature_encoding",
            FailureKind::NonCanonicalSignature => "non_canonical_signature",
            FailureKind::BadSignature => "bad_signature",
            FailureKind::KeyNotPinned { .. } => "key_not_pinned",
            FailureKind::KeyChanged { .. } => "key_changed",
            FailureKind::KeyReusedAcrossRoles { .. } => "key_reused_across_roles",
            FailureKind::DisallowedTransition(_) => "disallowed_transition",
            FailureKind::InvalidEventData { .. } => "invalid_event_data",
            FailureKind::ForbiddenAmendment { .. } => "forbidden_amendment",
            FailureKind::InvalidNote { .. } => "invalid_note",
        }
    }
}

impl From<ParseError> for FailureKind {
    fn from(e: ParseError) -> Self {
        match e {
            ParseError::UnknownFormat(found) => FailureKind::UnknownFormat { found },
            ParseError::Json(j) => FailureKind::Malformed { pointer: j.pointer.clone(), message: j.to_string() },
            ParseError::Shape { pointer, message } => FailureKind::Malformed { pointer, message },
        }
    }
}

/// What verification found for one event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventReport {
    /// Position in `events`.
    pub seq: u64,
    /// The event's kind.
    pub kind: EventKind,
    /// The role it is signed in.
    pub role: Role,
    /// The signer's key id, when the key is readable.
    pub key_id: Option<KeyId>,
    /// The signature verifies strictly.
    pub signature_ok: bool,
    /// `seq`, `document_id` and `prev` are right.
    pub chain_ok: bool,
    /// `note_digest` is right (and an amended note is valid).
    pub digest_ok: bool,
    /// Role, state and data are allowed by the lifecycle.
    pub lifecycle_ok: bool,
    /// The note as it stood before the event pins the signer's key for the role.
    pub pinned: bool,
    /// Whose key it is: anchored, delegated, or not vouched for (and why).
    pub trust: Trust,
}

/// The result of verifying a document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Overall verdict: no failures.
    pub valid: bool,
    /// Every failure found, in document order.
    pub failures: Vec<Failure>,
    /// The document id, when the document could be parsed.
    pub document_id: Option<String>,
    /// One entry per event.
    pub events: Vec<EventReport>,
    /// The state after the last allowed event.
    pub state: Option<State>,
    /// The current note: the original with every amendment applied in order.
    pub note: Option<Value>,
}

impl Report {
    fn rejected(kind: FailureKind) -> Self {
        Report {
            valid: false,
            failures: vec![Failure { seq: None, kind }],
            document_id: None,
            events: Vec::new(),
            state: None,
            note: None,
        }
    }

    /// Whether every event's signer is anchored (trust store or attestation) or delegated (pinned by an event
    /// whose signer is trusted). A document with no events is not.
    pub fn all_trusted(&self) -> bool {
        !self.events.is_empty() && self.events.iter().all(|e| e.trust.is_trusted())
    }
}

/// The document did not verify.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("document does not verify: {}", report.failures.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct VerifyError {
    /// The full report; `failures` is not empty.
    pub report: Report,
}

/// A value that passed verification, with the exact bytes it was read from.
///
/// There is no public constructor: only [`verify`] and the lifecycle builders in [`crate::sign`] (which run the
/// same checks on the event they add) make one.
#[derive(Debug, Clone)]
pub struct Verified<T> {
    value: T,
    bytes: Vec<u8>,
    report: Report,
    chain: Chain,
}

impl<T> Verified<T> {
    /// The verified value.
    pub fn get(&self) -> &T {
        &self.value
    }

    /// The bytes it was verified from (or, for a document built here, its compact serialisation).
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The verification report.
    pub fn report(&self) -> &Report {
        &self.report
    }

    /// The value, giving up the proof.
    pub fn into_inner(self) -> T {
        self.value
    }

    /// The bytes, giving up the proof.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

impl<T> std::ops::Deref for Verified<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl Verified<Document> {
    /// The document's state after its last event.
    pub fn state(&self) -> State {
        self.chain.state.unwrap_or(State::Issued)
    }

    /// The note as it stands: the original with every amendment applied.
    pub fn current_note(&self) -> &Value {
        self.report.note.as_ref().unwrap_or(&self.value.note)
    }

    /// The current note as the typed model (it parsed when it was verified).
    ///
    /// # Errors
    /// Never for a verified document; the JSON error is passed on should parsing fail anyway.
    pub fn current_note_typed(&self) -> Result<ConsignmentNote, crate::json::JsonError> {
        parse_note(self.current_note()).map_err(|(pointer, message)| crate::json::JsonError {
            pointer,
            line: 0,
            column: 0,
            message,
        })
    }

    /// The document id.
    pub fn id(&self) -> &str {
        &self.value.id
    }

    /// `seq` the next event must have.
    pub fn next_seq(&self) -> u64 {
        self.chain.expected_seq
    }

    /// Digest of the last event (the next event's `prev`).
    pub fn last_event_digest(&self) -> Option<&str> {
        self.chain.prev.as_deref()
    }

    /// Digest of the current note.
    pub fn note_digest(&self) -> &str {
        &self.chain.note_digest
    }

    /// Seqs of events whose reservations await the sender's acceptance.
    pub fn open_reservations(&self) -> impl Iterator<Item = u64> + '_ {
        self.chain.open_reservations.iter().copied()
    }

    /// Verifies a signed `event` (built by [`crate::sign`], or received from a party) as the next event of this
    /// document, and returns the longer document. The events already verified are not checked again.
    ///
    /// The bytes of the result are the compact serialisation of the longer document.
    ///
    /// # Errors
    /// [`VerifyError`] whose report lists this document's events, the new one, and the new event's failures.
    pub fn append_event(&self, event: Event, trust: Option<&TrustStore>) -> Result<Verified<Document>, VerifyError> {
        let mut chain = self.chain.clone();
        let index = self.value.events.len() as u64;
        chain.note = self.report.note.clone();
        let (ev_report, failures) = chain.step(index, &event, trust, &self.value.note, None);
        let mut report = self.report.clone();
        report.events.push(ev_report);
        if !failures.is_empty() {
            report.valid = false;
            report.failures = failures;
            return Err(VerifyError { report });
        }
        let mut doc = self.value.clone();
        doc.events.push(event);
        report.state = chain.state;
        report.note = Some(chain.note.take().unwrap_or_else(|| self.value.note.clone()));
        let bytes = doc.to_vec();
        Ok(Verified { value: doc, bytes, report, chain })
    }

    /// A new document holding only a verified `issued` event. Used by the builders.
    pub(crate) fn first(doc: Document) -> Result<Verified<Document>, Vec<Failure>> {
        let bytes = doc.to_vec();
        let (report, chain) = run(&doc, None, None);
        if report.valid { Ok(Verified { value: doc, bytes, report, chain }) } else { Err(report.failures) }
    }
}

/// Verifies a document's bytes: strict parsing, then every event in order.
///
/// `trust`, when given, says whose keys are whose: the report says for each event whether its signer is anchored
/// (by the store or a gateway attestation it holds), delegated (pinned by an earlier event whose signer is
/// trusted) or not vouched for, and why. An unvouched key is not a failure of the document; see
/// [`Report::all_trusted`]. Key continuity (a role keeps its key unless the note pins another) is checked with
/// or without a store, and its breaches are failures.
///
/// # Errors
/// [`VerifyError`] with the full report when anything fails.
pub fn verify(bytes: &[u8], trust: Option<&TrustStore>) -> Result<Verified<Document>, VerifyError> {
    verify_with(bytes, trust, None)
}

/// Verifies and returns the report whatever the outcome.
pub fn check(bytes: &[u8], trust: Option<&TrustStore>) -> Report {
    match verify(bytes, trust) {
        Ok(v) => v.report,
        Err(e) => e.report,
    }
}

fn verify_with(
    bytes: &[u8],
    trust: Option<&TrustStore>,
    shared: Option<&Verifier>,
) -> Result<Verified<Document>, VerifyError> {
    let doc = match Document::from_slice(bytes) {
        Ok(doc) => doc,
        Err(e) => return Err(VerifyError { report: Report::rejected(e.into()) }),
    };
    let (report, chain) = run(&doc, trust, shared);
    if report.valid {
        Ok(Verified { value: doc, bytes: bytes.to_vec(), report, chain })
    } else {
        Err(VerifyError { report })
    }
}

/// The number of signer keys a [`Verifier`] made with [`Verifier::new`] remembers.
pub const DEFAULT_KEY_CACHE_ENTRIES: usize = 4096;

/// The cache is split so that threads verifying at the same time seldom wait for one another.
const KEY_CACHE_SHARDS: usize = 16;

/// A verifier that can be kept and shared (it is `Send + Sync`): it runs exactly the checks of [`verify`] and
/// gives the same reports, and it remembers the signer keys it has decoded.
///
/// Decoding a signer's public key (decompressing the curve point) costs about a fifth of checking a signature.
/// A gateway verifies many documents signed by the same parties' keys, so it pays that once per key instead of
/// once per key and document. Decoding is deterministic, so a remembered key gives every verdict the decoded one
/// would: a weak (small-order) key is remembered as what it is and still reported as `weak_key`; text that is not
/// a key is never remembered and fails as before. The cache holds at most the number of keys it was made with
/// (forgetting the oldest first), a few hundred bytes each.
///
/// ```
/// # use ecmr::keys::FileKey;
/// # let note: serde_json::Value = serde_json::from_str(include_str!("../../../examples/domestic-pallets.json")).unwrap();
/// use ecmr::verify::Verifier;
///
/// let sender = FileKey::from_seed(&[1; 32]);
/// let at = "2026-11-27T15:00:00Z".parse().unwrap();
/// let doc = ecmr::sign::issue_value(uuid::Uuid::from_u128(1), note, at, &sender).unwrap();
///
/// // One verifier for the whole process; it may be shared between threads (e.g. in an `Arc`).
/// let verifier = Verifier::new();
/// let first = verifier.verify(doc.bytes(), None).unwrap();
/// assert_eq!(verifier.cached_keys(), 1);
/// // The second time the sender's key is not decoded again; the report is the same.
/// let again = verifier.verify(doc.bytes(), None).unwrap();
/// assert_eq!(again.report(), first.report());
/// assert_eq!(verifier.check(doc.bytes(), None), ecmr::verify::check(doc.bytes(), None));
/// ```
pub struct Verifier {
    shards: Box<[Mutex<KeyShard>]>,
    per_shard: usize,
}

/// One part of a [`Verifier`]'s cache: decoded keys by their 32 bytes, and the order they came in.
#[derive(Default)]
struct KeyShard {
    keys: HashMap<[u8; 32], (PublicKey, KeyId)>,
    order: VecDeque<[u8; 32]>,
}

impl Verifier {
    /// A verifier that remembers up to [`DEFAULT_KEY_CACHE_ENTRIES`] signer keys.
    pub fn new() -> Self {
        Self::with_capacity(DEFAULT_KEY_CACHE_ENTRIES)
    }

    /// A verifier that remembers about `entries` signer keys (rounded up to a multiple of 16; 0 remembers
    /// none).
    pub fn with_capacity(entries: usize) -> Self {
        let shards = (0..KEY_CACHE_SHARDS).map(|_| Mutex::new(KeyShard::default())).collect();
        Verifier { shards, per_shard: entries.div_ceil(KEY_CACHE_SHARDS) }
    }

    /// Verifies a document's bytes as [`verify`] does, with the same result, reusing the keys decoded before.
    ///
    /// # Errors
    /// [`VerifyError`] with the full report when anything fails.
    pub fn verify(&self, bytes: &[u8], trust: Option<&TrustStore>) -> Result<Verified<Document>, VerifyError> {
        verify_with(bytes, trust, Some(self))
    }

    /// Verifies and returns the report whatever the outcome, as [`check`] does.
    pub fn check(&self, bytes: &[u8], trust: Option<&TrustStore>) -> Report {
        match self.verify(bytes, trust) {
            Ok(v) => v.report,
            Err(e) => e.report,
        }
    }

    /// How many decoded keys the verifier holds now.
    pub fn cached_keys(&self) -> usize {
        self.shards.iter().map(|s| s.lock().unwrap_or_else(PoisonError::into_inner).keys.len()).sum()
    }

    /// Forgets every key.
    pub fn clear(&self) {
        for shard in self.shards.iter() {
            let mut shard = shard.lock().unwrap_or_else(PoisonError::into_inner);
            shard.keys.clear();
            shard.order.clear();
        }
    }

    /// The key written as `text`, decoded (or remembered) with its id; the errors of [`PublicKey::from_b64url`].
    fn key(&self, text: &str) -> Result<(PublicKey, KeyId), KeyError> {
        let bytes = PublicKey::bytes_from_b64url(text)?;
        // The bytes are a hash-like point encoding; their last byte spreads keys over the shards.
        let shard = &self.shards[usize::from(bytes[31]) % KEY_CACHE_SHARDS];
        // A poisoned lock only means another thread panicked while holding it; every entry is still a correct
        // decoding, so the cache stays usable.
        if let Some(found) = shard.lock().unwrap_or_else(PoisonError::into_inner).keys.get(&bytes) {
            return Ok(*found);
        }
        // Decoded without holding the lock; two threads may both decode a new key, and the second insert is a
        // no-op.
        let pk = PublicKey::from_bytes(&bytes)?;
        let entry = (pk, pk.key_id());
        if self.per_shard > 0 {
            let mut guard = shard.lock().unwrap_or_else(PoisonError::into_inner);
            let KeyShard { keys, order } = &mut *guard;
            if !keys.contains_key(&bytes) {
                while keys.len() >= self.per_shard {
                    let Some(oldest) = order.pop_front() else { break };
                    keys.remove(&oldest);
                }
                keys.insert(bytes, entry);
                order.push_back(bytes);
            }
        }
        Ok(entry)
    }
}

impl Default for Verifier {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("cached_keys", &self.cached_keys())
            .field("capacity", &(self.per_shard * KEY_CACHE_SHARDS))
            .finish()
    }
}

fn run(doc: &Document, trust: Option<&TrustStore>, shared: Option<&Verifier>) -> (Report, Chain) {
    let mut failures = Vec::new();
    if uuid::Uuid::parse_str(&doc.id).map(|u| u.hyphenated().to_string() != doc.id).unwrap_or(true) {
        failures.push(Failure { seq: None, kind: FailureKind::InvalidDocumentId { found: doc.id.clone() } });
    }
    let mut chain = Chain::new(doc);
    if let Err((pointer, message)) = check_note(&doc.note) {
        failures.push(Failure { seq: Some(0), kind: FailureKind::InvalidNote { pointer, message } });
    }
    if doc.events.is_empty() {
        failures.push(Failure { seq: None, kind: FailureKind::NoEvents });
    }
    let mut events = Vec::with_capacity(doc.events.len());
    for (i, ev) in doc.events.iter().enumerate() {
        let (r, f) = chain.step(i as u64, ev, trust, &doc.note, shared);
        events.push(r);
        failures.extend(f);
    }
    let report = Report {
        valid: failures.is_empty(),
        failures,
        document_id: Some(doc.id.clone()),
        events,
        state: chain.state,
        note: Some(chain.note.take().unwrap_or_else(|| doc.note.clone())),
    };
    (report, chain)
}

/// The running state of verification.
#[derive(Debug, Clone)]
struct Chain {
    doc_id: String,
    expected_seq: u64,
    prev: Option<String>,
    state: Option<State>,
    /// The note after the last amendment; `None` while it is the original (and after `run` hands it to the report).
    note: Option<Value>,
    note_digest: String,
    open_reservations: BTreeSet<u64>,
    /// Signer keys already decoded in this document, with their ids (decoding a point costs about a fifth of a
    /// verification).
    keys: Vec<(String, PublicKey, KeyId)>,
    /// Per event so far: whether its signer is trusted (anchored or delegated).
    trusted: Vec<bool>,
    /// Every key the note as it stands pins, with its role and the event that wrote the pin.
    pin_origins: Vec<(Role, String, u64)>,
    /// The key each role is bound to, and the event that bound it (successive carriers are not bound: each
    /// hand-over may be another carrier).
    bound: Vec<(Role, KeyId, u64)>,
    /// Each key with the roles it has signed for, and the first event it signed for each.
    signed_as: Vec<(KeyId, Role, u64)>,
}

/// Every role, in the order pins are listed.
const ROLES: [Role; 4] = [Role::Sender, Role::Carrier, Role::SuccessiveCarrier, Role::Consignee];

/// The pins of `note` with the event that wrote each: `earlier` keeps its origin for a pin that was already
/// there, a new pin is `seq`'s.
fn pin_origins(note: &Value, earlier: &[(Role, String, u64)], seq: u64) -> Vec<(Role, String, u64)> {
    let mut out = Vec::new();
    for role in ROLES {
        for key in pinned_keys(note, role).into_iter().filter_map(Value::as_str) {
            let origin = earlier.iter().find(|(r, k, _)| *r == role && k == key).map_or(seq, |(_, _, o)| *o);
            if !out.iter().any(|(r, k, _): &(Role, String, u64)| *r == role && k == key) {
                out.push((role, key.to_owned(), origin));
            }
        }
    }
    out
}

fn parse_note(note: &Value) -> Result<ConsignmentNote, (String, String)> {
    // Tracking the path costs on every value; do it only to explain a failure.
    if let Ok(typed) = <ConsignmentNote as serde::Deserialize>::deserialize(note) {
        return Ok(typed);
    }
    serde_path_to_error::deserialize::<_, ConsignmentNote>(note)
        .map_err(|e| (crate::json::path_pointer(e.path()), e.inner().to_string()))
}

/// The note parses as a [`ConsignmentNote`] and validation reports no errors.
fn check_note(note: &Value) -> Result<(), (String, String)> {
    let typed = parse_note(note)?;
    let report = crate::validate::validate(&typed);
    match report.errors().next() {
        Some(f) => Err((f.path.clone(), format!("{} ({})", f.message, f.code))),
        None => Ok(()),
    }
}

/// The order of the Ed25519 group, little-endian.
const GROUP_ORDER: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

/// Whether the signature's `S` (bytes 32..64, little-endian) is below the group order.
fn scalar_is_canonical(sig: &[u8; 64]) -> bool {
    for i in (0..32).rev() {
        let (s, l) = (sig[32 + i], GROUP_ORDER[i]);
        if s != l {
            return s < l;
        }
    }
    false
}

/// Why `signature` (base64url) is not `pk`'s strict Ed25519 signature of `message`; `None` when it is.
///
/// The strict check refuses weak keys itself, so a key is tested for weakness only to explain a failure; a weak
/// key is reported as such whatever the signature.
fn signature_failure(pk: &PublicKey, message: &[u8], signature: &str) -> Option<FailureKind> {
    let sig_bytes = decode_b64url(signature).ok().and_then(|b| <[u8; 64]>::try_from(b.as_slice()).ok());
    match sig_bytes {
        Some(sig_bytes) if pk.verify_strict(message, &sig_bytes) => None,
        _ if pk.is_weak() => Some(FailureKind::WeakKey),
        Some(sig_bytes) => {
            let sig = ed25519_dalek::Signature::from_bytes(&sig_bytes);
            if !scalar_is_canonical(&sig_bytes)
                || ed25519_dalek::Verifier::verify(pk.verifying_key(), message, &sig).is_ok()
            {
                Some(FailureKind::NonCanonicalSignature)
            } else {
                Some(FailureKind::BadSignature)
            }
        }
        None => Some(FailureKind::BadSignatureEncoding),
    }
}

/// Checks an event's signature alone, exactly as verifying it in its chain does: the algorithm, the signer's key
/// and the strict Ed25519 signature over the event's signing input. Returns the signer's key id.
///
/// This is a necessary condition, not verification: the chain (seq, `prev`, note digest), the lifecycle and the
/// signer's role are checked only by [`verify`] or [`Verified::append_event`]. A service that appends events to a
/// long stored chain can refuse a badly signed event with this check before paying for the chain.
///
/// # Errors
/// The [`FailureKind`] verification would report for the signature: `UnsupportedAlgorithm`, `BadKey`,
/// `WeakKey`, `BadSignatureEncoding`, `NonCanonicalSignature` or `BadSignature`.
///
/// # Examples
/// ```
/// # use ecmr::keys::{FileKey, Signer};
/// # let note: serde_json::Value = serde_json::from_str(include_str!("../../../examples/domestic-pallets.json")).unwrap();
/// use ecmr::verify::check_event_signature;
///
/// let sender = FileKey::from_seed(&[1; 32]);
/// let at = "2026-11-27T15:00:00Z".parse().unwrap();
/// let doc = ecmr::sign::issue_value(uuid::Uuid::from_u128(1), note, at, &sender).unwrap();
/// let event = &doc.events[0];
/// assert_eq!(check_event_signature(event).unwrap(), sender.public_key().key_id());
/// let mut forged = event.clone();
/// forged.at = "2030-01-01T00:00:00Z".into();
/// assert!(check_event_signature(&forged).is_err());
/// ```
pub fn check_event_signature(ev: &Event) -> Result<KeyId, FailureKind> {
    if ev.signer.alg != ALG_ED25519 {
        return Err(FailureKind::UnsupportedAlgorithm { found: ev.signer.alg.clone() });
    }
    let pk =
        PublicKey::from_b64url(&ev.signer.public_key).map_err(|e| FailureKind::BadKey { message: e.to_string() })?;
    match signature_failure(&pk, &ev.signing_input(), &ev.signature) {
        None => Ok(pk.key_id()),
        Some(kind) => Err(kind),
    }
}

/// Decodes a signer key and computes its id, reusing those of a key already decoded for this document (or, with
/// a shared [`Verifier`], for an earlier one).
fn cached_key(
    keys: &mut Vec<(String, PublicKey, KeyId)>,
    text: &str,
    shared: Option<&Verifier>,
) -> Result<(PublicKey, KeyId), KeyError> {
    if let Some((_, pk, id)) = keys.iter().find(|(t, _, _)| t == text) {
        return Ok((*pk, *id));
    }
    let (pk, id) = match shared {
        Some(verifier) => verifier.key(text)?,
        None => {
            let pk = PublicKey::from_b64url(text)?;
            (pk, pk.key_id())
        }
    };
    // A document has a handful of signers; a bounded cache keeps a document with thousands of keys linear.
    if keys.len() < 32 {
        keys.push((text.to_owned(), pk, id));
    }
    Ok((pk, id))
}

fn consignee_has_disposal(note: &Value) -> bool {
    note.get("consignee_has_right_of_disposal") == Some(&Value::Bool(true))
}

/// The keys the note pins for `role` (strings as written).
fn pinned_keys(note: &Value, role: Role) -> Vec<&Value> {
    fn keys_of(party: Option<&Value>) -> Vec<&Value> {
        party
            .and_then(|p| p.get("public_keys"))
            .and_then(Value::as_array)
            .map(|a| a.iter().collect())
            .unwrap_or_default()
    }
    match role {
        Role::Sender => keys_of(note.get("sender")),
        Role::Carrier => keys_of(note.get("carrier")),
        Role::Consignee => keys_of(note.get("consignee")),
        Role::SuccessiveCarrier => note
            .get("successive_carriers")
            .and_then(Value::as_array)
            .map(|cs| cs.iter().flat_map(|c| keys_of(Some(c))).collect())
            .unwrap_or_default(),
    }
}

/// Paths an amendment may not change.
const FROZEN_BY_AMENDMENT: &[&str] =
    &["/consignee_has_right_of_disposal", "/sender/public_keys", "/carrier/public_keys"];

impl Chain {
    fn new(doc: &Document) -> Self {
        Chain {
            doc_id: doc.id.clone(),
            expected_seq: 0,
            prev: None,
            state: None,
            note: None,
            note_digest: canonical::digest_value(&doc.note),
            open_reservations: BTreeSet::new(),
            keys: Vec::new(),
            trusted: Vec::new(),
            pin_origins: pin_origins(&doc.note, &[], 0),
            bound: Vec::new(),
            signed_as: Vec::new(),
        }
    }

    /// Checks the event at position `index` and advances. Returns its report and its failures.
    fn step(
        &mut self,
        index: u64,
        ev: &Event,
        trust: Option<&TrustStore>,
        original: &Value,
        shared: Option<&Verifier>,
    ) -> (EventReport, Vec<Failure>) {
        let current = self.note.as_ref().unwrap_or(original);
        let mut failures = Vec::new();
        let mut fail = |kind: FailureKind| failures.push(Failure { seq: Some(index), kind });

        // Chain: seq, document id, prev.
        let mut chain_ok = true;
        if ev.seq != self.expected_seq {
            chain_ok = false;
            let (expected, found) = (self.expected_seq, ev.seq);
            fail(if found < expected {
                FailureKind::SeqRepeat { expected, found }
            } else {
                FailureKind::SeqGap { expected, found }
            });
        }
        if ev.document_id != self.doc_id {
            chain_ok = false;
            fail(FailureKind::WrongDocumentId { found: ev.document_id.clone() });
        }
        if ev.prev != self.prev {
            chain_ok = false;
            fail(FailureKind::BrokenPrev { expected: self.prev.clone(), found: ev.prev.clone() });
        }

        // Signature.
        let (message, event_digest) = ev.signing_input_and_digest();
        let mut signature_ok = false;
        let mut key = None;
        if ev.signer.alg != ALG_ED25519 {
            fail(FailureKind::UnsupportedAlgorithm { found: ev.signer.alg.clone() });
        } else {
            match cached_key(&mut self.keys, &ev.signer.public_key, shared) {
                Err(e) => fail(FailureKind::BadKey { message: e.to_string() }),
                Ok((pk, id)) => {
                    key = Some((pk, id));
                    match signature_failure(&pk, &message, &ev.signature) {
                        None => signature_ok = true,
                        Some(kind) => fail(kind),
                    }
                }
            }
        }

        // Lifecycle: time, data, state and role.
        let mut lifecycle_ok = true;
        if !ev.at.ends_with('Z') || chrono::DateTime::parse_from_rfc3339(&ev.at).is_err() {
            lifecycle_ok = false;
            fail(FailureKind::InvalidEventData {
                pointer: format!("/events/{index}/at"),
                message: format!("`{}` is not an RFC 3339 UTC time ending in `Z`", ev.at),
            });
        }
        let data = match EventData::parse(ev.kind, &ev.data) {
            Ok(d) => Some(d),
            Err((p, message)) => {
                lifecycle_ok = false;
                fail(FailureKind::InvalidEventData { pointer: format!("/events/{index}/data{p}"), message });
                None
            }
        };
        let next = match lifecycle::transition(self.state, ev.kind, ev.role, consignee_has_disposal(current)) {
            Ok(s) => Some(s),
            Err(e) => {
                lifecycle_ok = false;
                fail(FailureKind::DisallowedTransition(e));
                None
            }
        };
        if let Some(EventData::ReservationsAccepted(a)) = &data {
            let mut open = self.open_reservations.clone();
            for &seq in &a.events {
                if !open.remove(&seq) {
                    lifecycle_ok = false;
                    fail(FailureKind::DisallowedTransition(LifecycleError::NoReservationsToAccept { seq }));
                }
            }
        }

        // The note after the event, and its digest.
        let mut digest_ok = true;
        let mut amended: Option<(Value, String)> = None;
        if let Some(EventData::Amended(a)) = &data {
            let mut note = current.clone();
            canonical::merge_patch(&mut note, &a.patch);
            let mut ok = true;
            for path in FROZEN_BY_AMENDMENT {
                if note.pointer(path) != current.pointer(path) {
                    ok = false;
                    fail(FailureKind::ForbiddenAmendment {
                        pointer: (*path).to_owned(),
                        message: "an amendment may not change this".to_owned(),
                    });
                }
            }
            if let Err((pointer, message)) = check_note(&note) {
                ok = false;
                fail(FailureKind::InvalidNote { pointer, message });
            }
            if ok {
                let digest = canonical::digest_value(&note);
                amended = Some((note, digest));
            } else {
                digest_ok = false;
            }
        }
        let expected_digest = amended.as_ref().map_or(&self.note_digest, |(_, d)| d);
        if digest_ok && ev.note_digest != *expected_digest {
            digest_ok = false;
            fail(FailureKind::WrongNoteDigest { expected: expected_digest.clone(), found: ev.note_digest.clone() });
        }

        // Pinned keys, key continuity and trust, from the note before the event.
        let mut trust_result = Trust::NotVouched { reason: Unvouched::NoTrustStore };
        let mut pinned_here = false;
        if let Some((_, key_id)) = &key {
            let key_text = ev.signer.public_key.as_str();
            // Strict base64url gives each key one spelling, so comparing the texts compares the keys (and stays
            // cheap however many keys a note pins).
            let pinned_for = |role: Role| {
                let pins = pinned_keys(current, role);
                (!pins.is_empty(), pins.iter().any(|p| p.as_str() == Some(key_text)))
            };
            let (role_has_pins, hit) = pinned_for(ev.role);
            pinned_here = hit;
            if role_has_pins && !hit {
                fail(FailureKind::KeyNotPinned { key_id: *key_id, role: ev.role });
            }
            if !role_has_pins
                && let Some((_, bound_key_id, bound_seq)) =
                    self.bound.iter().find(|(r, k, _)| *r == ev.role && k != key_id)
            {
                fail(FailureKind::KeyChanged {
                    role: ev.role,
                    key_id: *key_id,
                    bound_key_id: *bound_key_id,
                    bound_seq: *bound_seq,
                });
            }
            if let Some((_, earlier_role, earlier_seq)) =
                self.signed_as.iter().find(|(k, r, _)| k == key_id && *r != ev.role && !(hit && pinned_for(*r).1))
            {
                fail(FailureKind::KeyReusedAcrossRoles {
                    key_id: *key_id,
                    role: ev.role,
                    earlier_role: *earlier_role,
                    earlier_seq: *earlier_seq,
                });
            }
            if let Some(store) = trust {
                trust_result = match store.anchor(key_id, ev.role, || party_blocks(current, ev.role), &ev.at) {
                    Ok(anchor) => Trust::Anchored { anchor },
                    Err(reason) => {
                        let origin = self.pin_origins.iter().find(|(r, k, _)| *r == ev.role && k == key_text);
                        match origin {
                            Some(&(_, _, by_seq))
                                if by_seq < index && self.trusted.get(by_seq as usize) == Some(&true) =>
                            {
                                Trust::Delegated { by_seq }
                            }
                            Some(&(_, _, by_seq)) if matches!(reason, Unvouched::NotInTrustStore) => {
                                Trust::NotVouched { reason: Unvouched::PinnedByUntrustedSigner { by_seq } }
                            }
                            _ => Trust::NotVouched { reason },
                        }
                    }
                };
            }
            if signature_ok {
                if ev.role != Role::SuccessiveCarrier && !self.bound.iter().any(|(r, _, _)| *r == ev.role) {
                    self.bound.push((ev.role, *key_id, index));
                }
                if !self.signed_as.iter().any(|(k, r, _)| k == key_id && *r == ev.role) {
                    self.signed_as.push((*key_id, ev.role, index));
                }
            }
        }

        // Advance.
        if lifecycle_ok && let Some(next) = next {
            self.state = Some(next);
            match &data {
                Some(EventData::ReservationsAccepted(a)) => {
                    for seq in &a.events {
                        self.open_reservations.remove(seq);
                    }
                }
                Some(d)
                    if matches!(d.kind(), EventKind::TakenOver | EventKind::HandedOver)
                        && !d.reservations().is_empty() =>
                {
                    self.open_reservations.insert(index);
                }
                _ => {}
            }
        }
        if let Some((note, digest)) = amended {
            self.pin_origins = pin_origins(&note, &self.pin_origins, index);
            self.note = Some(note);
            self.note_digest = digest;
        }
        self.trusted.push(trust_result.is_trusted());
        self.prev = Some(event_digest);
        self.expected_seq = index + 1;

        let report = EventReport {
            seq: index,
            kind: ev.kind,
            role: ev.role,
            key_id: key.map(|(_, id)| id),
            signature_ok,
            chain_ok,
            digest_ok,
            lifecycle_ok,
            pinned: pinned_here,
            trust: trust_result,
        };
        (report, failures)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Failures are said in words: a missing value is named as such, never as a Rust `Option`.
    #[test]
    fn failures_read_without_rust_forms() {
        let prev = |expected: Option<&str>, found: Option<&str>| {
            let kind = FailureKind::BrokenPrev { expected: expected.map(Into::into), found: found.map(Into::into) };
            kind.to_string()
        };
        assert_eq!(
            prev(Some("sha256:aa"), Some("sha256:bb")),
            "prev sha256:bb is not the digest of the previous event (sha256:aa)"
        );
        assert_eq!(prev(None, Some("sha256:bb")), "prev is sha256:bb, but the first event's prev must be null");
        assert_eq!(
            prev(Some("sha256:aa"), None),
            "prev is null, but it must be the digest of the previous event (sha256:aa)"
        );
        let format = |found: Option<&str>| FailureKind::UnknownFormat { found: found.map(Into::into) }.to_string();
        assert_eq!(format(Some("ecmr-document/2")), "unknown format \"ecmr-document/2\"; expected \"ecmr-document/1\"");
        assert_eq!(format(None), "no `format` string; expected \"ecmr-document/1\"");
        let note = FailureKind::InvalidNote { pointer: String::new(), message: "missing field `goods`".into() };
        assert_eq!(note.to_string(), "invalid note at the top level: missing field `goods`");
    }
}
