//! Share links: a participant of a document (typically the carrier) gives its driver a link that shows that one
//! document, read-only, without an account: `<public_url>/share/#t=<token>`.
//!
//! - The token is 32 random bytes (256 bits) in base64url; only its SHA-256 is stored. It is shown once, in the
//!   answer to the link's creation.
//! - A link lasts [`DEFAULT_LIFETIME`] unless asked otherwise, at most [`MAX_LIFETIME`], and can be revoked;
//!   after either it reads as if it never existed (404).
//! - A link reads its own document only, through [`Shares::open`]; it is not a principal and no other route
//!   takes it.
//! - Guessing is throttled: an address with [`MAX_FAILURES`] failed look-ups within [`FAILURE_WINDOW`] is refused
//!   until the window has passed, before any look-up.
//! - Making, revoking and reading a link are audited with the document (`share.created`, `share.revoked`,
//!   `share.read`; a read is entered under the party that made the link).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use uuid::Uuid;

use super::audit::{AuditAction, Auditor, Details, Origin};
use super::documents::{DocumentError, Documents};
use crate::store::{Principal, ShareRecord, Store, StoreError, StoredDocument, now};

/// How long a link lasts when the request does not say.
pub const DEFAULT_LIFETIME: Duration = Duration::from_secs(72 * 3600);
/// The longest a link may last.
pub const MAX_LIFETIME: Duration = Duration::from_secs(30 * 24 * 3600);
/// The shortest a link may last.
pub const MIN_LIFETIME: Duration = Duration::from_secs(60);
/// Longest label, in characters.
pub const LABEL_MAX_CHARS: usize = 100;
/// Failed look-ups an address may make within [`FAILURE_WINDOW`].
pub const MAX_FAILURES: u32 = 20;
/// The window of [`MAX_FAILURES`].
pub const FAILURE_WINDOW: Duration = Duration::from_secs(600);
/// Addresses remembered at most; when full, the oldest windows are dropped.
const TRACKED_ADDRESSES: usize = 10_000;

/// Why a share request is refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ShareError {
    /// The request is wrong; the message says what.
    #[error("{0}")]
    Invalid(String),
    /// No such document the party may see, or no such link of it.
    #[error("{0}")]
    NotFound(String),
    /// Too many failed look-ups from this address.
    #[error("too many share links that do not exist were asked for from this address; try again in {0} s")]
    Throttled(u64),
    /// No randomness for a token.
    #[error("no randomness for a share token: {0}")]
    Random(String),
    /// The documents service refused or failed.
    #[error(transparent)]
    Document(#[from] DocumentError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A link just made: its record and the token (shown once).
#[derive(Debug, Clone)]
pub struct NewShare {
    /// What is stored.
    pub record: ShareRecord,
    /// The token of the link.
    pub token: String,
}

/// The share links of a running gateway.
pub struct Shares {
    store: Store,
    documents: Arc<Documents>,
    auditor: Auditor,
    failures: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

/// SHA-256 of a share token, as stored.
pub fn share_token_hash(token: &str) -> String {
    super::principals::token_hash(token)
}

impl Shares {
    /// The share links in `store` of documents the `documents` service guards.
    pub fn new(store: Store, documents: Arc<Documents>, auditor: Auditor) -> Shares {
        Shares { store, documents, auditor, failures: Mutex::default() }
    }

    /// Makes a link to document `id` for `party`, which must be able to see it: lasting `expires_in` seconds
    /// ([`DEFAULT_LIFETIME`] when `None`), labelled `label`. Audited as `share.created`.
    ///
    /// # Errors
    /// [`ShareError::Invalid`] for a lifetime out of range or a bad label, [`ShareError::Document`] (not found)
    /// when the party may not see the document; store errors.
    pub async fn create(
        &self,
        party: &Principal,
        id: &str,
        expires_in: Option<u64>,
        label: Option<String>,
        origin: &Origin,
    ) -> Result<NewShare, ShareError> {
        let lifetime = expires_in.map_or(DEFAULT_LIFETIME, Duration::from_secs);
        if lifetime < MIN_LIFETIME || lifetime > MAX_LIFETIME {
            return Err(ShareError::Invalid(format!(
                "expires_in must be {} to {} seconds (30 days); it is {}",
                MIN_LIFETIME.as_secs(),
                MAX_LIFETIME.as_secs(),
                lifetime.as_secs()
            )));
        }
        let label = label.map(|l| l.trim().to_owned()).filter(|l| !l.is_empty());
        if let Some(l) = &label {
            if l.chars().count() > LABEL_MAX_CHARS {
                return Err(ShareError::Invalid(format!("label is longer than {LABEL_MAX_CHARS} characters")));
            }
            if l.chars().any(char::is_control) {
                return Err(ShareError::Invalid("label has control characters".into()));
            }
        }
        let document_id = self.documents.visible_id(party, id).await?;
        let token = super::principals::random_secret().map_err(|e| ShareError::Random(e.to_string()))?;
        let at = now();
        let record = ShareRecord {
            id: Uuid::now_v7(),
            token_sha256: share_token_hash(&token),
            document_id,
            created_by: party.id,
            label,
            created_at: at,
            expires_at: at + chrono::Duration::from_std(lifetime).unwrap_or(chrono::Duration::MAX),
            revoked_at: None,
        };
        let details = Details { share_id: Some(record.id), ..Details::default() };
        let entry = Auditor::entry(party, Some(document_id), AuditAction::ShareCreated, Some(&details), origin);
        self.store.shares.add_share(&record, &entry).await?;
        Ok(NewShare { record, token })
    }

    /// The links of document `id`, oldest first, for a party that may see it.
    ///
    /// # Errors
    /// As [`Shares::create`].
    pub async fn list(&self, party: &Principal, id: &str) -> Result<Vec<ShareRecord>, ShareError> {
        let document_id = self.documents.visible_id(party, id).await?;
        Ok(self.store.shares.shares_of(document_id).await?)
    }

    /// Revokes link `share_id` of document `id`. Audited as `share.revoked`.
    ///
    /// # Errors
    /// [`ShareError::NotFound`] when the document has no such link that is not revoked yet; as
    /// [`Shares::create`].
    pub async fn revoke(&self, party: &Principal, id: &str, share_id: &str, origin: &Origin) -> Result<(), ShareError> {
        let document_id = self.documents.visible_id(party, id).await?;
        let not_found = || ShareError::NotFound(format!("document {document_id} has no share link {share_id}"));
        let share_id = Uuid::try_parse(share_id).map_err(|_| not_found())?;
        let details = Details { share_id: Some(share_id), ..Details::default() };
        let entry = Auditor::entry(party, Some(document_id), AuditAction::ShareRevoked, Some(&details), origin);
        if self.store.shares.revoke_share(document_id, share_id, now(), &entry).await? {
            Ok(())
        } else {
            Err(not_found())
        }
    }

    /// The document a link shows, for a request from `from`: the link must exist, be neither revoked nor expired,
    /// and the address must not be throttled. Audited as `share.read` under the party that made the link.
    ///
    /// # Errors
    /// [`ShareError::Throttled`] before any look-up when `from` failed too often; [`ShareError::NotFound`] for a
    /// link that does not exist, was revoked or expired (counted as a failure); store errors.
    pub async fn open(
        &self,
        token: &str,
        from: IpAddr,
        origin: &Origin,
    ) -> Result<(ShareRecord, StoredDocument), ShareError> {
        self.check_throttle(from)?;
        let not_found = || ShareError::NotFound("no such share link, or it was revoked or has expired".to_owned());
        let token = token.trim();
        let found = if token.is_empty() || token.len() > 64 {
            None
        } else {
            self.store.shares.share_by_token(&share_token_hash(token)).await?
        };
        let at = now();
        let Some(share) = found.filter(|s| s.revoked_at.is_none() && s.expires_at > at) else {
            self.count_failure(from);
            return Err(not_found());
        };
        let Some(doc) = self.documents.stored(share.document_id).await? else { return Err(not_found()) };
        let Some(creator) = self.store.principals.get_principal(share.created_by).await? else {
            return Err(not_found());
        };
        if creator.revoked_at.is_some() {
            // A party that lost its access no longer shares.
            return Err(not_found());
        }
        let details = Details { share_id: Some(share.id), ..Details::default() };
        let entry = Auditor::entry(&creator, Some(share.document_id), AuditAction::ShareRead, Some(&details), origin);
        self.auditor.record_party(entry).await?;
        Ok((share, doc))
    }

    fn check_throttle(&self, from: IpAddr) -> Result<(), ShareError> {
        let Ok(mut failures) = self.failures.lock() else { return Ok(()) };
        if let Some((since, count)) = failures.get(&from).copied() {
            let elapsed = since.elapsed();
            if elapsed >= FAILURE_WINDOW {
                failures.remove(&from);
            } else if count >= MAX_FAILURES {
                return Err(ShareError::Throttled((FAILURE_WINDOW - elapsed).as_secs().max(1)));
            }
        }
        Ok(())
    }

    fn count_failure(&self, from: IpAddr) {
        let Ok(mut failures) = self.failures.lock() else { return };
        if failures.len() >= TRACKED_ADDRESSES {
            failures.retain(|_, (since, _)| since.elapsed() < FAILURE_WINDOW);
            if failures.len() >= TRACKED_ADDRESSES {
                failures.clear();
            }
        }
        let entry = failures.entry(from).or_insert_with(|| (Instant::now(), 0));
        entry.1 += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes_are_72_hours_by_default_and_30_days_at_most() {
        assert_eq!(DEFAULT_LIFETIME.as_secs(), 259_200);
        assert_eq!(MAX_LIFETIME.as_secs(), 2_592_000);
        assert_ne!(share_token_hash("a"), share_token_hash("b"));
        assert_eq!(share_token_hash("a").len(), 64);
    }
}
