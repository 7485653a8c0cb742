//! `ecmr-gateway`: run the Access Point, or manage its principals offline on the same store.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use ecmr_gateway::auth::{NewPrincipal, create_principal};
use ecmr_gateway::config::Config;
use ecmr_gateway::server;
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
        /// An Ed25519 public key (base64url) of a party; repeat for more.
        #[arg(long = "key", value_name = "BASE64URL")]
        keys: Vec<String>,
        /// Country of an authority (ISO 3166-1 alpha-2).
        #[arg(long)]
        country: Option<String>,
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

async fn principal(config: &Config, cmd: PrincipalCommand) -> Result<(), String> {
    let store = server::open_store(config).await.map_err(|e| e.to_string())?;
    let result = run_principal(&store, cmd).await;
    store.close().await;
    result
}

async fn run_principal(store: &ecmr_gateway::store::Store, cmd: PrincipalCommand) -> Result<(), String> {
    match cmd {
        PrincipalCommand::Add { kind, name, keys, country, details, subsets, expires_in_days } => {
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
            let (p, token) = create_principal(store, req).await.map_err(|e| e.to_string())?;
            println!("principal {} ({}) created", p.id, p.kind.as_str());
            println!("token (shown only now): {}", token.token);
            Ok(())
        }
        PrincipalCommand::List { json } => {
            let all = store.principals.list_principals().await.map_err(|e| e.to_string())?;
            if json {
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
            ecmr_gateway::auth::set_subsets(store, id, &subsets).await.map_err(|e| e.to_string())?;
            println!(
                "authority {id} may request: {}",
                if subsets.is_empty() { "nothing".to_owned() } else { subsets.join(", ") }
            );
            Ok(())
        }
        PrincipalCommand::Revoke { id } => {
            if store.principals.revoke_principal(id, now()).await.map_err(|e| e.to_string())? {
                println!("principal {id} and its tokens revoked");
                Ok(())
            } else {
                Err(format!("no active principal {id}"))
            }
        }
    }
}
