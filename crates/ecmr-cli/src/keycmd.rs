//! `ecmr key generate` and `ecmr key show`.

use std::path::{Path, PathBuf};

use clap::{Subcommand, ValueEnum};
use ecmr::keys::{FileKey, Signer as _};

use crate::error::{CliError, CliResult, EXIT_OK};
use crate::io::{out, outln, write_atomic};

/// Key sub-commands.
#[derive(Debug, Subcommand)]
pub(crate) enum KeyCommand {
    /// Generate an Ed25519 key (PKCS#8 PEM, file mode 0600) and print its public key and key id.
    Generate {
        /// Where to write the private key (default: the PEM goes to standard output, the public key and key id
        /// to standard error).
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Replace OUTPUT if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Print the public key (base64url), key id (SHA-256 hex) and public-key PEM of a key file.
    Show {
        /// The private key (PKCS#8 PEM) or a public key (`BEGIN PUBLIC KEY` PEM).
        file: PathBuf,
        /// Print a trust-file entry for this key instead, naming the party.
        #[arg(long, value_name = "NAME")]
        trust_entry: Option<String>,
        /// With --trust-entry: a role the key is trusted for (repeatable; default: any role). One of sender,
        /// carrier, successive_carrier, consignee.
        #[arg(long = "role", value_name = "ROLE", requires = "trust_entry")]
        roles: Vec<RoleArg>,
    },
}

/// Roles a trusted key may sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "snake_case")]
pub(crate) enum RoleArg {
    /// The sender.
    Sender,
    /// The (first) carrier.
    Carrier,
    /// A successive carrier.
    SuccessiveCarrier,
    /// The consignee.
    Consignee,
}

impl RoleArg {
    /// The library's role.
    pub(crate) fn role(self) -> ecmr::document::Role {
        use ecmr::document::Role;
        match self {
            RoleArg::Sender => Role::Sender,
            RoleArg::Carrier => Role::Carrier,
            RoleArg::SuccessiveCarrier => Role::SuccessiveCarrier,
            RoleArg::Consignee => Role::Consignee,
        }
    }
}

/// Runs a key sub-command.
pub(crate) fn run(cmd: KeyCommand) -> CliResult {
    match cmd {
        KeyCommand::Generate { output, force } => generate(output.as_deref(), force),
        KeyCommand::Show { file, trust_entry, roles } => show(&file, trust_entry.as_deref(), &roles),
    }
}

/// Generates a key; writes it to `output` (mode 0600, refusing to overwrite without `force`) or standard output.
fn generate(output: Option<&Path>, force: bool) -> CliResult {
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

/// Prints the public key and key id of a key file, or a trust-file entry for it.
fn show(path: &Path, trust_entry: Option<&str>, roles: &[RoleArg]) -> CliResult {
    let pk = crate::trustcmd::pem_public_key(path)?;
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
            if let Ok(pem) = pk.to_public_key_pem() {
                out(pem.as_bytes());
            }
        }
    }
    Ok(EXIT_OK)
}
