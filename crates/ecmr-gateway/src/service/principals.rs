//! Who may call the gateway: principals of five kinds, their bearer tokens, the cache of recently authenticated
//! tokens, and the eFTI subsets an authority or a gate is entitled to.
//!
//! A token is `ecmr_` followed by 32 random bytes in base64url. It is shown once, when made; the store keeps only
//! its SHA-256. The same functions serve the `principal` sub-commands (on the store directly) and the admin HTTP
//! routes (through [`Principals`], which also forgets cached tokens after every change).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::uil::normalise_id;
use crate::store::{NewToken, Principal, PrincipalKey, PrincipalKind, Store, StoreError, TokenInfo, now};

/// Prefix of every token, so that leaked tokens are easy to recognise.
pub const TOKEN_PREFIX: &str = "ecmr_";

/// Longest bearer token looked up (ours are 48 characters).
pub const TOKEN_MAX_CHARS: usize = 256;

/// The subset id that grants every subset: the whole dataset.
pub const FULL: &str = "full";

/// Why a principal or token request cannot be carried out.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PrincipalError {
    /// The request is wrong; the message says what.
    #[error("{0}")]
    Invalid(String),
    /// No such principal or token.
    #[error("no active principal or token with id {0}")]
    NotFound(Uuid),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The change would leave no active admin with a usable token.
    #[error(
        "this would leave the gateway without an active admin holding a usable token; create another admin (or a \
         token for one) first"
    )]
    LastAdmin,
    /// The system's random source failed.
    #[error("no randomness for a token: {0}")]
    Random(String),
}

/// A new token: the secret text (to show once) and what is stored.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    /// The bearer token itself. Show it once; it cannot be recovered.
    pub token: String,
    /// What the store keeps.
    pub stored: NewToken,
}

/// SHA-256 of a secret (a bearer token, a session id, a share token), lowercase hex: the only form in which
/// the gateway stores them.
pub fn token_hash(token: &str) -> String {
    ecmr::canonical::hex(&Sha256::digest(token.as_bytes()))
}

/// 256 random bits from the operating system, base64url without padding: the secret part of a bearer token, a
/// session id or a share token.
///
/// # Errors
/// The operating system's error when it gives no randomness.
pub fn random_secret() -> Result<String, getrandom::Error> {
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret)?;
    Ok(URL_SAFE_NO_PAD.encode(secret))
}

/// Makes a new random token for a principal.
///
/// # Errors
/// [`PrincipalError::Random`] when the operating system gives no randomness.
pub fn issue_token(principal_id: Uuid, expires_at: Option<DateTime<Utc>>) -> Result<IssuedToken, PrincipalError> {
    let secret = random_secret().map_err(|e| PrincipalError::Random(e.to_string()))?;
    let token = format!("{TOKEN_PREFIX}{secret}");
    let stored =
        NewToken { id: Uuid::new_v4(), token_sha256: token_hash(&token), principal_id, created_at: now(), expires_at };
    Ok(IssuedToken { token, stored })
}

/// Reads an Ed25519 public key in base64url (no padding, 32 bytes) and returns it with its key id.
///
/// # Errors
/// [`PrincipalError::Invalid`] naming what is wrong with the key.
pub fn parse_public_key(text: &str) -> Result<PrincipalKey, PrincipalError> {
    let key = ecmr::keys::PublicKey::from_b64url(text.trim())
        .map_err(|e| PrincipalError::Invalid(format!("public key {text:?}: {e}")))?;
    Ok(PrincipalKey { key_id: key.key_id().to_string(), public_key: key.to_b64url() })
}

pub use ecmr_wire::admin::NewPrincipal;

/// Checks a request, stores the principal and its first token, and returns both with the token text.
///
/// # Errors
/// [`PrincipalError::Invalid`] for a bad request; store errors.
pub async fn create_principal(store: &Store, req: NewPrincipal) -> Result<(Principal, IssuedToken), PrincipalError> {
    let name = req.name.trim();
    if name.is_empty() || name.len() > 200 {
        return Err(PrincipalError::Invalid("name must be 1 to 200 characters".into()));
    }
    let mut keys: Vec<PrincipalKey> = Vec::new();
    for k in &req.public_keys {
        let key = parse_public_key(k)?;
        if !keys.iter().any(|have| have.key_id == key.key_id) {
            keys.push(key);
        }
    }
    match (req.kind, keys.is_empty()) {
        (PrincipalKind::Party, true) => {
            return Err(PrincipalError::Invalid("a party needs at least one public key".into()));
        }
        (PrincipalKind::Party, false) => {}
        (kind, false) => {
            return Err(PrincipalError::Invalid(format!("a principal of kind {} has no public keys", kind.as_str())));
        }
        (_, true) => {}
    }
    // A key belongs to one active party: whoever holds a key's binding reads the documents it signed.
    for k in &keys {
        if let Some(owner) = store.principals.key_owner(&k.key_id).await? {
            return Err(PrincipalError::Invalid(format!(
                "public key {} is already bound to active principal {owner}",
                k.public_key
            )));
        }
    }
    let details = req.details.unwrap_or_else(|| serde_json::json!({}));
    if !details.is_object() {
        return Err(PrincipalError::Invalid("details must be a JSON object".into()));
    }
    match req.kind {
        PrincipalKind::Authority => {
            let country = details.get("country").and_then(|c| c.as_str()).unwrap_or("");
            if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(PrincipalError::Invalid(
                    "an authority needs details.country, an ISO 3166-1 alpha-2 code such as \"NL\"".into(),
                ));
            }
            Entitlements::read(&details)?;
        }
        PrincipalKind::Party if details.get("subsets").is_some() => {
            return Err(PrincipalError::Invalid("only an authority or a gate has details.subsets".into()));
        }
        PrincipalKind::Party => {
            super::identity::check_party_details(&details).map_err(PrincipalError::Invalid)?;
        }
        // A gate (gate→platform API) is entitled to subsets as an authority is.
        PrincipalKind::Gate => {
            Entitlements::read(&details)?;
        }
        _ if details.get("subsets").is_some() => {
            return Err(PrincipalError::Invalid("only an authority or a gate has details.subsets".into()));
        }
        _ => {}
    }
    if req.kind == PrincipalKind::Platform
        && let Some(id) = details.get("platformId")
        && !id.as_str().is_some_and(super::uil::is_id)
    {
        return Err(PrincipalError::Invalid(
            "details.platformId must be 1 to 255 letters, digits and ._-@#&+ (no spaces, no `/`, no `..`)".into(),
        ));
    }
    if req.token_expires_at.is_some_and(|at| at <= Utc::now()) {
        return Err(PrincipalError::Invalid("token_expires_at is in the past".into()));
    }
    let principal = Principal {
        id: Uuid::new_v4(),
        kind: req.kind,
        name: name.to_owned(),
        details,
        keys,
        created_at: now(),
        revoked_at: None,
    };
    if let Some(id) = platform_id_of(&principal) {
        // Two platforms with one id would replace each other's datasets.
        let taken = store.principals.list_principals().await?.into_iter().any(|p| {
            p.kind == PrincipalKind::Platform
                && p.revoked_at.is_none()
                && platform_id_of(&p).is_some_and(|other| normalise_id(other) == normalise_id(id))
        });
        if taken {
            return Err(PrincipalError::Invalid(format!("platform id {id:?} is already used by another platform")));
        }
    }
    let token = issue_token(principal.id, req.token_expires_at)?;
    store.principals.add_principal(&principal, &token.stored).await?;
    Ok((principal, token))
}

/// Refuses a new platform principal that would take the id of this gateway's own platform (`own`): its datasets
/// would be found in searches as this gateway's documents.
///
/// # Errors
/// [`PrincipalError::Invalid`].
pub fn check_not_own_platform(req: &NewPrincipal, own: &str) -> Result<(), PrincipalError> {
    let id = req.details.as_ref().and_then(|d| d.get("platformId")).and_then(|v| v.as_str());
    if req.kind == PrincipalKind::Platform && id.is_some_and(|id| normalise_id(id) == normalise_id(own)) {
        return Err(PrincipalError::Invalid(format!("platform id {own:?} is this gateway's own")));
    }
    Ok(())
}

/// The eFTI subsets an authority or a gate may request, from the `subsets` of its details.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entitlements {
    /// `full`: every subset, and the whole dataset.
    Full,
    /// These subset ids, in the order they were granted (none: nothing may be requested).
    Subsets(Vec<String>),
}

impl Entitlements {
    /// The entitlements of a principal; a principal without `details.subsets` (or of another kind) has none.
    pub fn of(principal: &Principal) -> Entitlements {
        Entitlements::read(&principal.details).unwrap_or(Entitlements::Subsets(Vec::new()))
    }

    /// Reads and checks `details.subsets`: absent, or an array of subset ids the common XSD defines,
    /// `identifier` or `full`.
    ///
    /// # Errors
    /// [`PrincipalError::Invalid`] naming the entry at fault.
    pub fn read(details: &serde_json::Value) -> Result<Entitlements, PrincipalError> {
        let Some(subsets) = details.get("subsets") else { return Ok(Entitlements::Subsets(Vec::new())) };
        let Some(list) = subsets.as_array() else {
            return Err(PrincipalError::Invalid("details.subsets must be an array of subset ids".into()));
        };
        let mut granted = Vec::with_capacity(list.len());
        for (i, id) in list.iter().enumerate() {
            match id.as_str() {
                Some(s) if s == FULL || ecmr::efti::is_known_subset(s) => granted.push(s.to_owned()),
                Some(s) => {
                    return Err(PrincipalError::Invalid(format!(
                        "details.subsets[{i}]: unknown subset id {s:?} (expected e.g. \"EU01\", \"identifier\" or \
                         \"full\"; ids are case-sensitive)"
                    )));
                }
                None => return Err(PrincipalError::Invalid(format!("details.subsets[{i}] is not a string"))),
            }
        }
        if granted.iter().any(|g| g == FULL) {
            return Ok(Entitlements::Full);
        }
        Ok(Entitlements::Subsets(granted))
    }

    /// The first of `requested` that is not granted; `None` when every one is.
    pub fn first_refused<'a>(&self, requested: &'a [String]) -> Option<&'a str> {
        match self {
            Entitlements::Full => None,
            Entitlements::Subsets(granted) => requested.iter().find(|r| !granted.contains(r)).map(String::as_str),
        }
    }

    /// Whether the whole dataset (and the signed document) may be read.
    pub fn is_full(&self) -> bool {
        matches!(self, Entitlements::Full)
    }

    /// What may be requested, for messages: the granted ids, or "nothing (no subsets granted)".
    pub fn describe(&self) -> String {
        match self {
            Entitlements::Full => FULL.to_owned(),
            Entitlements::Subsets(g) if g.is_empty() => "nothing (no subsets granted)".to_owned(),
            Entitlements::Subsets(g) => g.join(", "),
        }
    }
}

/// Replaces the subsets an active authority or gate may request, and returns the principal as it is now.
///
/// # Errors
/// [`PrincipalError::NotFound`] when there is no such active principal, [`PrincipalError::Invalid`] when it is not
/// an authority or a gate, or a subset id is unknown.
pub async fn set_subsets(store: &Store, id: Uuid, subsets: &[String]) -> Result<Principal, PrincipalError> {
    let mut principal = active(store, id).await?;
    if !matches!(principal.kind, PrincipalKind::Authority | PrincipalKind::Gate) {
        return Err(PrincipalError::Invalid(format!(
            "only an authority or a gate has subsets; principal {id} is of kind {}",
            principal.kind.as_str()
        )));
    }
    let list = subsets.iter().map(|s| serde_json::Value::String(s.trim().to_owned())).collect();
    match principal.details.as_object_mut() {
        Some(map) => {
            map.insert("subsets".into(), serde_json::Value::Array(list));
        }
        None => return Err(PrincipalError::Invalid("the principal's details are not a JSON object".into())),
    }
    Entitlements::read(&principal.details)?;
    if !store.principals.set_details(id, &principal.details).await? {
        return Err(PrincipalError::NotFound(id));
    }
    Ok(principal)
}

/// Adds a token to an active principal.
///
/// # Errors
/// [`PrincipalError::NotFound`] when there is no such active principal.
pub async fn add_token(
    store: &Store,
    principal_id: Uuid,
    expires_at: Option<DateTime<Utc>>,
) -> Result<IssuedToken, PrincipalError> {
    active(store, principal_id).await?;
    if expires_at.is_some_and(|at| at <= Utc::now()) {
        return Err(PrincipalError::Invalid("expires_at is in the past".into()));
    }
    let token = issue_token(principal_id, expires_at)?;
    store.principals.add_token(&token.stored).await?;
    Ok(token)
}

/// Revokes an active principal and all its tokens. The last active admin with a usable token cannot be revoked:
/// no one could administer the gateway afterwards.
///
/// # Errors
/// [`PrincipalError::NotFound`] when there is no such active principal, [`PrincipalError::LastAdmin`].
pub async fn revoke_principal(store: &Store, id: Uuid) -> Result<(), PrincipalError> {
    if store.principals.get_principal(id).await?.is_some_and(|p| p.kind == PrincipalKind::Admin) {
        ensure_an_admin_remains(store, Without::Principal(id)).await?;
    }
    if store.principals.revoke_principal(id, now()).await? { Ok(()) } else { Err(PrincipalError::NotFound(id)) }
}

/// Revokes one token; the last usable token of the last active admin cannot be revoked.
///
/// # Errors
/// [`PrincipalError::NotFound`] when there is no such active token, [`PrincipalError::LastAdmin`].
pub async fn revoke_token(store: &Store, id: Uuid) -> Result<(), PrincipalError> {
    ensure_an_admin_remains(store, Without::Token(id)).await?;
    if store.principals.revoke_token(id, now()).await? { Ok(()) } else { Err(PrincipalError::NotFound(id)) }
}

/// What a change would take away.
#[derive(Debug, Clone, Copy)]
enum Without {
    Principal(Uuid),
    Token(Uuid),
}

/// Refuses a change after which no active admin would have a token that works (not revoked, not expired).
async fn ensure_an_admin_remains(store: &Store, without: Without) -> Result<(), PrincipalError> {
    let at = now();
    for admin in store.principals.list_principals().await? {
        if admin.kind != PrincipalKind::Admin || admin.revoked_at.is_some() {
            continue;
        }
        if matches!(without, Without::Principal(id) if id == admin.id) {
            continue;
        }
        let tokens = store.principals.list_tokens(admin.id).await?;
        let usable = tokens.iter().any(|t| {
            t.revoked_at.is_none()
                && t.expires_at.is_none_or(|e| e > at)
                && !matches!(without, Without::Token(id) if id == t.id)
        });
        if usable {
            return Ok(());
        }
    }
    Err(PrincipalError::LastAdmin)
}

async fn active(store: &Store, id: Uuid) -> Result<Principal, PrincipalError> {
    match store.principals.get_principal(id).await? {
        Some(p) if p.revoked_at.is_none() => Ok(p),
        _ => Err(PrincipalError::NotFound(id)),
    }
}

/// The eFTI platform id of a platform principal: the `platformId` string of its details.
pub fn platform_id_of(p: &Principal) -> Option<&str> {
    p.details.get("platformId").and_then(|v| v.as_str()).map(str::trim).filter(|s| !s.is_empty())
}

pub use ecmr_wire::party::PrincipalRef;

/// How `p` is named in audit entries and follow-ups.
pub fn principal_ref(p: &Principal) -> PrincipalRef {
    let country = p.details.get("country").and_then(|c| c.as_str()).map(str::to_owned);
    PrincipalRef { id: p.id, kind: p.kind, name: p.name.clone(), country }
}

/// The principals of `ids` as they are named, looked up once each; an id no longer known is named by id and kind
/// alone.
///
/// # Errors
/// Store errors.
pub async fn names(
    store: &Store,
    ids: impl IntoIterator<Item = (Uuid, PrincipalKind)>,
) -> Result<HashMap<Uuid, PrincipalRef>, StoreError> {
    let mut out = HashMap::new();
    for (id, kind) in ids {
        if out.contains_key(&id) {
            continue;
        }
        let named = match store.principals.get_principal(id).await? {
            Some(p) => principal_ref(&p),
            None => PrincipalRef { id, kind, name: String::new(), country: None },
        };
        out.insert(id, named);
    }
    Ok(out)
}

/// Most tokens remembered at once; the cache is emptied when it is full.
const TOKEN_CACHE_ENTRIES: usize = 10_000;

/// A remembered authentication: the principal, when it was looked up, and when the token expires.
type Cached = (Principal, Instant, Option<DateTime<Utc>>);

/// Tokens authenticated in the last `ttl`, by their SHA-256, so that a request does not cost a store lookup each.
/// A token's expiry is checked on every hit: a remembered token stops working when it expires, not up to `ttl`
/// later.
#[derive(Debug)]
struct TokenCache {
    ttl: Duration,
    entries: Mutex<HashMap<String, Cached>>,
}

impl TokenCache {
    fn get(&self, token_sha256: &str) -> Option<Principal> {
        let entries = self.entries.lock().ok()?;
        let (p, at, expires_at) = entries.get(token_sha256)?;
        (at.elapsed() < self.ttl && expires_at.is_none_or(|e| e > Utc::now())).then(|| p.clone())
    }

    fn put(&self, token_sha256: String, principal: &Principal, expires_at: Option<DateTime<Utc>>) {
        if self.ttl.is_zero() {
            return;
        }
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= TOKEN_CACHE_ENTRIES {
                entries.clear();
            }
            entries.insert(token_sha256, (principal.clone(), Instant::now(), expires_at));
        }
    }

    fn clear(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.clear();
        }
    }
}

/// The principals of a running gateway: authentication with a short-lived cache, and the administration that
/// empties it, so that revocations and new entitlements apply at once.
pub struct Principals {
    store: Store,
    tokens: TokenCache,
    /// This gateway's own platform id, which no platform principal may take.
    own_platform_id: String,
}

impl Principals {
    /// The principals in `store` of a gateway whose own platform id is `own_platform_id`, remembering
    /// authenticated tokens for `ttl` (zero: never).
    pub fn new(store: Store, ttl: Duration, own_platform_id: String) -> Principals {
        Principals { store, tokens: TokenCache { ttl, entries: Mutex::default() }, own_platform_id }
    }

    /// The active principal a bearer token belongs to, if the token is active.
    ///
    /// # Errors
    /// Store errors.
    pub async fn authenticate(&self, token: &str) -> Result<Option<Principal>, StoreError> {
        if token.is_empty() || token.len() > TOKEN_MAX_CHARS {
            return Ok(None);
        }
        self.authenticate_hash(&token_hash(token)).await
    }

    /// The active principal of the token whose SHA-256 is `token_sha256` (see [`token_hash`]), if the token is
    /// active: how an inspector session, which keeps only the hash, is checked against its token on every use.
    ///
    /// # Errors
    /// Store errors.
    pub async fn authenticate_hash(&self, token_sha256: &str) -> Result<Option<Principal>, StoreError> {
        if let Some(principal) = self.tokens.get(token_sha256) {
            return Ok(Some(principal));
        }
        let found = self.store.principals.authenticate_token(token_sha256, now()).await?;
        if let Some((p, expires_at)) = &found {
            self.tokens.put(token_sha256.to_owned(), p, *expires_at);
        }
        Ok(found.map(|(p, _)| p))
    }

    /// See [`create_principal`]; a platform may not take this gateway's own platform id.
    ///
    /// # Errors
    /// As [`create_principal`] and [`check_not_own_platform`].
    pub async fn create(&self, req: NewPrincipal) -> Result<(Principal, IssuedToken), PrincipalError> {
        check_not_own_platform(&req, &self.own_platform_id)?;
        create_principal(&self.store, req).await
    }

    /// Every principal, oldest first.
    ///
    /// # Errors
    /// Store errors.
    pub async fn list(&self) -> Result<Vec<Principal>, StoreError> {
        self.store.principals.list_principals().await
    }

    /// One principal with its tokens.
    ///
    /// # Errors
    /// [`PrincipalError::NotFound`] when there is none.
    pub async fn get(&self, id: Uuid) -> Result<(Principal, Vec<TokenInfo>), PrincipalError> {
        let principal = self.store.principals.get_principal(id).await?.ok_or(PrincipalError::NotFound(id))?;
        Ok((principal, self.store.principals.list_tokens(id).await?))
    }

    /// See [`revoke_principal`]; cached tokens are forgotten.
    ///
    /// # Errors
    /// As [`revoke_principal`].
    pub async fn revoke(&self, id: Uuid) -> Result<(), PrincipalError> {
        let r = revoke_principal(&self.store, id).await;
        self.tokens.clear();
        r
    }

    /// See [`set_subsets`]; cached tokens are forgotten.
    ///
    /// # Errors
    /// As [`set_subsets`].
    pub async fn set_subsets(&self, id: Uuid, subsets: &[String]) -> Result<Principal, PrincipalError> {
        let r = set_subsets(&self.store, id, subsets).await;
        self.tokens.clear();
        r
    }

    /// See [`add_token`].
    ///
    /// # Errors
    /// As [`add_token`].
    pub async fn add_token(&self, id: Uuid, expires_at: Option<DateTime<Utc>>) -> Result<IssuedToken, PrincipalError> {
        add_token(&self.store, id, expires_at).await
    }

    /// See [`revoke_token`]; cached tokens are forgotten.
    ///
    /// # Errors
    /// As [`revoke_token`].
    pub async fn revoke_token(&self, id: Uuid) -> Result<(), PrincipalError> {
        let r = revoke_token(&self.store, id).await;
        self.tokens.clear();
        r
    }

    /// The active party principal a key (by key id) is bound to, if any.
    ///
    /// # Errors
    /// Store errors.
    pub async fn key_owner(&self, key_id: &str) -> Result<Option<Uuid>, StoreError> {
        self.store.principals.key_owner(key_id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_prefixed_and_hashed() {
        let a = issue_token(Uuid::nil(), None).unwrap();
        let b = issue_token(Uuid::nil(), None).unwrap();
        assert!(a.token.starts_with(TOKEN_PREFIX));
        assert_eq!(a.token.len(), TOKEN_PREFIX.len() + 43);
        assert_ne!(a.token, b.token);
        assert_eq!(a.stored.token_sha256, token_hash(&a.token));
        assert_eq!(a.stored.token_sha256.len(), 64);
        assert!(!a.stored.token_sha256.contains(&a.token));
        // FIPS 180-2 test vector.
        assert_eq!(token_hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn public_keys_must_be_32_bytes_of_base64url() {
        assert!(parse_public_key("not base64!").is_err());
        assert!(parse_public_key("AAAA").is_err());
    }

    #[test]
    fn entitlements_grant_by_name_or_all_with_full() {
        let read = |v: serde_json::Value| Entitlements::read(&v);
        let some = read(serde_json::json!({"subsets": ["EU01", "identifier"]})).unwrap();
        assert_eq!(some.first_refused(&["EU01".into()]), None);
        assert_eq!(some.first_refused(&["EU01".into(), "EU02".into()]), Some("EU02"));
        assert!(!some.is_full());
        assert_eq!(some.describe(), "EU01, identifier");
        let full = read(serde_json::json!({"subsets": ["EU01", "full"]})).unwrap();
        assert_eq!(full, Entitlements::Full);
        assert_eq!(full.first_refused(&["EU07".into()]), None);
        let none = read(serde_json::json!({})).unwrap();
        assert_eq!(none.first_refused(&["EU01".into()]), Some("EU01"));
        assert_eq!(none.describe(), "nothing (no subsets granted)");
        assert!(read(serde_json::json!({"subsets": ["eu01"]})).is_err(), "ids are case-sensitive");
        assert!(read(serde_json::json!({"subsets": "EU01"})).is_err());
        assert!(read(serde_json::json!({"subsets": [1]})).is_err());
    }

    fn principal() -> Principal {
        Principal {
            id: Uuid::new_v4(),
            kind: PrincipalKind::Authority,
            name: "ILT".into(),
            details: serde_json::json!({"country": "NL", "subsets": ["full"]}),
            keys: Vec::new(),
            created_at: now(),
            revoked_at: None,
        }
    }

    fn cache(ttl: Duration) -> TokenCache {
        TokenCache { ttl, entries: Mutex::default() }
    }

    #[test]
    fn tokens_are_remembered_for_the_ttl_only() {
        let cache = cache(Duration::from_millis(30));
        let p = principal();
        assert!(cache.get("h").is_none());
        cache.put("h".into(), &p, None);
        assert_eq!(cache.get("h").map(|c| c.id), Some(p.id));
        assert!(cache.get("other").is_none());
        std::thread::sleep(Duration::from_millis(40));
        assert!(cache.get("h").is_none(), "expired");
        cache.put("h".into(), &p, None);
        cache.clear();
        assert!(cache.get("h").is_none(), "cleared");
    }

    #[test]
    fn a_remembered_token_stops_at_its_expiry() {
        let cache = cache(Duration::from_secs(60));
        let p = principal();
        cache.put("soon".into(), &p, Some(Utc::now() + chrono::Duration::milliseconds(50)));
        cache.put("past".into(), &p, Some(Utc::now() - chrono::Duration::milliseconds(1)));
        assert!(cache.get("soon").is_some());
        assert!(cache.get("past").is_none(), "expired already");
        std::thread::sleep(Duration::from_millis(60));
        assert!(cache.get("soon").is_none(), "expired while remembered");
    }

    #[test]
    fn a_zero_ttl_keeps_nothing_and_the_cache_stays_bounded() {
        let off = cache(Duration::ZERO);
        off.put("h".into(), &principal(), None);
        assert!(off.get("h").is_none());
        let cache = cache(Duration::from_secs(60));
        for i in 0..TOKEN_CACHE_ENTRIES + 5 {
            cache.put(format!("h{i}"), &principal(), None);
        }
        assert!(cache.entries.lock().expect("lock").len() <= TOKEN_CACHE_ENTRIES);
    }
}
