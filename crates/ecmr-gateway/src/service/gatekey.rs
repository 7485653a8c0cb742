//! The gateway's own Ed25519 signing key, for the statements it signs (key attestations, receipts): made on first
//! start in `<data_dir>/gateway-key.pem` (mode 0600), rotated with `ecmr-gateway key rotate`, which keeps the old
//! public keys with the end of their validity in `<data_dir>/gateway-keys-retired.json`, so that statements made
//! before a rotation still check. Its public part is served at `GET /.well-known/ecmr-gateway`.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use ecmr::keys::{FileKey, PublicKey, Signer as _};
use ecmr::trust::GatewayKey;
use serde::{Deserialize, Serialize};

/// The private key's file name in the data directory.
pub const KEY_FILE: &str = "gateway-key.pem";
/// The retired public keys' file name in the data directory.
pub const RETIRED_FILE: &str = "gateway-keys-retired.json";

/// Why the key cannot be loaded or written.
#[derive(Debug, thiserror::Error)]
pub enum GateKeyError {
    /// A file could not be read or written.
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A file is not what it should be.
    #[error("{} is not usable: {message}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// A public key the gateway signed with before a rotation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetiredKey {
    /// The key.
    pub public_key: PublicKey,
    /// When it stopped signing (RFC 3339 UTC).
    pub valid_until: String,
}

/// The gateway's signing key and the keys it retired.
pub struct GatewayKeys {
    gate_id: String,
    current: FileKey,
    retired: Vec<RetiredKey>,
}

/// What `GET /.well-known/ecmr-gateway` answers: the gate and its public keys, each in the form a trust file's
/// `gateway_keys` takes.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WellKnown {
    /// This gate's id (the first part of its UILs).
    pub gate_id: String,
    /// The platform id of the documents posted here.
    pub platform_id: String,
    /// The current key first, then the retired ones with their `valid_until`.
    #[schema(value_type = Vec<Object>)]
    pub gateway_keys: Vec<GatewayKey>,
}

impl GatewayKeys {
    /// A key that lives only as long as the process (tests, and a gateway with no data directory of its own).
    pub fn ephemeral(gate_id: &str) -> GatewayKeys {
        let current = FileKey::generate().unwrap_or_else(|_| {
            // No system randomness: a key derived from the clock still differs per run; it is never persisted.
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default();
            let mut seed = [0u8; 32];
            seed[..16].copy_from_slice(&nanos.to_le_bytes());
            FileKey::from_seed(&seed)
        });
        GatewayKeys { gate_id: gate_id.to_owned(), current, retired: Vec::new() }
    }

    /// Loads the key from `data_dir`, making and writing one (mode 0600) when there is none.
    ///
    /// # Errors
    /// [`GateKeyError`] when a file cannot be read or written or is not a key.
    pub fn load_or_create(data_dir: &Path, gate_id: &str) -> Result<GatewayKeys, GateKeyError> {
        let path = data_dir.join(KEY_FILE);
        let current = match std::fs::read_to_string(&path) {
            Ok(text) => FileKey::from_pkcs8_pem(&text)
                .map_err(|e| GateKeyError::Invalid { path: path.clone(), message: e.to_string() })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = FileKey::generate()
                    .map_err(|e| GateKeyError::Invalid { path: path.clone(), message: e.to_string() })?;
                write_private(&path, &key)?;
                tracing::info!(path = %path.display(), key_id = %key.public_key().key_id(), "made the gateway's signing key");
                key
            }
            Err(source) => return Err(GateKeyError::Io { action: "read", path, source }),
        };
        let retired = read_retired(&data_dir.join(RETIRED_FILE))?;
        Ok(GatewayKeys { gate_id: gate_id.to_owned(), current, retired })
    }

    /// Replaces the key in `data_dir` by a new one; the old public key is kept as retired from `now`.
    ///
    /// # Errors
    /// [`GateKeyError`] when a file cannot be read or written.
    pub fn rotate(data_dir: &Path, gate_id: &str, now: &str) -> Result<GatewayKeys, GateKeyError> {
        let old = Self::load_or_create(data_dir, gate_id)?;
        let mut retired = old.retired;
        retired.insert(0, RetiredKey { public_key: old.current.public_key(), valid_until: now.to_owned() });
        // The retired list first: should the process die between the two writes, the old key is still the
        // current one and is also listed as retired, which refuses nothing it signed before `now`.
        let list_path = data_dir.join(RETIRED_FILE);
        let mut text = serde_json::to_string_pretty(&retired)
            .map_err(|e| GateKeyError::Invalid { path: list_path.clone(), message: e.to_string() })?;
        text.push('\n');
        write_atomic(&list_path, text.as_bytes(), false)?;
        let path = data_dir.join(KEY_FILE);
        let current =
            FileKey::generate().map_err(|e| GateKeyError::Invalid { path: path.clone(), message: e.to_string() })?;
        write_private(&path, &current)?;
        Ok(GatewayKeys { gate_id: gate_id.to_owned(), current, retired })
    }

    /// The key statements are signed with.
    pub fn signer(&self) -> &FileKey {
        &self.current
    }

    /// The gate id the statements name.
    pub fn gate_id(&self) -> &str {
        &self.gate_id
    }

    /// The current key and the retired ones, as a verifier trusts them.
    pub fn public_keys(&self) -> Vec<GatewayKey> {
        let mut out = vec![GatewayKey::new(&self.gate_id, self.current.public_key())];
        out.extend(self.retired.iter().map(|r| GatewayKey {
            gate_id: Some(self.gate_id.clone()),
            public_key: r.public_key,
            valid_until: Some(r.valid_until.clone()),
        }));
        out
    }

    /// The answer of `GET /.well-known/ecmr-gateway`.
    pub fn well_known(&self, platform_id: &str) -> WellKnown {
        WellKnown {
            gate_id: self.gate_id.clone(),
            platform_id: platform_id.to_owned(),
            gateway_keys: self.public_keys(),
        }
    }
}

fn read_retired(path: &Path) -> Result<Vec<RetiredKey>, GateKeyError> {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text)
            .map_err(|e| GateKeyError::Invalid { path: path.to_owned(), message: e.to_string() }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(source) => Err(GateKeyError::Io { action: "read", path: path.to_owned(), source }),
    }
}

fn write_private(path: &Path, key: &FileKey) -> Result<(), GateKeyError> {
    let pem =
        key.to_pkcs8_pem().map_err(|e| GateKeyError::Invalid { path: path.to_owned(), message: e.to_string() })?;
    write_atomic(path, pem.as_bytes(), true)
}

/// Writes a file whole or not at all: a temporary file beside it, flushed, renamed over it, the directory flushed.
fn write_atomic(path: &Path, bytes: &[u8], private: bool) -> Result<(), GateKeyError> {
    let io = |action, source| GateKeyError::Io { action, path: path.to_owned(), source };
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| io("create the directory of", e))?;
    let tmp = path.with_extension("tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut file = options.open(&tmp).map_err(|e| io("write", e))?;
    file.write_all(bytes).and_then(|()| file.sync_all()).map_err(|e| io("write", e))?;
    std::fs::rename(&tmp, path).map_err(|e| io("replace", e))?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("ecmr-gatekey-{tag}-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn made_once_kept_and_rotated() {
        let d = dir("rotate");
        let first = GatewayKeys::load_or_create(&d, "gate-nl").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(d.join(KEY_FILE)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let again = GatewayKeys::load_or_create(&d, "gate-nl").unwrap();
        assert_eq!(again.signer().public_key(), first.signer().public_key(), "the key is kept across restarts");
        let rotated = GatewayKeys::rotate(&d, "gate-nl", "2026-12-01T00:00:00Z").unwrap();
        assert_ne!(rotated.signer().public_key(), first.signer().public_key());
        let keys = GatewayKeys::load_or_create(&d, "gate-nl").unwrap().public_keys();
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[0].public_key, rotated.signer().public_key());
        assert_eq!(keys[1].public_key, first.signer().public_key());
        assert_eq!(keys[1].valid_until.as_deref(), Some("2026-12-01T00:00:00Z"));
        // A statement the old key made before the rotation still checks; one made after does not.
        let mut store = ecmr::trust::TrustStore::new();
        for k in keys {
            store.add_gateway_key(k);
        }
        let attest = |at: &str| {
            let a = ecmr::attest::Attestation::new(
                "gate-nl",
                FileKey::from_seed(&[1; 32]).public_key(),
                ecmr::attest::PartyIdentity::new("A", "NL"),
                at,
                None,
                at,
            )
            .sign(first.signer())
            .unwrap();
            ecmr::attest::Attestation::verify(&serde_json::to_vec(&a).unwrap(), &store)
        };
        assert!(attest("2026-11-30T00:00:00Z").is_ok());
        assert!(attest("2026-12-02T00:00:00Z").is_err());
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_damaged_key_file_is_named() {
        let d = dir("damaged");
        std::fs::write(d.join(KEY_FILE), "not a key").unwrap();
        let err = GatewayKeys::load_or_create(&d, "gate-nl").err().unwrap();
        assert!(err.to_string().contains("gateway-key.pem is not usable"), "{err}");
        std::fs::remove_dir_all(&d).unwrap();
    }
}
