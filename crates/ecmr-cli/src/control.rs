//! `ecmr control`: what a control authority does at the roadside through the gateway's eFTI authority API — ask
//! for a dataset by its UIL, search consignments by a vehicle or equipment identifier, send a follow-up message.

use std::path::PathBuf;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use clap::{Args, Subcommand};
use ecmr_client::wire::control::{PostFollowUpRequestDto, SearchWithIdentifiersRequestDto, UilDto};
use serde_json::{Value, json};

use crate::error::{CliError, CliResult, EXIT_OK};
use crate::io::{out, outln, write_atomic};
use crate::remote::{Failed, RemoteArgs, cli, client, req, runtime, with_json};

/// `ecmr control` and its commands.
#[derive(Debug, Subcommand)]
pub(crate) enum ControlCommand {
    /// Ask for a dataset by its UIL and write its eFTI XML (the subsets asked for).
    Uil(UilArgs),
    /// Find consignments by a vehicle or equipment identifier (a number plate, a container number).
    Search(SearchArgs),
    /// Send a follow-up message about an earlier UIL request; the document's parties read it.
    FollowUp(FollowUpArgs),
}

/// The arguments of `ecmr control uil`.
#[derive(Debug, Args)]
pub(crate) struct UilArgs {
    /// The UIL: `GATE/PLATFORM/DATASET`.
    uil: String,
    /// A subset to ask for (`EU01`, `identifier`, `full`, …; repeatable).
    #[arg(long = "subset", required = true, value_name = "ID")]
    subsets: Vec<String>,
    /// Write the XML here (default: standard output).
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Replace OUTPUT if it exists.
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    remote: RemoteArgs,
}

/// The arguments of `ecmr control search`.
#[derive(Debug, Args)]
pub(crate) struct SearchArgs {
    /// The identifier: letters and digits (spaces, hyphens and dots are ignored).
    identifier: String,
    /// Registration country (ISO 3166-1 alpha-2).
    #[arg(long)]
    country: Option<String>,
    /// Transport mode code (UN/ECE Rec. 19), e.g. 3 for road.
    #[arg(long)]
    mode: Option<String>,
    /// Only consignments with dangerous goods.
    #[arg(long)]
    dangerous: bool,
    #[command(flatten)]
    remote: RemoteArgs,
}

/// The arguments of `ecmr control follow-up`.
#[derive(Debug, Args)]
pub(crate) struct FollowUpArgs {
    /// The request id the UIL query answered.
    request: String,
    /// The message (at most 255 characters).
    message: String,
    #[command(flatten)]
    remote: RemoteArgs,
}

/// Runs `ecmr control …`.
pub(crate) fn run(cmd: &ControlCommand) -> CliResult {
    let (json_out, result) = match cmd {
        ControlCommand::Uil(a) => (a.remote.json, uil(a)),
        ControlCommand::Search(a) => (a.remote.json, search(a)),
        ControlCommand::FollowUp(a) => (a.remote.json, follow_up(a)),
    };
    with_json(json_out, || result.map(|v| (v, EXIT_OK)))
}

fn uil(a: &UilArgs) -> Result<Value, Failed> {
    let parts: Vec<&str> = a.uil.split('/').collect();
    let [gate, platform, dataset] = parts.as_slice() else {
        return Err(cli(CliError::usage(format!("{:?} is not a UIL", a.uil)).hint("write GATE/PLATFORM/DATASET")));
    };
    let c = client(&a.remote.profile).map_err(cli)?;
    let query = UilDto {
        gate_id: (*gate).to_owned(),
        platform_id: (*platform).to_owned(),
        dataset_id: (*dataset).to_owned(),
        subset_id: a.subsets.clone(),
    };
    let dto = runtime().map_err(cli)?.block_on(c.request_uil(&query)).map_err(req)?;
    let xml = match &dto.data {
        Some(d) => {
            STANDARD.decode(d).map_err(|e| cli(CliError::usage(format!("the gateway's data is not base64: {e}"))))?
        }
        None => Vec::new(),
    };
    match &a.output {
        Some(path) => {
            write_atomic(path, &xml, a.force, false).map_err(cli)?;
            if !a.remote.json {
                outln(&format!("request {}: {} bytes of eFTI XML → {}", dto.request_id, xml.len(), path.display()));
            }
        }
        None if !a.remote.json => out(&xml),
        None => {}
    }
    let mut v = json!({"ok": true, "requestId": dto.request_id, "status": dto.status});
    match &a.output {
        Some(p) => v["output"] = json!(p.display().to_string()),
        None => v["xml"] = json!(String::from_utf8_lossy(&xml)),
    }
    Ok(v)
}

fn search(a: &SearchArgs) -> Result<Value, Failed> {
    let c = client(&a.remote.profile).map_err(cli)?;
    let query = SearchWithIdentifiersRequestDto {
        identifier: a.identifier.clone(),
        identifier_type: Vec::new(),
        mode_code: a.mode.clone(),
        registration_country_code: a.country.clone(),
        dangerous_goods_indicator: a.dangerous.then_some(true),
        efti_gate_indicator: Vec::new(),
    };
    let dto = runtime().map_err(cli)?.block_on(c.search_identifiers(&query)).map_err(req)?;
    if !a.remote.json {
        for hit in &dto.identifiers {
            let means: Vec<String> = hit
                .main_carriage_transport_movement
                .iter()
                .map(|m| format!("{} ({})", m.id, m.registration_country_code.as_deref().unwrap_or("-")))
                .collect();
            let equipment: Vec<&str> = hit.used_transport_equipment.iter().map(|e| e.id.as_str()).collect();
            outln(&format!(
                "{}/{}/{}  means {}  equipment {}",
                hit.gate_id,
                hit.platform_id,
                hit.dataset_id,
                if means.is_empty() { "-".to_owned() } else { means.join(", ") },
                if equipment.is_empty() { "-".to_owned() } else { equipment.join(", ") },
            ));
        }
        outln(&format!("request {}: {} consignment(s)", dto.request_id, dto.identifiers.len()));
    }
    Ok(json!({"ok": true, "requestId": dto.request_id, "identifiers": dto.identifiers}))
}

fn follow_up(a: &FollowUpArgs) -> Result<Value, Failed> {
    let c = client(&a.remote.profile).map_err(cli)?;
    let body = PostFollowUpRequestDto { message: a.message.clone(), request_id: a.request.clone() };
    let dto = runtime().map_err(cli)?.block_on(c.follow_up(&body)).map_err(req)?;
    if !a.remote.json {
        outln(&format!("request {}: {}", a.request, dto.message));
    }
    Ok(json!({"ok": true, "requestId": a.request, "message": dto.message}))
}
