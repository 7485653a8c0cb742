//! The signature of a gate-to-gate request, after Matrix's signed server-to-server requests (`X-Matrix`): the
//! sending gate signs with its Ed25519 key the JCS form (RFC 8785) of
//!
//! ```json
//! {"content_sha256":"<hex SHA-256 of the body>","created":"<RFC 3339 UTC, seconds>","destination":"<gate id>",
//!  "id":"<message id>","method":"POST","origin":"<gate id>","path":"/federation/v1/messages"}
//! ```
//!
//! and sends it in
//!
//! ```text
//! Authorization: ECMR-Gate origin="gate-be",destination="gate-nl",key="<key id>",created="…",id="…",sig="<b64url>"
//! ```
//!
//! where the key id is the hex SHA-256 of the key's 32 bytes and `sig` the unpadded base64url of the 64 signature
//! bytes. Unlike Matrix the body is signed through its digest, so that the receiver checks the signature before it
//! parses the body, and the creation time and a unique message id are signed, so that a message cannot be replayed
//! later or twice. `docs/federation.md` has a worked example (`tests/vectors/federation/signature.json`).

use chrono::{DateTime, SecondsFormat, Utc};
use ecmr::keys::{PublicKey, Signer, decode_b64url, encode_b64url};
use sha2::{Digest as _, Sha256};

use super::registry::RegistryFile;

/// The scheme name in the `Authorization` header.
pub const SCHEME: &str = "ECMR-Gate";

/// Why a request's signature was refused. Each is audited and answered 401 (403 for another destination).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No `Authorization: ECMR-Gate …` header, or one that does not read.
    #[error("authorization header: {0}")]
    Malformed(String),
    /// The message is for another gate.
    #[error("the message is for gate {0:?}, not this gate")]
    OtherDestination(String),
    /// The origin is not in the registry.
    #[error("gate {0:?} is not in the gate registry")]
    UnknownGate(String),
    /// The key is not one of the origin's keys valid when the message was created.
    #[error("key {key} is not a key of gate {origin:?} valid at {created}")]
    UnknownKey {
        /// The claimed origin.
        origin: String,
        /// The key id named.
        key: String,
        /// The claimed creation time.
        created: String,
    },
    /// The signature does not check.
    #[error("the signature does not match the request")]
    BadSignature,
    /// The creation time is too far from now.
    #[error("created {created} is outside the accepted window of {window_secs} s around {now}")]
    OutsideWindow {
        /// The claimed creation time.
        created: String,
        /// The receiver's time.
        now: String,
        /// The window.
        window_secs: i64,
    },
}

/// What the header says, signature checked or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeader {
    /// The sending gate.
    pub origin: String,
    /// The gate it is for.
    pub destination: String,
    /// The hex key id.
    pub key: String,
    /// When it was made.
    pub created: DateTime<Utc>,
    /// The unique message id.
    pub id: String,
    /// The signature.
    pub sig: [u8; 64],
}

/// The bytes signed for a request.
pub fn signing_input(
    method: &str,
    path: &str,
    origin: &str,
    destination: &str,
    body: &[u8],
    created: DateTime<Utc>,
    id: &str,
) -> Vec<u8> {
    let value = serde_json::json!({
        "content_sha256": ecmr::canonical::hex(&Sha256::digest(body)),
        "created": created.to_rfc3339_opts(SecondsFormat::Secs, true),
        "destination": destination,
        "id": id,
        "method": method,
        "origin": origin,
        "path": path,
    });
    ecmr::canonical::jcs(&value)
}

/// Signs a request; returns the `Authorization` header value.
///
/// # Errors
/// When the key holder cannot sign.
#[allow(clippy::too_many_arguments)]
pub fn sign(
    signer: &dyn Signer,
    method: &str,
    path: &str,
    origin: &str,
    destination: &str,
    body: &[u8],
    created: DateTime<Utc>,
    id: &str,
) -> Result<String, ecmr::keys::SignError> {
    let input = signing_input(method, path, origin, destination, body, created, id);
    let sig = signer.sign(&input)?;
    Ok(format!(
        "{SCHEME} origin=\"{origin}\",destination=\"{destination}\",key=\"{}\",created=\"{}\",id=\"{id}\",sig=\"{}\"",
        signer.public_key().key_id(),
        created.to_rfc3339_opts(SecondsFormat::Secs, true),
        encode_b64url(&sig)
    ))
}

/// Reads an `Authorization` header value (without checking the signature).
///
/// # Errors
/// [`SignatureError::Malformed`] naming what is missing or wrong.
pub fn parse_header(value: &str) -> Result<SignedHeader, SignatureError> {
    let bad = |m: &str| SignatureError::Malformed(m.to_owned());
    let rest = value.strip_prefix(SCHEME).and_then(|r| r.strip_prefix(' ')).ok_or_else(|| bad("expected ECMR-Gate"))?;
    let (mut origin, mut destination, mut key, mut created, mut id, mut sig) = (None, None, None, None, None, None);
    for part in rest.split(',') {
        let (k, v) = part.trim().split_once('=').ok_or_else(|| bad("expected name=\"value\" pairs"))?;
        let v = v.strip_prefix('"').and_then(|v| v.strip_suffix('"')).ok_or_else(|| bad("values must be quoted"))?;
        let slot = match k {
            "origin" => &mut origin,
            "destination" => &mut destination,
            "key" => &mut key,
            "created" => &mut created,
            "id" => &mut id,
            "sig" => &mut sig,
            other => return Err(SignatureError::Malformed(format!("unknown parameter {other:?}"))),
        };
        if slot.replace(v.to_owned()).is_some() {
            return Err(SignatureError::Malformed(format!("parameter {k:?} given twice")));
        }
    }
    let need = |v: Option<String>, name: &str| v.ok_or_else(|| SignatureError::Malformed(format!("no {name}")));
    let created_text = need(created, "created")?;
    let created = DateTime::parse_from_rfc3339(&created_text)
        .map_err(|_| bad("created is not an RFC 3339 time"))?
        .with_timezone(&Utc);
    let id = need(id, "id")?;
    if id.is_empty() || id.len() > 128 || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(bad("id must be 1 to 128 letters, digits and hyphens"));
    }
    let sig_bytes = decode_b64url(&need(sig, "sig")?).map_err(|_| bad("sig is not base64url"))?;
    let sig: [u8; 64] = sig_bytes.try_into().map_err(|_| bad("sig is not 64 bytes"))?;
    Ok(SignedHeader {
        origin: need(origin, "origin")?,
        destination: need(destination, "destination")?,
        key: need(key, "key")?,
        created,
        id,
        sig,
    })
}

/// Checks a received request: the header reads, it is for `this_gate`, the key is one of the origin's in the
/// registry valid at its creation time, the signature covers this method, path and body, and it was created within
/// `window_secs` of `now`. Replays are the caller's to refuse (the message id must not have been seen).
///
/// # Errors
/// [`SignatureError`] saying which check failed.
#[allow(clippy::too_many_arguments)]
pub fn verify(
    header: Option<&str>,
    method: &str,
    path: &str,
    body: &[u8],
    this_gate: &str,
    registry: &RegistryFile,
    now: DateTime<Utc>,
    window_secs: i64,
) -> Result<SignedHeader, SignatureError> {
    let h = parse_header(header.ok_or_else(|| SignatureError::Malformed("missing".into()))?)?;
    if h.destination != this_gate {
        return Err(SignatureError::OtherDestination(h.destination));
    }
    let gate = registry.gate(&h.origin).ok_or_else(|| SignatureError::UnknownGate(h.origin.clone()))?;
    let key: Option<&PublicKey> = gate
        .keys
        .iter()
        .filter(|k| k.valid_at(h.created))
        .map(|k| &k.public_key)
        .find(|k| k.key_id().to_string() == h.key);
    let Some(key) = key else {
        return Err(SignatureError::UnknownKey {
            origin: h.origin,
            key: h.key,
            created: h.created.to_rfc3339_opts(SecondsFormat::Secs, true),
        });
    };
    let input = signing_input(method, path, &h.origin, &h.destination, body, h.created, &h.id);
    if !key.verify_strict(&input, &h.sig) {
        return Err(SignatureError::BadSignature);
    }
    if (now - h.created).num_seconds().abs() > window_secs {
        return Err(SignatureError::OutsideWindow {
            created: h.created.to_rfc3339_opts(SecondsFormat::Secs, true),
            now: now.to_rfc3339_opts(SecondsFormat::Secs, true),
            window_secs,
        });
    }
    Ok(h)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::federation::registry::{Gate, GateKey};
    use ecmr::keys::FileKey;

    const VECTOR: &str =
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/vectors/federation/signature.json"));

    fn registry(key: PublicKey) -> RegistryFile {
        RegistryFile {
            gates: vec![Gate {
                id: "gate-be".into(),
                country: "BE".into(),
                base_url: "http://127.0.0.1:1".into(),
                keys: vec![GateKey { public_key: key, valid_from: None, valid_until: None }],
                subsets: vec![],
            }],
        }
    }

    #[test]
    fn the_vector_signs_and_checks_as_written() {
        let v: serde_json::Value = serde_json::from_str(VECTOR).expect("vector");
        let s = |k: &str| v[k].as_str().expect(k).to_owned();
        let hex = s("seed_hex");
        let mut seed = [0u8; 32];
        for (i, b) in seed.iter_mut().enumerate() {
            *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).expect("hex");
        }
        let key = FileKey::from_seed(&seed);
        assert_eq!(key.public_key().to_b64url(), s("public_key"));
        let created: DateTime<Utc> = s("created").parse().expect("time");
        let body = s("body");
        let input = signing_input(
            &s("method"),
            &s("path"),
            &s("origin"),
            &s("destination"),
            body.as_bytes(),
            created,
            &s("id"),
        );
        assert_eq!(String::from_utf8(input).expect("utf-8"), s("signing_input"));
        let header =
            sign(&key, &s("method"), &s("path"), &s("origin"), &s("destination"), body.as_bytes(), created, &s("id"))
                .expect("signs");
        assert_eq!(header, s("authorization"));

        let reg = registry(key.public_key());
        let check = |header: &str, body: &[u8], now: DateTime<Utc>, me: &str| {
            verify(Some(header), "POST", "/federation/v1/messages", body, me, &reg, now, 300)
        };
        assert!(check(&header, body.as_bytes(), created, "gate-nl").is_ok());
        assert_eq!(check(&header, b"<other/>", created, "gate-nl"), Err(SignatureError::BadSignature));
        assert!(matches!(
            check(&header, body.as_bytes(), created, "gate-lu"),
            Err(SignatureError::OtherDestination(_))
        ));
        let later = created + chrono::Duration::seconds(301);
        assert!(matches!(check(&header, body.as_bytes(), later, "gate-nl"), Err(SignatureError::OutsideWindow { .. })));
        let stranger = FileKey::from_seed(&[9; 32]);
        let forged =
            sign(&stranger, "POST", "/federation/v1/messages", "gate-be", "gate-nl", body.as_bytes(), created, "x")
                .expect("signs");
        assert!(matches!(check(&forged, body.as_bytes(), created, "gate-nl"), Err(SignatureError::UnknownKey { .. })));
        let unknown = header.replace("origin=\"gate-be\"", "origin=\"gate-xx\"");
        assert!(matches!(check(&unknown, body.as_bytes(), created, "gate-nl"), Err(SignatureError::UnknownGate(_))));
        for bad in ["Bearer x", "ECMR-Gate origin=gate-be", &header.replace(",sig=", ",sig=\"x\",sig=")] {
            assert!(
                matches!(check(bad, body.as_bytes(), created, "gate-nl"), Err(SignatureError::Malformed(_))),
                "{bad}"
            );
        }
    }
}
