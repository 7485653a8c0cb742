//! Whom a key belongs to: the [`TrustStore`] a verifier is given — keys it trusts directly (a CLI's trust file)
//! and gateway keys whose attestations it accepts — and the answers verification gives per event: **anchored**
//! (by a trust-store entry or an attestation), **delegated** (pinned by an earlier event whose signer was trusted)
//! or **not vouched for** (and why).
//!
//! A key a note pins for a role is never trusted on the pin alone: the sender writes the pins, so a pin only
//! passes on the trust of the event that wrote it.
//!
//! ```
//! use ecmr::keys::{FileKey, Signer as _};
//! use ecmr::trust::{Anchor, Trust, TrustStore, TrustedKey};
//!
//! # let note: serde_json::Value = serde_json::from_str(include_str!("../../../examples/domestic-pallets.json")).unwrap();
//! let sender = FileKey::from_seed(&[1; 32]);
//! let doc = ecmr::sign::issue_value(uuid::Uuid::from_u128(1), note, "2026-11-27T15:00:00Z".parse().unwrap(), &sender)
//!     .unwrap();
//!
//! // Without a trust store the signature is sound, but nothing says whose key it is.
//! let v = ecmr::verify::verify(doc.bytes(), None).unwrap();
//! assert!(!v.report().all_trusted());
//!
//! let mut store = TrustStore::new();
//! store.insert(TrustedKey { public_key: sender.public_key(), name: "Brabant Zuivel B.V.".into(), roles: vec![] });
//! let v = ecmr::verify::verify(doc.bytes(), Some(&store)).unwrap();
//! assert_eq!(
//!     v.report().events[0].trust,
//!     Trust::Anchored { anchor: Anchor::TrustStore { party: "Brabant Zuivel B.V.".into() } }
//! );
//! assert!(v.report().all_trusted());
//! ```

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::attest::{Attestation, PartyIdentity, StatementError};
use crate::document::Role;
use crate::keys::{KeyId, PublicKey};
use crate::model::Party;

/// Whom a trusted key belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustedKey {
    /// The key.
    pub public_key: PublicKey,
    /// The party's name.
    pub name: String,
    /// The roles this key is trusted for; empty means any role.
    #[serde(default)]
    pub roles: Vec<Role>,
}

/// A gateway's signing key, whose attestations and receipts are accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewayKey {
    /// The gate the key belongs to; a statement naming another gate is refused. `None` accepts the gate the
    /// statement names (for a key taken on its own, e.g. from a command line).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gate_id: Option<String>,
    /// The key.
    pub public_key: PublicKey,
    /// The end of the key's validity after a rotation (RFC 3339 UTC): statements made later are refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<String>,
}

impl GatewayKey {
    /// A current key of `gate_id`.
    pub fn new(gate_id: &str, public_key: PublicKey) -> Self {
        GatewayKey { gate_id: Some(gate_id.to_owned()), public_key, valid_until: None }
    }

    /// A key trusted for whichever gate its statements name.
    pub fn any_gate(public_key: PublicKey) -> Self {
        GatewayKey { gate_id: None, public_key, valid_until: None }
    }
}

/// Keys known from outside the document: keys trusted directly, with whom they belong to, and gateway keys
/// whose attestations bind keys to parties.
///
/// Its JSON form is `{"keys": [{"public_key": "<base64url>", "name": "...", "roles": ["carrier"]}],
/// "gateway_keys": [{"gate_id": "...", "public_key": "<base64url>"}]}` (`gateway_keys` may be left out).
/// Attestations are added at run time with [`TrustStore::add_attestation`], each checked against the gateway keys.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustStore {
    keys: BTreeMap<KeyId, TrustedKey>,
    by_id: BTreeMap<KeyId, (String, Vec<Role>)>,
    gateways: BTreeMap<KeyId, GatewayKey>,
    attestations: BTreeMap<KeyId, Vec<Attestation>>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TrustStoreFile {
    keys: Vec<TrustedKey>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    gateway_keys: Vec<GatewayKey>,
}

impl TrustStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a key.
    pub fn insert(&mut self, key: TrustedKey) {
        self.keys.insert(key.public_key.key_id(), key);
    }

    /// Trusts a key known only by its id (a trust file may name keys so).
    pub fn insert_key_id(&mut self, id: KeyId, name: String, roles: Vec<Role>) {
        self.by_id.insert(id, (name, roles));
    }

    /// Looks a key up by id.
    pub fn get(&self, id: &KeyId) -> Option<&TrustedKey> {
        self.keys.get(id)
    }

    /// The entries, by key id.
    pub fn keys(&self) -> impl Iterator<Item = &TrustedKey> {
        self.keys.values()
    }

    /// The entry vouching for `key` in `role`, if any.
    pub fn vouches(&self, key: &PublicKey, role: Role) -> Option<&TrustedKey> {
        self.keys.get(&key.key_id()).filter(|k| k.roles.is_empty() || k.roles.contains(&role))
    }

    fn vouches_id(&self, id: &KeyId, role: Role) -> Option<&str> {
        let for_role = |roles: &[Role]| roles.is_empty() || roles.contains(&role);
        match self.keys.get(id) {
            Some(k) if for_role(&k.roles) => Some(&k.name),
            _ => self.by_id.get(id).filter(|(_, roles)| for_role(roles)).map(|(name, _)| name.as_str()),
        }
    }

    /// Trusts a gateway's key for its attestations and receipts.
    pub fn add_gateway_key(&mut self, key: GatewayKey) {
        self.gateways.insert(key.public_key.key_id(), key);
    }

    /// The trusted gateway key with this id.
    pub fn gateway_key(&self, id: &KeyId) -> Option<&GatewayKey> {
        self.gateways.get(id)
    }

    /// The trusted gateway keys.
    pub fn gateway_keys(&self) -> impl Iterator<Item = &GatewayKey> {
        self.gateways.values()
    }

    /// Checks an attestation against the trusted gateway keys and, when it holds, remembers it.
    ///
    /// # Errors
    /// [`StatementError`] when it is malformed, badly signed or not signed by a trusted gateway key.
    pub fn add_attestation(&mut self, bytes: &[u8]) -> Result<Attestation, StatementError> {
        let attestation = Attestation::verify(bytes, self)?;
        self.remember(attestation.clone());
        Ok(attestation)
    }

    /// As [`TrustStore::add_attestation`], from a value already parsed strictly (as inside a bundle).
    ///
    /// # Errors
    /// As [`TrustStore::add_attestation`].
    pub fn add_attestation_value(&mut self, value: &serde_json::Value) -> Result<Attestation, StatementError> {
        let attestation = Attestation::verify_value(value, self)?;
        self.remember(attestation.clone());
        Ok(attestation)
    }

    fn remember(&mut self, attestation: Attestation) {
        let list = self.attestations.entry(attestation.key.key_id()).or_default();
        if !list.contains(&attestation) {
            list.push(attestation);
        }
    }

    /// Number of keys trusted directly (by public key or by key id).
    pub fn len(&self) -> usize {
        self.keys.len() + self.by_id.len()
    }

    /// Whether nothing is trusted: no keys, no gateway keys.
    pub fn is_empty(&self) -> bool {
        self.len() == 0 && self.gateways.is_empty()
    }

    /// What anchors `key` for an event signed at `at` in `role`, whose party blocks in the note as it stood are
    /// `parties` (one block, or every successive carrier's): a trust-store entry for the role, or an attestation
    /// valid at `at` whose party matches one of the blocks. When nothing does, why not.
    pub(crate) fn anchor(
        &self,
        key: &KeyId,
        role: Role,
        parties: impl FnOnce() -> Vec<Party>,
        at: &str,
    ) -> Result<Anchor, Unvouched> {
        if let Some(name) = self.vouches_id(key, role) {
            return Ok(Anchor::TrustStore { party: name.to_owned() });
        }
        let attestations = self.attestations.get(key).map(Vec::as_slice).unwrap_or_default();
        if attestations.is_empty() {
            return Err(Unvouched::NotInTrustStore);
        }
        let parties = parties();
        let mut other = None;
        for a in attestations.iter().filter(|a| a.valid_at(at)) {
            if parties.iter().any(|p| a.party.matches(p)) {
                return Ok(Anchor::Attestation { party: a.party.clone(), gate_id: a.gate_id.clone() });
            }
            other.get_or_insert_with(|| a.party.clone());
        }
        match other {
            Some(party) => Err(Unvouched::AttestationNamesAnotherParty { party }),
            None => Err(Unvouched::AttestationNotValidAt { at: at.to_owned() }),
        }
    }

    /// Reads the JSON form.
    ///
    /// # Errors
    /// [`crate::json::JsonError`] naming the problem.
    pub fn from_json(text: &str) -> Result<Self, crate::json::JsonError> {
        let file: TrustStoreFile = crate::json::from_str_limited(text, crate::canonical::MAX_DOCUMENT_BYTES)?;
        let mut store = TrustStore::new();
        for k in file.keys {
            store.insert(k);
        }
        for g in file.gateway_keys {
            store.add_gateway_key(g);
        }
        Ok(store)
    }

    /// Writes the JSON form (attestations and keys known only by id are not part of it).
    pub fn to_json(&self) -> String {
        let file = TrustStoreFile {
            keys: self.keys.values().cloned().collect(),
            gateway_keys: self.gateways.values().cloned().collect(),
        };
        serde_json::to_string_pretty(&file).unwrap_or_default()
    }
}

/// The party blocks of `role` in a note (JSON): one block, or every successive carrier's. A block that does not
/// read as a party is left out.
pub fn party_blocks(note: &Value, role: Role) -> Vec<Party> {
    let one = |name: &str| note.get(name).and_then(|p| serde_json::from_value::<Party>(p.clone()).ok());
    match role {
        Role::Sender => one("sender").into_iter().collect(),
        Role::Carrier => one("carrier").into_iter().collect(),
        Role::Consignee => one("consignee").into_iter().collect(),
        Role::SuccessiveCarrier => note
            .get("successive_carriers")
            .and_then(Value::as_array)
            .map(|cs| cs.iter().filter_map(|c| serde_json::from_value::<Party>(c.clone()).ok()).collect())
            .unwrap_or_default(),
    }
}

/// What anchors a key: something outside the document says whose it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum Anchor {
    /// The trust store lists the key for the role.
    TrustStore {
        /// The party the store names.
        party: String,
    },
    /// A trusted gateway attests that the key belongs to the party the note names for the role.
    Attestation {
        /// The attested party.
        party: PartyIdentity,
        /// The gate that attests.
        gate_id: String,
    },
}

/// Why a key is not vouched for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Unvouched {
    /// No trust store was given: identities were not checked.
    NoTrustStore,
    /// The trust store neither lists the key for the role nor holds an attestation for it.
    NotInTrustStore,
    /// The note pins the key for the role, but the event that wrote the pin (`by_seq`) has no trusted signer —
    /// or is this very event: pins never vouch for the key that wrote them.
    PinnedByUntrustedSigner {
        /// The event that wrote the pin.
        by_seq: u64,
    },
    /// A trusted gateway attests the key, but for another party than the note names for the role.
    AttestationNamesAnotherParty {
        /// The party the attestation names.
        party: PartyIdentity,
    },
    /// The key's attestations do not cover the event's time.
    AttestationNotValidAt {
        /// The event's `at`.
        at: String,
    },
}

/// Why a signer's key is accepted for its role, or why not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "trust", rename_all = "snake_case")]
pub enum Trust {
    /// Something outside the document says whose key it is.
    Anchored {
        /// What.
        anchor: Anchor,
    },
    /// The note pins the key for the role, and the event that wrote the pin has a trusted signer.
    Delegated {
        /// The event that wrote the pin.
        by_seq: u64,
    },
    /// The signature is sound, but nothing trusted says whose key it is.
    NotVouched {
        /// Why not.
        #[serde(flatten)]
        reason: Unvouched,
    },
}

impl Trust {
    /// Anchored or delegated.
    pub fn is_trusted(&self) -> bool {
        !matches!(self, Trust::NotVouched { .. })
    }
}

impl fmt::Display for Anchor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Anchor::TrustStore { party } => write!(f, "trust store: {party}"),
            Anchor::Attestation { party, gate_id } => write!(f, "attested by gate {gate_id}: {party}"),
        }
    }
}

impl fmt::Display for Unvouched {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unvouched::NoTrustStore => f.write_str("identity not checked (no trust store)"),
            Unvouched::NotInTrustStore => f.write_str("not in the trust store"),
            Unvouched::PinnedByUntrustedSigner { by_seq } => {
                write!(f, "pinned only by event {by_seq}, whose signer is not trusted")
            }
            Unvouched::AttestationNamesAnotherParty { party } => {
                write!(f, "the gateway attests this key for another party: {party}")
            }
            Unvouched::AttestationNotValidAt { at } => write!(f, "no attestation of this key is valid at {at}"),
        }
    }
}

impl fmt::Display for Trust {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Trust::Anchored { anchor } => anchor.fmt(f),
            Trust::Delegated { by_seq } => write!(f, "pinned by event {by_seq}, whose signer is trusted"),
            Trust::NotVouched { reason } => write!(f, "not vouched for: {reason}"),
        }
    }
}
