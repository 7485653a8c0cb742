//! Who signed, as this gateway knows it: the **party directory** (a party principal's legal name, country and
//! registration numbers, with the keys bound to it), the **identity check** of every event a party posts (the
//! signer's directory identity must match the party block of the event's role in the note), and the statements
//! the gateway signs about it — key **attestations** and event **receipts** — gathered with the document in a
//! **bundle** that anyone holding the gateway's public key can check offline.

use std::collections::HashMap;

use ecmr::attest::{Attestation, PartyIdentity, PostedBy, Receipt, ReceiptFacts, scheme_from_name, scheme_name};
use ecmr::document::{Document, EventKind, Role};
use ecmr::keys::{PublicKey, SignError};
use ecmr::model::PartyIdentifier;
use ecmr::trust::party_blocks;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::Digest as _;
use uuid::Uuid;

use crate::service::gatekey::GatewayKeys;
use crate::store::{Principal, PrincipalKind, Store, StoreError, StoredDocument};

/// How long before a party's registration its attestation starts: signers' clocks differ from the gateway's.
pub const CLOCK_SKEW_MINUTES: i64 = 15;

/// What the gateway does when an event's signer is not the party the note names for the role.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IdentityCheck {
    /// Refuse the document or event (422).
    #[default]
    Enforce,
    /// Accept it, record the mismatch in the audit log and say so in the answer (for a migration period).
    Warn,
}

impl std::str::FromStr for IdentityCheck {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "enforce" => Ok(IdentityCheck::Enforce),
            "warn" => Ok(IdentityCheck::Warn),
            other => Err(format!("unknown identity check {other:?} (expected enforce or warn)")),
        }
    }
}

/// The directory identity of a party principal: its name, `details.country` and `details.identifiers`. A party
/// without a country has none.
pub fn party_identity(p: &Principal) -> Option<PartyIdentity> {
    if p.kind != PrincipalKind::Party {
        return None;
    }
    let country = p.details.get("country").and_then(Value::as_str)?;
    let identifiers = p
        .details
        .get("identifiers")
        .and_then(Value::as_array)
        .map(|ids| {
            ids.iter()
                .filter_map(|i| {
                    let scheme = i.get("scheme").and_then(Value::as_str)?;
                    let value = i.get("value").and_then(Value::as_str)?;
                    Some(PartyIdentifier { scheme: scheme_from_name(scheme), value: value.to_owned() })
                })
                .collect()
        })
        .unwrap_or_default();
    Some(PartyIdentity { name: p.name.clone(), country: country.into(), identifiers })
}

/// Checks a party's `details`: `country` (ISO 3166-1 alpha-2) and `identifiers` (`[{"scheme", "value"}]`, with
/// scheme one of vat, eori, gln, company_register, transport_licence, other), identifiers only with a country.
///
/// # Errors
/// What is wrong, naming the member.
pub fn check_party_details(details: &Value) -> Result<(), String> {
    let country = details.get("country");
    if let Some(c) = country {
        let ok = c.as_str().is_some_and(|c| c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase()));
        if !ok {
            return Err("details.country must be an ISO 3166-1 alpha-2 code such as \"NL\"".into());
        }
    }
    let Some(ids) = details.get("identifiers") else { return Ok(()) };
    if country.is_none() {
        return Err("details.identifiers needs details.country".into());
    }
    let Some(ids) = ids.as_array() else { return Err("details.identifiers must be a list".into()) };
    if ids.len() > 20 {
        return Err("details.identifiers holds at most 20 numbers".into());
    }
    for (i, id) in ids.iter().enumerate() {
        let scheme = id.get("scheme").and_then(Value::as_str).unwrap_or_default();
        if scheme_name(scheme_from_name(scheme)) != scheme.to_ascii_lowercase() || scheme.is_empty() {
            return Err(format!(
                "details.identifiers[{i}].scheme must be one of vat, eori, gln, company_register, transport_licence, \
                 other"
            ));
        }
        let value = id.get("value").and_then(Value::as_str).unwrap_or_default();
        if value.trim().is_empty() || value.len() > 100 {
            return Err(format!("details.identifiers[{i}].value must be 1 to 100 characters"));
        }
        if id.as_object().is_some_and(|o| o.len() != 2) {
            return Err(format!("details.identifiers[{i}] has members other than scheme and value"));
        }
    }
    Ok(())
}

/// The references under which a note's party block is indexed for access by identity: `id:<scheme>:<value>`
/// for each registration number (the value as [`ecmr::attest::normalise_identifier`] compares it) or, for a
/// block without numbers, `name:<country>:<legal name>` (lower-cased, single spaces).
pub fn party_refs_of_block(block: &ecmr::model::Party) -> Vec<String> {
    if block.identifiers.is_empty() {
        return vec![name_ref(block.address.country.as_str(), &block.name)];
    }
    block.identifiers.iter().map(id_ref).collect()
}

/// `id:<scheme>:<value>`, the value as [`ecmr::attest::normalise_identifier`] compares it.
fn id_ref(i: &PartyIdentifier) -> String {
    format!("id:{}:{}", scheme_name(i.scheme), ecmr::attest::normalise_identifier(&i.value))
}

fn name_ref(country: &str, name: &str) -> String {
    let words: Vec<String> = name.split_whitespace().map(str::to_lowercase).collect();
    format!("name:{country}:{}", words.join(" "))
}

/// The references a party principal is found under: `principal:<id>` (access granted to it), and with a
/// directory identity its registration numbers and its country and legal name.
pub fn party_refs_of_principal(p: &Principal) -> Vec<String> {
    let mut out = vec![format!("principal:{}", p.id)];
    if let Some(id) = party_identity(p) {
        out.push(name_ref(id.country.as_str(), &id.name));
        out.extend(id.identifiers.iter().map(id_ref));
    }
    out
}

/// The party blocks of a note (JSON) that give access by identity — the carrier's, the successive carriers' and
/// the consignee's (the sender's key signed the note) — as references by role.
pub fn document_parties(note: &Value) -> Vec<crate::store::DocumentParty> {
    let mut out: Vec<crate::store::DocumentParty> = Vec::new();
    for role in [Role::Carrier, Role::SuccessiveCarrier, Role::Consignee] {
        for block in party_blocks(note, role) {
            for party_ref in party_refs_of_block(&block) {
                let p = crate::store::DocumentParty { party_ref, role: role.as_str().to_owned() };
                if !out.contains(&p) {
                    out.push(p);
                }
            }
        }
    }
    out
}

/// An event whose signer is not the party the note names for its role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mismatch {
    /// The event's seq.
    pub seq: u64,
    /// The role it is signed in.
    pub role: Role,
    /// What is wrong, naming both sides.
    pub message: String,
}

/// The party directory over the store.
#[derive(Clone)]
pub struct Directory {
    store: Store,
}

impl Directory {
    /// The directory of the parties in `store`.
    pub fn new(store: Store) -> Directory {
        Directory { store }
    }

    /// The active party principal holding the key (by key id), if any.
    ///
    /// # Errors
    /// Store errors.
    pub async fn owner(&self, key_id: &str) -> Result<Option<Principal>, StoreError> {
        match self.store.principals.key_owner(key_id).await? {
            Some(id) => self.store.principals.get_principal(id).await,
            None => Ok(None),
        }
    }

    /// Checks events `from..` of `doc`: each signer's directory identity must match a party block of its role in
    /// the note as it stood before the event. `poster` is the principal posting them: the keys it holds are
    /// known without asking the store (in the common case, the poster signed every new event).
    ///
    /// # Errors
    /// Store errors.
    pub async fn check(&self, doc: &Document, from: usize, poster: &Principal) -> Result<Vec<Mismatch>, StoreError> {
        let mut out = Vec::new();
        // The note as it stands, copied only when an amendment changes it.
        let mut note = std::borrow::Cow::Borrowed(&doc.note);
        let mut others: HashMap<String, Option<Principal>> = HashMap::new();
        for (i, event) in doc.events.iter().enumerate() {
            if i >= from {
                // The key id is the SHA-256 of the key's bytes: no need to decode the curve point for it.
                let key_id = ecmr::keys::decode_b64url(&event.signer.public_key)
                    .map(|b| ecmr::canonical::hex(&sha2::Sha256::digest(&b)))
                    .unwrap_or_default();
                let owner = if poster.keys.iter().any(|k| k.key_id == key_id) {
                    Some(poster.clone())
                } else {
                    match others.get(&key_id) {
                        Some(o) => o.clone(),
                        None => {
                            let o = self.owner(&key_id).await?;
                            others.insert(key_id.clone(), o.clone());
                            o
                        }
                    }
                };
                let blocks = party_blocks(&note, event.role);
                let named =
                    || blocks.first().map_or_else(|| "no party".to_owned(), |b| PartyIdentity::of(b).to_string());
                let short = key_id.get(..16).unwrap_or(&key_id);
                let problem = match owner {
                    None => Some(format!(
                        "the note names {} as the {}, but key {short}… that signed event {i} is bound to no party of \
                         this gateway's directory",
                        named(),
                        event.role
                    )),
                    Some(p) => match party_identity(&p) {
                        None => Some(format!(
                            "the note names {} as the {}, but key {short}… that signed event {i} belongs to party \
                             principal {:?}, which has no directory identity (country and registration numbers)",
                            named(),
                            event.role,
                            p.name
                        )),
                        Some(id) if !blocks.iter().any(|b| id.matches(b)) => Some(format!(
                            "the note names {} as the {}, but key {short}… that signed event {i} belongs to {id}",
                            named(),
                            event.role
                        )),
                        Some(_) => None,
                    },
                };
                if let Some(message) = problem {
                    out.push(Mismatch { seq: i as u64, role: event.role, message });
                }
            }
            if event.kind == EventKind::Amended
                && let Some(patch) = event.data.get("patch")
            {
                ecmr::canonical::merge_patch(note.to_mut(), patch);
            }
        }
        Ok(out)
    }

    /// The attestation of every key that signed `doc` and is bound to a party with a directory identity, signed
    /// by the gateway. The binding holds from the principal's creation until its revocation.
    ///
    /// # Errors
    /// Store errors, or the key cannot sign.
    pub async fn attestations(&self, keys: &GatewayKeys, doc: &Document) -> Result<Vec<Attestation>, BundleError> {
        let mut out: Vec<Attestation> = Vec::new();
        for event in &doc.events {
            let Ok(key) = PublicKey::from_b64url(&event.signer.public_key) else { continue };
            if out.iter().any(|a| a.key == key) {
                continue;
            }
            let Some(owner) = self.owner(&key.key_id().to_string()).await? else { continue };
            let Some(identity) = party_identity(&owner) else { continue };
            // A signer's clock is not the gateway's: an event signed just before the registration, by the signer's
            // clock, is still covered.
            let from = ecmr::sign::format_at(owner.created_at - chrono::Duration::minutes(CLOCK_SKEW_MINUTES));
            let until = owner.revoked_at.map(ecmr::sign::format_at);
            out.push(
                Attestation::new(keys.gate_id(), key, identity, &from, until.as_deref(), &from).sign(keys.signer())?,
            );
        }
        Ok(out)
    }

    /// A receipt for every stored event: when it was stored, who posted it (from the audit log) and the signer's
    /// directory identity, signed by the gateway.
    ///
    /// # Errors
    /// Store errors, or the key cannot sign.
    pub async fn receipts(&self, keys: &GatewayKeys, stored: &StoredDocument) -> Result<Vec<Receipt>, BundleError> {
        let id = stored.summary.id;
        let posters = self.posters(id, stored.events.len()).await?;
        let mut names: HashMap<Uuid, String> = HashMap::new();
        let mut out = Vec::with_capacity(stored.events.len());
        for e in &stored.events {
            let seq = u64::try_from(e.seq).unwrap_or_default();
            let poster = posters.get(&seq).copied();
            let name = match poster {
                Some(p) => match names.get(&p) {
                    Some(n) => n.clone(),
                    None => {
                        let n = self.store.principals.get_principal(p).await?.map(|p| p.name).unwrap_or_default();
                        names.insert(p, n.clone());
                        n
                    }
                },
                None => String::new(),
            };
            let identity = self.owner(&e.signer_key_id).await?.as_ref().and_then(party_identity);
            out.push(Receipt::issue(
                ReceiptFacts {
                    gate_id: keys.gate_id(),
                    document_id: &id.to_string(),
                    seq,
                    event_digest: &e.digest,
                    received_at: &ecmr::sign::format_at(e.received_at),
                    posted_by: PostedBy { id: poster.map(|p| p.to_string()).unwrap_or_default(), name },
                    signer_identity: identity,
                },
                keys.signer(),
            )?);
        }
        Ok(out)
    }

    /// Who posted each event of a document, from the audit log (`document.created` for the first stored events,
    /// `event.appended:<seq>` for the others).
    async fn posters(&self, id: Uuid, events: usize) -> Result<HashMap<u64, Uuid>, StoreError> {
        let mut out = HashMap::new();
        let mut created = None;
        for entry in self.store.audit.for_document(id).await? {
            if let Some(seq) = entry.action.strip_prefix("event.appended:").and_then(|s| s.parse::<u64>().ok()) {
                out.entry(seq).or_insert(entry.principal_id);
            } else if entry.action == "document.created" && created.is_none() {
                created = Some(entry.principal_id);
            }
        }
        if let Some(p) = created {
            // The events stored with the document are those no append names.
            for seq in 0..events as u64 {
                out.entry(seq).or_insert(p);
            }
        }
        Ok(out)
    }
}

/// Why a bundle cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The gateway key could not sign.
    #[error("the gateway key cannot sign: {0}")]
    Sign(#[from] SignError),
}
