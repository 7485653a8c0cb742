//! The gate registry: every gate of the federation (this one included) with its country, base URL, Ed25519 public
//! keys and the subsets its authorities may ask of the others. One TOML (or JSON, by the `.json` extension) file
//! shared by all gates; it is read again when its modification time changes, checked at most once a second, so
//! that a key rotation or a new gate applies without a restart. A file that no longer reads keeps the last good
//! registry in force (and says why in the log).
//!
//! ```toml
//! [[gates]]
//! id = "gate-nl"
//! country = "NL"
//! base_url = "https://gate.example.nl"
//! subsets = ["identifier", "EU01"]
//! [[gates.keys]]
//! public_key = "<base64url of the 32 key bytes>"
//! valid_from = "2026-01-01T00:00:00Z"    # optional
//! valid_until = "2027-01-01T00:00:00Z"   # optional
//! ```

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use chrono::{DateTime, Utc};
use ecmr::keys::PublicKey;
use serde::Deserialize;

/// Why a registry file cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("gate registry {}: {message}", path.display())]
pub struct RegistryError {
    /// The file.
    pub path: PathBuf,
    /// What is wrong.
    pub message: String,
}

/// One key of a gate, with the time it may sign in.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateKey {
    /// The Ed25519 public key (base64url of its 32 bytes).
    pub public_key: PublicKey,
    /// Messages created before this are refused.
    #[serde(default)]
    pub valid_from: Option<DateTime<Utc>>,
    /// Messages created after this are refused.
    #[serde(default)]
    pub valid_until: Option<DateTime<Utc>>,
}

impl GateKey {
    /// Whether the key may sign a message created at `at`.
    pub fn valid_at(&self, at: DateTime<Utc>) -> bool {
        self.valid_from.is_none_or(|f| at >= f) && self.valid_until.is_none_or(|u| at <= u)
    }
}

/// One gate of the federation.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gate {
    /// The gate id (the first part of its UILs).
    pub id: String,
    /// Its country (ISO 3166-1 alpha-2), the RI's `eFTIGate` / `eftiGateIndicator`.
    pub country: String,
    /// Where it takes messages: `https://…` (or `http://` for loopback tests); messages go to
    /// `<base_url>/federation/v1/messages`.
    pub base_url: String,
    /// Its keys.
    #[serde(default)]
    pub keys: Vec<GateKey>,
    /// The subsets its authorities may ask of the other gates (`full` for all).
    #[serde(default)]
    pub subsets: Vec<String>,
}

/// The registry as read from its file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryFile {
    /// Every gate.
    #[serde(default)]
    pub gates: Vec<Gate>,
}

impl RegistryFile {
    /// Reads and checks a registry text (`json`: JSON, otherwise TOML).
    ///
    /// # Errors
    /// What is wrong and where: syntax, unknown keys, a duplicate gate id, a bad country, URL or subset id.
    pub fn parse(text: &str, json: bool) -> Result<RegistryFile, String> {
        let file: RegistryFile = if json {
            serde_json::from_str(text).map_err(|e| e.to_string())?
        } else {
            toml::from_str(text).map_err(|e| e.to_string().trim_end().to_owned())?
        };
        for (i, g) in file.gates.iter().enumerate() {
            let at = format!("gates[{i}] ({:?})", g.id);
            if g.id.trim().is_empty() || !super::super::uil::is_id(&g.id) {
                return Err(format!("{at}: id must be 1 to 255 letters, digits, spaces and -@./#&+_"));
            }
            if file.gates[..i].iter().any(|o| o.id == g.id) {
                return Err(format!("{at}: gate id listed twice"));
            }
            if g.country.len() != 2 || !g.country.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(format!("{at}: country must be two capital letters, not {:?}", g.country));
            }
            if !(g.base_url.starts_with("https://") || g.base_url.starts_with("http://"))
                || g.base_url.parse::<hyper::Uri>().is_err()
            {
                return Err(format!("{at}: base_url must be an http(s) URL, not {:?}", g.base_url));
            }
            for s in &g.subsets {
                if s != "full" && !ecmr::efti::is_known_subset(s) {
                    return Err(format!("{at}: unknown subset id {s:?}"));
                }
            }
        }
        Ok(file)
    }

    /// The gate with this id.
    pub fn gate(&self, id: &str) -> Option<&Gate> {
        self.gates.iter().find(|g| g.id == id)
    }
}

/// The registry in force, read again when its file changes.
pub struct Registry {
    path: Option<PathBuf>,
    state: Mutex<Loaded>,
}

struct Loaded {
    file: Arc<RegistryFile>,
    modified: Option<SystemTime>,
    checked: Instant,
}

/// How often the file's modification time is looked at.
const CHECK_EVERY: Duration = Duration::from_secs(1);

impl Registry {
    /// A registry of no gates (federation off).
    pub fn empty() -> Registry {
        Registry {
            path: None,
            state: Mutex::new(Loaded { file: Arc::default(), modified: None, checked: Instant::now() }),
        }
    }

    /// A registry of these gates, not backed by a file (tests).
    pub fn fixed(file: RegistryFile) -> Registry {
        Registry {
            path: None,
            state: Mutex::new(Loaded { file: Arc::new(file), modified: None, checked: Instant::now() }),
        }
    }

    /// Loads the registry from `path`.
    ///
    /// # Errors
    /// [`RegistryError`] when the file cannot be read or is not a registry.
    pub fn load(path: &Path) -> Result<Registry, RegistryError> {
        let (file, modified) = read(path)?;
        Ok(Registry {
            path: Some(path.to_owned()),
            state: Mutex::new(Loaded { file: Arc::new(file), modified, checked: Instant::now() }),
        })
    }

    /// The registry in force: read again first when the file changed since it was last read.
    pub fn current(&self) -> Arc<RegistryFile> {
        let mut state = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(path) = &self.path
            && state.checked.elapsed() >= CHECK_EVERY
        {
            state.checked = Instant::now();
            let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok();
            if modified != state.modified {
                state.modified = modified;
                match read(path) {
                    Ok((file, _)) => {
                        tracing::info!(path = %path.display(), gates = file.gates.len(), "gate registry reloaded");
                        state.file = Arc::new(file);
                    }
                    Err(e) => tracing::warn!(error = %e, "gate registry not reloaded; the last good one stays"),
                }
            }
        }
        state.file.clone()
    }

    /// Reads the file again now, whatever its modification time (on SIGHUP).
    pub fn reload(&self) {
        let mut state = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        state.checked = Instant::now().checked_sub(CHECK_EVERY).unwrap_or_else(Instant::now);
        state.modified = None;
        drop(state);
        let _ = self.current();
    }
}

fn read(path: &Path) -> Result<(RegistryFile, Option<SystemTime>), RegistryError> {
    let err = |message: String| RegistryError { path: path.to_owned(), message };
    let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok();
    let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    let json = path.extension().is_some_and(|e| e == "json");
    Ok((RegistryFile::parse(&text, json).map_err(err)?, modified))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ecmr::keys::{FileKey, Signer as _};

    fn text(key: &str) -> String {
        format!(
            "[[gates]]\nid = \"gate-nl\"\ncountry = \"NL\"\nbase_url = \"http://127.0.0.1:1\"\nsubsets = \
             [\"identifier\"]\n[[gates.keys]]\npublic_key = \"{key}\"\nvalid_until = \"2030-01-01T00:00:00Z\"\n"
        )
    }

    #[test]
    fn reads_checks_and_reloads_when_the_file_changes() {
        let key = FileKey::from_seed(&[1; 32]).public_key().to_b64url();
        let file = RegistryFile::parse(&text(&key), false).expect("reads");
        let nl = file.gate("gate-nl").expect("nl");
        assert_eq!(nl.country, "NL");
        assert!(nl.keys[0].valid_at("2029-12-31T00:00:00Z".parse().unwrap()));
        assert!(!nl.keys[0].valid_at("2030-01-02T00:00:00Z".parse().unwrap()));
        for (bad, says) in [
            (text(&key).replace("\"NL\"", "\"nl\""), "country"),
            (text(&key).replace("http://127.0.0.1:1", "ftp://x"), "base_url"),
            (text(&key).replace("\"identifier\"", "\"EU99\""), "EU99"),
            (text(&key).replace("subsets", "subset"), "subset"),
            (format!("{}{}", text(&key), text(&key)), "twice"),
            (text("not-a-key"), "public_key"),
        ] {
            let e = RegistryFile::parse(&bad, false).expect_err(says);
            assert!(e.contains(says), "{e}");
        }

        let dir = std::env::temp_dir().join(format!("ecmr-registry-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("gates.toml");
        std::fs::write(&path, text(&key)).unwrap();
        let registry = Registry::load(&path).expect("loads");
        assert_eq!(registry.current().gates.len(), 1);
        let two = format!("{}{}", text(&key), text(&key).replace("gate-nl", "gate-be").replace("\"NL\"", "\"BE\""));
        std::fs::write(&path, two).unwrap();
        registry.reload();
        assert_eq!(registry.current().gates.len(), 2, "read again without a restart");
        std::fs::write(&path, "not toml [").unwrap();
        registry.reload();
        assert_eq!(registry.current().gates.len(), 2, "a broken file keeps the last good registry");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
