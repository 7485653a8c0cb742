//! `ecmr-gateway`: run the Access Point, or manage its principals offline on the same store.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use ecmr_gateway::config::Config;
use ecmr_gateway::server;
use ecmr_gateway::service::principals::{NewPrincipal, PrincipalError, check_not_own_platform, create_principal};
use ecmr_gateway::store::{PrincipalKind, now};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The e-CMR Access Point.
#[derive(Debug, Parser)]
#[command(name = "ecmr-gateway", version, about)]
struct Cli {
    /// TOML configuration file; `ECMR_*` environment variables override it.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the gateway (SQLite in ./ecmr-data and 127.0.0.1:8080 unless configured otherwise).
    Serve,
    /// Manage principals and their tokens (works on the store directly; the gateway may be running).
    #[command(subcommand)]
    Principal(PrincipalCommand),
    /// The gateway's own signing key (attestations, receipts), in `<data_dir>/gateway-key.pem`.
    #[command(subcommand)]
    Key(KeyCommand),
}

#[derive(Debug, Subcommand)]
enum KeyCommand {
    /// Print the gate id and its public keys as JSON (what `GET /.well-known/ecmr-gateway` serves); makes the key
    /// when there is none.
    Show,
    /// Replace the signing key by a new one; the old public key stays listed with the end of its validity, so
    /// that statements it signed still check. Restart the gateway to sign with the new key.
    Rotate,
}

#[derive(Debug, Subcommand)]
enum PrincipalCommand {
    /// Create a principal and print its first token (shown only now).
    Add {
        /// party, authority, platform, gate or admin.
        #[arg(long)]
        kind: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// An Ed25519 public key (base64url) of a party; repeat for more. A key may begin with `-`.
        #[arg(long = "key", value_name = "BASE64URL", allow_hyphen_values = true)]
        keys: Vec<String>,
        /// Country of an authority, or of a party's address (ISO 3166-1 alpha-2). A party with a country is in
        /// the party directory: its name is its legal name, and its keys are attested to it.
        #[arg(long)]
        country: Option<String>,
        /// A party's registration number, `SCHEME:VALUE` with SCHEME one of vat, eori, gln, company_register,
        /// transport_licence, other (repeatable; needs --country). Notes naming the party must carry one of them.
        #[arg(long = "identifier", value_name = "SCHEME:VALUE")]
        identifiers: Vec<String>,
        /// Further details as a JSON object (e.g. an authority's legal contact).
        #[arg(long, value_name = "JSON")]
        details: Option<String>,
        /// eFTI subset ids an authority may request, comma-separated (e.g. `EU01,EU02,identifier,full`).
        #[arg(long, value_name = "IDS", value_delimiter = ',')]
        subsets: Vec<String>,
        /// Days until the token expires; it never does when not given.
        #[arg(long, value_name = "DAYS")]
        expires_in_days: Option<u32>,
    },
    /// List principals.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Replace the eFTI subsets an authority may request.
    Subsets {
        /// The authority's id.
        id: uuid::Uuid,
        /// Subset ids, comma-separated (e.g. `EU01,EU02,identifier`; `full` grants all; empty grants nothing).
        #[arg(value_delimiter = ',')]
        subsets: Vec<String>,
    },
    /// Revoke a principal and all its tokens.
    Revoke {
        /// The principal's id.
        id: uuid::Uuid,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("ecmr-gateway: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("ecmr-gateway: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Serve => {
                server::init_logging(&config);
                server::serve(config).await.map_err(|e| e.to_string())
            }
            Command::Principal(cmd) => principal(&config, cmd).await,
            Command::Key(cmd) => gateway_key(&config, cmd),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ecmr-gateway: {e}");
            ExitCode::FAILURE
        }
    }
}

fn gateway_key(config: &Config, cmd: KeyCommand) -> Result<(), String> {
    use ecmr_gateway::service::gatekey::GatewayKeys;
    let keys = match cmd {
        KeyCommand::Show => GatewayKeys::load_or_create(&config.data_dir, &config.gate_id),
        KeyCommand::Rotate => GatewayKeys::rotate(&config.data_dir, &config.gate_id, &ecmr::sign::format_at(now())),
    }
    .map_err(|e| e.to_string())?;
    let text = serde_json::to_string_pretty(&keys.well_known(&config.platform_id)).map_err(|e| e.to_string())?;
    println!("{text}");
    Ok(())
}

async fn principal(config: &Config, cmd: PrincipalCommand) -> Result<(), String> {
    let store = server::open_store(config).await.map_err(|e| e.to_string())?;
    let result = run_principal(&store, config, cmd).await;
    store.close().await;
    result
}

async fn run_principal(
    store: &ecmr_gateway::store::Store,
    config: &Config,
    cmd: PrincipalCommand,
) -> Result<(), String> {
    match cmd {
        PrincipalCommand::Add { kind, name, keys, country, identifiers, details, subsets, expires_in_days } => {
            let kind: PrincipalKind = kind.parse()?;
            let mut details = match details {
                Some(text) => serde_json::from_str::<serde_json::Value>(&text)
                    .map_err(|e| format!("--details is not JSON: {e}"))?,
                None => serde_json::json!({}),
            };
            if let Some(c) = country {
                match details.as_object_mut() {
                    Some(map) => {
                        map.insert("country".into(), serde_json::Value::String(c));
                    }
                    None => return Err("--details must be a JSON object".into()),
                }
            }
            if !identifiers.is_empty() {
                let mut list = Vec::new();
                for i in &identifiers {
                    let (scheme, value) = i
                        .split_once(':')
                        .ok_or_else(|| format!("--identifier {i:?} is not SCHEME:VALUE, e.g. vat:NL812345678B01"))?;
                    list.push(serde_json::json!({"scheme": scheme.to_ascii_lowercase(), "value": value}));
                }
                match details.as_object_mut() {
                    Some(map) => {
                        map.insert("identifiers".into(), serde_json::Value::Array(list));
                    }
                    None => return Err("--details must be a JSON object".into()),
                }
            }
            if !subsets.is_empty() {
                let ids = subsets.iter().map(|s| serde_json::Value::String(s.trim().to_owned())).collect();
                match details.as_object_mut() {
                    Some(map) => {
                        map.insert("subsets".into(), serde_json::Value::Array(ids));
                    }
                    None => return Err("--details must be a JSON object".into()),
                }
            }
            let req = NewPrincipal {
                kind,
                name,
                public_keys: keys,
                details: Some(details),
                token_expires_at: expires_in_days.map(|d| now() + chrono::Duration::days(i64::from(d))),
            };
            check_not_own_platform(&req, &config.platform_id).map_err(|e| e.to_string())?;
            let (p, token) = create_principal(store, req).await.map_err(|e| e.to_string())?;
            println!("principal {} ({}) created", p.id, p.kind.as_str());
            println!("token (shown only now): {}", token.token);
            Ok(())
        }
        PrincipalCommand::List { json } => {
            let all = store.principals.list_principals().await.map_err(|e| e.to_string())?;
            if json {
                let all: Vec<ecmr_gateway::api::admin::PrincipalView> = all.into_iter().map(Into::into).collect();
                println!("{}", serde_json::to_string_pretty(&all).map_err(|e| e.to_string())?);
            } else {
                println!("{:<36}  {:<9}  {:<8}  {:>4}  NAME", "ID", "KIND", "STATUS", "KEYS");
                for p in all {
                    let status = if p.revoked_at.is_some() { "revoked" } else { "active" };
                    println!("{:<36}  {:<9}  {:<8}  {:>4}  {}", p.id, p.kind.as_str(), status, p.keys.len(), p.name);
                }
            }
            Ok(())
        }
        PrincipalCommand::Subsets { id, subsets } => {
            let subsets: Vec<String> = subsets.into_iter().filter(|s| !s.trim().is_empty()).collect();
            ecmr_gateway::service::principals::set_subsets(store, id, &subsets).await.map_err(|e| e.to_string())?;
            println!(
                "authority {id} may request: {}",
                if subsets.is_empty() { "nothing".to_owned() } else { subsets.join(", ") }
            );
            Ok(())
        }
        PrincipalCommand::Revoke { id } => {
            ecmr_gateway::service::principals::revoke_principal(store, id).await.map_err(|e| match e {
                PrincipalError::NotFound(_) => format!("no active principal {id}"),
                e => e.to_string(),
            })?;
            println!("principal {id} and its tokens revoked");
            Ok(())
        }
    }
}
