//! Principals with their keys and tokens: the records, the [`PrincipalStore`] trait and its SQL for both
//! backends.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::sql::{Builder, Conn, Param, Row, insert_rows};
use super::{StoreError, StoreResult};

pub use ecmr_wire::party::PrincipalKind;

/// A public key bound to a party.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrincipalKey {
    /// Lowercase hex SHA-256 of the 32 key bytes.
    pub key_id: String,
    /// The Ed25519 public key, base64url without padding.
    pub public_key: String,
}

/// Someone who may call the gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// Principal id.
    pub id: Uuid,
    /// What it is.
    pub kind: PrincipalKind,
    /// Display name.
    pub name: String,
    /// Kind-specific details, e.g. an authority's country and legal contact (eFTI AuthorityDto).
    pub details: serde_json::Value,
    /// Bound public keys (parties).
    pub keys: Vec<PrincipalKey>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A stored token's metadata (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq)]
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
    async fn authenticate(&self, token_sha256: &str, at: DateTime<Utc>) -> StoreResult<Option<Principal>> {
        Ok(self.authenticate_token(token_sha256, at).await?.map(|(p, _)| p))
    }
    /// As [`PrincipalStore::authenticate`], with the token's expiry (`None`: it never expires), so that a cache of
    /// authenticated tokens can stop at it.
    async fn authenticate_token(
        &self,
        token_sha256: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<Option<(Principal, Option<DateTime<Utc>>)>>;
    /// How many principals exist (revoked included).
    async fn count_principals(&self) -> StoreResult<i64>;
    /// The active principal a public key (by key id) is bound to, if any.
    async fn key_owner(&self, key_id: &str) -> StoreResult<Option<Uuid>>;
}

/// Reads a stored principal kind.
pub(crate) fn stored_kind(s: &str) -> StoreResult<PrincipalKind> {
    s.parse().map_err(|_| StoreError::Corrupt { what: "principal kind", value: s.to_owned() })
}

// ---------------------------------------------------------------------------------------------------------------
// SQL

/// A principal.
pub(crate) const INSERT: &str = "INSERT INTO principals (id, kind, name, details, created_at, revoked_at) \
     VALUES ($1, $2, $3, $4, $5, $6)";
/// A key bound to a principal.
pub(crate) const INSERT_KEY: &str = "INSERT INTO principal_keys (principal_id, key_id, public_key) VALUES ($1, $2, $3)";
/// A token (its hash).
pub(crate) const INSERT_TOKEN: &str = "INSERT INTO tokens (id, token_sha256, principal_id, created_at, \
     expires_at) VALUES ($1, $2, $3, $4, $5)";
/// Every principal, oldest first, read by [`principal_from`].
pub(crate) const ALL: &str =
    "SELECT id, kind, name, details, created_at, revoked_at FROM principals ORDER BY created_at, id";
/// One principal.
pub(crate) const ONE: &str = "SELECT id, kind, name, details, created_at, revoked_at FROM principals WHERE id = $1";
/// Revokes a principal.
pub(crate) const REVOKE: &str = "UPDATE principals SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL";
/// Revokes every token of a principal.
pub(crate) const REVOKE_TOKENS: &str =
    "UPDATE tokens SET revoked_at = $1 WHERE principal_id = $2 AND revoked_at IS NULL";
/// Replaces an active principal's details.
pub(crate) const SET_DETAILS: &str = "UPDATE principals SET details = $1 WHERE id = $2 AND revoked_at IS NULL";
/// Revokes one token.
pub(crate) const REVOKE_TOKEN: &str = "UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL";
/// A principal's tokens.
pub(crate) const TOKENS: &str = "SELECT id, principal_id, created_at, expires_at, revoked_at FROM tokens \
     WHERE principal_id = $1 ORDER BY created_at, id";
/// The active principal of an active token.
pub(crate) const AUTHENTICATE: &str = "SELECT p.id, p.kind, p.name, p.details, p.created_at, p.revoked_at, \
     t.expires_at FROM tokens t JOIN principals p ON p.id = t.principal_id \
     WHERE t.token_sha256 = $1 AND t.revoked_at IS NULL AND p.revoked_at IS NULL \
     AND (t.expires_at IS NULL OR t.expires_at > $2)";
/// The active principal a key is bound to.
pub(crate) const KEY_OWNER: &str = "SELECT k.principal_id FROM principal_keys k \
     JOIN principals p ON p.id = k.principal_id WHERE k.key_id = $1 AND p.revoked_at IS NULL LIMIT 1";
/// How many principals exist.
pub(crate) const COUNT: &str = "SELECT COUNT(*) FROM principals";

/// The keys of some principals.
pub(crate) fn keys_sql(ids: &[Uuid]) -> Builder<'static> {
    let mut b = Builder::new("SELECT principal_id, key_id, public_key FROM principal_keys WHERE principal_id IN ");
    b.bind_list(ids.iter().copied()).push(" ORDER BY principal_id, key_id");
    b
}

/// Reads an [`ALL`] row, without its keys.
fn principal_from(r: &dyn Row) -> StoreResult<Principal> {
    let details = r.text(3)?;
    Ok(Principal {
        id: r.uuid(0)?,
        kind: stored_kind(&r.text(1)?)?,
        name: r.text(2)?,
        details: serde_json::from_str(&details)
            .map_err(|_| StoreError::Corrupt { what: "principal details", value: details.clone() })?,
        keys: Vec::new(),
        created_at: r.time(4)?,
        revoked_at: r.opt_time(5)?,
    })
}

/// Fills in the keys of the principals.
async fn with_keys<C: Conn>(conn: &mut C, mut ps: Vec<Principal>) -> StoreResult<Vec<Principal>> {
    if ps.is_empty() {
        return Ok(ps);
    }
    let b = keys_sql(&ps.iter().map(|p| p.id).collect::<Vec<_>>());
    let rows = conn
        .fetch(&b.sql, &b.params, |r| Ok((r.uuid(0)?, PrincipalKey { key_id: r.text(1)?, public_key: r.text(2)? })))
        .await?;
    let mut by: BTreeMap<Uuid, Vec<PrincipalKey>> = BTreeMap::new();
    for (id, key) in rows {
        by.entry(id).or_default().push(key);
    }
    for p in &mut ps {
        p.keys = by.remove(&p.id).unwrap_or_default();
    }
    Ok(ps)
}

/// The principals a query finds, with their keys.
async fn principals<C: Conn>(conn: &mut C, sql: &str, params: &[Param<'_>]) -> StoreResult<Vec<Principal>> {
    let ps = conn.fetch(sql, params, principal_from).await?;
    with_keys(conn, ps).await
}

/// See [`PrincipalStore::add_principal`]; the caller gives a transaction.
pub(crate) async fn add_principal<C: Conn>(conn: &mut C, p: &Principal, token: &NewToken) -> StoreResult<()> {
    let params = [
        Param::from(p.id),
        p.kind.as_str().into(),
        (&p.name).into(),
        p.details.to_string().into(),
        p.created_at.into(),
        p.revoked_at.into(),
    ];
    conn.execute(INSERT, &params).await?;
    insert_rows(conn, INSERT_KEY, &p.keys, |k| vec![p.id.into(), (&k.key_id).into(), (&k.public_key).into()]).await?;
    add_token(conn, token).await
}

/// See [`PrincipalStore::add_token`].
pub(crate) async fn add_token<C: Conn>(conn: &mut C, t: &NewToken) -> StoreResult<()> {
    let params =
        [Param::from(t.id), (&t.token_sha256).into(), t.principal_id.into(), t.created_at.into(), t.expires_at.into()];
    conn.execute(INSERT_TOKEN, &params).await.map(|_| ())
}

/// See [`PrincipalStore::list_principals`].
pub(crate) async fn list_principals<C: Conn>(conn: &mut C) -> StoreResult<Vec<Principal>> {
    principals(conn, ALL, &[]).await
}

/// See [`PrincipalStore::get_principal`].
pub(crate) async fn get_principal<C: Conn>(conn: &mut C, id: Uuid) -> StoreResult<Option<Principal>> {
    Ok(principals(conn, ONE, &[id.into()]).await?.pop())
}

/// See [`PrincipalStore::revoke_principal`]; the caller gives a transaction.
pub(crate) async fn revoke_principal<C: Conn>(conn: &mut C, id: Uuid, at: DateTime<Utc>) -> StoreResult<bool> {
    let params = [Param::from(at), id.into()];
    let revoked = conn.execute(REVOKE, &params).await? == 1;
    conn.execute(REVOKE_TOKENS, &params).await?;
    Ok(revoked)
}

/// See [`PrincipalStore::set_details`].
pub(crate) async fn set_details<C: Conn>(conn: &mut C, id: Uuid, details: &serde_json::Value) -> StoreResult<bool> {
    Ok(conn.execute(SET_DETAILS, &[details.to_string().into(), id.into()]).await? == 1)
}

/// See [`PrincipalStore::revoke_token`].
pub(crate) async fn revoke_token<C: Conn>(conn: &mut C, id: Uuid, at: DateTime<Utc>) -> StoreResult<bool> {
    Ok(conn.execute(REVOKE_TOKEN, &[at.into(), id.into()]).await? == 1)
}

/// See [`PrincipalStore::list_tokens`].
pub(crate) async fn list_tokens<C: Conn>(conn: &mut C, principal_id: Uuid) -> StoreResult<Vec<TokenInfo>> {
    conn.fetch(TOKENS, &[principal_id.into()], |r| {
        Ok(TokenInfo {
            id: r.uuid(0)?,
            principal_id: r.uuid(1)?,
            created_at: r.time(2)?,
            expires_at: r.opt_time(3)?,
            revoked_at: r.opt_time(4)?,
        })
    })
    .await
}

/// See [`PrincipalStore::authenticate_token`].
pub(crate) async fn authenticate<C: Conn>(
    conn: &mut C,
    token_sha256: &str,
    at: DateTime<Utc>,
) -> StoreResult<Option<(Principal, Option<DateTime<Utc>>)>> {
    let params = [Param::from(token_sha256), at.into()];
    let found = conn.fetch_optional(AUTHENTICATE, &params, |r| Ok((principal_from(r)?, r.opt_time(6)?))).await?;
    let Some((principal, expires_at)) = found else { return Ok(None) };
    Ok(with_keys(conn, vec![principal]).await?.pop().map(|p| (p, expires_at)))
}

/// See [`PrincipalStore::key_owner`].
pub(crate) async fn key_owner<C: Conn>(conn: &mut C, key_id: &str) -> StoreResult<Option<Uuid>> {
    conn.fetch_optional(KEY_OWNER, &[key_id.into()], |r| r.uuid(0)).await
}

/// See [`PrincipalStore::count_principals`].
pub(crate) async fn count_principals<C: Conn>(conn: &mut C) -> StoreResult<i64> {
    Ok(conn.fetch_optional(COUNT, &[], |r| r.int(0)).await?.unwrap_or(0))
}
