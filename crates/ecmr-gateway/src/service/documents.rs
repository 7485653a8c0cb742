//! Signed documents: ingest, appending events, and who may see what.
//!
//! A submitted document is read once (strictly, by the verifier), verified once, and projected to its eFTI common
//! dataset once; the index rows of roadside searches are taken from that projection with the core's
//! [`index_keys`], as for the datasets platforms register. An event is appended to the stored chain with
//! [`Verified::append_event`], which checks the new event alone against the verified chain; the event's own
//! signature is checked first, so that a badly signed event is refused at the cost of one signature check however
//! long the chain. A document holds at most `max_events_per_document` events, and the verification of a large
//! document or a long chain runs on the bounded pool of [`Work`].
//!
//! Submitting a document is also how a client syncs it: a document whose events start with the stored chain is
//! the same document, as far along (nothing to do), not as far along (nothing to do either) or further along (the
//! new events are appended in order, verified with the rest of the submitted document). Only a chain that
//! differs from the stored one at some seq is refused.
//!
//! A party sees a document when one of its keys signed an event or is pinned by the note; anything else is
//! answered as "not found", so that the existence of other parties' documents is not revealed.

use bytes::Bytes;
use chrono::{DateTime, Utc};
use ecmr::canonical::{self, MAX_DOCUMENT_BYTES, StrictJsonErrorKind};
use ecmr::document::{Document, Event, EventKind, ParseError};
use ecmr::efti::search::{IdentifierType, index_keys};
use ecmr::efti::{Subsets, identifiers};
use ecmr::keys::PublicKey;
use ecmr::verify::{Failure, FailureKind, Verified, VerifyError, check_event_signature};
use serde_json::Value;
use std::collections::BTreeSet;
use uuid::Uuid;

use super::audit::{AuditAction, Auditor, Details, Origin};
use super::gatekey::GatewayKeys;
use super::identity::{BundleError, Directory, IdentityCheck, Mismatch, document_parties, party_refs_of_principal};
use super::principals::{PrincipalRef, names};
use super::work::{Size, Work, WorkFailed};
use crate::store::{
    AppendOutcome, AuditEntry, DocumentKey, DocumentParty, DocumentSummary, EventAppend, FollowUp, Identifier,
    InsertOutcome, KeyRelation, ListQuery, NewDocument, NewEvent, Principal, PrincipalKind, Store, StoreError,
    StoredDocument, now, sender_ref,
};
use ecmr::attest::Bundle;

/// Why a request about a document cannot be carried out.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DocumentError {
    /// The body is not strict JSON.
    #[error("the body is not valid JSON: {message}")]
    Malformed {
        /// JSON pointer of the value at fault.
        pointer: String,
        /// Line.
        line: usize,
        /// Column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// The body is larger than a document may be.
    #[error("{0}")]
    TooLarge(String),
    /// The document or event does not verify, or the note is invalid.
    #[error("{}", .0.detail)]
    Refused(Refusal),
    /// None of the caller's keys signed the submitted document.
    #[error("none of the caller's keys signed this document")]
    NotASigner,
    /// The event is signed by a key the caller does not hold.
    #[error("the event is signed by a key the caller does not hold")]
    NotYourKey,
    /// The principal to give access is not an active party principal.
    #[error("{0} is not an active party principal")]
    NotAParty(Uuid),
    /// No such document the caller may see.
    #[error("no document {0} that the caller may see")]
    NotFound(String),
    /// The submitted document's chain differs from the stored one at `seq`.
    #[error(
        "the submitted document {id} differs from the stored one at seq {seq}: stored event digest {stored}, \
         submitted event digest {submitted}"
    )]
    Diverged {
        /// The document.
        id: Uuid,
        /// The first seq at which the events differ.
        seq: u64,
        /// Digest of the stored event at `seq`.
        stored: String,
        /// Digest of the submitted event at `seq`.
        submitted: String,
    },
    /// An event's signer is not, by the party directory, the party the note names for its role (`seq` is the
    /// first such event).
    #[error("{message}")]
    IdentityMismatch {
        /// The first event concerned.
        seq: u64,
        /// Every mismatch, naming the note's party and the key's.
        message: String,
    },
    /// The sender already used the note number for another document.
    #[error("the sender already used note number {number:?} for document {existing}")]
    NoteNumberTaken {
        /// The note number.
        number: String,
        /// The document that has it.
        existing: Uuid,
    },
    /// Another event already holds the seq.
    #[error("another event already holds seq {seq} of document {id}")]
    SeqTaken {
        /// The document.
        id: Uuid,
        /// The seq.
        seq: u64,
    },
    /// A stored document no longer verifies or reads: a fault of the gateway's storage.
    #[error("stored document {id} is unusable: {why}")]
    Corrupt {
        /// The document.
        id: Uuid,
        /// What is wrong.
        why: String,
    },
    /// The document holds, or would hold, more events than a document may.
    #[error("{0}")]
    TooManyEvents(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<WorkFailed> for DocumentError {
    fn from(e: WorkFailed) -> Self {
        DocumentError::Corrupt { id: Uuid::nil(), why: e.to_string() }
    }
}

/// What kind of refusal a [`Refusal`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalKind {
    /// The document does not verify.
    VerificationFailed,
    /// The note (as issued or as an amendment leaves it) is invalid.
    InvalidNote,
    /// The event does not verify or is not allowed now.
    InvalidEvent,
}

/// A document or event that is refused, with every reason.
#[derive(Debug, Clone)]
pub struct Refusal {
    /// What kind of refusal.
    pub kind: RefusalKind,
    /// A summary naming every failure.
    pub detail: String,
    /// The verification failures, each with the event's seq.
    pub failures: Vec<Failure>,
    /// The validation findings of the note, when it is the note that is invalid.
    pub findings: Vec<ecmr::validate::Finding>,
}

/// What a submission or append did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Stored now.
    Stored,
    /// Exactly this was stored before, or a longer chain of the same document is; nothing changed.
    AlreadyStored,
    /// A submitted document extended the stored chain: these seqs were appended now.
    Extended(Vec<u64>),
}

/// What a submission or append did, and the identity mismatches accepted in `warn` mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// What was done.
    pub outcome: Outcome,
    /// The document as it now stands.
    pub summary: DocumentSummary,
    /// Events whose signer is not the party the note names for the role, accepted because the gateway runs with
    /// `identity_check = "warn"`; each is also in the audit log.
    pub identity_warnings: Vec<String>,
}

/// The party API's documents.
pub struct Documents {
    store: Store,
    work: Work,
    auditor: Auditor,
    directory: Directory,
    identity_check: IdentityCheck,
    max_events: usize,
}

impl Documents {
    /// Documents kept in `store`, verified by `work` (whose verifier is shared, so that decoded signer keys are
    /// reused), each posted event's signer checked against the party directory as `identity_check` says, at most
    /// `max_events` events per document.
    pub fn new(
        store: Store,
        work: Work,
        auditor: Auditor,
        identity_check: IdentityCheck,
        max_events: usize,
    ) -> Documents {
        let directory = Directory::new(store.clone());
        Documents { store, work, auditor, directory, identity_check, max_events }
    }

    /// `Err` when a document of `events` events holds more than a document may.
    fn within_bound(&self, events: usize) -> Result<(), DocumentError> {
        if events > self.max_events {
            return Err(DocumentError::TooManyEvents(format!(
                "a document may hold at most {} events; this one would hold {events}",
                self.max_events
            )));
        }
        Ok(())
    }

    /// Checks the signers of events `from..` against the party directory: refused in `enforce` mode; in `warn`
    /// mode the mismatches are returned, to be recorded once the events are stored.
    async fn check_identities(
        &self,
        doc: &Document,
        from: usize,
        poster: &Principal,
    ) -> Result<Vec<Mismatch>, DocumentError> {
        let found = self.directory.check(doc, from, poster).await?;
        match (found.first(), self.identity_check) {
            (None, _) => Ok(found),
            (Some(first), IdentityCheck::Enforce) => Err(DocumentError::IdentityMismatch {
                seq: first.seq,
                message: found.iter().map(|m| format!("event {}: {}", m.seq, m.message)).collect::<Vec<_>>().join("; "),
            }),
            (Some(_), IdentityCheck::Warn) => Ok(found),
        }
    }

    /// Records accepted mismatches in the audit log and words them for the answer.
    async fn record_mismatches(
        &self,
        party: &Principal,
        id: Uuid,
        found: Vec<Mismatch>,
        origin: &Origin,
    ) -> Result<Vec<String>, DocumentError> {
        let mut out = Vec::with_capacity(found.len());
        for m in found {
            let text = format!("event {}: {}", m.seq, m.message);
            tracing::warn!(document = %id, seq = m.seq, "identity mismatch accepted (identity_check = warn): {text}");
            let details = Details { message: Some(text.clone()), ..Details::default() };
            let action = AuditAction::IdentityMismatch { seq: m.seq };
            self.auditor.record_party(Auditor::entry(party, Some(id), action, Some(&details), origin)).await?;
            out.push(text);
        }
        Ok(out)
    }

    /// Verifies a submitted document completely and stores it; the caller must hold a key that signed one of its
    /// events. The same document again is [`Outcome::AlreadyStored`], as is one whose events are the first of the
    /// stored chain's. One whose events start with the whole stored chain is synced: its further events are
    /// appended in order ([`Outcome::Extended`]), each as [`Documents::append`] would take it.
    ///
    /// # Errors
    /// [`DocumentError::Malformed`] / [`DocumentError::TooLarge`] for bytes that are not a strict JSON document,
    /// [`DocumentError::Refused`] when it does not verify, [`DocumentError::NotASigner`], the conflicts
    /// [`DocumentError::Diverged`] and [`DocumentError::NoteNumberTaken`], and when syncing
    /// [`DocumentError::NotFound`] (the stored document is not one the caller may see) and
    /// [`DocumentError::NotYourKey`] (a new event is signed by a key the caller does not hold).
    pub async fn submit(&self, party: &Principal, bytes: Bytes, origin: &Origin) -> Result<Stored, DocumentError> {
        let (poster, from) = (party.clone(), origin.clone());
        let (verified, mut record) = self
            .work
            .run(Size::of_document(bytes.len()), move |verifier| {
                let verified = verifier.verify(&bytes, None).map_err(|e| refuse_document(&bytes, e))?;
                let record = record_of(&verified, &poster, &from)?;
                Ok::<_, DocumentError>((verified, record))
            })
            .await??;
        self.within_bound(verified.events.len())?;
        let signed = |key: &String| record.events.iter().any(|e| e.signer_key_id == *key);
        if !party.keys.iter().any(|k| signed(&k.key_id)) {
            return Err(DocumentError::NotASigner);
        }
        let id = record.id;
        let mismatches = match self.check_identities(verified.get(), 0, party).await {
            // A document stored under this id that the caller may not see stays unknown to it, whatever it posts.
            Err(e @ DocumentError::IdentityMismatch { .. }) => {
                if self.store.documents.get_document(id).await?.is_some()
                    && !self.store.documents.is_linked(id, &key_ids(party), &party_refs_of_principal(party)).await?
                {
                    return Err(DocumentError::NotFound(id.to_string()));
                }
                return Err(e);
            }
            other => other?,
        };
        let issued_by = record.events.first().map(|e| e.signer_key_id.clone()).unwrap_or_default();
        let owner = self.store.principals.key_owner(&issued_by).await?;
        record.sender_ref = sender_ref(&issued_by, owner);
        let number = record.note_number.clone();
        let (outcome, summary, new_from) = match self.store.documents.insert_document(record).await? {
            InsertOutcome::Created(s) => (Outcome::Stored, s, 0),
            InsertOutcome::Identical(s) => (Outcome::AlreadyStored, s, usize::MAX),
            InsertOutcome::IdTaken => {
                let (outcome, s) = self.sync(party, &verified, origin).await?;
                let from = match &outcome {
                    Outcome::Extended(seqs) => seqs.first().map_or(usize::MAX, |s| *s as usize),
                    _ => usize::MAX,
                };
                (outcome, s, from)
            }
            InsertOutcome::NoteNumberTaken { existing } => {
                return Err(DocumentError::NoteNumberTaken { number, existing });
            }
        };
        // Only what was stored now is recorded; events stored before were recorded then.
        let now: Vec<Mismatch> = mismatches.into_iter().filter(|m| m.seq as usize >= new_from).collect();
        let identity_warnings = self.record_mismatches(party, id, now, origin).await?;
        Ok(Stored { outcome, summary, identity_warnings })
    }

    /// Syncs a verified document with the stored document of its id: nothing to do when one chain starts with
    /// the other and the stored one is not shorter; the new events appended when the stored chain is shorter.
    async fn sync(
        &self,
        party: &Principal,
        verified: &Verified<Document>,
        origin: &Origin,
    ) -> Result<(Outcome, DocumentSummary), DocumentError> {
        let doc_id = Uuid::parse_str(verified.id())
            .map_err(|e| DocumentError::Corrupt { id: Uuid::nil(), why: format!("verified id unreadable: {e}") })?;
        let stored =
            self.store.documents.get_document(doc_id).await?.ok_or_else(|| DocumentError::Corrupt {
                id: doc_id,
                why: "stored under its id, yet not found".into(),
            })?;
        let digests: Vec<String> = verified.events.iter().map(Event::digest).collect();
        diverges(&stored, &digests)?;
        if digests.len() <= stored.events.len() {
            return Ok((Outcome::AlreadyStored, stored.summary));
        }
        // Extending the chain is appending its events: the caller must see the document and hold each signer key.
        if !self.store.documents.is_linked(doc_id, &key_ids(party), &party_refs_of_principal(party)).await? {
            return Err(DocumentError::NotFound(doc_id.to_string()));
        }
        let tail = &verified.events[stored.events.len()..];
        let events = tail.iter().map(new_event).collect::<Result<Vec<_>, _>>()?;
        if events.iter().any(|e| !party.keys.iter().any(|k| k.key_id == e.signer_key_id)) {
            return Err(DocumentError::NotYourKey);
        }
        let append = event_append(doc_id, verified, events, party, origin);
        match self.store.documents.append_event(append).await? {
            AppendOutcome::Appended(s, seqs) => {
                Ok((Outcome::Extended(seqs.into_iter().map(i64::unsigned_abs).collect()), s))
            }
            AppendOutcome::Identical(s) => Ok((Outcome::AlreadyStored, s)),
            AppendOutcome::SeqTaken { .. } => {
                // Another request extended the chain otherwise meanwhile: say where the chains now differ.
                let now = self.store.documents.get_document(doc_id).await?;
                if let Some(now) = now {
                    diverges(&now, &digests)?;
                }
                Err(DocumentError::SeqTaken { id: doc_id, seq: stored.events.len() as u64 })
            }
            AppendOutcome::NotFound => Err(DocumentError::NotFound(doc_id.to_string())),
        }
    }

    /// Verifies one signed event against the stored chain and appends it; the caller must hold the key that
    /// signed it. The event already stored at its seq is [`Outcome::AlreadyStored`].
    ///
    /// # Errors
    /// As [`Documents::submit`], with [`DocumentError::NotYourKey`], [`DocumentError::NotFound`] and
    /// [`DocumentError::SeqTaken`].
    pub async fn append(
        &self,
        party: &Principal,
        id: &str,
        bytes: &[u8],
        origin: &Origin,
    ) -> Result<Stored, DocumentError> {
        let (outcome, summary, mismatches) = self.append_one(party, id, bytes, origin).await?;
        let doc_id = summary.id;
        let identity_warnings = match outcome {
            Outcome::Stored => self.record_mismatches(party, doc_id, mismatches, origin).await?,
            _ => Vec::new(),
        };
        Ok(Stored { outcome, summary, identity_warnings })
    }

    async fn append_one(
        &self,
        party: &Principal,
        id: &str,
        bytes: &[u8],
        origin: &Origin,
    ) -> Result<(Outcome, DocumentSummary, Vec<Mismatch>), DocumentError> {
        // Not JSON at all is told first; an event of the wrong shape only once the document is known to be visible.
        let event = match Event::from_slice(bytes) {
            Ok(event) => Ok(event),
            Err(e) => match strict_json(bytes) {
                Some(malformed) => return Err(malformed),
                None => Err(e),
            },
        };
        // Visibility first (one index probe), then everything that needs the event alone, and only then the stored
        // chain: a forged or damaged event costs one signature check, however long the chain.
        let doc_id = self.linked(party, id).await?;
        let event = event.map_err(|e| {
            let detail = match e {
                ParseError::Shape { pointer, message } if pointer.is_empty() => {
                    format!("the event is malformed: {message}")
                }
                ParseError::Shape { pointer, message } => format!("the event is malformed: {message} at {pointer}"),
                other => format!("the event is malformed: {other}"),
            };
            DocumentError::Refused(Refusal {
                kind: RefusalKind::InvalidEvent,
                detail,
                failures: Vec::new(),
                findings: Vec::new(),
            })
        })?;
        let Ok(signer) = PublicKey::from_b64url(&event.signer.public_key).map(|k| k.key_id().to_string()) else {
            return Err(DocumentError::Refused(Refusal {
                kind: RefusalKind::InvalidEvent,
                detail: "the event has no readable signer.public_key".into(),
                failures: Vec::new(),
                findings: Vec::new(),
            }));
        };
        if !party.keys.iter().any(|k| k.key_id == signer) {
            return Err(DocumentError::NotYourKey);
        }
        // An event already stored verified, so a badly signed one is never the same event.
        if let Err(kind) = check_event_signature(&event) {
            let failure = Failure { seq: Some(event.seq), kind };
            return Err(DocumentError::Refused(Refusal {
                kind: RefusalKind::InvalidEvent,
                detail: format!("the event does not verify: {failure}"),
                failures: vec![failure],
                findings: Vec::new(),
            }));
        }
        let stored =
            self.store.documents.get_document(doc_id).await?.ok_or_else(|| DocumentError::NotFound(id.to_owned()))?;
        if let Some(existing) = stored.events.iter().find(|e| u64::try_from(e.seq).ok() == Some(event.seq)) {
            return if existing.digest == event.digest() {
                Ok((Outcome::AlreadyStored, stored.summary, Vec::new()))
            } else {
                Err(DocumentError::SeqTaken { id: doc_id, seq: event.seq })
            };
        }
        self.within_bound(stored.events.len() + 1)?;
        let seq = event.seq;
        let size = Size::of_chain(stored.events.len());
        let longer = self
            .work
            .run(size, move |verifier| {
                let chain = verified(verifier, &stored)?;
                let patch = (event.kind == EventKind::Amended).then(|| event.data.get("patch").cloned()).flatten();
                chain.append_event(event, None).map_err(|e| refuse_event(&chain, patch, e))
            })
            .await??;
        let mismatches = self.check_identities(longer.get(), longer.events.len() - 1, party).await?;
        let Some(new) = longer.events.last() else {
            return Err(DocumentError::Corrupt { id: doc_id, why: "the verified chain lost its last event".into() });
        };
        let append = event_append(doc_id, &longer, vec![new_event(new)?], party, origin);
        match self.store.documents.append_event(append).await? {
            AppendOutcome::Appended(s, _) => Ok((Outcome::Stored, s, mismatches)),
            AppendOutcome::Identical(s) => Ok((Outcome::AlreadyStored, s, Vec::new())),
            AppendOutcome::SeqTaken { .. } => Err(DocumentError::SeqTaken { id: doc_id, seq }),
            AppendOutcome::NotFound => Err(DocumentError::NotFound(id.to_owned())),
        }
    }

    /// The bundle of a stored document: the document, a receipt for every event and an attestation of every
    /// signer key the directory knows, signed with `keys`.
    ///
    /// # Errors
    /// [`DocumentError::Corrupt`] when the stored document does not read back or the key cannot sign; store
    /// errors.
    pub async fn bundle(&self, doc: &StoredDocument, keys: &GatewayKeys) -> Result<Bundle, DocumentError> {
        let id = doc.summary.id;
        let corrupt = |why: String| DocumentError::Corrupt { id, why };
        let text = doc.to_json();
        let parsed = Document::from_slice(text.as_bytes()).map_err(|e| corrupt(e.to_string()))?;
        let bundle_err = |e: BundleError| match e {
            BundleError::Store(e) => DocumentError::Store(e),
            BundleError::Sign(e) => corrupt(format!("the gateway key cannot sign: {e}")),
        };
        let receipts = self.directory.receipts(keys, doc).await.map_err(bundle_err)?;
        let attestations = self.directory.attestations(keys, &parsed).await.map_err(bundle_err)?;
        Bundle::new(text.as_bytes(), &receipts, &attestations).map_err(|e| corrupt(e.to_string()))
    }

    /// Gives party principal `who` access to a document the caller may see; the grant is audited with the
    /// document (`participant.added`, naming the principal). Returns the document id, the principal and whether
    /// access was given now (false: it had been before).
    ///
    /// # Errors
    /// [`DocumentError::NotFound`] when the caller may not see the document, [`DocumentError::NotAParty`] when
    /// `who` is not an active party principal; store errors.
    pub async fn add_participant(
        &self,
        party: &Principal,
        id: &str,
        who: Uuid,
        origin: &Origin,
    ) -> Result<(Uuid, Principal, bool), DocumentError> {
        let doc = self.linked(party, id).await?;
        let target = self.store.principals.get_principal(who).await?;
        let target = match target {
            Some(p) if p.kind == PrincipalKind::Party && p.revoked_at.is_none() => p,
            _ => return Err(DocumentError::NotAParty(who)),
        };
        let grant = DocumentParty { party_ref: format!("principal:{who}"), role: "participant".into() };
        let details =
            Details { message: Some(format!("access given to party {} ({who})", target.name)), ..Details::default() };
        let entry = Auditor::entry(party, Some(doc), AuditAction::ParticipantAdded, Some(&details), origin);
        let added = self.store.documents.add_party(doc, &grant, &entry).await?;
        Ok((doc, target, added))
    }

    /// The signed document, for a party that may see it; the read is audited.
    ///
    /// # Errors
    /// [`DocumentError::NotFound`] when the party may not see it.
    pub async fn read(&self, party: &Principal, id: &str, origin: &Origin) -> Result<StoredDocument, DocumentError> {
        let doc = self.visible(party, id).await?;
        let entry = Auditor::entry(party, Some(doc.summary.id), AuditAction::DocumentRead, None, origin);
        self.auditor.record_party(entry).await?;
        Ok(doc)
    }

    /// The id of a document the party may see, without reading it (for share links of the document).
    ///
    /// # Errors
    /// [`DocumentError::NotFound`] when the party may not see it.
    pub async fn visible_id(&self, party: &Principal, id: &str) -> Result<Uuid, DocumentError> {
        self.linked(party, id).await
    }

    /// A stored document by id, unaudited: the caller (the share links) audits the read itself.
    ///
    /// # Errors
    /// Store errors.
    pub async fn stored(&self, id: Uuid) -> Result<Option<StoredDocument>, DocumentError> {
        Ok(self.store.documents.get_document(id).await?)
    }

    /// A page of the party's documents (signed by or pinning one of its keys), ordered by `(updated_at, id)`.
    ///
    /// # Errors
    /// Store errors.
    pub async fn list(&self, party: &Principal, filter: ListFilter) -> Result<Vec<DocumentSummary>, DocumentError> {
        let query = ListQuery {
            key_ids: key_ids(party),
            party_refs: party_refs_of_principal(party),
            state: filter.state,
            role: filter.role,
            updated_since: filter.updated_since,
            after: filter.after,
            limit: filter.limit,
        };
        Ok(self.store.documents.list_documents(&query).await?)
    }

    /// Who accessed one of the party's documents, oldest first, each entry with the principal named.
    ///
    /// # Errors
    /// [`DocumentError::NotFound`] when the party may not see it.
    pub async fn audit_log(
        &self,
        party: &Principal,
        id: &str,
    ) -> Result<Vec<(AuditEntry, PrincipalRef)>, DocumentError> {
        let uuid = self.linked(party, id).await?;
        let entries = self.auditor.for_document(uuid).await?;
        let ids: Vec<_> = entries.iter().map(|e| (e.principal_id, e.principal_kind)).collect();
        let named = names(&self.store, ids).await?;
        Ok(entries.into_iter().filter_map(|e| named.get(&e.principal_id).cloned().map(|p| (e, p))).collect())
    }

    /// The follow-up messages authorities sent about one of the party's documents, oldest first, each with its
    /// sender named.
    ///
    /// # Errors
    /// [`DocumentError::NotFound`] when the party may not see it.
    pub async fn follow_ups(
        &self,
        party: &Principal,
        id: &str,
    ) -> Result<Vec<(FollowUp, PrincipalRef)>, DocumentError> {
        let uuid = self.linked(party, id).await?;
        let messages = self.store.control.follow_ups(uuid).await?;
        let ids: Vec<_> = messages.iter().map(|m| (m.principal_id, PrincipalKind::Authority)).collect();
        let named = names(&self.store, ids).await?;
        Ok(messages.into_iter().filter_map(|m| named.get(&m.principal_id).cloned().map(|p| (m, p))).collect())
    }

    /// The id of a document the party may see.
    async fn linked(&self, party: &Principal, id: &str) -> Result<Uuid, DocumentError> {
        let not_found = || DocumentError::NotFound(id.to_owned());
        let uuid = Uuid::parse_str(id).map_err(|_| not_found())?;
        if self.store.documents.is_linked(uuid, &key_ids(party), &party_refs_of_principal(party)).await? {
            Ok(uuid)
        } else {
            Err(not_found())
        }
    }

    /// A stored document the party may see.
    async fn visible(&self, party: &Principal, id: &str) -> Result<StoredDocument, DocumentError> {
        let uuid = self.linked(party, id).await?;
        self.store.documents.get_document(uuid).await?.ok_or_else(|| DocumentError::NotFound(id.to_owned()))
    }
}

/// A stored document verified again.
fn verified(verifier: &ecmr::verify::Verifier, doc: &StoredDocument) -> Result<Verified<Document>, DocumentError> {
    verifier
        .verify(doc.to_json().as_bytes(), None)
        .map_err(|e| DocumentError::Corrupt { id: doc.summary.id, why: format!("no longer verifies: {e}") })
}

/// Filters and paging of [`Documents::list`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListFilter {
    /// Only this state.
    pub state: Option<String>,
    /// Only where one of the party's keys is linked in this role.
    pub role: Option<String>,
    /// Only documents updated at or after this time.
    pub updated_since: Option<DateTime<Utc>>,
    /// Start after this `(updated_at, id)`.
    pub after: Option<(DateTime<Utc>, Uuid)>,
    /// At most this many.
    pub limit: u32,
}

/// `Err` [`DocumentError::Diverged`] naming the first seq at which `digests` (of a submitted chain's events)
/// differ from the stored chain's.
fn diverges(stored: &StoredDocument, digests: &[String]) -> Result<(), DocumentError> {
    for (seq, (s, d)) in stored.events.iter().zip(digests).enumerate() {
        if s.digest != *d {
            return Err(DocumentError::Diverged {
                id: stored.summary.id,
                seq: seq as u64,
                stored: s.digest.clone(),
                submitted: d.clone(),
            });
        }
    }
    Ok(())
}

/// The key ids bound to a party.
fn key_ids(party: &Principal) -> Vec<String> {
    party.keys.iter().map(|k| k.key_id.clone()).collect()
}

/// `Some` malformed-JSON error when `bytes` are not strict JSON (or too large); `None` when they are.
fn strict_json(bytes: &[u8]) -> Option<DocumentError> {
    let e = canonical::parse_strict(bytes, MAX_DOCUMENT_BYTES).err()?;
    Some(match e.kind {
        StrictJsonErrorKind::TooLarge => DocumentError::TooLarge(e.message),
        _ => DocumentError::Malformed { pointer: e.pointer, line: e.line, column: e.column, message: e.message },
    })
}

/// The refusal of a submitted document. Bytes that are not strict JSON are malformed (400) rather than refused:
/// the verifier read them strictly, so only a failure of the document as a whole can mean that.
fn refuse_document(bytes: &[u8], e: VerifyError) -> DocumentError {
    let whole = matches!(e.report.failures.as_slice(), [Failure { seq: None, .. }]);
    if whole && let Some(malformed) = strict_json(bytes) {
        return malformed;
    }
    let note =
        || canonical::parse_strict(bytes, MAX_DOCUMENT_BYTES).ok().and_then(|mut v| v.get_mut("note").map(Value::take));
    DocumentError::Refused(refusal(e, RefusalKind::VerificationFailed, note))
}

/// The refusal of an event appended to `chain`: when it is the note the event makes that is invalid, the findings
/// are those of the chain's current note with the event's merge patch (`patch`, for an amendment) applied.
fn refuse_event(chain: &Verified<Document>, patch: Option<Value>, e: VerifyError) -> DocumentError {
    let note = || {
        let mut note = chain.current_note().clone();
        canonical::merge_patch(&mut note, &patch?);
        Some(note)
    };
    DocumentError::Refused(refusal(e, RefusalKind::InvalidEvent, note))
}

/// A refusal of `kind`, or `InvalidNote` with the note's findings (the note from `note`) when the note is what
/// is invalid.
fn refusal(e: VerifyError, kind: RefusalKind, note: impl FnOnce() -> Option<Value>) -> Refusal {
    let detail = e.report.failures.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
    let invalid_note = e.report.failures.iter().any(|f| matches!(f.kind, FailureKind::InvalidNote { .. }));
    if invalid_note {
        // Every finding, also of a note that does not read as one (a required member missing …).
        let findings = note()
            .map(|n| ecmr::validate::validate_value(&n))
            .filter(|report| !report.is_valid())
            .map(|report| report.findings)
            .unwrap_or_default();
        return Refusal {
            kind: RefusalKind::InvalidNote,
            detail: format!("the consignment note is invalid: {detail}"),
            failures: e.report.failures,
            findings,
        };
    }
    let what = if kind == RefusalKind::InvalidEvent { "the event" } else { "the document" };
    Refusal {
        kind,
        detail: format!("{what} does not verify: {detail}"),
        failures: e.report.failures,
        findings: Vec::new(),
    }
}

/// The key id of a verified signer's key.
fn key_id_of(event: &Event) -> Result<String, DocumentError> {
    PublicKey::from_b64url(&event.signer.public_key).map(|k| k.key_id().to_string()).map_err(|e| {
        DocumentError::Corrupt {
            id: Uuid::parse_str(&event.document_id).unwrap_or_default(),
            why: format!("verified signer key of event {} unreadable: {e}", event.seq),
        }
    })
}

fn new_event(e: &Event) -> Result<NewEvent, DocumentError> {
    Ok(NewEvent {
        seq: i64::try_from(e.seq).map_err(|_| DocumentError::Corrupt {
            id: Uuid::parse_str(&e.document_id).unwrap_or_default(),
            why: format!("seq {} out of range", e.seq),
        })?,
        kind: e.kind.as_str().to_owned(),
        role: e.role.as_str().to_owned(),
        signer_key_id: key_id_of(e)?,
        digest: e.digest(),
        body: serde_json::to_string(e).map_err(|err| DocumentError::Corrupt {
            id: Uuid::parse_str(&e.document_id).unwrap_or_default(),
            why: format!("event {} does not serialise: {err}", e.seq),
        })?,
    })
}

/// Keys the note pins, per role.
fn pinned_keys(note: &Value) -> Vec<DocumentKey> {
    let mut out = Vec::new();
    let mut add = |party: Option<&Value>, role: &str| {
        let keys = party.and_then(|p| p.get("public_keys")).and_then(Value::as_array);
        for k in keys.into_iter().flatten() {
            if let Some(key) = k.as_str().and_then(|k| PublicKey::from_b64url(k).ok()) {
                let key_id = key.key_id().to_string();
                out.push(DocumentKey { key_id, role: role.to_owned(), relation: KeyRelation::Pinned });
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

fn dedup(mut keys: Vec<DocumentKey>) -> Vec<DocumentKey> {
    let mut seen = BTreeSet::new();
    keys.retain(|k| seen.insert((k.key_id.clone(), k.role.clone(), k.relation.as_str())));
    keys
}

/// The stored kind of an identifier type (the `kind` of the store's index rows).
pub fn stored_kind(t: IdentifierType) -> &'static str {
    match t {
        IdentifierType::Means => "vehicle",
        IdentifierType::Equipment => "equipment",
        IdentifierType::Carried => "carried_equipment",
    }
}

/// A verified document's eFTI common dataset with the index rows of roadside searches taken from it.
pub(crate) struct Projected {
    /// The full common dataset as XML.
    pub(crate) xml: String,
    /// Index rows (see [`index_keys`]).
    pub(crate) identifiers: Vec<Identifier>,
}

/// Projects a verified document once: the XML stored for authority reads, and the index rows of its identifier
/// dataset. `None` (logged) when the current note does not project, which verification makes impossible.
/// The store write that appends `events` (the new end of `chain`, verified) to document `doc_id`: their signer
/// keys and the keys and parties the note now names, the document's new state and eFTI projection, and one audit
/// entry per event.
fn event_append(
    doc_id: Uuid,
    chain: &Verified<Document>,
    events: Vec<NewEvent>,
    party: &Principal,
    origin: &Origin,
) -> EventAppend {
    let mut keys: Vec<DocumentKey> = events
        .iter()
        .map(|e| DocumentKey { key_id: e.signer_key_id.clone(), role: e.role.clone(), relation: KeyRelation::Signer })
        .collect();
    keys.extend(pinned_keys(chain.current_note()));
    let audit = events
        .iter()
        .map(|e| Auditor::entry(party, Some(doc_id), AuditAction::EventAppended { seq: e.seq }, None, origin))
        .collect();
    let (identifiers, efti_xml) = match project(chain) {
        Some(Projected { identifiers, xml }) => (identifiers, Some(xml)),
        None => (Vec::new(), None),
    };
    EventAppend {
        document_id: doc_id,
        state: chain.state().as_str().to_owned(),
        events,
        keys: dedup(keys),
        parties: document_parties(chain.current_note()),
        identifiers,
        efti_xml,
        received_at: now(),
        audit,
    }
}

fn project(verified: &Verified<Document>) -> Option<Projected> {
    let projected = match ecmr::efti::project(verified) {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(document = verified.id(), error = %e, "verified document does not project");
            return None;
        }
    };
    let identifiers = index_keys(&identifiers::from_projection(&projected))
        .into_iter()
        .map(|k| Identifier {
            kind: stored_kind(k.identifier_type).to_owned(),
            value: k.identifier,
            // Carried equipment has no registration country of its own (an empty one in the index key).
            country: Some(k.registration_country).filter(|c| !c.is_empty()),
            mode_code: k.mode_code,
            // A projected consignment always has a movement, so every row has the flag.
            dangerous_goods: k.dangerous_goods_indicator.unwrap_or(false),
        })
        .collect();
    Some(Projected { xml: projected.to_xml(&Subsets::Full), identifiers })
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

/// The record of a verified document (its `sender_ref` from the signer's key alone).
fn record_of(verified: &Verified<Document>, party: &Principal, origin: &Origin) -> Result<NewDocument, DocumentError> {
    let id = Uuid::parse_str(verified.id()).map_err(|e| DocumentError::Corrupt {
        id: Uuid::nil(),
        why: format!("verified document id is not a UUID: {e}"),
    })?;
    let events = verified.events.iter().map(new_event).collect::<Result<Vec<_>, _>>()?;
    let Some(first) = verified.events.first() else {
        return Err(DocumentError::Corrupt { id, why: "verified document without events".into() });
    };
    let issued_by = key_id_of(first)?;
    let projected = project(verified);
    let mut keys: Vec<DocumentKey> = events
        .iter()
        .map(|e| DocumentKey { key_id: e.signer_key_id.clone(), role: e.role.clone(), relation: KeyRelation::Signer })
        .collect();
    keys.extend(pinned_keys(&verified.note));
    keys.extend(pinned_keys(verified.current_note()));
    Ok(NewDocument {
        id,
        content_digest: content_digest(verified.id(), &first.note_digest, &events),
        note_number: verified.note.get("number").and_then(Value::as_str).unwrap_or_default().to_owned(),
        sender_ref: sender_ref(&issued_by, None),
        note_json: serde_json::to_string(&verified.note)
            .map_err(|e| DocumentError::Corrupt { id, why: format!("note does not serialise: {e}") })?,
        state: verified.state().as_str().to_owned(),
        identifiers: projected.as_ref().map(|p| p.identifiers.clone()).unwrap_or_default(),
        efti_xml: projected.map(|p| p.xml),
        events,
        keys: dedup(keys),
        parties: {
            let mut parties = document_parties(&verified.note);
            // An amended note may name other parties; both are indexed.
            if verified.events.iter().any(|e| e.kind == EventKind::Amended) {
                for p in document_parties(verified.current_note()) {
                    if !parties.contains(&p) {
                        parties.push(p);
                    }
                }
            }
            parties
        },
        submitted_by: party.id,
        received_at: now(),
        audit: Auditor::entry(party, Some(id), AuditAction::DocumentCreated, None, origin),
    })
}
