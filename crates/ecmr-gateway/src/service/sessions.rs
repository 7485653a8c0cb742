//! Sessions of the inspector web app (`/inspect/`): an authority exchanges its bearer token for a session id,
//! which the browser keeps in an `HttpOnly` cookie, so that the token is never kept by the page.
//!
//! - A session id is 32 random bytes (256 bits) in base64url; the store keeps only its SHA-256, with the SHA-256
//!   of the token it was made from.
//! - Every use checks the token again ([`Principals::authenticate_hash`]): revoking the token or the authority
//!   ends its sessions within the token cache's time. A session also ends after [`Sessions::idle`] without use, at
//!   [`Sessions::max_age`] after sign-in, and when signed out.
//! - Sessions are in the store, not in the process, so that replicas sharing one PostgreSQL database know each
//!   other's sessions and a restart does not sign inspectors out; rows past their end are deleted every
//!   64th sign-in.
//! - Sign-in and sign-out are audited (`inspect.session.started`, `inspect.session.ended`); every request made in
//!   a session is the authority's own request, audited as any other.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::audit::{AuditAction, Auditor, Origin};
use super::principals::{Principals, token_hash};
use crate::store::{Principal, PrincipalKind, SessionRecord, Store, StoreError, now};

/// Why a sign-in is refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// The token is not an active token.
    #[error("the token is not valid")]
    BadToken,
    /// The token is valid but not an authority's.
    #[error("only control authorities sign in to the inspector; this token is of a {0} principal")]
    NotAnAuthority(&'static str),
    /// No randomness for a session id.
    #[error("no randomness for a session id: {0}")]
    Random(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A session just made: the id for the cookie (shown once) and when it ends at the latest.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// The session id, the cookie's value.
    pub id: String,
    /// The authority signed in.
    pub principal: Principal,
    /// When the session ends however it is used.
    pub expires_at: DateTime<Utc>,
}

/// The inspector sessions of a running gateway.
pub struct Sessions {
    store: Store,
    principals: Arc<Principals>,
    auditor: Auditor,
    idle: Duration,
    max_age: Duration,
    sign_ins: AtomicU64,
}

/// Every how many sign-ins the sessions past their end are deleted.
const PURGE_EVERY: u64 = 64;

/// SHA-256 of a session id, as stored.
use super::principals::token_hash as id_hash;

fn chrono_of(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

impl Sessions {
    /// Sessions in `store`, authenticated through `principals`, ending after `idle` without use or `max_age` after
    /// sign-in.
    pub fn new(
        store: Store,
        principals: Arc<Principals>,
        auditor: Auditor,
        idle: Duration,
        max_age: Duration,
    ) -> Sessions {
        Sessions { store, principals, auditor, idle, max_age, sign_ins: AtomicU64::new(0) }
    }

    /// How long a session lasts without use.
    pub fn idle(&self) -> Duration {
        self.idle
    }

    /// How long a session lasts at most.
    pub fn max_age(&self) -> Duration {
        self.max_age
    }

    /// Signs an authority in with its bearer token: a new session, audited.
    ///
    /// # Errors
    /// [`SessionError::BadToken`] for a token that is not active, [`SessionError::NotAnAuthority`] for another
    /// kind of principal; store errors.
    pub async fn sign_in(&self, token: &str, origin: &Origin) -> Result<NewSession, SessionError> {
        let principal = self.principals.authenticate(token.trim()).await?.ok_or(SessionError::BadToken)?;
        if principal.kind != PrincipalKind::Authority {
            return Err(SessionError::NotAnAuthority(principal.kind.as_str()));
        }
        let id = super::principals::random_secret().map_err(|e| SessionError::Random(e.to_string()))?;
        let at = now();
        let expires_at = at + chrono_of(self.max_age);
        // Rows of sessions past their end are of no use; one sign-in in many does the cleaning.
        if self.sign_ins.fetch_add(1, Ordering::Relaxed).is_multiple_of(PURGE_EVERY) {
            self.store.sessions.purge_sessions(at).await?;
        }
        let record = SessionRecord {
            id_sha256: id_hash(&id),
            principal_id: principal.id,
            token_sha256: token_hash(token.trim()),
            created_at: at,
            last_seen_at: at,
            expires_at,
            ended_at: None,
        };
        self.store.sessions.add_session(&record).await?;
        let entry = Auditor::entry(&principal, None, AuditAction::SessionStarted, None, origin);
        self.auditor.record(vec![entry]).await?;
        Ok(NewSession { id, principal, expires_at })
    }

    /// The authority of an open session, if `id` is one: not signed out, not idle too long, not past its end,
    /// and its token still active. The use is recorded (at most once a minute).
    ///
    /// # Errors
    /// Store errors.
    pub async fn authenticate(&self, id: &str) -> Result<Option<Principal>, StoreError> {
        if id.is_empty() || id.len() > 64 {
            return Ok(None);
        }
        let hash = id_hash(id);
        let Some(s) = self.store.sessions.get_session(&hash).await? else { return Ok(None) };
        let at = now();
        if s.ended_at.is_some() || s.expires_at <= at || s.last_seen_at + chrono_of(self.idle) <= at {
            return Ok(None);
        }
        let Some(p) = self.principals.authenticate_hash(&s.token_sha256).await? else { return Ok(None) };
        if p.id != s.principal_id || p.kind != PrincipalKind::Authority {
            return Ok(None);
        }
        self.store.sessions.touch_session(&hash, at).await?;
        Ok(Some(p))
    }

    /// Ends the session `id` (audited); false when it was not an open session.
    ///
    /// # Errors
    /// Store errors.
    pub async fn sign_out(&self, id: &str, origin: &Origin) -> Result<bool, StoreError> {
        let Some(principal) = self.authenticate(id).await? else { return Ok(false) };
        let ended = self.store.sessions.end_session(&id_hash(id), now()).await?;
        if ended {
            let entry = Auditor::entry(&principal, None, AuditAction::SessionEnded, None, origin);
            self.auditor.record(vec![entry]).await?;
        }
        Ok(ended)
    }
}
