//! Trust files — whose keys the user trusts, and which gateways' attestations and receipts — and `ecmr trust add`
//! / `ecmr trust list`.
//!
//! A trust file is `{"keys": [{"public_key" | "key_id": "...", "name": "...", "roles": [...]}], "gateway_keys":
//! [{"gate_id": "...", "public_key": "..."}]}`; `gateway_keys` may be left out.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use ecmr::document::Role;
use ecmr::keys::{FileKey, KeyId, PublicKey, Signer as _};
use ecmr::trust::{GatewayKey, TrustStore};
use serde::{Deserialize, Serialize};

use crate::error::{CliError, CliResult, EXIT_OK};
use crate::io::{outln, read, write_atomic};
use crate::keycmd::RoleArg;

/// Trust sub-commands.
#[derive(Debug, Subcommand)]
pub(crate) enum TrustCommand {
    /// Add a party's key to a trust file (created when missing), for the roles given.
    Add(AddArgs),
    /// List the keys and gateway keys of a trust file.
    List {
        /// The trust file.
        #[arg(short, long)]
        file: PathBuf,
    },
}

/// The arguments of `ecmr trust add`.
#[derive(Debug, Args)]
pub(crate) struct AddArgs {
    /// The trust file to add to.
    #[arg(short, long)]
    file: PathBuf,
    /// The party's name, as it should appear in reports.
    #[arg(long)]
    name: String,
    /// A role the key is trusted for (repeatable; default: any role).
    #[arg(long = "role", value_name = "ROLE")]
    roles: Vec<RoleArg>,
    /// The public key, base64url (as `ecmr key show` prints it); it may begin with `-`.
    #[arg(long, conflicts_with = "pem", required_unless_present_any = ["pem", "gateway"], allow_hyphen_values = true)]
    key: Option<String>,
    /// A PEM file holding the public key (`BEGIN PUBLIC KEY`) or the private key.
    #[arg(long)]
    pem: Option<PathBuf>,
    /// Add a gateway key instead (base64url or a PEM file), whose attestations and receipts are then accepted;
    /// `--name` is then the gate id. A base64url key may begin with `-`.
    #[arg(long, conflicts_with_all = ["key", "pem", "roles"], allow_hyphen_values = true)]
    gateway: Option<String>,
}

/// One entry of a trust file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    public_key: Option<PublicKey>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    key_id: Option<KeyId>,
    name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    roles: Vec<Role>,
}

/// A trust file as written on disk.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TrustFileText {
    keys: Vec<Entry>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    gateway_keys: Vec<GatewayKey>,
}

/// Parses a trust file's text into the library's store, checking every entry.
pub(crate) fn parse_trust(text: &str) -> Result<TrustStore, String> {
    let file: TrustFileText =
        ecmr::json::from_str_limited(text, ecmr::canonical::MAX_DOCUMENT_BYTES).map_err(|e| e.to_string())?;
    let mut store = TrustStore::new();
    for (i, e) in file.keys.into_iter().enumerate() {
        if e.name.trim().is_empty() {
            return Err(format!("entry {i} has no name at /keys/{i}/name"));
        }
        match (e.public_key, e.key_id) {
            (Some(pk), id) => {
                if id.is_some_and(|id| id != pk.key_id()) {
                    return Err(format!("entry {i}: key_id is not the id of public_key at /keys/{i}/key_id"));
                }
                store.insert(ecmr::trust::TrustedKey { public_key: pk, name: e.name, roles: e.roles });
            }
            (None, Some(id)) => store.insert_key_id(id, e.name, e.roles),
            (None, None) => return Err(format!("entry {i} has neither public_key nor key_id at /keys/{i}")),
        }
    }
    for (i, g) in file.gateway_keys.into_iter().enumerate() {
        if g.gate_id.as_deref().is_some_and(|g| g.trim().is_empty()) {
            return Err(format!("gateway key {i} has an empty gate_id at /gateway_keys/{i}/gate_id"));
        }
        store.add_gateway_key(g);
    }
    Ok(store)
}

/// Loads a trust file.
pub(crate) fn load_trust(path: &Path) -> Result<TrustStore, CliError> {
    let bytes = read(path)?;
    let text =
        std::str::from_utf8(&bytes).map_err(|_| CliError::invalid(format!("{} is not UTF-8", path.display())))?;
    parse_trust(text).map_err(|e| {
        CliError::invalid(format!("{} is not a trust file: {e}", path.display()))
            .hint("add keys with `ecmr trust add -f FILE --name NAME --role ROLE --key KEY`")
    })
}

/// A public key given as base64url text, or as the path of a PEM file holding a public or a private key.
pub(crate) fn parse_public_key(arg: &str) -> Result<PublicKey, CliError> {
    if let Ok(pk) = arg.parse::<PublicKey>() {
        return Ok(pk);
    }
    let path = Path::new(arg);
    if !path.exists() {
        return Err(CliError::usage(format!("`{arg}` is neither a base64url public key nor a file"))
            .hint("give the key as `ecmr key show` prints it, or the path of a PEM file"));
    }
    pem_public_key(path)
}

/// The public key in a PEM file (public key, or private key whose public half is taken).
pub(crate) fn pem_public_key(path: &Path) -> Result<PublicKey, CliError> {
    let bytes = read(path)?;
    let text = std::str::from_utf8(&bytes).unwrap_or_default();
    PublicKey::from_public_key_pem(text).or_else(|_| FileKey::from_pkcs8_pem(text).map(|k| k.public_key())).map_err(
        |_| {
            CliError::invalid(format!(
                "{} holds neither an Ed25519 public key nor a private key in PEM",
                path.display()
            ))
            .hint("a public key PEM starts with `-----BEGIN PUBLIC KEY-----`")
        },
    )
}

/// A gateway key argument, `[GATE=]KEY` with KEY as for [`parse_public_key`].
pub(crate) fn parse_gateway_key(arg: &str) -> Result<GatewayKey, CliError> {
    match arg.split_once('=') {
        Some((gate, key)) if !gate.is_empty() && !gate.contains('/') && !key.is_empty() => {
            Ok(GatewayKey::new(gate, parse_public_key(key)?))
        }
        _ => Ok(GatewayKey::any_gate(parse_public_key(arg)?)),
    }
}

/// Runs a trust sub-command.
pub(crate) fn run(cmd: TrustCommand) -> CliResult {
    match cmd {
        TrustCommand::Add(args) => add(&args),
        TrustCommand::List { file } => list(&file),
    }
}

fn read_file_text(path: &Path) -> Result<TrustFileText, CliError> {
    if !path.exists() {
        return Ok(TrustFileText::default());
    }
    let bytes = read(path)?;
    let text =
        std::str::from_utf8(&bytes).map_err(|_| CliError::invalid(format!("{} is not UTF-8", path.display())))?;
    // Checked as a whole first, so that a broken file is never rewritten.
    parse_trust(text).map_err(|e| CliError::invalid(format!("{} is not a trust file: {e}", path.display())))?;
    ecmr::json::from_str_limited(text, ecmr::canonical::MAX_DOCUMENT_BYTES)
        .map_err(|e| CliError::invalid(format!("{} is not a trust file: {e}", path.display())))
}

fn add(args: &AddArgs) -> CliResult {
    if args.name.trim().is_empty() {
        return Err(CliError::usage("--name is empty"));
    }
    let mut file = read_file_text(&args.file)?;
    let line = if let Some(gateway) = &args.gateway {
        let key = parse_public_key(gateway)?;
        file.gateway_keys.retain(|g| g.public_key != key);
        file.gateway_keys.push(GatewayKey::new(&args.name, key));
        format!("gateway {} key {}", args.name, key.key_id())
    } else {
        let key = match (&args.key, &args.pem) {
            (Some(text), _) => parse_public_key(text)?,
            (None, Some(pem)) => pem_public_key(pem)?,
            (None, None) => return Err(CliError::usage("give --key, --pem or --gateway")),
        };
        let roles: Vec<Role> = args.roles.iter().map(|r| r.role()).collect();
        file.keys.retain(|e| e.public_key != Some(key) && e.key_id != Some(key.key_id()));
        file.keys.push(Entry { public_key: Some(key), key_id: None, name: args.name.clone(), roles: roles.clone() });
        let roles = if roles.is_empty() {
            "any role".to_owned()
        } else {
            roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ")
        };
        format!("{} key {} for {roles}", args.name, key.key_id())
    };
    let mut text = serde_json::to_string_pretty(&file).map_err(|e| CliError::usage(e.to_string()))?;
    text.push('\n');
    write_atomic(&args.file, text.as_bytes(), true, false)?;
    outln(&format!("added {line} to {}", args.file.display()));
    Ok(EXIT_OK)
}

fn list(path: &Path) -> CliResult {
    let file = read_file_text(path)?;
    if !path.exists() {
        return Err(CliError::usage(format!("{} does not exist", path.display())));
    }
    for e in &file.keys {
        let id = e.public_key.map(|k| k.key_id()).or(e.key_id).map(|k| k.to_string()).unwrap_or_default();
        let roles = if e.roles.is_empty() {
            "any role".to_owned()
        } else {
            e.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ")
        };
        outln(&format!("{id}  {}  ({roles})", crate::error::one_line(&e.name)));
    }
    for g in &file.gateway_keys {
        outln(&format!(
            "{}  gateway {}{}",
            g.public_key.key_id(),
            crate::error::one_line(g.gate_id.as_deref().unwrap_or("(any gate)")),
            g.valid_until.as_deref().map(|u| format!(", valid until {u}")).unwrap_or_default()
        ));
    }
    outln(&format!("{} key(s), {} gateway key(s)", file.keys.len(), file.gateway_keys.len()));
    Ok(EXIT_OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trust_files_by_public_key_or_key_id() {
        let pk = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
        let id = pk.parse::<PublicKey>().unwrap().key_id().to_string();
        let t = parse_trust(&format!(
            r#"{{"keys": [{{"public_key": "{pk}", "key_id": "{id}", "name": "A", "roles": ["sender"]}},
                          {{"key_id": "{id}", "name": "B"}}],
                 "gateway_keys": [{{"gate_id": "gate-nl", "public_key": "{pk}"}}]}}"#
        ))
        .unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(t.gateway_keys().count(), 1);
        let other = "0".repeat(64);
        for bad in [
            format!(r#"{{"keys": [{{"public_key": "{pk}", "key_id": "{other}", "name": "A"}}]}}"#),
            r#"{"keys": [{"name": "A"}]}"#.to_owned(),
            format!(r#"{{"keys": [{{"key_id": "{id}", "name": " "}}]}}"#),
            format!(r#"{{"keys": [{{"key_id": "{id}", "name": "A", "colour": "red"}}]}}"#),
            format!(r#"{{"keys": [{{"key_id": "{}", "name": "A"}}]}}"#, id.to_uppercase()),
            r#"{"keys": [{"public_key": "AAAA", "name": "A"}]}"#.to_owned(),
            format!(r#"{{"keys": [], "gateway_keys": [{{"gate_id": " ", "public_key": "{pk}"}}]}}"#),
        ] {
            assert!(parse_trust(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn gateway_key_arguments() {
        let pk = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
        assert_eq!(parse_gateway_key(pk).unwrap().gate_id, None);
        assert_eq!(parse_gateway_key(&format!("gate-nl={pk}")).unwrap().gate_id.as_deref(), Some("gate-nl"));
        assert!(parse_gateway_key("gate-nl=nonsense").is_err());
    }
}
