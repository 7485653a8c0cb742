//! The commands that talk to a gateway as a party: `whoami`, `submit`, `fetch`, `list`, `audit`, `follow-ups`,
//! `watch`, and the `--submit` of the lifecycle steps. Each uses a profile (see [`crate::profile`]).
//!
//! Exit codes: 0 done, 1 refused by the gateway (or a fetched document that does not verify), 2 usage, I/O or
//! network errors (the message names the URL and says whether a retry is safe). With `--json` each prints one
//! JSON object on standard output, errors included (`{"ok": false, "error": {…}}`).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use clap::Args;
use ecmr_client::wire::party::DocumentReceipt;
use ecmr_client::{Client, ListQuery, SubmitOutcome, Submitted};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::error::{CliError, CliResult, EXIT_OK, EXIT_USAGE};
use crate::io::{outln, write_atomic};
use crate::profile::{self, Profile, ProfileArg};

/// What every gateway command takes: the profile and `--json`.
#[derive(Debug, Clone, Args)]
pub(crate) struct RemoteArgs {
    #[command(flatten)]
    pub(crate) profile: ProfileArg,
    /// Print one JSON object instead of lines of text.
    #[arg(long)]
    pub(crate) json: bool,
}

/// The arguments of `ecmr whoami`.
#[derive(Debug, Args)]
pub(crate) struct WhoamiArgs {
    #[command(flatten)]
    remote: RemoteArgs,
}

/// The arguments of `ecmr submit`.
#[derive(Debug, Args)]
pub(crate) struct SubmitArgs {
    /// Signed documents to store or sync (the gateway appends the events it does not have yet).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    #[command(flatten)]
    remote: RemoteArgs,
}

/// The arguments of `ecmr fetch`.
#[derive(Debug, Args)]
pub(crate) struct FetchArgs {
    /// The document id.
    id: Uuid,
    /// Write the signed document here (default: standard output).
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Replace OUTPUT if it exists.
    #[arg(long)]
    force: bool,
    /// Fetch the bundle instead: the document with the gateway's signed receipts and attestations, which
    /// `ecmr verify BUNDLE --gateway-key GATE=KEY` checks offline.
    #[arg(long)]
    bundle: bool,
    #[command(flatten)]
    remote: RemoteArgs,
}

/// The arguments of `ecmr list`.
#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    /// Only documents in this state: issued, in_transit, delivered, refused, cancelled.
    #[arg(long)]
    state: Option<String>,
    /// Only documents where one of your keys is linked in this role: sender, carrier, successive_carrier,
    /// consignee.
    #[arg(long)]
    role: Option<String>,
    /// Only documents updated at or after this time (RFC 3339).
    #[arg(long)]
    since: Option<DateTime<Utc>>,
    #[command(flatten)]
    remote: RemoteArgs,
}

/// The arguments of `ecmr audit` and `ecmr follow-ups`.
#[derive(Debug, Args)]
pub(crate) struct DocumentIdArgs {
    /// The document id.
    id: Uuid,
    #[command(flatten)]
    remote: RemoteArgs,
}

/// The arguments of `ecmr grant`.
#[derive(Debug, Args)]
pub(crate) struct GrantArgs {
    /// The document id.
    id: Uuid,
    /// The party principal to give access to: its id at the gateway (`principal … created` when the operator
    /// made it).
    #[arg(long, value_name = "PRINCIPAL_ID")]
    to: Uuid,
    #[command(flatten)]
    remote: RemoteArgs,
}

/// The arguments of `ecmr watch`.
#[derive(Debug, Args)]
pub(crate) struct WatchArgs {
    /// Seconds between two polls.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    interval: u64,
    /// Poll once and stop (the cursor is kept for the next run).
    #[arg(long)]
    once: bool,
    /// Forget the kept cursor and report every document again.
    #[arg(long)]
    from_start: bool,
    #[command(flatten)]
    remote: RemoteArgs,
}

/// The client of a profile.
pub(crate) fn client(profile: &ProfileArg) -> Result<Client, CliError> {
    client_of(&profile::load(&profile.profile)?)
}

/// A client for a profile already loaded.
fn client_of(p: &Profile) -> Result<Client, CliError> {
    Client::builder(p.gateway.as_str()).token(p.token.as_str()).build().map_err(|e| CliError::usage(e.to_string()))
}

/// A current-thread runtime for one command.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::usage(format!("cannot start the async runtime: {e}")))
}

/// The CLI error of a failed request: refusals exit 1, everything else 2.
pub(crate) fn request_error(e: &ecmr_client::Error) -> CliError {
    match e {
        // A token the gateway does not take is the profile's fault, not the request's.
        ecmr_client::Error::Api(api) if api.status == 401 => CliError::usage(format!(
            "the gateway does not accept the profile's token ({} {}): {}",
            api.method,
            api.url,
            api.detail()
        ))
        .hint("log in again with a valid token: ecmr login --gateway URL --token-file FILE"),
        ecmr_client::Error::Api(api) if api.status == 404 => {
            CliError::invalid(format!("not found: {}", api.detail())).hint(format!("{} {}", api.method, api.url))
        }
        ecmr_client::Error::Api(api) if api.status < 500 => CliError::invalid(format!(
            "the gateway refused: {} ({} {}): {}",
            api.code(),
            api.status,
            api.url,
            api.detail()
        )),
        other => {
            let hint = if other.is_retry_safe() {
                "safe to retry"
            } else {
                "check the gateway URL and that it runs; the request may or may not have been carried out"
            };
            CliError::usage(other.to_string()).hint(hint)
        }
    }
}

/// The JSON of an error, for `--json`.
fn error_json(e: &CliError, request: Option<&ecmr_client::Error>) -> Value {
    let mut err = json!({"message": e.message, "exit_code": e.code});
    if let Some(h) = &e.hint {
        err["hint"] = json!(h);
    }
    if let Some(r) = request {
        err["url"] = json!(r.url());
        err["retry_safe"] = json!(r.is_retry_safe());
        if let Some(api) = r.api() {
            err["status"] = json!(api.status);
            err["code"] = json!(api.code());
            if let Some(p) = &api.problem {
                err["problem"] = serde_json::to_value(p).unwrap_or(Value::Null);
            }
        }
    }
    json!({"ok": false, "error": err})
}

/// Runs `work` (which may fail with a request error) and prints its JSON or the error as `--json` asks.
pub(crate) fn with_json(json: bool, work: impl FnOnce() -> Result<(Value, u8), Failed>) -> CliResult {
    match work() {
        Ok((v, code)) => {
            if json {
                outln(&v.to_string());
            }
            Ok(code)
        }
        Err(failed) => {
            let (e, request) = *failed;
            if json {
                outln(&error_json(&e, request.as_ref()).to_string());
                eprintln!("error: {e}");
                Ok(e.code)
            } else {
                Err(e)
            }
        }
    }
}

/// A failed command: the CLI error and, when a request failed, its error.
pub(crate) type Failed = Box<(CliError, Option<ecmr_client::Error>)>;

/// A failure that is not a request's.
pub(crate) fn cli(e: CliError) -> Failed {
    Box::new((e, None))
}

/// The failure of a request.
pub(crate) fn req(e: ecmr_client::Error) -> Failed {
    Box::new((request_error(&e), Some(e)))
}

/// What a submit appended, for people: `appended seqs 1, 2`.
fn appended_line(seqs: &[u64]) -> String {
    let list: Vec<String> = seqs.iter().map(u64::to_string).collect();
    format!("appended seqs {}", list.join(", "))
}

/// What a submit did, for people: `stored`, `already up to date` or `appended seqs 1, 2`.
fn submitted_words(s: &Submitted) -> String {
    match s.outcome {
        SubmitOutcome::Created => "stored".to_owned(),
        SubmitOutcome::Unchanged => "already up to date".to_owned(),
        SubmitOutcome::Extended => appended_line(&s.receipt.appended_seqs),
    }
}

fn receipt_line(r: &DocumentReceipt) -> String {
    format!(
        "{}  {:<10}  seq {:<3}  {}  updated {}",
        r.id,
        r.state,
        r.last_seq,
        r.note_number,
        r.updated_at.to_rfc3339()
    )
}

// ---------------------------------------------------------------------------------------------------------------

/// Runs `ecmr whoami`: the profile's gateway and what the token is (probed with read-only requests).
pub(crate) fn whoami(args: &WhoamiArgs) -> CliResult {
    with_json(args.remote.json, || {
        let p = profile::load(&args.remote.profile.profile).map_err(cli)?;
        let c = client_of(&p).map_err(cli)?;
        let rt = runtime().map_err(cli)?;
        let (kind, detail) = rt.block_on(probe(&c)).map_err(req)?;
        if !args.remote.json {
            outln(&format!("profile {} → {}", args.remote.profile.profile, p.gateway));
            outln(&format!("{kind}{}", detail.as_deref().map(|d| format!(": {d}")).unwrap_or_default()));
        }
        Ok((
            json!({"ok": true, "profile": args.remote.profile.profile, "gateway": p.gateway, "kind": kind, "detail": detail}),
            EXIT_OK,
        ))
    })
}

/// What kind of principal the client's token is, by what it may read; `None` when it may read none of them.
async fn probe(c: &Client) -> Result<(String, Option<String>), ecmr_client::Error> {
    // Parties may list documents; any other principal is refused with 403.
    match c.list(&ListQuery { limit: Some(1), ..ListQuery::default() }).await {
        Ok(_) => return Ok(("party".into(), None)),
        Err(e) if e.api().is_some_and(|a| a.status == 403) => {}
        Err(e) => return Err(e),
    }
    let platform = c.whoami().await;
    if let Ok(w) = &platform {
        return Ok(("platform".into(), Some(format!("platformId {}", w.app_id))));
    }
    let authority = c.uil_answer(&Uuid::nil().to_string()).await;
    if authority.as_ref().err().and_then(|e| e.api()).is_some_and(|a| a.ri_code.as_deref() == Some("ID_NOT_FOUND")) {
        return Ok(("authority".into(), None));
    }
    if c.principals().await.is_ok() {
        return Ok(("admin".into(), None));
    }
    if c.gate_read(&Uuid::nil().to_string(), &["EU01"]).await.err().is_some_and(|e| e.is_not_found()) {
        return Ok(("gate".into(), None));
    }
    Ok(("unknown".into(), Some("the token is valid but the gateway lets it read none of the probed routes".into())))
}

/// Runs `ecmr submit`: one line per file; exit 1 when any was refused, 2 when any could not be read or sent.
pub(crate) fn submit(args: &SubmitArgs) -> CliResult {
    let json = args.remote.json;
    let c = match client(&args.remote.profile) {
        Ok(c) => c,
        Err(e) => return with_json(json, || Err(cli(e))),
    };
    let rt = runtime()?;
    let mut results = Vec::new();
    let mut worst = EXIT_OK;
    for file in &args.files {
        let (line, value, code) = match std::fs::read(file) {
            Err(e) => {
                let e = CliError::io("read", file, &e);
                (format!("{}: {e}", file.display()), error_json(&e, None)["error"].clone(), EXIT_USAGE)
            }
            Ok(bytes) => match rt.block_on(c.submit(&bytes)) {
                Ok(s) => {
                    let what = submitted_words(&s);
                    let outcome = match s.outcome {
                        SubmitOutcome::Created => "created",
                        SubmitOutcome::Unchanged => "unchanged",
                        SubmitOutcome::Extended => "extended",
                    };
                    warn_identities(&file.display().to_string(), &s.receipt);
                    (
                        format!("{}: {what} — {}", file.display(), receipt_line(&s.receipt)),
                        json!({"outcome": outcome, "receipt": s.receipt}),
                        EXIT_OK,
                    )
                }
                Err(e) => {
                    let ce = request_error(&e);
                    (format!("{}: {ce}", file.display()), error_json(&ce, Some(&e))["error"].clone(), ce.code)
                }
            },
        };
        worst = worst.max(code);
        if json {
            let mut v = value;
            v["file"] = json!(file.display().to_string());
            results.push(v);
        } else if code == EXIT_OK {
            outln(&line);
        } else {
            eprintln!("{line}");
        }
    }
    if json {
        outln(&json!({"ok": worst == EXIT_OK, "results": results}).to_string());
    }
    Ok(worst)
}

/// Submits one signed document with a profile and prints the line `submit` prints (for the steps' `--submit`).
pub(crate) fn submit_bytes(profile: &ProfileArg, what: &str, bytes: &[u8]) -> CliResult {
    let c = client(profile)?;
    let s = runtime()?.block_on(c.submit(bytes)).map_err(|e| request_error(&e))?;
    outln(&format!("{what}: submitted, {} — {}", submitted_words(&s), receipt_line(&s.receipt)));
    warn_identities(what, &s.receipt);
    Ok(EXIT_OK)
}

/// The identity mismatches a gateway in `identity_check = "warn"` mode accepted, on standard error.
fn warn_identities(what: &str, receipt: &DocumentReceipt) {
    for w in &receipt.identity_warnings {
        eprintln!("warning: {what}: accepted only because the gateway runs with identity_check = warn: {w}");
    }
}

/// Runs `ecmr fetch`: the signed document, verified before it is written.
pub(crate) fn fetch(args: &FetchArgs) -> CliResult {
    with_json(args.remote.json, || {
        let c = client(&args.remote.profile).map_err(cli)?;
        let rt = runtime().map_err(cli)?;
        let bytes =
            if args.bundle { rt.block_on(c.bundle(args.id)) } else { rt.block_on(c.document(args.id)) }.map_err(req)?;
        // A bundle's document is verified as the document alone is; its statements are for `ecmr verify`.
        let document_bytes = if args.bundle {
            ecmr::attest::Bundle::from_slice(&bytes)
                .map_err(|e| cli(CliError::invalid(format!("the gateway's bundle of {} is unreadable: {e}", args.id))))?
                .document_bytes()
        } else {
            bytes.clone()
        };
        let verified = ecmr::verify::verify(&document_bytes, None)
            .map_err(|e| cli(CliError::invalid(format!("the gateway's document {} does not verify: {e}", args.id))))?;
        match &args.output {
            Some(path) => {
                write_atomic(path, &bytes, args.force, false).map_err(cli)?;
                if !args.remote.json {
                    outln(&format!(
                        "fetched {} ({}, {} events, verified) → {}",
                        args.id,
                        verified.state(),
                        verified.events.len(),
                        path.display()
                    ));
                }
            }
            None if !args.remote.json => crate::io::out(&bytes),
            None => {}
        }
        let document: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        let mut v = json!({"ok": true, "id": args.id, "state": verified.state().as_str(), "events": verified.events.len(), "verified": true});
        match &args.output {
            Some(p) => v["output"] = json!(p.display().to_string()),
            None if args.bundle => v["bundle"] = document,
            None => v["document"] = document,
        }
        Ok((v, EXIT_OK))
    })
}

/// Runs `ecmr list`.
pub(crate) fn list(args: &ListArgs) -> CliResult {
    with_json(args.remote.json, || {
        let c = client(&args.remote.profile).map_err(cli)?;
        let q = ListQuery {
            state: args.state.clone(),
            role: args.role.clone(),
            updated_since: args.since,
            limit: Some(500),
            cursor: None,
        };
        let items = runtime().map_err(cli)?.block_on(c.list_all(&q)).map_err(req)?;
        if !args.remote.json {
            for r in &items {
                outln(&receipt_line(r));
            }
            outln(&format!("{} document(s)", items.len()));
        }
        Ok((json!({"ok": true, "items": items}), EXIT_OK))
    })
}

/// Runs `ecmr audit`.
pub(crate) fn audit(args: &DocumentIdArgs) -> CliResult {
    with_json(args.remote.json, || {
        let c = client(&args.remote.profile).map_err(cli)?;
        let entries = runtime().map_err(cli)?.block_on(c.audit(args.id)).map_err(req)?;
        if !args.remote.json {
            for e in &entries {
                let country = e.principal.country.as_deref().map(|c| format!(", {c}")).unwrap_or_default();
                outln(&format!(
                    "{}  {:<24}  {} ({}{country})",
                    e.at.to_rfc3339(),
                    e.action,
                    e.principal.name,
                    e.principal.kind.as_str()
                ));
            }
            outln(&format!("{} entr{}", entries.len(), if entries.len() == 1 { "y" } else { "ies" }));
        }
        Ok((json!({"ok": true, "id": args.id, "entries": entries}), EXIT_OK))
    })
}

/// Runs `ecmr grant`.
pub(crate) fn grant(args: &GrantArgs) -> CliResult {
    with_json(args.remote.json, || {
        let c = client(&args.remote.profile).map_err(cli)?;
        let (now, added) = runtime().map_err(cli)?.block_on(c.add_participant(args.id, args.to)).map_err(req)?;
        if !args.remote.json {
            let what = if now { "may now read" } else { "could already read" };
            outln(&format!(
                "{} ({}) {what} document {} and sign the steps the note names it for",
                added.name, added.principal_id, added.document_id
            ));
        }
        Ok((json!({"ok": true, "id": args.id, "granted_now": now, "participant": added}), EXIT_OK))
    })
}

/// Runs `ecmr follow-ups`.
pub(crate) fn follow_ups(args: &DocumentIdArgs) -> CliResult {
    with_json(args.remote.json, || {
        let c = client(&args.remote.profile).map_err(cli)?;
        let messages = runtime().map_err(cli)?.block_on(c.follow_ups(args.id)).map_err(req)?;
        if !args.remote.json {
            for m in &messages {
                outln(&format!("{}  {} ({}): {}", m.at.to_rfc3339(), m.principal.name, m.request_id, m.message));
            }
            outln(&format!("{} follow-up message(s)", messages.len()));
        }
        Ok((json!({"ok": true, "id": args.id, "follow_ups": messages}), EXIT_OK))
    })
}

// ---------------------------------------------------------------------------------------------------------------
// watch

/// What `watch` remembers between polls and runs: the update time to ask from, and per document the last seq
/// and the number of follow-ups seen.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct Cursor {
    since: Option<DateTime<Utc>>,
    seen: BTreeMap<Uuid, (i64, usize)>,
}

fn cursor_path(profile: &str) -> Result<PathBuf, CliError> {
    Ok(profile::config_dir()?.join("watch").join(format!("{profile}.json")))
}

/// Runs `ecmr watch`: polls the profile's documents for new events and follow-ups until interrupted (or once).
pub(crate) fn watch(args: &WatchArgs) -> CliResult {
    let name = &args.remote.profile.profile;
    let c = client(&args.remote.profile)?;
    let path = cursor_path(name)?;
    let mut cursor: Cursor = if args.from_start {
        Cursor::default()
    } else {
        std::fs::read(&path).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default()
    };
    let rt = runtime()?;
    loop {
        let news = rt.block_on(poll(&c, &mut cursor));
        match news {
            Ok(events) => {
                for e in &events {
                    outln(&if args.remote.json { e.to_string() } else { describe(e) });
                }
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir).map_err(|e| CliError::io("create", dir, &e))?;
                }
                let bytes = serde_json::to_vec(&cursor).map_err(|e| CliError::usage(e.to_string()))?;
                write_atomic(&path, &bytes, true, true)?;
            }
            Err(e) if args.once => return Err(request_error(&e)),
            // A transient failure while watching: say so and poll again.
            Err(e) => eprintln!("warning: {}", request_error(&e)),
        }
        if args.once {
            return Ok(EXIT_OK);
        }
        std::thread::sleep(Duration::from_secs(args.interval));
    }
}

/// One poll: the documents updated since the cursor, each with its new events and follow-ups.
async fn poll(c: &Client, cursor: &mut Cursor) -> Result<Vec<Value>, ecmr_client::Error> {
    let q = ListQuery { updated_since: cursor.since, limit: Some(500), ..ListQuery::default() };
    let docs = c.list_all(&q).await?;
    let mut out = Vec::new();
    for d in &docs {
        let (last_seq, follow_ups) = cursor.seen.get(&d.id).copied().unwrap_or((-1, 0));
        if d.last_seq > last_seq {
            out.push(json!({"event": "document", "id": d.id, "note_number": d.note_number, "state": d.state,
                "from_seq": last_seq + 1, "last_seq": d.last_seq, "updated_at": d.updated_at}));
        }
        let messages = c.follow_ups(d.id).await?;
        for m in messages.iter().skip(follow_ups) {
            out.push(json!({"event": "follow_up", "id": d.id, "note_number": d.note_number, "from": m.principal.name,
                "request_id": m.request_id, "message": m.message, "at": m.at}));
        }
        cursor.seen.insert(d.id, (d.last_seq.max(last_seq), messages.len().max(follow_ups)));
        cursor.since = cursor.since.max(Some(d.updated_at));
    }
    // Follow-ups do not move a document's update time: the documents seen before are asked again.
    let known: Vec<Uuid> = cursor.seen.keys().copied().filter(|id| !docs.iter().any(|d| d.id == *id)).collect();
    for id in known {
        let (last_seq, follow_ups) = cursor.seen.get(&id).copied().unwrap_or((-1, 0));
        let messages = match c.follow_ups(id).await {
            Ok(m) => m,
            Err(e) if e.is_not_found() => continue,
            Err(e) => return Err(e),
        };
        for m in messages.iter().skip(follow_ups) {
            out.push(json!({"event": "follow_up", "id": id, "from": m.principal.name, "request_id": m.request_id,
                "message": m.message, "at": m.at}));
        }
        cursor.seen.insert(id, (last_seq, messages.len().max(follow_ups)));
    }
    Ok(out)
}

fn describe(e: &Value) -> String {
    let s = |k: &str| e[k].as_str().map(str::to_owned).unwrap_or_else(|| e[k].to_string());
    match e["event"].as_str() {
        Some("document") => format!(
            "{} {}: {} at seq {} (new from seq {})",
            s("id"),
            s("note_number"),
            s("state"),
            s("last_seq"),
            s("from_seq")
        ),
        _ => format!("{}: follow-up from {}: {}", s("id"), s("from"), s("message")),
    }
}
