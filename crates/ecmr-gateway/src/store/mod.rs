//! Storage behind one trait per concern, each in a module of its own with its records and its SQL: documents with
//! their events ([`DocumentStore`]), principals with their keys and tokens ([`PrincipalStore`]), the audit log
//! ([`AuditLog`]), and eFTI authority requests with the identifier searches and the datasets external platforms
//! register ([`ControlStore`]), sessions of the inspector web app ([`SessionStore`]) and share links of documents
//! ([`ShareStore`]). Every statement is written once and run by both implementations: SQLite
//! ([`sqlite`], the embedded default, with group commit) and PostgreSQL ([`postgres`]).
//!
//! Events and audit entries are append-only: no method updates or deletes them, and the schemas refuse it with
//! triggers.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

mod audit;
mod control;
mod datasets;
mod documents;
mod federation;
pub mod postgres;
mod principals;
mod sessions;
mod shares;
mod sql;
pub mod sqlite;
mod writer;

pub use audit::{AuditEntry, AuditLog};
pub use control::{ControlRequest, ControlStore, ControlWrite, FollowUp, IdentifierQuery};
pub use datasets::{PlatformDataset, PlatformHit, PlatformIdentifier};
pub use documents::{
    AppendOutcome, DocumentKey, DocumentParty, DocumentStore, DocumentSummary, EventAppend, Identifier, InsertOutcome,
    KeyRelation, ListQuery, NewDocument, NewEvent, StoredDataset, StoredDocument, StoredEvent,
};
pub use federation::{AnswerOutcome, Destination, DestinationAnswer, FederationStore, Inbound};
pub use principals::{NewToken, Principal, PrincipalKey, PrincipalKind, PrincipalStore, TokenInfo};
pub use sessions::{SessionRecord, SessionStore};
pub use shares::{ShareRecord, ShareStore};

/// Why a store operation failed. These are the gateway's own faults, never the client's.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// SQLite refused or failed a statement.
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL refused or failed a statement, or could not be reached.
    #[error("postgres: {0}")]
    Postgres(#[from] sqlx::Error),
    /// A SQLite migration failed; it was rolled back.
    #[error("sqlite migration {version}: {source}")]
    Migrate {
        /// The migration's version (the number its file name starts with).
        version: i64,
        /// Why.
        #[source]
        source: rusqlite::Error,
    },
    /// The PostgreSQL schema could not be brought up to date.
    #[error("postgres migration: {0}")]
    PgMigrate(#[from] sqlx::migrate::MigrateError),
    /// The database's schema is newer than this gateway knows.
    #[error("the database's schema is at version {found}, newer than this gateway's {known}")]
    SchemaTooNew {
        /// The version the database is at.
        found: i64,
        /// The newest version this gateway has.
        known: i64,
    },
    /// A batch of writes failed (or its commit did); every write of the batch that had succeeded was rolled back.
    #[error("write batch failed: {0}")]
    Commit(#[source] Arc<StoreError>),
    /// The writer has shut down.
    #[error("the store is closed")]
    Closed,
    /// A thread running a store operation failed.
    #[error("store thread: {0}")]
    Thread(#[from] tokio::task::JoinError),
    /// A thread of the store could not be started.
    #[error("cannot start a store thread: {0}")]
    Spawn(#[source] std::io::Error),
    /// A stored value cannot be read back, or the stored data contradicts itself.
    #[error("corrupt record: {what}: {value:?}")]
    Corrupt {
        /// What was read or checked.
        what: &'static str,
        /// The value found (or the id of the record concerned).
        value: String,
    },
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
        .map_err(|_| StoreError::Corrupt { what: "time", value: s.to_owned() })
}

/// The current time, truncated to what the store keeps (microseconds).
pub fn now() -> DateTime<Utc> {
    use chrono::Timelike as _;
    let t = Utc::now();
    t.with_nanosecond(t.nanosecond() / 1_000 * 1_000).unwrap_or(t)
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
    /// Sessions of the inspector web app.
    pub sessions: Arc<dyn SessionStore>,
    /// Share links of documents.
    pub shares: Arc<dyn ShareStore>,
    /// Gate-to-gate federation: forwarded requests, their answers, peers' requests.
    pub federation: Arc<dyn FederationStore>,
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
        T: DocumentStore
            + PrincipalStore
            + AuditLog
            + ControlStore
            + SessionStore
            + ShareStore
            + FederationStore
            + Backend
            + 'static,
    {
        Store {
            documents: inner.clone(),
            principals: inner.clone(),
            audit: inner.clone(),
            control: inner.clone(),
            sessions: inner.clone(),
            shares: inner.clone(),
            federation: inner.clone(),
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
