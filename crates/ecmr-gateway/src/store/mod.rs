//! Storage behind one trait per concern: documents with their events, principals with their tokens, and the audit
//! log. Two implementations share the SQL in the `queries` module: SQLite ([`sqlite`], the embedded default, with group
//! commit) and PostgreSQL ([`postgres`]).
//!
//! Events and audit entries are append-only: no method updates or deletes them, and the schemas refuse it with
//! triggers.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

pub mod postgres;
mod queries;
pub mod sqlite;
mod sqlite_direct;
mod writer;

/// Why a store operation failed. These are the gateway's own faults, never the client's.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database refused or failed a statement.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// The schema could not be brought up to date.
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A batch commit failed; every write in the batch was rolled back.
    #[error("commit failed: {0}")]
    Commit(String),
    /// The writer has shut down.
    #[error("the store is closed")]
    Closed,
    /// The embedded database refused or failed a read.
    #[error("database: {0}")]
    Embedded(String),
    /// A stored value cannot be read back.
    #[error("corrupt record: {0}")]
    Corrupt(String),
    /// The database URL is not one the gateway knows.
    #[error("unsupported database URL (expected sqlite:… or postgres://…): {0}")]
    UnsupportedUrl(String),
}

/// Result of a store operation.
pub type StoreResult<T> = Result<T, StoreError>;

/// Formats a time the way the store keeps it: UTC, microseconds, fixed width, so text order is time order.
pub fn format_time(t: DateTime<Utc>) -> String {
    use chrono::{Datelike as _, Timelike as _};
    use std::fmt::Write as _;
    let (year, nanos) = (t.year(), t.nanosecond());
    if !(0..=9999).contains(&year) || nanos >= 1_000_000_000 {
        // Years of other widths and leap seconds, as chrono writes them.
        return t.format(TIME_FORMAT).to_string();
    }
    // Written field by field: this runs several times per request, and a format string is parsed on every use.
    let mut s = String::with_capacity(27);
    let _ = write!(
        s,
        "{year:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        nanos / 1_000
    );
    s
}

/// What [`format_time`] writes, as a chrono format.
const TIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.6fZ";

/// Reads a time written by [`format_time`].
///
/// # Errors
/// [`StoreError::Corrupt`] when the text is not such a time.
pub fn parse_time(s: &str) -> StoreResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Corrupt(format!("time {s:?}: {e}")))
}

/// The current time, truncated to what the store keeps (microseconds).
pub fn now() -> DateTime<Utc> {
    use chrono::Timelike as _;
    let t = Utc::now();
    t.with_nanosecond(t.nanosecond() / 1_000 * 1_000).unwrap_or(t)
}

// ---------------------------------------------------------------------------------------------------------------
// Documents

/// How a key relates to a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyRelation {
    /// The key signed one of the document's events.
    Signer,
    /// The note pins the key for a role.
    Pinned,
}

impl KeyRelation {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyRelation::Signer => "signer",
            KeyRelation::Pinned => "pinned",
        }
    }
}

/// A key linked to a document, in a role (`sender`, `carrier`, …).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DocumentKey {
    /// Key id: lowercase hex SHA-256 of the 32 public-key bytes.
    pub key_id: String,
    /// The role the key signs or is pinned for.
    pub role: String,
    /// Signer or pinned.
    pub relation: KeyRelation,
}

/// A vehicle or equipment identifier of a document, for roadside searches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identifier {
    /// `vehicle`, `equipment` or `carried_equipment`.
    pub kind: String,
    /// The identifier, upper-case without spaces or dashes.
    pub value: String,
    /// Registration country, when known.
    pub country: Option<String>,
    /// Transport mode code, when known.
    pub mode_code: Option<String>,
    /// Whether the consignment carries dangerous goods.
    pub dangerous_goods: bool,
}

/// One verified event ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    /// Position in the chain, from 0.
    pub seq: i64,
    /// Event kind (`issued`, `taken_over`, …).
    pub kind: String,
    /// Role of the signer.
    pub role: String,
    /// Key id of the signer.
    pub signer_key_id: String,
    /// `sha256:<hex>` of the event's canonical form, signature included (the next event's `prev`).
    pub digest: String,
    /// The event as submitted (JSON).
    pub body: String,
}

/// A verified document ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDocument {
    /// The document id (the eFTI datasetId).
    pub id: Uuid,
    /// `sha256:<hex>` of the canonical form of the whole submitted document: equal digests are the same submission.
    pub content_digest: String,
    /// The note number (box "number"), unique per sender.
    pub note_number: String,
    /// Who the sender is, for note-number uniqueness: `party:<principal id>` when the key that signed `issued` is
    /// bound to a party principal, else `key:<key id>` (see [`sender_ref`]).
    pub sender_ref: String,
    /// The note as issued (JSON).
    pub note_json: String,
    /// Lifecycle state after the last event.
    pub state: String,
    /// The events, seq 0 first.
    pub events: Vec<NewEvent>,
    /// Keys that signed or are pinned.
    pub keys: Vec<DocumentKey>,
    /// Vehicle and equipment identifiers.
    pub identifiers: Vec<Identifier>,
    /// The eFTI common dataset (`full`) of the document, when it reads back exactly (see the `efti_xml` column).
    pub efti_xml: Option<String>,
    /// Principal that submitted it.
    pub submitted_by: Uuid,
    /// When it was received.
    pub received_at: DateTime<Utc>,
}

/// A document's head: what changes as events are appended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentSummary {
    /// The document id.
    pub id: Uuid,
    /// The note number.
    pub note_number: String,
    /// Lifecycle state after the last event.
    pub state: String,
    /// Seq of the last event.
    pub last_seq: i64,
    /// Digest of the last event.
    pub last_event_digest: String,
    /// When the document was first received.
    pub received_at: DateTime<Utc>,
    /// When the last event was appended.
    pub updated_at: DateTime<Utc>,
}

/// A stored event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    /// Position in the chain.
    pub seq: i64,
    /// Event kind.
    pub kind: String,
    /// Role of the signer.
    pub role: String,
    /// Key id of the signer.
    pub signer_key_id: String,
    /// Digest of the event.
    pub digest: String,
    /// The event as submitted (JSON).
    pub body: String,
    /// When the gateway received it.
    pub received_at: DateTime<Utc>,
}

/// A whole stored document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDocument {
    /// The head.
    pub summary: DocumentSummary,
    /// Digest of the original submission.
    pub content_digest: String,
    /// The note as issued (JSON).
    pub note_json: String,
    /// Every event, in order.
    pub events: Vec<StoredEvent>,
    /// Keys that signed or are pinned.
    pub keys: Vec<DocumentKey>,
}

impl StoredDocument {
    /// The signed document as JSON: `{format, id, note, events}` with the note and the events as stored.
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(
            self.note_json.len() + self.events.iter().map(|e| e.body.len() + 1).sum::<usize>() + 96,
        );
        out.push_str("{\"format\":\"ecmr-document/1\",\"id\":\"");
        out.push_str(&self.summary.id.to_string());
        out.push_str("\",\"note\":");
        out.push_str(&self.note_json);
        out.push_str(",\"events\":[");
        for (i, e) in self.events.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&e.body);
        }
        out.push_str("]}");
        out
    }
}

/// A document's stored eFTI common dataset (see [`NewDocument::efti_xml`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDataset {
    /// The full dataset as XML; `None` when the document has none stored.
    pub xml: Option<String>,
    /// The seq of the document's last event, the state the dataset is of.
    pub last_seq: i64,
}

/// What happened to a document submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InsertOutcome {
    /// Stored now.
    Created(DocumentSummary),
    /// The same content was stored before; nothing changed.
    Identical(DocumentSummary),
    /// A document with that id and other content exists.
    IdTaken,
    /// The sender already used that note number for another document.
    NoteNumberTaken {
        /// The document that has it.
        existing: Uuid,
    },
}

/// One event to append, verified against the chain it extends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventAppend {
    /// The document.
    pub document_id: Uuid,
    /// The event; its `seq` must be the document's `last_seq + 1`.
    pub event: NewEvent,
    /// State after the event.
    pub state: String,
    /// New keys (the signer, keys pinned by an amendment).
    pub keys: Vec<DocumentKey>,
    /// The vehicle and equipment identifiers of the note after the event; they replace the stored ones (an
    /// amendment may change the vehicle).
    pub identifiers: Vec<Identifier>,
    /// The eFTI common dataset after the event, replacing the stored one (see [`NewDocument::efti_xml`]).
    pub efti_xml: Option<String>,
    /// Principal that submitted it.
    pub submitted_by: Uuid,
    /// When it was received.
    pub received_at: DateTime<Utc>,
}

/// What happened to an append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppendOutcome {
    /// Appended now.
    Appended(DocumentSummary),
    /// The same event is already at that seq; nothing changed.
    Identical(DocumentSummary),
    /// Another event already holds that seq (or the chain moved on): nothing was written.
    SeqTaken {
        /// The document's last seq now.
        last_seq: i64,
    },
    /// No such document.
    NotFound,
}

/// Filters and paging for listing a party's documents.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListQuery {
    /// Documents linked to any of these keys.
    pub key_ids: Vec<String>,
    /// Only this state.
    pub state: Option<String>,
    /// Only where one of the keys is linked in this role.
    pub role: Option<String>,
    /// Only documents updated at or after this time.
    pub updated_since: Option<DateTime<Utc>>,
    /// Start after this `(updated_at, id)`.
    pub after: Option<(DateTime<Utc>, Uuid)>,
    /// At most this many.
    pub limit: u32,
}

/// Documents and their events. Storing a document or an event also records it in the audit log
/// (`document.created`, `event.appended`) in the same transaction.
#[async_trait]
pub trait DocumentStore: Send + Sync {
    /// Stores a verified document, idempotently.
    async fn insert_document(&self, doc: NewDocument) -> StoreResult<InsertOutcome>;
    /// Appends a verified event if its seq is still free.
    async fn append_event(&self, append: EventAppend) -> StoreResult<AppendOutcome>;
    /// Reads a whole document.
    async fn get_document(&self, id: Uuid) -> StoreResult<Option<StoredDocument>>;
    /// Whether any of the keys is linked to the document.
    async fn is_linked(&self, id: Uuid, key_ids: &[String]) -> StoreResult<bool>;
    /// A page of documents linked to the given keys, ordered by `(updated_at, id)`.
    async fn list_documents(&self, query: &ListQuery) -> StoreResult<Vec<DocumentSummary>>;
    /// How many documents are stored.
    async fn count_documents(&self) -> StoreResult<i64>;
    /// The identifiers stored for a document.
    async fn identifiers(&self, id: Uuid) -> StoreResult<Vec<Identifier>>;
    /// The stored eFTI common dataset of a document with the seq it reflects: `None` when there is no such
    /// document.
    async fn efti_dataset(&self, id: Uuid) -> StoreResult<Option<StoredDataset>>;
}

// ---------------------------------------------------------------------------------------------------------------
// Principals

/// What a principal is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
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
    /// An operator of this gateway.
    Admin,
}

impl PrincipalKind {
    /// The stored name.
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

/// A public key bound to a party.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct PrincipalKey {
    /// Lowercase hex SHA-256 of the 32 key bytes.
    pub key_id: String,
    /// The Ed25519 public key, base64url without padding.
    pub public_key: String,
}

/// Someone who may call the gateway.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Principal {
    /// Principal id.
    pub id: Uuid,
    /// What it is.
    pub kind: PrincipalKind,
    /// Display name.
    pub name: String,
    /// Kind-specific details, e.g. an authority's country and legal contact (eFTI AuthorityDto).
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    /// Bound public keys (parties).
    pub keys: Vec<PrincipalKey>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A stored token's metadata (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct TokenInfo {
    /// Token id (not secret).
    pub id: Uuid,
    /// Whose it is.
    pub principal_id: Uuid,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it stops working, if ever.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A new token to store: only its SHA-256 is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewToken {
    /// Token id.
    pub id: Uuid,
    /// Lowercase hex SHA-256 of the token text.
    pub token_sha256: String,
    /// Whose it is.
    pub principal_id: Uuid,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it stops working.
    pub expires_at: Option<DateTime<Utc>>,
}

/// Principals, their keys and tokens.
#[async_trait]
pub trait PrincipalStore: Send + Sync {
    /// Stores a new principal with its keys and first token.
    async fn add_principal(&self, principal: &Principal, token: &NewToken) -> StoreResult<()>;
    /// Adds a token to a principal.
    async fn add_token(&self, token: &NewToken) -> StoreResult<()>;
    /// Every principal, oldest first.
    async fn list_principals(&self) -> StoreResult<Vec<Principal>>;
    /// One principal.
    async fn get_principal(&self, id: Uuid) -> StoreResult<Option<Principal>>;
    /// Revokes a principal and all its tokens; false if there is no such active principal.
    async fn revoke_principal(&self, id: Uuid, at: DateTime<Utc>) -> StoreResult<bool>;
    /// Replaces the details of an active principal; false if there is no such active principal.
    async fn set_details(&self, id: Uuid, details: &serde_json::Value) -> StoreResult<bool>;
    /// Revokes one token; false if there is no such active token.
    async fn revoke_token(&self, id: Uuid, at: DateTime<Utc>) -> StoreResult<bool>;
    /// The tokens of a principal.
    async fn list_tokens(&self, principal_id: Uuid) -> StoreResult<Vec<TokenInfo>>;
    /// The principal owning a token, if the token and principal are active at `at`.
    async fn authenticate(&self, token_sha256: &str, at: DateTime<Utc>) -> StoreResult<Option<Principal>>;
    /// How many principals exist (revoked included).
    async fn count_principals(&self) -> StoreResult<i64>;
    /// The active principal a public key (by key id) is bound to, if any.
    async fn key_owner(&self, key_id: &str) -> StoreResult<Option<Uuid>>;
}

// ---------------------------------------------------------------------------------------------------------------
// Audit

/// What was done.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct AuditEntry {
    /// When.
    pub at: DateTime<Utc>,
    /// The document concerned, if any.
    pub document_id: Option<Uuid>,
    /// Who.
    pub principal_id: Uuid,
    /// What kind of principal.
    pub principal_kind: PrincipalKind,
    /// What (`document.created`, `document.read`, `event.appended`, …).
    pub action: String,
    /// Why, as the caller stated it (authorities must).
    pub reason: Option<String>,
    /// Request id, to find the log lines.
    pub request_id: Option<String>,
}

/// The append-only audit log.
#[async_trait]
pub trait AuditLog: Send + Sync {
    /// Appends an entry; returns when it is durable.
    async fn append(&self, entry: AuditEntry) -> StoreResult<()>;
    /// The entries for a document, oldest first.
    async fn for_document(&self, id: Uuid) -> StoreResult<Vec<AuditEntry>>;
    /// The entries of one principal's actions, oldest first.
    async fn for_principal(&self, id: Uuid) -> StoreResult<Vec<AuditEntry>>;
}

// ---------------------------------------------------------------------------------------------------------------
// eFTI control requests

/// An authority's request (UIL or identifier query) with the answer the gateway gave, kept so that
/// `GET …?requestId=` returns the same result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlRequest {
    /// The eFTI requestId.
    pub id: Uuid,
    /// `uil` or `identifiers`.
    pub kind: String,
    /// The authority that asked.
    pub principal_id: Uuid,
    /// The document asked for, when the request named a stored one.
    pub document_id: Option<Uuid>,
    /// Subset ids asked for, comma-separated (UIL requests).
    pub subsets: String,
    /// `PENDING`, `COMPLETE`, `ERROR` or `TIMEOUT`.
    pub status: String,
    /// RI error code, for `ERROR`.
    pub error_code: Option<String>,
    /// What went wrong, for `ERROR`.
    pub error_description: Option<String>,
    /// The answer: base64 of the XML (UIL) or the JSON of the results (identifiers). `None` for a UIL answer
    /// recorded with [`ControlRequest::answered_seq`].
    pub data: Option<String>,
    /// For a UIL answer not kept in `data`: the seq of the document's last event when it was answered. The answer
    /// is the dataset of the document with its events up to this one, which the append-only chain keeps.
    pub answered_seq: Option<i64>,
    /// When it was asked.
    pub created_at: DateTime<Utc>,
}

/// A follow-up message of an authority about a control.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FollowUp {
    /// The control request it follows up.
    pub request_id: Uuid,
    /// The document concerned.
    pub document_id: Uuid,
    /// The authority that sent it.
    pub principal_id: Uuid,
    /// The message.
    pub message: String,
    /// When it was received.
    pub at: DateTime<Utc>,
}

/// What an identifier search looks for. `value` is normalised like the stored identifiers (upper case, letters
/// and digits only).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdentifierQuery {
    /// The normalised identifier.
    pub value: String,
    /// Stored kinds to match (`vehicle`, `equipment`, `carried_equipment`); empty means all.
    pub kinds: Vec<String>,
    /// Only consignments of this transport mode.
    pub mode_code: Option<String>,
    /// Only identifiers registered in this country (carried equipment has no registration country, so never).
    pub country: Option<String>,
    /// Only consignments with (true) or without (false) dangerous goods.
    pub dangerous_goods: Option<bool>,
    /// At most this many documents.
    pub limit: u32,
}

/// An identifier dataset registered by an external platform, with its index rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformDataset {
    /// The registering platform's eFTI platform id.
    pub platform_id: String,
    /// The dataset id the platform chose.
    pub dataset_id: String,
    /// The platform principal that registered it.
    pub principal_id: Uuid,
    /// The identifier XML as received.
    pub xml: String,
    /// Its index rows.
    pub identifiers: Vec<PlatformIdentifier>,
    /// When it was (last) registered.
    pub updated_at: DateTime<Utc>,
}

/// One index row of a registered dataset (from `ecmr::efti::search::index_keys`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformIdentifier {
    /// `vehicle`, `equipment` or `carried_equipment`.
    pub kind: String,
    /// The normalised identifier.
    pub value: String,
    /// Registration country of the means or equipment.
    pub country: Option<String>,
    /// Mode code of the movement; `None` for equipment of a dataset without movements.
    pub mode_code: Option<String>,
    /// Dangerous-goods flag of the movement; `None` as for `mode_code`.
    pub dangerous_goods: Option<bool>,
}

/// A registered dataset found by an identifier search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformHit {
    /// The registering platform's eFTI platform id.
    pub platform_id: String,
    /// The dataset id.
    pub dataset_id: String,
    /// The identifier XML as received.
    pub xml: String,
}

/// How durable a write is when the store reports it done.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Durability {
    /// On disk (the commit is flushed with fsync): survives a power loss. Documents and events are always
    /// written so.
    #[default]
    Full,
    /// In the database's write-ahead log but not yet flushed: survives a crash or kill of the gateway, and is
    /// flushed with the next [`Durability::Full`] commit or checkpoint (SQLite checkpoints every second), or by
    /// PostgreSQL's WAL writer (`synchronous_commit = off`, within 3 × `wal_writer_delay`). A power loss may lose
    /// the last of these writes.
    Normal,
}

impl std::str::FromStr for Durability {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "full" => Ok(Durability::Full),
            "normal" => Ok(Durability::Normal),
            other => Err(format!("unknown durability {other:?} (expected full or normal)")),
        }
    }
}

/// What one authority request writes, committed together: the request with its answer, a follow-up message, and
/// the audit entries saying who read what.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ControlWrite {
    /// The request and its answer.
    pub request: Option<ControlRequest>,
    /// A follow-up message.
    pub follow_up: Option<FollowUp>,
    /// Audit entries.
    pub audit: Vec<AuditEntry>,
    /// How durable it must be before [`ControlStore::record`] returns.
    pub durability: Durability,
}

/// Authority requests, their answers and follow-up messages. Writes go through the group-committing writer (a
/// batch of them together, each [`ControlWrite`] standing or falling as a whole), so that an answer is never sent
/// before its audit entries are committed, as durably as [`ControlWrite::durability`] asks.
#[async_trait]
pub trait ControlStore: Send + Sync {
    /// Writes a request, follow-up and audit entries in one commit; returns when they are as durable as
    /// `write.durability` asks.
    async fn record(&self, write: ControlWrite) -> StoreResult<()>;
    /// Stores a request with its answer.
    async fn put_request(&self, request: &ControlRequest) -> StoreResult<()> {
        self.record(ControlWrite { request: Some(request.clone()), ..ControlWrite::default() }).await
    }
    /// One request.
    async fn get_request(&self, id: Uuid) -> StoreResult<Option<ControlRequest>>;
    /// Stores a follow-up message.
    async fn add_follow_up(&self, follow_up: &FollowUp) -> StoreResult<()> {
        self.record(ControlWrite { follow_up: Some(follow_up.clone()), ..ControlWrite::default() }).await
    }
    /// The follow-up messages about a document, oldest first.
    async fn follow_ups(&self, document_id: Uuid) -> StoreResult<Vec<FollowUp>>;
    /// Documents with a matching identifier, each with its stored eFTI common dataset (see
    /// [`DocumentStore::efti_dataset`]), ordered by document id.
    async fn search_identifiers(&self, query: &IdentifierQuery) -> StoreResult<Vec<(Uuid, Option<String>)>>;
    /// Registers or replaces an external platform's dataset with its index rows and the audit entry, in one
    /// transaction; returns whether it replaced an earlier registration.
    async fn put_dataset(&self, dataset: &PlatformDataset, audit: &AuditEntry) -> StoreResult<bool>;
    /// Registered datasets with a matching index row, ordered by platform and dataset id.
    async fn search_datasets(&self, query: &IdentifierQuery) -> StoreResult<Vec<PlatformHit>>;
}

// ---------------------------------------------------------------------------------------------------------------

/// The store as the gateway uses it: one handle per concern plus health and shutdown.
#[derive(Clone)]
pub struct Store {
    /// Documents and events.
    pub documents: Arc<dyn DocumentStore>,
    /// Principals and tokens.
    pub principals: Arc<dyn PrincipalStore>,
    /// The audit log.
    pub audit: Arc<dyn AuditLog>,
    /// eFTI authority requests and follow-ups.
    pub control: Arc<dyn ControlStore>,
    backend: Arc<dyn Backend>,
}

/// Health and lifecycle of a store implementation.
#[async_trait]
pub trait Backend: Send + Sync {
    /// `sqlite` or `postgres`.
    fn name(&self) -> &'static str;
    /// Whether the database answers.
    async fn ping(&self) -> StoreResult<()>;
    /// Finishes pending writes and closes connections.
    async fn close(&self);
}

impl Store {
    /// Builds a store from one implementation of every concern.
    pub fn new<T>(inner: Arc<T>) -> Self
    where
        T: DocumentStore + PrincipalStore + AuditLog + ControlStore + Backend + 'static,
    {
        Store {
            documents: inner.clone(),
            principals: inner.clone(),
            audit: inner.clone(),
            control: inner.clone(),
            backend: inner,
        }
    }

    /// Opens the store at a database URL (`sqlite:path` or `postgres://…`), creating and migrating it.
    ///
    /// # Errors
    /// When the database cannot be opened or migrated, or the URL is of another kind.
    pub async fn open(url: &str) -> StoreResult<Store> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Store::new(Arc::new(postgres::PgStore::connect(url).await?)))
        } else if let Some(path) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
            Ok(Store::new(Arc::new(sqlite::SqliteStore::open(std::path::Path::new(path)).await?)))
        } else {
            Err(StoreError::UnsupportedUrl(url.to_owned()))
        }
    }

    /// `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        self.backend.name()
    }

    /// Whether the database answers.
    ///
    /// # Errors
    /// When it does not.
    pub async fn ping(&self) -> StoreResult<()> {
        self.backend.ping().await
    }

    /// Finishes pending writes and closes connections.
    pub async fn close(&self) {
        self.backend.close().await
    }
}

/// The sender reference of a document whose `issued` event was signed by `key_id`, owned by `owner` if the key is
/// bound to a party principal: note numbers are unique per sender party, whichever of its keys signs.
pub fn sender_ref(key_id: &str, owner: Option<Uuid>) -> String {
    match owner {
        Some(party) => format!("party:{party}"),
        None => format!("key:{key_id}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_written_as_chrono_writes_them_and_read_back() {
        let mut times: Vec<DateTime<Utc>> =
            ["2026-11-29T05:56:22.123456789Z", "1970-01-01T00:00:00Z", "0001-02-03T04:05:06.000001Z"]
                .iter()
                .map(|s| DateTime::parse_from_rfc3339(s).expect("time").with_timezone(&Utc))
                .collect();
        times.extend((0..200).map(|i| Utc::now() + chrono::Duration::nanoseconds(i * 7_919_993_117)));
        for t in times {
            let text = format_time(t);
            assert_eq!(text, t.format(TIME_FORMAT).to_string());
            assert_eq!(text.len(), 27, "{text}");
            let back = parse_time(&text).expect("reads back");
            assert_eq!(format_time(back), text);
        }
        let t = now();
        assert_eq!(parse_time(&format_time(t)).expect("reads back"), t, "now() is already at the store's precision");
    }
}
