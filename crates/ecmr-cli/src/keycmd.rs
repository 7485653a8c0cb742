//! `ecmr key generate` and `ecmr key show`.

use std::path::Path;

use ecmr::keys::{FileKey, KeyError, Signer as _};

use crate::error::{CliError, CliResult, EXIT_OK};
use crate::io::{out, outln, write_atomic};

/// Generates a key; writes it to `output` (mode 0600, refusing to overwrite without `force`) or standard output.
pub(crate) fn generate(output: Option<&Path>, force: bool) -> CliResult {
    let key = FileKey::generate().map_err(|e| CliError::usage(e.to_string()))?;
    let pem = key.to_pkcs8_pem().map_err(|e| CliError::usage(e.to_string()))?;
    let pk = key.public_key();
    match output {
        Some(path) => {
            write_atomic(path, pem.as_bytes(), force, true)?;
            outln(&format!("public key: {pk}"));
            outln(&format!("key id:     {}", pk.key_id()));
            outln(&format!("wrote {} (mode 0600)", path.display()));
        }
        None => {
            out(pem.as_bytes());
            eprintln!("public key: {pk}");
            eprintln!("key id:     {}", pk.key_id());
        }
    }
    Ok(EXIT_OK)
}

/// Loads a private key file with errors that say what to do.
pub(crate) fn load(path: &Path) -> Result<FileKey, CliError> {
    FileKey::load(path).map_err(|e| match e {
        KeyError::Io { .. } => {
            let err = std::fs::metadata(path).err().unwrap_or_else(|| std::io::Error::other("unreadable"));
            CliError::io("read key", path, &err)
        }
        _ => CliError::invalid(format!("{} is not a PKCS#8 Ed25519 key", path.display()))
            .hint("create one with `ecmr key generate -o KEY.pem`"),
    })
}

/// Prints the public key and key id of a key file, or a trust-file entry for it.
pub(crate) fn show(path: &Path, trust_entry: Option<&str>, roles: &[crate::cli::RoleArg]) -> CliResult {
    let key = load(path)?;
    let pk = key.public_key();
    match trust_entry {
        Some(name) => {
            let mut entry = serde_json::json!({ "public_key": pk.to_b64url(), "name": name });
            if !roles.is_empty() {
                let roles: Vec<&str> = roles.iter().map(|r| r.role().as_str()).collect();
                entry["roles"] = serde_json::json!(roles);
            }
            outln(&entry.to_string());
        }
        None => {
            outln(&format!("public key: {pk}"));
            outln(&format!("key id:     {}", pk.key_id()));
        }
    }
    Ok(EXIT_OK)
}
