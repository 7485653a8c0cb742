//! Principals and their bearer tokens.
//!
//! A token is `ecmr_` followed by 32 random bytes in base64url. It is shown once, when made; the store keeps only
//! its SHA-256. The same [`create_principal`] serves the `principal add` command and the admin HTTP route.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::store::{NewToken, Principal, PrincipalKey, PrincipalKind, Store, StoreError, now};

/// Prefix of every token, so that leaked tokens are easy to recognise.
pub const TOKEN_PREFIX: &str = "ecmr_";

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

/// SHA-256 of a token, lowercase hex: the only form in which tokens are stored.
pub fn token_hash(token: &str) -> String {
    ecmr::canonical::hex(&Sha256::digest(token.as_bytes()))
}

/// Makes a new random token for a principal.
///
/// # Errors
/// [`PrincipalError::Random`] when the operating system gives no randomness.
pub fn issue_token(principal_id: Uuid, expires_at: Option<DateTime<Utc>>) -> Result<IssuedToken, PrincipalError> {
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(|e| PrincipalError::Random(e.to_string()))?;
    let token = format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(secret));
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

/// What a new principal should be.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPrincipal {
    /// What it is.
    pub kind: PrincipalKind,
    /// Display name.
    pub name: String,
    /// Ed25519 public keys (base64url), required for parties and refused for the others.
    #[serde(default)]
    pub public_keys: Vec<String>,
    /// Kind-specific details; an authority must give `country` (ISO 3166-1 alpha-2).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub details: Option<serde_json::Value>,
    /// When the first token stops working.
    #[serde(default)]
    pub token_expires_at: Option<DateTime<Utc>>,
}

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
    if req.kind == PrincipalKind::Authority {
        let country = details.get("country").and_then(|c| c.as_str()).unwrap_or("");
        if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(PrincipalError::Invalid(
                "an authority needs details.country, an ISO 3166-1 alpha-2 code such as \"NL\"".into(),
            ));
        }
        check_subsets(&details)?;
    } else if req.kind == PrincipalKind::Gate {
        // A gate (gate→platform API) is entitled to subsets as an authority is.
        check_subsets(&details)?;
    } else if details.get("subsets").is_some() {
        return Err(PrincipalError::Invalid("only an authority or a gate has details.subsets".into()));
    }
    if req.kind == PrincipalKind::Platform
        && let Some(id) = details.get("platformId")
    {
        let ok = id
            .as_str()
            .is_some_and(|s| !s.trim().is_empty() && s.chars().count() <= 255 && crate::api::control::id_chars_ok(s));
        if !ok {
            return Err(PrincipalError::Invalid(
                "details.platformId must be 1 to 255 letters, digits, spaces and -@./#&+_".into(),
            ));
        }
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
    let token = issue_token(principal.id, req.token_expires_at)?;
    store.principals.add_principal(&principal, &token.stored).await?;
    Ok((principal, token))
}

/// The id every authority principal may always be granted besides the XSD's subset ids: the whole dataset.
pub const FULL: &str = "full";

/// Checks an authority's `details.subsets`: absent, or an array of subset ids the common XSD defines, `identifier`
/// or `full`.
fn check_subsets(details: &serde_json::Value) -> Result<(), PrincipalError> {
    let Some(subsets) = details.get("subsets") else { return Ok(()) };
    let Some(list) = subsets.as_array() else {
        return Err(PrincipalError::Invalid("details.subsets must be an array of subset ids".into()));
    };
    for (i, id) in list.iter().enumerate() {
        match id.as_str() {
            Some(FULL) => {}
            Some(s) if ecmr::efti::is_known_subset(s) => {}
            Some(s) => {
                return Err(PrincipalError::Invalid(format!(
                    "details.subsets[{i}]: unknown subset id {s:?} (expected e.g. \"EU01\", \"identifier\" or \"full\"; \
                     ids are case-sensitive)"
                )));
            }
            None => return Err(PrincipalError::Invalid(format!("details.subsets[{i}] is not a string"))),
        }
    }
    Ok(())
}

/// The subset ids an authority may request (`details.subsets`); none when it has no entitlements.
pub fn entitled_subsets(principal: &Principal) -> Vec<String> {
    principal
        .details
        .get("subsets")
        .and_then(|s| s.as_array())
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

/// Whether an authority may request every one of `requested`: `full` grants everything; otherwise each requested
/// id must be granted by name. Returns the first id that is not granted.
pub fn first_not_entitled<'a>(principal: &Principal, requested: &'a [String]) -> Option<&'a str> {
    let granted = entitled_subsets(principal);
    if granted.iter().any(|g| g == FULL) {
        return None;
    }
    requested.iter().find(|r| !granted.contains(r)).map(String::as_str)
}

/// Replaces the subsets an active authority may request, and returns the principal as it is now.
///
/// # Errors
/// [`PrincipalError::NotFound`] when there is no such active principal, [`PrincipalError::Invalid`] when it is not
/// an authority or a subset id is unknown.
pub async fn set_subsets(store: &Store, id: Uuid, subsets: &[String]) -> Result<Principal, PrincipalError> {
    let mut principal = match store.principals.get_principal(id).await? {
        Some(p) if p.revoked_at.is_none() => p,
        _ => return Err(PrincipalError::NotFound(id)),
    };
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
    check_subsets(&principal.details)?;
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
    match store.principals.get_principal(principal_id).await? {
        Some(p) if p.revoked_at.is_none() => {}
        _ => return Err(PrincipalError::NotFound(principal_id)),
    }
    if expires_at.is_some_and(|at| at <= Utc::now()) {
        return Err(PrincipalError::Invalid("expires_at is in the past".into()));
    }
    let token = issue_token(principal_id, expires_at)?;
    store.principals.add_token(&token.stored).await?;
    Ok(token)
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
}
