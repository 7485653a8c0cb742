//! Sessions of the inspector web app: their record, the [`SessionStore`] trait and its SQL for both backends.
//! Only the SHA-256 of a session id is stored, beside the hash of the bearer token the session was made from.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::StoreResult;
use super::sql::{Conn, Param, Row};

/// A stored session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// SHA-256 of the session id (lower-case hex).
    pub id_sha256: String,
    /// The authority that signed in.
    pub principal_id: Uuid,
    /// SHA-256 of the bearer token it signed in with: the session lasts no longer than the token.
    pub token_sha256: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it was last used (updated at most once a minute).
    pub last_seen_at: DateTime<Utc>,
    /// When it ends however it is used.
    pub expires_at: DateTime<Utc>,
    /// When it was signed out, if it was.
    pub ended_at: Option<DateTime<Utc>>,
}

/// Inspector sessions.
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Stores a new session.
    async fn add_session(&self, session: &SessionRecord) -> StoreResult<()>;
    /// The session with this id hash, if any (ended or not).
    async fn get_session(&self, id_sha256: &str) -> StoreResult<Option<SessionRecord>>;
    /// Records a use of the session.
    async fn touch_session(&self, id_sha256: &str, at: DateTime<Utc>) -> StoreResult<()>;
    /// Ends the session; false when there was no open session with this id hash.
    async fn end_session(&self, id_sha256: &str, at: DateTime<Utc>) -> StoreResult<bool>;
    /// Deletes sessions that expired before `before`; returns how many.
    async fn purge_sessions(&self, before: DateTime<Utc>) -> StoreResult<u64>;
}

// ---------------------------------------------------------------------------------------------------------------
// SQL

const INSERT: &str = "INSERT INTO inspector_sessions (id_sha256, principal_id, token_sha256, created_at, \
     last_seen_at, expires_at, ended_at) VALUES ($1, $2, $3, $4, $5, $6, $7)";
const GET: &str = "SELECT id_sha256, principal_id, token_sha256, created_at, last_seen_at, expires_at, ended_at \
     FROM inspector_sessions WHERE id_sha256 = $1";
const TOUCH: &str = "UPDATE inspector_sessions SET last_seen_at = $1 WHERE id_sha256 = $2 AND last_seen_at < $3";
const END: &str = "UPDATE inspector_sessions SET ended_at = $1 WHERE id_sha256 = $2 AND ended_at IS NULL";
const PURGE: &str = "DELETE FROM inspector_sessions WHERE expires_at < $1";

/// See [`SessionStore::add_session`].
pub(crate) async fn add<C: Conn>(conn: &mut C, s: &SessionRecord) -> StoreResult<()> {
    let params = [
        Param::from(&s.id_sha256),
        s.principal_id.into(),
        (&s.token_sha256).into(),
        s.created_at.into(),
        s.last_seen_at.into(),
        s.expires_at.into(),
        s.ended_at.into(),
    ];
    conn.execute(INSERT, &params).await.map(|_| ())
}

/// See [`SessionStore::get_session`].
pub(crate) async fn get<C: Conn>(conn: &mut C, id_sha256: &str) -> StoreResult<Option<SessionRecord>> {
    let mut rows = conn
        .fetch(GET, &[Param::from(id_sha256)], |r: &dyn Row| {
            Ok(SessionRecord {
                id_sha256: r.text(0)?,
                principal_id: r.uuid(1)?,
                token_sha256: r.text(2)?,
                created_at: r.time(3)?,
                last_seen_at: r.time(4)?,
                expires_at: r.time(5)?,
                ended_at: r.opt_time(6)?,
            })
        })
        .await?;
    Ok(rows.pop())
}

/// See [`SessionStore::touch_session`]: only when the last use is a minute old or more, so that a busy session
/// does not write on every request.
pub(crate) async fn touch<C: Conn>(conn: &mut C, id_sha256: &str, at: DateTime<Utc>) -> StoreResult<()> {
    let stale = at - chrono::Duration::minutes(1);
    conn.execute(TOUCH, &[at.into(), id_sha256.into(), stale.into()]).await.map(|_| ())
}

/// See [`SessionStore::end_session`].
pub(crate) async fn end<C: Conn>(conn: &mut C, id_sha256: &str, at: DateTime<Utc>) -> StoreResult<bool> {
    Ok(conn.execute(END, &[at.into(), id_sha256.into()]).await? == 1)
}

/// See [`SessionStore::purge_sessions`].
pub(crate) async fn purge<C: Conn>(conn: &mut C, before: DateTime<Utc>) -> StoreResult<u64> {
    conn.execute(PURGE, &[before.into()]).await
}
