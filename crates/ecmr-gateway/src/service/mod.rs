//! The gateway's rules, between the HTTP handlers ([`crate::api`]) and the storage ([`crate::store`]).
//!
//! Each service owns one concept and takes and returns domain types; none of them knows HTTP:
//!
//! - [`principals`]: who may call the gateway — principal kinds, tokens and their cache, typed eFTI
//!   [`Entitlements`](principals::Entitlements).
//! - [`audit`]: the one writer of the append-only audit log, with a typed [`AuditAction`](audit::AuditAction) and
//!   structured details.
//! - [`documents`]: signed documents — ingest (one strict parse, one verification, one projection), appending an
//!   event to a verified chain, who may see what.
//! - [`efti`]: the eFTI reads — datasets cut to subsets, the verify-and-project fallback, identifier search over
//!   our documents and the datasets platforms registered, authority requests and follow-ups.
//! - [`uil`]: the address of a dataset and the character rules of its parts.
//! - [`identity`]: who signed — the party directory, the identity check of posted events, attestations,
//!   receipts and bundles.
//! - [`gatekey`]: the gateway's own signing key for the statements it signs, made on first start and rotated.
//! - [`sessions`]: sessions of the inspector web app — an authority's token exchanged for a cookie.
//! - [`views`]: what the inspector web app and the driver view show: datasets in the 24 boxes, QR codes.
//! - [`shares`]: share links of a document for its driver, their lifetime, revocation and throttled look-up.
//! - [`work`]: the shared verifier, and the bounded pool where large verifications run off the request workers.

pub mod audit;
pub mod documents;
pub mod efti;
pub mod federation;
pub mod gatekey;
pub mod identity;
pub mod principals;
pub mod sessions;
pub mod shares;
pub mod uil;
pub mod views;
pub mod work;
