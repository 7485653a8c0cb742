//! Gateway profiles: which gateway to talk to and with which token, kept in the user's configuration directory
//! (`$ECMR_CONFIG_DIR`, else `$XDG_CONFIG_HOME/ecmr`, else `~/.config/ecmr`), one file per profile, readable by the
//! user alone (mode 0600): the file holds a bearer token.

use std::path::{Path, PathBuf};

use clap::Args;
use serde::{Deserialize, Serialize};

use crate::error::{CliError, CliResult, EXIT_OK};
use crate::io::outln;

/// The arguments of `ecmr login`.
#[derive(Debug, Args)]
pub(crate) struct LoginArgs {
    /// The gateway's base URL (`http://127.0.0.1:8080`, `https://gw.example`).
    #[arg(long, env = "ECMR_GATEWAY_URL")]
    gateway: String,
    /// A file holding the bearer token (`ecmr_…`), as `ecmr-gateway principal add` printed it.
    #[arg(long, env = "ECMR_TOKEN_FILE")]
    token_file: PathBuf,
    #[command(flatten)]
    profile: ProfileArg,
}

/// Which profile to use.
#[derive(Debug, Clone, Args)]
pub(crate) struct ProfileArg {
    /// The profile (default: `default`; also `ECMR_PROFILE`).
    #[arg(long, env = "ECMR_PROFILE", default_value = "default", value_name = "NAME")]
    pub(crate) profile: String,
}

/// A gateway and the token to use with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Profile {
    /// The gateway's base URL.
    pub(crate) gateway: String,
    /// The bearer token.
    pub(crate) token: String,
}

/// The configuration directory.
pub(crate) fn config_dir() -> Result<PathBuf, CliError> {
    let from = |var: &str| std::env::var_os(var).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(dir) = from("ECMR_CONFIG_DIR") {
        return Ok(dir);
    }
    if let Some(dir) = from("XDG_CONFIG_HOME") {
        return Ok(dir.join("ecmr"));
    }
    match from("HOME") {
        Some(home) => Ok(home.join(".config").join("ecmr")),
        None => {
            Err(CliError::usage("no configuration directory: neither ECMR_CONFIG_DIR, XDG_CONFIG_HOME nor HOME is set"))
        }
    }
}

fn check_name(name: &str) -> Result<(), CliError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        && !name.starts_with('-');
    if ok { Ok(()) } else { Err(CliError::usage(format!("profile name {name:?} is not 1 to 64 of A-Z a-z 0-9 - _"))) }
}

/// Where a profile is kept.
pub(crate) fn profile_path(name: &str) -> Result<PathBuf, CliError> {
    check_name(name)?;
    Ok(config_dir()?.join("profiles").join(format!("{name}.json")))
}

/// Loads a profile.
pub(crate) fn load(name: &str) -> Result<Profile, CliError> {
    let path = profile_path(name)?;
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(CliError::usage(format!("no profile {name:?} ({} does not exist)", path.display()))
                .hint("log in first: ecmr login --gateway URL --token-file FILE"));
        }
        Err(e) => return Err(CliError::io("read", &path, &e)),
    };
    serde_json::from_slice(&bytes)
        .map_err(|e| CliError::usage(format!("{} is not a profile: {e}", path.display())).hint("log in again"))
}

/// Reads a token file: one line, `ecmr_…`.
pub(crate) fn read_token(path: &Path) -> Result<String, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| CliError::io("read the token file", path, &e))?;
    let token = text.trim();
    // `ecmr-gateway principal add` prints "token (shown only now): ecmr_…"; take the token from such a line too.
    let token = token.rsplit(' ').next().unwrap_or(token);
    if token.is_empty() || token.lines().count() != 1 || !token.chars().all(|c| c.is_ascii_graphic()) {
        return Err(CliError::usage(format!("{} does not hold a token", path.display()))
            .hint("put the token (ecmr_…) alone on the first line"));
    }
    Ok(token.to_owned())
}

/// Runs `ecmr login`: checks the URL and the token file and stores the profile.
pub(crate) fn login(args: &LoginArgs) -> CliResult {
    let token = read_token(&args.token_file)?;
    // The URL is checked as the client will use it.
    ecmr_client::Client::builder(args.gateway.as_str())
        .token(&token)
        .build()
        .map_err(|e| CliError::usage(e.to_string()))?;
    let profile = Profile { gateway: args.gateway.trim_end_matches('/').to_owned(), token };
    let path = profile_path(&args.profile.profile)?;
    save(&path, &profile)?;
    outln(&format!("profile {} → {} saved in {}", args.profile.profile, profile.gateway, path.display()));
    Ok(EXIT_OK)
}

/// Writes a profile readable by its owner alone.
fn save(path: &Path, profile: &Profile) -> Result<(), CliError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| CliError::io("create", dir, &e))?;
    }
    let json = serde_json::to_vec_pretty(profile).map_err(|e| CliError::usage(e.to_string()))?;
    crate::io::write_atomic(path, &json, true, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_names_are_file_names() {
        for ok in ["default", "carrier-nl", "a_1"] {
            check_name(ok).expect(ok);
        }
        for bad in ["", "../x", "a/b", "-x", "a b", &"x".repeat(65)] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn tokens_are_read_alone_or_from_the_gateways_line() {
        let dir = tempfile::tempdir().expect("dir");
        let p = dir.path().join("t");
        std::fs::write(&p, "ecmr_abc\n").unwrap();
        assert_eq!(read_token(&p).unwrap(), "ecmr_abc");
        std::fs::write(&p, "token (shown only now): ecmr_def\n").unwrap();
        assert_eq!(read_token(&p).unwrap(), "ecmr_def");
        std::fs::write(&p, "\n").unwrap();
        assert_eq!(read_token(&p).unwrap_err().code, crate::error::EXIT_USAGE);
    }
}
