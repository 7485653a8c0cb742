//! The eFTI reads of authorities and gates: datasets cut to the subsets asked for, identifier searches over our
//! own documents and the datasets platforms registered, UIL requests and their answers, follow-up messages, and
//! the registration of platforms' identifier datasets.
//!
//! A dataset is read from the full common dataset stored with its document (written when the document or its last
//! event was stored) while that is of the state asked for; otherwise — an older state, a document stored without
//! a dataset, or one that no longer reads — the document's chain up to that state is verified again and
//! projected, so that nothing is answered that does not verify. Every read, refusal and hit is audited in the same
//! commit as the stored request, before the answer is sent.

use std::sync::{Arc, LazyLock, OnceLock};

use ecmr::efti::identifiers::{self, IdentifierConsignment};
use ecmr::efti::search::{IdentifierQuery, index_keys, normalise};
use ecmr::efti::{Consignment, Subsets};
use uuid::Uuid;

mod federated;

use super::audit::{AuditAction, Auditor, Details, Origin, Via};
use super::documents::stored_kind;
use super::federation::Federation;
use super::principals::{Entitlements, platform_id_of};
use super::work::{Size, Work};
use crate::error::{RiCode, RiError};
use crate::store::{
    AuditEntry, ControlRequest, ControlWrite, Durability, FollowUp, PlatformDataset, PlatformIdentifier, Principal,
    Store, StoreError, StoredDataset, StoredDocument, now,
};

/// Most identifier-search results answered for one request.
pub const SEARCH_LIMIT: u32 = 100;
/// Most bytes of registered identifier datasets behind one search answer: hits are added while the datasets they
/// come from stay within it (a hit is smaller than its dataset), so an answer — and its stored copy — stays within
/// a few MB however many platforms registered large datasets under one plate.
pub const SEARCH_ANSWER_BYTES: usize = 4 * 1024 * 1024;
/// Largest identifier dataset a platform may register, in bytes.
pub const MAX_DATASET_BYTES: usize = 128 * 1024;
/// Most pieces of transport equipment (used and carried together) and most transport movements in one registered
/// identifier dataset; a consignment has a few of each.
pub const MAX_DATASET_ITEMS: usize = 256;

/// Longest follow-up message the RI accepts.
pub const NOTE_MAX: usize = 255;

/// Why an eFTI read that is not an RI request (the direct read, the gate API, a registration) cannot be answered.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EftiError {
    /// No such dataset here.
    #[error("{0}")]
    NotFound(String),
    /// The subset ids are wrong.
    #[error("subsetId: {0}")]
    BadSubsets(String),
    /// The caller is not entitled to what it asked for.
    #[error("{0}")]
    NotEntitled(String),
    /// A stored document or dataset no longer verifies or reads: a fault of the gateway's storage.
    #[error("{0}")]
    Corrupt(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A UIL query, its parts already checked as the RI checks them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UilQuery {
    /// The gate holding the dataset.
    pub gate_id: String,
    /// The platform holding the dataset.
    pub platform_id: String,
    /// The dataset.
    pub dataset_id: Uuid,
    /// The subsets asked for.
    pub subsets: Vec<String>,
}

/// How a request (UIL query or identifier search) was answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Other gates have not all answered yet; ask again with the request id.
    Pending,
    /// The gate asked did not answer in time.
    Timeout,
    /// Answered with data.
    Complete,
    /// Refused or failed, with the RI's code.
    Error(RiError),
}

impl Status {
    /// The RI's name (`COMPLETE`, `ERROR`).
    pub fn as_str(&self) -> &'static str {
        match self {
            Status::Pending => "PENDING",
            Status::Timeout => "TIMEOUT",
            Status::Complete => "COMPLETE",
            Status::Error(_) => "ERROR",
        }
    }

    fn outcome(&self) -> String {
        match self {
            Status::Error(e) => format!("ERROR {}", e.code.as_str()),
            other => other.as_str().to_owned(),
        }
    }

    fn from_stored(status: &str, code: Option<&str>, description: Option<&str>) -> Status {
        match status {
            "COMPLETE" => Status::Complete,
            "PENDING" => Status::Pending,
            "TIMEOUT" => Status::Timeout,
            _ => Status::Error(RiError::new(
                code.and_then(RiCode::parse).unwrap_or(RiCode::DefaultError),
                description.unwrap_or_default(),
            )),
        }
    }
}

/// The answer to a UIL request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UilAnswer {
    /// The request id, for asking again and for follow-ups.
    pub request_id: Uuid,
    /// How it was answered.
    pub status: Status,
    /// The eFTI XML of the subsets asked for, when complete.
    pub xml: Option<String>,
}

pub use ecmr_wire::control::{
    CarriedTransportEquipmentApiDto, ConsignmentApiDto, GateIdentifiersDto, MainCarriageTransportMovementApiDto,
    UsedTransportEquipmentApiDto,
};
pub use ecmr_wire::inspect::HitNote;

/// The answer to an identifier search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchAnswer {
    /// The request id.
    pub request_id: Uuid,
    /// How it was answered.
    pub status: Status,
    /// The consignments found.
    pub hits: Vec<ConsignmentApiDto>,
    /// One entry per gate, for a search that went to other gates.
    pub gates: Vec<GateIdentifiersDto>,
}

/// A consignment found at this gate by an identifier search.
#[derive(Debug, Clone)]
struct Found {
    consignment: IdentifierConsignment,
    platform_id: String,
    dataset_id: String,
    /// One of our documents (not a platform's registered dataset).
    document: Option<Uuid>,
}

/// What a direct read hands out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dataset {
    /// The eFTI XML of the subsets asked for.
    Xml(String),
    /// The signed document (JSON), verified again.
    Signed(String),
}

/// Why a platform's dataset was not registered.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegisterError {
    /// The principal has no eFTI platform id.
    #[error("this platform principal has no eFTI platform id")]
    NoPlatformId,
    /// The dataset id is not usable in a UIL.
    #[error("datasetId {0:?}: 1 to 255 letters, digits, spaces and -@./#&+_")]
    DatasetId(String),
    /// The body is not UTF-8.
    #[error("the body is not UTF-8")]
    NotUtf8,
    /// The body is not a valid identifier dataset.
    #[error(transparent)]
    Invalid(#[from] identifiers::IdentifierError),
    /// The body is larger than a dataset may be.
    #[error("the identifier dataset is {0} bytes; at most {MAX_DATASET_BYTES} are taken")]
    TooLarge(usize),
    /// The dataset names more equipment or movements than a dataset may.
    #[error("the identifier dataset has {count} {what}; at most {MAX_DATASET_ITEMS} are taken")]
    TooMany {
        /// What there are too many of.
        what: &'static str,
        /// How many there are.
        count: usize,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The `identifier` subset as subset ids of the common dataset: cut out of a stored full dataset, it keeps the
/// elements the identifier dataset is made of, in the common namespace.
static IDENTIFIER_PART: LazyLock<Subsets> =
    LazyLock::new(|| Subsets::Ids(std::collections::BTreeSet::from(["identifier".to_owned()])));

/// The eFTI side of the gateway.
pub struct Efti {
    store: Store,
    work: Work,
    auditor: Auditor,
    gate_id: String,
    platform_id: String,
    federation: OnceLock<Arc<Federation>>,
}

impl Efti {
    /// The eFTI reads of gate `gate_id`, whose own documents are on platform `platform_id`.
    pub fn new(store: Store, work: Work, auditor: Auditor, gate_id: String, platform_id: String) -> Efti {
        Efti { store, work, auditor, gate_id, platform_id, federation: OnceLock::new() }
    }

    /// Joins this gate to a federation: UILs of other gates, identifier searches and follow-ups are forwarded
    /// through it. Set once, when the gateway starts.
    pub fn set_federation(&self, federation: Arc<Federation>) {
        let _ = self.federation.set(federation);
    }

    /// The federation this gate belongs to, if any.
    pub fn federation(&self) -> Option<&Arc<Federation>> {
        self.federation.get()
    }

    /// This gate's id.
    pub fn gate_id(&self) -> &str {
        &self.gate_id
    }

    /// The platform id of this gateway's own documents.
    pub fn platform_id(&self) -> &str {
        &self.platform_id
    }

    // -----------------------------------------------------------------------------------------------------------
    // UIL requests

    /// Answers a UIL query (or records the refusal of one that did not parse), stores the request with its audit
    /// entry and returns the answer.
    ///
    /// # Errors
    /// Store errors and stored documents that no longer verify.
    pub async fn request_uil(
        &self,
        who: &Principal,
        query: Result<UilQuery, RiError>,
        origin: &Origin,
    ) -> Result<UilAnswer, EftiError> {
        let request_id = Uuid::now_v7();
        if let Ok(q) = &query
            && q.gate_id != self.gate_id
            && let Some(fed) = self.federation()
            && fed.registry().gate(&q.gate_id).is_some()
        {
            return self.forward_uil(who, q, request_id, origin).await;
        }
        let (subsets, document_id, answer) = match query {
            Ok(q) => {
                let (doc, answer) = self.answer_uil(&Entitlements::of(who), &q).await?;
                (q.subsets, doc, answer)
            }
            Err(e) => (Vec::new(), None, Err(e)),
        };
        let (status, action) = uil_outcome(&answer, Via::Authority);
        let details = Details {
            request_id: Some(request_id),
            subsets: Some(subsets.clone()),
            outcome: Some(status.outcome()),
            ..Details::default()
        };
        // The answer is not stored: asking again computes it from the document as it was.
        let request = ControlRequest {
            document_id,
            subsets: subsets.join(","),
            answered_seq: answer.as_ref().ok().map(|(_, seq)| *seq),
            ..control_request(request_id, "uil", who, &status)
        };
        let audit = vec![Auditor::entry(who, document_id, action, Some(&details), origin)];
        self.commit(Some(request), None, audit, self.auditor.control_durability()).await?;
        Ok(UilAnswer { request_id, status, xml: answer.ok().map(|(xml, _)| xml) })
    }

    /// Answers a UIL query for this gate: the checks in RI order, then entitlement, then the dataset. Returns the
    /// document concerned (when stored here) and the XML with the seq it reflects.
    async fn answer_uil(
        &self,
        entitlements: &Entitlements,
        q: &UilQuery,
    ) -> Result<(Option<Uuid>, Result<(String, i64), RiError>), EftiError> {
        if q.gate_id != self.gate_id {
            let why = format!(
                "gate {:?} is not this gate ({:?}) nor a gate of this gate's registry",
                q.gate_id, self.gate_id
            );
            return Ok((None, Err(RiError::new(RiCode::UilGateNotLocal, why))));
        }
        let subsets = match Subsets::parse(&q.subsets) {
            Ok(s) => s,
            Err(e) => return Ok((None, Err(RiError::new(RiCode::SubsetIdIncorrect, e.to_string())))),
        };
        let local = q.platform_id == self.platform_id;
        if let Some(id) = entitlements.first_refused(&q.subsets) {
            // Refused before anything is read; the document, if stored here, is named so that its parties see it.
            let document_id = if local { self.stored_id(q.dataset_id).await? } else { None };
            let why =
                format!("this authority may not request subset {id:?}; it may request: {}", entitlements.describe());
            return Ok((document_id, Err(RiError::new(RiCode::SubsetNotAllowed, why))));
        }
        if !local {
            // Datasets registered by external platforms are found by identifier search, but their data stays with
            // the platform, and this gateway does not ask platforms for it yet.
            let why = format!(
                "platform {:?} is not this gateway's platform ({:?}); reading datasets held by other platforms is not \
                 supported yet",
                q.platform_id, self.platform_id
            );
            return Ok((None, Err(RiError::new(RiCode::UilPlatformNotLocal, why))));
        }
        let Some((xml, seq)) = self.dataset_xml(q.dataset_id, &subsets, None).await? else {
            let why = format!("no dataset {} on platform {:?} of this gate", q.dataset_id, q.platform_id);
            return Ok((None, Err(RiError::new(RiCode::DataNotFound, why))));
        };
        Ok((Some(q.dataset_id), Ok((xml, seq))))
    }

    /// The answer to an earlier UIL request of this authority (`None`: no such request of its own), the same as it
    /// was given; handing out its data again is audited as a read.
    ///
    /// # Errors
    /// Store errors and stored documents that no longer verify.
    pub async fn earlier_uil(
        &self,
        who: &Principal,
        raw: &str,
        origin: &Origin,
    ) -> Result<Option<UilAnswer>, EftiError> {
        let Some(r) = self.own_request(who, raw, "uil").await? else { return Ok(None) };
        let subsets = split_subsets(&r.subsets);
        if r.status == "PENDING" {
            // Forwarded to another gate: its answer as it stands; handing out its data is audited as a read.
            let (status, xml) = self.forwarded_uil(&r).await?;
            if xml.is_some() {
                let details = Details {
                    request_id: Some(r.id),
                    subsets: Some(subsets),
                    outcome: Some("COMPLETE (from another gate)".into()),
                    ..Details::default()
                };
                let action = AuditAction::UilRead(Via::Authority);
                self.auditor.record(vec![Auditor::entry(who, None, action, Some(&details), origin)]).await?;
            }
            return Ok(Some(UilAnswer { request_id: r.id, status, xml }));
        }
        let xml = match (r.data.as_deref(), r.answered_seq, r.document_id) {
            (Some(data), _, _) => Some(data.to_owned()),
            // The answer as it was given: the dataset of the document with its events up to the one answered from.
            (None, Some(seq), Some(id)) => {
                let parsed = Subsets::parse(&subsets)
                    .map_err(|e| EftiError::Corrupt(format!("request {} has subsets {:?}: {e}", r.id, r.subsets)))?;
                let missing = || EftiError::Corrupt(format!("document {id} answered by request {} is gone", r.id));
                Some(self.dataset_xml(id, &parsed, Some(seq)).await?.ok_or_else(missing)?.0)
            }
            _ => None,
        };
        if xml.is_some() {
            let details = Details {
                request_id: Some(r.id),
                subsets: Some(subsets),
                outcome: Some("COMPLETE (earlier answer)".into()),
                ..Details::default()
            };
            let action = AuditAction::UilRead(Via::Authority);
            self.auditor.record(vec![Auditor::entry(who, r.document_id, action, Some(&details), origin)]).await?;
        }
        let status = Status::from_stored(&r.status, r.error_code.as_deref(), r.error_description.as_deref());
        Ok(Some(UilAnswer { request_id: r.id, status, xml }))
    }

    // -----------------------------------------------------------------------------------------------------------
    // Direct reads (authority API and gate API)

    /// Reads one of our own documents for an authority or a gate entitled to `subsets`: the eFTI XML of the
    /// subsets, or (`signed`) the signed document, verified again. Reads and refusals are audited.
    ///
    /// # Errors
    /// [`EftiError::NotFound`] when there is no such document, [`EftiError::BadSubsets`] for unknown subsets,
    /// [`EftiError::NotEntitled`] when the caller is not entitled to them.
    pub async fn read(
        &self,
        who: &Principal,
        via: Via,
        dataset_id: &str,
        subsets: &[String],
        signed: bool,
        origin: &Origin,
    ) -> Result<Dataset, EftiError> {
        let not_found = || EftiError::NotFound(format!("no dataset {dataset_id} on this gateway's platform"));
        let parsed = Subsets::parse(subsets).map_err(|e| EftiError::BadSubsets(e.to_string()))?;
        let id = Uuid::try_parse(dataset_id).map_err(|_| not_found())?;
        // What is stored is read first (an unknown id is "not found" to anyone); nothing is verified or projected
        // before the entitlements are known to allow the read.
        let (doc, dataset) = if signed {
            (Some(self.store.documents.get_document(id).await?.ok_or_else(not_found)?), None)
        } else {
            (None, Some(self.store.documents.efti_dataset(id).await?.ok_or_else(not_found)?))
        };
        let details = |outcome: &str| Details {
            subsets: Some(subsets.to_vec()),
            outcome: Some(outcome.to_owned()),
            ..Details::default()
        };
        if let Some(refused) = Entitlements::of(who).first_refused(subsets) {
            let entry = Auditor::entry(who, Some(id), AuditAction::UilRefused(via), Some(&details("refused")), origin);
            self.auditor.record(vec![entry]).await?;
            return Err(EftiError::NotEntitled(if signed {
                "the signed document is only for authorities entitled to subset \"full\"".to_owned()
            } else {
                format!("this {} may not request subset {refused:?}", who.kind.as_str())
            }));
        }
        let body = match (doc, dataset) {
            (Some(doc), _) => {
                let json = doc.to_json();
                self.verify_stored(doc).await?;
                Dataset::Signed(json)
            }
            (None, Some(stored)) => {
                Dataset::Xml(self.dataset_xml_of(id, stored, &parsed, None).await?.ok_or_else(not_found)?.0)
            }
            (None, None) => return Err(not_found()),
        };
        let action = if signed { AuditAction::SignedDocumentRead(via) } else { AuditAction::UilRead(via) };
        let entry = Auditor::entry(who, Some(id), action, Some(&details("COMPLETE")), origin);
        self.auditor.record(vec![entry]).await?;
        Ok(body)
    }

    /// The signed document as stored, for an authority entitled to `full` that checks it itself (the bundle of
    /// the inspector web app): unlike [`Efti::read`] the gateway does not verify it first, so that a stored copy
    /// that was damaged reaches the reader, whose verification names the event at fault. Audited as a read of
    /// the signed document (`efti.document.read`), or its refusal.
    ///
    /// # Errors
    /// [`EftiError::NotFound`], [`EftiError::NotEntitled`] without `full`; store errors.
    pub async fn read_stored(
        &self,
        who: &Principal,
        via: Via,
        dataset_id: &str,
        origin: &Origin,
    ) -> Result<StoredDocument, EftiError> {
        let not_found = || EftiError::NotFound(format!("no dataset {dataset_id} on this gateway's platform"));
        let id = Uuid::try_parse(dataset_id).map_err(|_| not_found())?;
        let doc = self.store.documents.get_document(id).await?.ok_or_else(not_found)?;
        let subsets = vec![super::principals::FULL.to_owned()];
        let details = |outcome: &str| Details {
            subsets: Some(subsets.clone()),
            outcome: Some(outcome.to_owned()),
            ..Details::default()
        };
        if !Entitlements::of(who).is_full() {
            let entry = Auditor::entry(who, Some(id), AuditAction::UilRefused(via), Some(&details("refused")), origin);
            self.auditor.record(vec![entry]).await?;
            return Err(EftiError::NotEntitled(
                "the signed document is only for authorities entitled to subset \"full\"".to_owned(),
            ));
        }
        let entry =
            Auditor::entry(who, Some(id), AuditAction::SignedDocumentRead(via), Some(&details("COMPLETE")), origin);
        self.auditor.record(vec![entry]).await?;
        Ok(doc)
    }

    // -----------------------------------------------------------------------------------------------------------
    // Identifier search

    /// Searches this gate's consignments — our documents, then the datasets platforms registered — by the id of a
    /// means of transport, equipment or carried equipment (or records the refusal of a query that did not
    /// parse). Every hit is audited in the same commit as the stored answer.
    ///
    /// # Errors
    /// Store errors and stored datasets that no longer read.
    pub async fn search(
        &self,
        who: &Principal,
        query: Result<(IdentifierQuery, Vec<String>), RiError>,
        origin: &Origin,
    ) -> Result<SearchAnswer, EftiError> {
        let request_id = Uuid::now_v7();
        if let Ok((q, countries)) = &query
            && let Some(fed) = self.federation()
            && !fed.registry().gates.is_empty()
        {
            return self.search_federated(who, q, countries, request_id, origin).await;
        }
        let mut hits = Vec::new();
        let mut audit = Vec::new();
        let status = match query.map(|(q, _)| q) {
            Err(e) => Status::Error(e),
            Ok(q) => {
                let (found, entries) = self.search_here(who, &q, request_id, None, origin).await?;
                for f in &found {
                    hits.push(self.found_dto(&self.gate_id, f).await?);
                }
                audit = entries;
                Status::Complete
            }
        };
        let data = serde_json::to_string(&hits).map_err(|e| EftiError::Corrupt(format!("search answer: {e}")))?;
        let request = ControlRequest { data: Some(data), ..control_request(request_id, "identifiers", who, &status) };
        self.commit(Some(request), None, audit, self.auditor.control_durability()).await?;
        Ok(SearchAnswer { request_id, status, hits, gates: Vec::new() })
    }

    /// The consignments of this gate matching `q` (our documents, then the datasets platforms registered), with
    /// the audit entry of each hit; `asked_by` names the gate and its request id when another gate asked.
    async fn search_here(
        &self,
        who: &Principal,
        q: &IdentifierQuery,
        request_id: Uuid,
        asked_by: Option<(&str, &str)>,
        origin: &Origin,
    ) -> Result<(Vec<Found>, Vec<AuditEntry>), EftiError> {
        let mut found = Vec::new();
        let mut audit = Vec::new();
        let stored = to_store_query(q);
        let types: Vec<&'static str> = q.identifier_types.iter().map(|t| t.as_str()).collect();
        let details = |platform: Option<&str>, dataset: Option<&str>| Details {
            request_id: Some(request_id),
            identifier: Some(stored.value.clone()),
            identifier_type: Some(types.clone()),
            platform_id: platform.map(str::to_owned),
            dataset_id: dataset.map(str::to_owned),
            outcome: Some("COMPLETE".into()),
            peer_gate: asked_by.map(|(g, _)| g.to_owned()),
            peer_request_id: asked_by.map(|(_, r)| r.to_owned()),
            ..Details::default()
        };
        for (id, xml) in self.store.control.search_identifiers(&stored).await? {
            let Some(consignment) = self.identifiers_of(id, xml).await? else { continue };
            found.push(Found {
                consignment,
                platform_id: self.platform_id.clone(),
                dataset_id: id.to_string(),
                document: Some(id),
            });
            audit.push(Auditor::entry(who, Some(id), AuditAction::IdentifierHit, Some(&details(None, None)), origin));
        }
        let left = (SEARCH_LIMIT as usize).saturating_sub(found.len());
        let mut budget = SEARCH_ANSWER_BYTES;
        for hit in self.store.control.search_datasets(&stored).await?.into_iter().take(left) {
            let Some(rest) = budget.checked_sub(hit.xml.len()) else {
                tracing::info!(request = %request_id, answered = found.len(), "search answer cut at its byte bound");
                break;
            };
            budget = rest;
            let consignment = identifiers::parse(&hit.xml).map_err(|e| {
                EftiError::Corrupt(format!(
                    "stored dataset {}/{} no longer reads: {e}",
                    hit.platform_id, hit.dataset_id
                ))
            })?;
            let d = details(Some(&hit.platform_id), Some(&hit.dataset_id));
            audit.push(Auditor::entry(who, None, AuditAction::IdentifierHit, Some(&d), origin));
            found.push(Found { consignment, platform_id: hit.platform_id, dataset_id: hit.dataset_id, document: None });
        }
        Ok((found, audit))
    }

    /// The RI's DTO of a consignment found at gate `gate_id`; for one of our documents, with the signed times.
    async fn found_dto(&self, gate_id: &str, f: &Found) -> Result<ConsignmentApiDto, EftiError> {
        let mut hit = self.hit(gate_id, &f.platform_id, &f.dataset_id, &f.consignment);
        if let Some(id) = f.document {
            self.signed_times(id, &mut hit).await?;
        }
        Ok(hit)
    }

    /// For each consignment an identifier search found, what the inspector's result list shows of it besides its
    /// identifiers: the note number, the sender's and the carrier's names — each only where the subsets `who` may
    /// read include it — the state, and the identity mismatches accepted for it in `identity_check = "warn"` mode,
    /// never silently. `None` for a consignment that is not one of our documents (another gate's,
    /// a platform's registered dataset) or that `who` may read nothing of. Part of the search it follows, which
    /// the caller made and which is audited; nothing here is an authority read of its own.
    ///
    /// # Errors
    /// Store errors, a stored document that no longer verifies.
    pub async fn hit_notes(
        &self,
        who: &Principal,
        hits: &[ConsignmentApiDto],
    ) -> Result<Vec<Option<HitNote>>, EftiError> {
        let readable = match Entitlements::of(who) {
            Entitlements::Full => Some(super::principals::FULL.to_owned()).into_iter().collect::<Vec<_>>(),
            Entitlements::Subsets(ids) => ids,
        };
        let subsets = if readable.is_empty() { None } else { Subsets::parse(&readable).ok() };
        let mut notes = Vec::with_capacity(hits.len());
        for hit in hits {
            let ours = hit.gate_id == self.gate_id && hit.platform_id == self.platform_id;
            let id = Uuid::parse_str(&hit.dataset_id).ok().filter(|_| ours);
            let (Some(id), Some(subsets)) = (id, &subsets) else {
                notes.push(None);
                continue;
            };
            let Some((xml, _)) = self.dataset_xml(id, subsets, None).await? else {
                notes.push(None);
                continue;
            };
            // The identifier subset alone is a dataset of another schema (`consignment/identifier`), holding none
            // of the three; the common dataset reader does not take it.
            let dataset = ecmr::efti::Received::from_xml(&xml).ok();
            let text = |path: &str| dataset.as_ref().and_then(|d| d.root.text_at(path)).map(str::to_owned);
            let state = self.store.documents.summary(id).await?.map(|s| s.state);
            notes.push(Some(HitNote {
                number: text("transportContractDocument/id"),
                sender: text("consignor/name"),
                carrier: text("carrier/name"),
                state,
                identity_warnings: self.auditor.mismatches(id).await?,
            }));
        }
        Ok(notes)
    }

    /// The answer to an earlier identifier search of this authority (`None`: no such request of its own).
    ///
    /// # Errors
    /// Store errors and stored answers that no longer read.
    pub async fn earlier_search(&self, who: &Principal, raw: &str) -> Result<Option<SearchAnswer>, EftiError> {
        let Some(r) = self.own_request(who, raw, "identifiers").await? else { return Ok(None) };
        let hits = match r.data.as_deref() {
            Some(d) => serde_json::from_str(d).map_err(|e| EftiError::Corrupt(format!("stored search result: {e}")))?,
            None => Vec::new(),
        };
        let status = Status::from_stored(&r.status, r.error_code.as_deref(), r.error_description.as_deref());
        if r.status == "PENDING" || r.data.is_none() {
            // A search that went to other gates: the answer as it stands now.
            return Ok(Some(self.federated_answer(r.id).await?));
        }
        Ok(Some(SearchAnswer { request_id: r.id, status, hits, gates: Vec::new() }))
    }

    /// The identifier dataset of one of our documents for a search result, `None` when there is no such document.
    /// It is read from the full dataset text stored with it (`stored`, already fetched): the elements of the
    /// `identifier` subset are cut out of the text first, so that only they are read back.
    async fn identifiers_of(
        &self,
        id: Uuid,
        stored: Option<String>,
    ) -> Result<Option<IdentifierConsignment>, EftiError> {
        if let Some(xml) = stored {
            match ecmr::efti::filter_xml(&xml, &IDENTIFIER_PART).and_then(|text| Consignment::from_xml(&text)) {
                Ok(c) => return Ok(Some(identifiers::from_projection(&c))),
                Err(e) => {
                    tracing::warn!(document = %id, error = %e, "stored eFTI dataset unreadable; projecting again")
                }
            }
        }
        let Some(doc) = self.store.documents.get_document(id).await? else { return Ok(None) };
        Ok(Some(identifiers::from_projection(&self.projected(doc).await?)))
    }

    /// Puts into a hit about one of our documents the take-over and delivery times as the carrier and the consignee
    /// signed them, to the second: the eFTI dataset's date-time formats stop at the minute, the RI's answer does not.
    async fn signed_times(&self, id: Uuid, hit: &mut ConsignmentApiDto) -> Result<(), EftiError> {
        let Some(doc) = self.store.documents.get_document(id).await? else { return Ok(()) };
        let time_of = |kind: &str| {
            let event = doc.events.iter().find(|e| e.kind == kind)?;
            let body: serde_json::Value = serde_json::from_str(&event.body).ok()?;
            let time = chrono::DateTime::parse_from_rfc3339(body.get("data")?.get("time")?.as_str()?).ok()?;
            Some(time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        };
        if hit.carrier_acceptance_datetime.is_some()
            && let Some(t) = time_of("taken_over")
        {
            hit.carrier_acceptance_datetime = Some(t);
        }
        if hit.delivery_event_actual_occurrence_datetime.is_some()
            && let Some(t) = time_of("delivered")
        {
            hit.delivery_event_actual_occurrence_datetime = Some(t);
        }
        Ok(())
    }

    /// One search result from the identifier dataset of a consignment: ours (projected) or one an external
    /// platform registered, so that both answer alike.
    fn hit(&self, gate_id: &str, platform_id: &str, dataset_id: &str, c: &IdentifierConsignment) -> ConsignmentApiDto {
        let id = |i: &Option<identifiers::Identifier>| i.as_ref().map(|i| i.value.clone()).unwrap_or_default();
        let seq = |n: Option<i64>, pos: i32| n.and_then(|n| i32::try_from(n).ok()).unwrap_or(pos);
        ConsignmentApiDto {
            gate_id: gate_id.to_owned(),
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

    // -----------------------------------------------------------------------------------------------------------
    // Follow-ups

    /// Stores an authority's follow-up message about a complete UIL request of its own; the document's parties
    /// read it. The message and the request id are checked in the RI's order.
    ///
    /// # Errors
    /// Store errors. A message that cannot be taken is `Ok(Err(…))` with the RI's code.
    pub async fn follow_up(
        &self,
        who: &Principal,
        message: Option<&str>,
        raw_request_id: Option<&str>,
        origin: &Origin,
    ) -> Result<Result<(), RiError>, EftiError> {
        let Some(message) = message.filter(|m| !m.trim().is_empty()) else {
            return Ok(Err(RiError::new(RiCode::DefaultError, "Missing parameter message")));
        };
        if message.chars().count() > NOTE_MAX {
            return Ok(Err(RiError::new(RiCode::NoteTooLong, "Note max length is 255 characters.")));
        }
        let Some(raw_request_id) = raw_request_id else {
            return Ok(Err(RiError::new(RiCode::IdNotFound, "Missing parameter requestId")));
        };
        let request = self.own_request(who, raw_request_id, "uil").await?;
        if let Some(r) = &request
            && r.status == "PENDING"
        {
            return self.forward_follow_up(who, r, message, origin).await;
        }
        let Some((request, document_id)) = request.and_then(|r| r.document_id.map(|d| (r, d))) else {
            return Ok(Err(id_not_found(raw_request_id)));
        };
        if request.status != "COMPLETE" {
            let why = format!("request {raw_request_id} returned no data to follow up");
            return Ok(Err(RiError::new(RiCode::IdNotFound, why)));
        }
        let details = Details {
            request_id: Some(request.id),
            subsets: Some(split_subsets(&request.subsets)),
            message: Some(message.to_owned()),
            outcome: Some("sent".into()),
            ..Details::default()
        };
        let action = AuditAction::FollowUp(Via::Authority);
        let audit = vec![Auditor::entry(who, Some(document_id), action, Some(&details), origin)];
        let follow_up = FollowUp {
            request_id: request.id,
            document_id,
            principal_id: who.id,
            message: message.to_owned(),
            at: now(),
        };
        // A message to the document's parties is flushed like their documents are.
        self.commit(None, Some(follow_up), audit, Durability::Full).await?;
        Ok(Ok(()))
    }

    /// Stores a follow-up message a gate passes on about one of our documents (stored against a request of its
    /// own, as an authority's is).
    ///
    /// # Errors
    /// [`EftiError::NotFound`] when there is no such document; store errors.
    pub async fn gate_follow_up(
        &self,
        who: &Principal,
        dataset_id: &str,
        message: String,
        origin: &Origin,
    ) -> Result<(), EftiError> {
        let not_found = || EftiError::NotFound(format!("no dataset {dataset_id} on this gateway's platform"));
        let id = Uuid::try_parse(dataset_id).map_err(|_| not_found())?;
        if self.stored_id(id).await?.is_none() {
            return Err(not_found());
        }
        self.store_gate_follow_up(Uuid::now_v7(), who, id, message, None, origin).await
    }

    /// Stores a follow-up message a gate passes on about our document `document_id`, against a request of the
    /// gate's own (`request_id`), audited; `asked_by` names the asking gate and its request id when the message
    /// came over the federation.
    async fn store_gate_follow_up(
        &self,
        request_id: Uuid,
        who: &Principal,
        document_id: Uuid,
        message: String,
        asked_by: Option<(&str, &str)>,
        origin: &Origin,
    ) -> Result<(), EftiError> {
        let request = ControlRequest {
            document_id: Some(document_id),
            ..control_request(request_id, "uil", who, &Status::Complete)
        };
        let details = Details {
            request_id: Some(request_id),
            message: Some(message.clone()),
            peer_gate: asked_by.map(|(gate, _)| gate.to_owned()),
            peer_request_id: asked_by.map(|(_, request)| request.to_owned()),
            outcome: Some("sent".into()),
            ..Details::default()
        };
        let audit =
            vec![Auditor::entry(who, Some(document_id), AuditAction::FollowUp(Via::Gate), Some(&details), origin)];
        let at = request.created_at;
        let follow_up = FollowUp { request_id, document_id, principal_id: who.id, message, at };
        self.commit(Some(request), Some(follow_up), audit, Durability::Full).await
    }

    // -----------------------------------------------------------------------------------------------------------
    // Platform registrations

    /// Registers (or replaces) the identifier dataset `body` of a platform's consignment `dataset_id` under the
    /// platform's id, with its index rows; returns whether it replaced an earlier registration.
    ///
    /// # Errors
    /// [`RegisterError`] for a dataset id or body that cannot be taken; store errors.
    pub async fn register_dataset(
        &self,
        platform: &Principal,
        dataset_id: &str,
        body: &[u8],
        origin: &Origin,
    ) -> Result<bool, RegisterError> {
        let platform_id = platform_id_of(platform).ok_or(RegisterError::NoPlatformId)?;
        if !super::uil::is_id(dataset_id) {
            return Err(RegisterError::DatasetId(dataset_id.to_owned()));
        }
        if body.len() > MAX_DATASET_BYTES {
            return Err(RegisterError::TooLarge(body.len()));
        }
        let text = std::str::from_utf8(body).map_err(|_| RegisterError::NotUtf8)?;
        let consignment = identifiers::parse(text)?;
        let equipment: usize =
            consignment.used_transport_equipment.iter().map(|e| 1 + e.carried_transport_equipment.len()).sum();
        if equipment > MAX_DATASET_ITEMS {
            return Err(RegisterError::TooMany { what: "pieces of transport equipment", count: equipment });
        }
        let movements = consignment.main_carriage_transport_movements.len();
        if movements > MAX_DATASET_ITEMS {
            return Err(RegisterError::TooMany { what: "transport movements", count: movements });
        }
        let rows: Vec<PlatformIdentifier> = index_keys(&consignment)
            .into_iter()
            .map(|k| PlatformIdentifier {
                kind: stored_kind(k.identifier_type).to_owned(),
                value: k.identifier,
                country: Some(k.registration_country),
                mode_code: k.mode_code,
                dangerous_goods: k.dangerous_goods_indicator,
            })
            .collect();
        let details = Details {
            platform_id: Some(platform_id.to_owned()),
            dataset_id: Some(dataset_id.to_owned()),
            identifiers: Some(rows.len()),
            ..Details::default()
        };
        let audit = Auditor::entry(platform, None, AuditAction::DatasetRegistered, Some(&details), origin);
        let dataset = PlatformDataset {
            platform_id: platform_id.to_owned(),
            dataset_id: dataset_id.to_owned(),
            principal_id: platform.id,
            xml: text.to_owned(),
            identifiers: rows,
            updated_at: audit.at,
        };
        Ok(self.store.control.put_dataset(&dataset, &audit).await?)
    }

    // -----------------------------------------------------------------------------------------------------------
    // Datasets

    /// The full eFTI dataset of one of our documents as it stands, `None` when there is no such document. Not an
    /// authority read and not audited: for views of a document that its own parties gave (share links).
    ///
    /// # Errors
    /// Store errors, a stored document that no longer verifies.
    pub async fn full_dataset(&self, id: Uuid) -> Result<Option<String>, EftiError> {
        let full = Subsets::parse([super::principals::FULL]).map_err(|e| EftiError::BadSubsets(e.to_string()))?;
        Ok(self.dataset_xml(id, &full, None).await?.map(|(xml, _)| xml))
    }

    /// The eFTI XML of one of our documents for `subsets` with the seq of the last event it reflects, `None` when
    /// there is no such document; with `at`, as it was when its last event was that seq.
    async fn dataset_xml(
        &self,
        id: Uuid,
        subsets: &Subsets,
        at: Option<i64>,
    ) -> Result<Option<(String, i64)>, EftiError> {
        let Some(stored) = self.store.documents.efti_dataset(id).await? else { return Ok(None) };
        self.dataset_xml_of(id, stored, subsets, at).await
    }

    /// [`Efti::dataset_xml`] of a document whose stored dataset was read.
    async fn dataset_xml_of(
        &self,
        id: Uuid,
        stored: StoredDataset,
        subsets: &Subsets,
        at: Option<i64>,
    ) -> Result<Option<(String, i64)>, EftiError> {
        if at.is_none_or(|seq| seq == stored.last_seq)
            && let Some(xml) = &stored.xml
        {
            match ecmr::efti::filter_xml(xml, subsets) {
                Ok(out) => return Ok(Some((out.into_owned(), stored.last_seq))),
                Err(e) => {
                    tracing::warn!(document = %id, error = %e, "stored eFTI dataset unreadable; projecting again")
                }
            }
        }
        let Some(mut doc) = self.store.documents.get_document(id).await? else { return Ok(None) };
        let mut seq = doc.summary.last_seq;
        if let Some(at) = at {
            // The chain is append-only: its events up to `at` are the document as it was.
            let keep = usize::try_from(at).ok().and_then(|s| s.checked_add(1)).filter(|&n| n <= doc.events.len());
            let Some(keep) = keep else {
                return Err(EftiError::Corrupt(format!("document {id} has no event {at} any more")));
            };
            doc.events.truncate(keep);
            seq = at;
        }
        Ok(Some((self.projected(doc).await?.to_xml(subsets), seq)))
    }

    /// A stored document (or a prefix of its chain) verified again and projected.
    async fn projected(&self, doc: StoredDocument) -> Result<Consignment, EftiError> {
        let verified = self.verify_stored(doc).await?;
        ecmr::efti::project(&verified).map_err(|e| EftiError::Corrupt(format!("projection: {e}")))
    }

    /// A stored document (or a prefix of its chain) verified again, so that nothing is answered that does not
    /// verify; a long chain on the bounded pool.
    async fn verify_stored(
        &self,
        doc: StoredDocument,
    ) -> Result<ecmr::verify::Verified<ecmr::document::Document>, EftiError> {
        let (id, upto) = (doc.summary.id, doc.events.len());
        let json = doc.to_json();
        let verified = self
            .work
            .run(Size::of_chain(upto), move |verifier| verifier.verify(json.as_bytes(), None))
            .await
            .map_err(|e| EftiError::Corrupt(e.to_string()))?;
        verified.map_err(|e| {
            EftiError::Corrupt(format!("stored document {id} (events up to #{upto}) no longer verifies: {e}"))
        })
    }

    /// The id of a stored document, if there is one.
    async fn stored_id(&self, id: Uuid) -> Result<Option<Uuid>, EftiError> {
        Ok(self.store.documents.summary(id).await?.map(|_| id))
    }

    /// A stored request of this principal and kind; another principal's request is "not found".
    async fn own_request(&self, who: &Principal, raw: &str, kind: &str) -> Result<Option<ControlRequest>, EftiError> {
        let Ok(id) = Uuid::try_parse(raw.trim()) else { return Ok(None) };
        Ok(self.store.control.get_request(id).await?.filter(|r| r.principal_id == who.id && r.kind == kind))
    }

    async fn commit(
        &self,
        request: Option<ControlRequest>,
        follow_up: Option<FollowUp>,
        audit: Vec<AuditEntry>,
        durability: Durability,
    ) -> Result<(), EftiError> {
        Ok(self.auditor.commit(ControlWrite { request, follow_up, audit, durability }).await?)
    }
}

/// `ID_NOT_FOUND` for a request id that is not one of the caller's.
pub fn id_not_found(raw: &str) -> RiError {
    RiError::new(RiCode::IdNotFound, format!("no request {raw:?} of this authority"))
}

fn split_subsets(stored: &str) -> Vec<String> {
    stored.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

/// The status of a UIL request's answer and the audit action that records it, for a request that came `via`.
fn uil_outcome<T>(answer: &Result<T, RiError>, via: Via) -> (Status, AuditAction) {
    match answer {
        Ok(_) => (Status::Complete, AuditAction::UilRead(via)),
        Err(e) if e.code == RiCode::SubsetNotAllowed => (Status::Error(e.clone()), AuditAction::UilRefused(via)),
        Err(e) => (Status::Error(e.clone()), AuditAction::UilFailed),
    }
}

fn error_parts(status: &Status) -> (Option<String>, Option<String>) {
    match status {
        Status::Error(e) => (Some(e.code.as_str().to_owned()), Some(e.description.clone())),
        _ => (None, None),
    }
}

/// A `kind` request (`uil` or `identifiers`) of `who`, answered now with `status`; no document, subsets or answer
/// (callers add theirs with struct update syntax).
fn control_request(id: Uuid, kind: &str, who: &Principal, status: &Status) -> ControlRequest {
    let (error_code, error_description) = error_parts(status);
    ControlRequest {
        id,
        kind: kind.to_owned(),
        principal_id: who.id,
        document_id: None,
        subsets: String::new(),
        status: status.as_str().to_owned(),
        error_code,
        error_description,
        data: None,
        answered_seq: None,
        created_at: now(),
    }
}

/// The store's form of a validated query: the identifier normalised as the index rows are, types as stored kinds.
fn to_store_query(q: &IdentifierQuery) -> crate::store::IdentifierQuery {
    let mut kinds: Vec<String> = Vec::new();
    for t in &q.identifier_types {
        let kind = stored_kind(*t);
        if !kinds.iter().any(|k| k == kind) {
            kinds.push(kind.to_owned());
        }
    }
    crate::store::IdentifierQuery {
        value: normalise(&q.identifier),
        kinds,
        mode_code: q.mode_code.clone(),
        country: q.registration_country_code.clone(),
        dangerous_goods: q.dangerous_goods_indicator,
        limit: SEARCH_LIMIT,
    }
}
