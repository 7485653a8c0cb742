//! Administration: principals and tokens.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::party::PrincipalKind;

/// A principal as the admin API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = Principal))]
pub struct PrincipalView {
    /// Principal id.
    pub id: Uuid,
    /// What it is.
    pub kind: PrincipalKind,
    /// Display name.
    pub name: String,
    /// Kind-specific details, e.g. an authority's country, legal contact and subsets, a platform's `platformId`.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub details: serde_json::Value,
    /// Bound public keys (parties).
    pub keys: Vec<PrincipalKeyView>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A public key bound to a party.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = PrincipalKey))]
pub struct PrincipalKeyView {
    /// Lowercase hex SHA-256 of the 32 key bytes.
    pub key_id: String,
    /// The Ed25519 public key, base64url without padding.
    pub public_key: String,
}

/// A token's metadata (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = TokenInfo))]
pub struct TokenView {
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

/// A new principal with its first token (shown only here).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PrincipalCreated {
    /// The principal.
    pub principal: PrincipalView,
    /// The bearer token. It is not stored and cannot be shown again.
    pub token: String,
    /// The token's id, to revoke it.
    pub token_id: Uuid,
}

/// A principal and its tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PrincipalDetail {
    /// The principal.
    pub principal: PrincipalView,
    /// Its tokens (metadata only).
    pub tokens: Vec<TokenView>,
}

/// When a new token should stop working.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewTokenRequest {
    /// Expiry; none means it works until revoked.
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
}

/// A new token (shown only here).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenCreated {
    /// The bearer token. It is not stored and cannot be shown again.
    pub token: String,
    /// Its id, to revoke it.
    pub token_id: Uuid,
    /// When it stops working.
    pub expires_at: Option<DateTime<Utc>>,
}

/// The eFTI subsets an authority may request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SubsetsRequest {
    /// Subset ids (`EU01`, `identifier`, … or `full` for all); empty grants nothing.
    pub subsets: Vec<String>,
}

/// What a new principal should be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::StrictJson>))]
    pub details: Option<serde_json::Value>,
    /// When the first token stops working.
    #[serde(default)]
    pub token_expires_at: Option<DateTime<Utc>>,
}
