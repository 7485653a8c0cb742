//! Ed25519 keys: public keys as base64url, key ids, the [`Signer`] trait, private keys read from and written as
//! PKCS#8 PEM text. Whom a key belongs to is the business of [`crate::trust`].
//!
//! Nothing here touches the file system: the caller reads a key file and hands its text to
//! [`FileKey::from_pkcs8_pem`], and writes what [`FileKey::to_pkcs8_pem`] returns.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _, KeypairBytes};
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::canonical::hex;

/// The only signature algorithm of `ecmr-document/1`.
pub const ALG_ED25519: &str = "Ed25519";

/// Why a key or signature cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// Not base64url without padding.
    #[error("`{0}` is not base64url without padding")]
    Base64(String),
    /// Decoded to the wrong number of bytes.
    #[error("expected {expected} bytes, found {found}")]
    Length {
        /// Bytes expected.
        expected: usize,
        /// Bytes found.
        found: usize,
    },
    /// Not a point on the curve.
    #[error("not a valid Ed25519 public key")]
    InvalidPoint,
    /// A key of small order, which `verify_strict` refuses.
    #[error("weak Ed25519 public key (small order)")]
    Weak,
    /// Not an Ed25519 private key in PKCS#8 PEM.
    #[error("not an Ed25519 private key in PKCS#8 PEM: {0}")]
    Pem(String),
    /// Key id text is not 64 lowercase hex digits.
    #[error("`{0}` is not a key id (64 lowercase hex digits)")]
    KeyId(String),
    /// The system random number generator failed.
    #[error("no randomness available: {0}")]
    Random(String),
}

/// Decodes strict base64url without padding (trailing bits must be zero).
///
/// # Errors
/// [`KeyError::Base64`].
pub fn decode_b64url(text: &str) -> Result<Vec<u8>, KeyError> {
    URL_SAFE_NO_PAD.decode(text).map_err(|_| KeyError::Base64(text.chars().take(100).collect()))
}

/// Encodes bytes as base64url without padding.
pub fn encode_b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// An Ed25519 public key (32 bytes), written as base64url without padding.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PublicKey(VerifyingKey);

impl PublicKey {
    /// From the 32 raw bytes.
    ///
    /// # Errors
    /// [`KeyError::InvalidPoint`] when the bytes are not a curve point. Weak keys are accepted here; see
    /// [`PublicKey::is_weak`].
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, KeyError> {
        VerifyingKey::from_bytes(bytes).map(PublicKey).map_err(|_| KeyError::InvalidPoint)
    }

    /// From base64url text.
    ///
    /// # Errors
    /// [`KeyError`] when the text is not base64url of 32 bytes forming a curve point.
    pub fn from_b64url(text: &str) -> Result<Self, KeyError> {
        Self::from_bytes(&Self::bytes_from_b64url(text)?)
    }

    /// The 32 bytes a base64url key text stands for, before they are decoded as a point: the first step of
    /// [`PublicKey::from_b64url`], with the same errors.
    pub(crate) fn bytes_from_b64url(text: &str) -> Result<[u8; 32], KeyError> {
        let bytes = decode_b64url(text)?;
        bytes.as_slice().try_into().map_err(|_| KeyError::Length { expected: 32, found: bytes.len() })
    }

    /// The 32 raw bytes.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// base64url without padding.
    pub fn to_b64url(&self) -> String {
        encode_b64url(self.0.as_bytes())
    }

    /// From a public-key PEM (`-----BEGIN PUBLIC KEY-----`, an RFC 8410 SubjectPublicKeyInfo, as
    /// `openssl pkey -pubout` writes it).
    ///
    /// # Errors
    /// [`KeyError::Pem`] when the text is not an Ed25519 public key in that form.
    pub fn from_public_key_pem(pem: &str) -> Result<Self, KeyError> {
        use ed25519_dalek::pkcs8::DecodePublicKey as _;
        VerifyingKey::from_public_key_pem(pem).map(PublicKey).map_err(|e| KeyError::Pem(e.to_string()))
    }

    /// Writes the key as a public-key PEM (RFC 8410 SubjectPublicKeyInfo, LF line ends).
    ///
    /// # Errors
    /// [`KeyError::Pem`] when encoding fails.
    pub fn to_public_key_pem(&self) -> Result<String, KeyError> {
        use ed25519_dalek::pkcs8::EncodePublicKey as _;
        self.0.to_public_key_pem(LineEnding::LF).map_err(|e| KeyError::Pem(e.to_string()))
    }

    /// The key id: lowercase hex SHA-256 of the 32 bytes.
    pub fn key_id(&self) -> KeyId {
        KeyId(Sha256::digest(self.0.as_bytes()).into())
    }

    /// Whether the key has small order (refused by strict verification).
    pub fn is_weak(&self) -> bool {
        self.0.is_weak()
    }

    /// The underlying `ed25519-dalek` key.
    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.0
    }

    /// Strict Ed25519 verification of `signature` over `message`: it accepts exactly the signatures that
    /// `ed25519_dalek::VerifyingKey::verify_strict` accepts, and costs one point decompression less.
    ///
    /// The signature is `R` ‖ `S` (32 bytes each). It holds when `S` is below the group order L, the key does not
    /// have small order, `R` is not the encoding of a point of small order, and `R` is byte for byte the
    /// (canonical) encoding of `[S]B − [k]A` with `k = SHA-512(R ‖ A ‖ message) mod L`, the cofactorless equation.
    /// `verify_strict` decodes `R` to test its order; here that test compares `R` with the eight canonical
    /// encodings of the small-order points instead, which is the same test because the last step accepts `R`
    /// only in canonical form, and canonical encodings of distinct points differ.
    ///
    /// ```
    /// use ecmr::keys::{FileKey, Signer as _};
    ///
    /// let key = FileKey::from_seed(&[7; 32]);
    /// let signature = key.sign(b"message").unwrap();
    /// assert!(key.public_key().verify_strict(b"message", &signature));
    /// assert!(!key.public_key().verify_strict(b"massage", &signature));
    /// ```
    pub fn verify_strict(&self, message: &[u8], signature: &[u8; 64]) -> bool {
        use curve25519_dalek::edwards::EdwardsPoint;
        use curve25519_dalek::scalar::Scalar;
        use sha2::Sha512;

        let signature = ed25519_dalek::Signature::from_bytes(signature);
        let (r, s) = (signature.r_bytes(), signature.s_bytes());
        let Some(s) = Option::<Scalar>::from(Scalar::from_canonical_bytes(*s)) else {
            return false;
        };
        if SMALL_ORDER_ENCODINGS.contains(r) || self.0.is_weak() {
            return false;
        }
        let mut h = Sha512::new();
        h.update(r);
        h.update(self.0.as_bytes());
        h.update(message);
        let k = Scalar::from_bytes_mod_order_wide(&h.finalize().into());
        let minus_a = -self.0.to_edwards();
        EdwardsPoint::vartime_double_scalar_mul_basepoint(&k, &minus_a, &s).compress().as_bytes() == r
    }
}

/// The canonical encodings of the eight points of small order (the torsion subgroup of the curve).
static SMALL_ORDER_ENCODINGS: std::sync::LazyLock<[[u8; 32]; 8]> =
    std::sync::LazyLock::new(|| curve25519_dalek::constants::EIGHT_TORSION.map(|p| p.compress().to_bytes()));

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_b64url())
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.to_b64url())
    }
}

impl FromStr for PublicKey {
    type Err = KeyError;
    fn from_str(s: &str) -> Result<Self, KeyError> {
        Self::from_b64url(s)
    }
}

impl Serialize for PublicKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_b64url())
    }
}

impl<'de> Deserialize<'de> for PublicKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Key id: the SHA-256 of the 32 public-key bytes, shown as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId([u8; 32]);

impl KeyId {
    /// The 32 digest bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex(&self.0))
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

impl FromStr for KeyId {
    type Err = KeyError;
    fn from_str(s: &str) -> Result<Self, KeyError> {
        let bad = || KeyError::KeyId(s.chars().take(100).collect());
        if s.len() != 64 {
            return Err(bad());
        }
        let mut out = [0u8; 32];
        for (i, pair) in s.as_bytes().chunks(2).enumerate() {
            let digit = |c: u8| match c {
                b'0'..=b'9' => Some(c - b'0'),
                b'a'..=b'f' => Some(c - b'a' + 10),
                _ => None,
            };
            let (Some(&hi), Some(&lo)) = (pair.first(), pair.get(1)) else { return Err(bad()) };
            let (Some(hi), Some(lo)) = (digit(hi), digit(lo)) else { return Err(bad()) };
            if let Some(slot) = out.get_mut(i) {
                *slot = hi << 4 | lo;
            }
        }
        Ok(KeyId(out))
    }
}

impl Serialize for KeyId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for KeyId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Why signing failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("signing failed: {0}")]
pub struct SignError(pub String);

/// Something that holds an Ed25519 private key and signs with it: a key file, a hardware token, a cloud KMS.
pub trait Signer {
    /// The public key matching the private key.
    fn public_key(&self) -> PublicKey;

    /// Signs `message` (the whole message; Ed25519 hashes it itself) and returns the 64-byte signature.
    ///
    /// # Errors
    /// [`SignError`] when the key holder cannot sign.
    fn sign(&self, message: &[u8]) -> Result<[u8; 64], SignError>;
}

/// An Ed25519 private key held in memory, read from and written as PKCS#8 PEM text (a key file's content; the
/// caller does the file I/O).
#[derive(Clone)]
pub struct FileKey(SigningKey);

impl FileKey {
    /// A new random key from the operating system's random number generator.
    ///
    /// # Errors
    /// [`KeyError::Random`] when the system has no randomness to give.
    pub fn generate() -> Result<Self, KeyError> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| KeyError::Random(e.to_string()))?;
        Ok(Self::from_seed(&seed))
    }

    /// The key with the given 32-byte seed (the RFC 8032 private key). For tests and test vectors.
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        FileKey(SigningKey::from_bytes(seed))
    }

    /// Reads a PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), either form: v1 (RFC 5208/8410, the private key
    /// only, as OpenSSL writes it) or v2 (RFC 5958, with the public key, which must then match).
    ///
    /// # Errors
    /// [`KeyError::Pem`] when the text is not an Ed25519 PKCS#8 private key.
    pub fn from_pkcs8_pem(pem: &str) -> Result<Self, KeyError> {
        SigningKey::from_pkcs8_pem(pem).map(FileKey).map_err(|e| KeyError::Pem(e.to_string()))
    }

    /// Writes the key as PKCS#8 v1 PEM (RFC 8410: the private key only, LF line ends), the form OpenSSL writes
    /// for Ed25519 and every common tool reads; OpenSSL 3.0 and pyca/cryptography refuse the v2 form.
    ///
    /// # Errors
    /// [`KeyError::Pem`] when encoding fails.
    pub fn to_pkcs8_pem(&self) -> Result<String, KeyError> {
        let v1 = KeypairBytes { secret_key: self.0.to_bytes(), public_key: None };
        v1.to_pkcs8_pem(LineEnding::LF).map(|z| z.as_str().to_owned()).map_err(|e| KeyError::Pem(e.to_string()))
    }
}

impl fmt::Debug for FileKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FileKey({})", self.public_key())
    }
}

impl Signer for FileKey {
    fn public_key(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }

    fn sign(&self, message: &[u8]) -> Result<[u8; 64], SignError> {
        Ok(self.0.sign(message).to_bytes())
    }
}
