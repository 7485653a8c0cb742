//! `ecmr-load`: a bounded load generator for a gateway on this machine (loopback only).
//!
//! It makes a party through the admin API, signs `--docs` documents beforehand (so signing does not compete with
//! the measurement), then submits them over `--connections` concurrent connections and reports throughput and
//! latency percentiles; `--gets` then reads documents back the same way, `--uils` asks for them as an eFTI
//! authority (`POST /v1/control/uil`, subset EU01) and `--searches` runs identifier searches (each document then gets
//! a vehicle registration of its own, so that every search finds one consignment). `--read-connections 1,8,32`
//! repeats the UIL and search phases at each connection count, and `--hello-url` measures a plain `GET` on a bare
//! server (`ecmr-hello`) at the same counts with the same client, right after them. `--sign-inline` signs each
//! document while submitting it instead of beforehand (for filling a store with up to 1,000,000 documents without
//! holding them all in memory; the ingest figure then includes the client's signing).
//!
//! Every gateway request goes through `ecmr-client` (with retries off, so that a failure counts as one); the bare
//! server's plain `GET`s use the same hyper client underneath.
//!
//! ```text
//! ecmr-load --url http://127.0.0.1:8080 --admin-token-file ecmr-data/admin-token --docs 20000 --connections 64
//! ```

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;
use ecmr::keys::{FileKey, Signer as _};
use ecmr_client::wire::admin::NewPrincipal;
use ecmr_client::wire::control::{SearchWithIdentifiersRequestDto, UilDto};
use ecmr_client::wire::party::PrincipalKind;
use ecmr_client::{Client as Gateway, SubmitOutcome};
use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// Loopback load generator for ecmr-gateway.
#[derive(Debug, Parser)]
#[command(name = "ecmr-load", about)]
struct Args {
    /// Gateway base URL; only loopback addresses are accepted.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// File with an admin token (the gateway writes one to `<data dir>/admin-token` on first start).
    #[arg(long, default_value = "ecmr-data/admin-token")]
    admin_token_file: PathBuf,
    /// Documents to submit (at most 1,000,000).
    #[arg(long, default_value_t = 10_000)]
    docs: usize,
    /// Concurrent connections.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// GET requests after the ingest (0 for none; at most 1,000,000).
    #[arg(long, default_value_t = 0)]
    gets: usize,
    /// eFTI UIL queries after the ingest, as an authority (0 for none; at most 1,000,000).
    #[arg(long, default_value_t = 0)]
    uils: usize,
    /// eFTI identifier searches after the ingest (0 for none; at most 1,000,000).
    #[arg(long, default_value_t = 0)]
    searches: usize,
    /// The gateway's gate id (for UIL queries).
    #[arg(long, default_value = "ecmr-gate")]
    gate_id: String,
    /// The gateway's platform id (for UIL queries).
    #[arg(long, default_value = "ecmr-platform")]
    platform_id: String,
    /// In a federation: this gate's country. Each search phase then runs twice, searching this gate alone
    /// (`eftiGateIndicator` = this country) and every gate of the registry, the latter measured from the POST until
    /// the answer is no longer `PENDING` (the GET polled every millisecond).
    #[arg(long)]
    local_country: Option<String>,
    /// Give up after this many seconds per phase.
    #[arg(long, default_value_t = 120)]
    max_seconds: u64,
    /// Connection counts for the UIL, search and hello phases, comma-separated (default: `--connections`).
    #[arg(long, value_delimiter = ',')]
    read_connections: Vec<usize>,
    /// A bare server (e.g. `ecmr-hello`) to measure with plain GETs at each read connection count; loopback only.
    #[arg(long)]
    hello_url: Option<String>,
    /// Plain GETs per hello phase (default: the larger of `--uils` and `--searches`).
    #[arg(long)]
    hellos: Option<usize>,
    /// Sign each document while submitting it rather than all beforehand (bounded memory for large fills).
    #[arg(long)]
    sign_inline: bool,
    /// Example note to issue (its number is replaced for each document).
    #[arg(long)]
    note: Option<PathBuf>,
}

type HttpClient = Client<HttpConnector, Full<Bytes>>;

fn loopback(url: &str) -> bool {
    let rest = url.strip_prefix("http://").unwrap_or("");
    let host = rest.split('/').next().unwrap_or("");
    let host = if host.starts_with('[') {
        host.split(']').next().map(|h| format!("{h}]")).unwrap_or_default()
    } else {
        host.split(':').next().unwrap_or("").to_owned()
    };
    host == "localhost" || host == "[::1]" || host.starts_with("127.")
}

struct Phase {
    ok: usize,
    failed: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i.min(sorted.len() - 1)).copied().unwrap_or_default()
}

fn report(name: &str, p: &Phase) {
    let mut l = p.latencies.clone();
    l.sort();
    let rate = p.ok as f64 / p.elapsed.as_secs_f64().max(1e-9);
    println!(
        "{name}: {} ok, {} failed in {:.2} s = {:.0}/s; latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        p.ok,
        p.failed,
        p.elapsed.as_secs_f64(),
        rate,
        percentile(&l, 0.50).as_secs_f64() * 1e3,
        percentile(&l, 0.99).as_secs_f64() * 1e3,
        l.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
    );
}

/// Runs request `i` for `i` in `0..n` over `connections` workers; `make(i)` sends it and says whether it got the
/// answer expected.
async fn run<F, Fut>(n: usize, connections: usize, max: Duration, make: F) -> Phase
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<(), String>> + Send,
{
    let next = Arc::new(AtomicUsize::new(0));
    let make = Arc::new(make);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (next, make) = (next.clone(), make.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let (mut ok, mut failed) = (0, 0);
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n || start.elapsed() > max {
                    break;
                }
                let t = Instant::now();
                match make(i).await {
                    Ok(()) => {
                        ok += 1;
                        lat.push(t.elapsed());
                    }
                    Err(e) => {
                        failed += 1;
                        if failed <= 3 {
                            eprintln!("error: {e}");
                        }
                    }
                }
            }
            (ok, failed, lat)
        }));
    }
    let mut phase = Phase { ok: 0, failed: 0, elapsed: Duration::ZERO, latencies: Vec::new() };
    for t in tasks {
        if let Ok((ok, failed, lat)) = t.await {
            phase.ok += ok;
            phase.failed += failed;
            phase.latencies.extend(lat);
        }
    }
    phase.elapsed = start.elapsed();
    phase
}

/// A plain `GET` answered 200.
async fn plain_get(client: &HttpClient, url: &str) -> Result<(), String> {
    let req = hyper::Request::builder().uri(url).body(Full::new(Bytes::new())).map_err(|e| e.to_string())?;
    let resp = client.request(req).await.map_err(|e| e.to_string())?;
    let status = resp.status().as_u16();
    let body = resp.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
    if status == 200 { Ok(()) } else { Err(format!("status {status}: {}", String::from_utf8_lossy(&body))) }
}

/// A client of the gateway with `token`, without retries.
fn gateway(base: &str, token: &str) -> Result<Gateway, String> {
    Gateway::builder(base).token(token).retries(0).build().map_err(|e| e.to_string())
}

/// A new principal's token.
async fn principal(
    admin: &Gateway,
    kind: PrincipalKind,
    name: &str,
    keys: Vec<String>,
    details: Option<serde_json::Value>,
) -> Result<String, String> {
    let req = NewPrincipal { kind, name: name.into(), public_keys: keys, details, token_expires_at: None };
    let created = admin.add_principal(&req).await.map_err(|e| format!("creating {name} failed: {e}"))?;
    Ok(created.token)
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let args = Args::parse();
    if !loopback(&args.url) {
        return Err(format!("{} is not a loopback address; ecmr-load only targets this machine", args.url));
    }
    let hello_url = args.hello_url.clone();
    if let Some(h) = &hello_url
        && !loopback(h)
    {
        return Err(format!("{h} is not a loopback address; ecmr-load only targets this machine"));
    }
    let docs = args.docs.min(1_000_000);
    let gets = args.gets.min(1_000_000);
    let connections = args.connections.clamp(1, 1024);
    let max = Duration::from_secs(args.max_seconds.clamp(1, 3600));
    let base = args.url.trim_end_matches('/').to_owned();
    let admin = std::fs::read_to_string(&args.admin_token_file)
        .map_err(|e| format!("{}: {e}", args.admin_token_file.display()))?
        .trim()
        .to_owned();
    let note_text = match &args.note {
        Some(p) => std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?,
        None => include_str!("../../../../examples/domestic-pallets.json").to_owned(),
    };
    let note: serde_json::Value = serde_json::from_str(&note_text).map_err(|e| e.to_string())?;

    let admin = gateway(&base, &admin)?;
    // The bare server's plain GETs (`--hello-url`).
    let bare: HttpClient = Client::builder(TokioExecutor::new()).pool_max_idle_per_host(connections).build_http();
    let key = FileKey::generate().map_err(|e| e.to_string())?;
    // The load party is the note's sender, as the gateway's party directory must know it.
    let sender = &note["sender"];
    let details = serde_json::json!({"country": sender["address"]["country"],
        "identifiers": sender.get("identifiers").cloned().unwrap_or_else(|| serde_json::json!([]))});
    let name = sender["name"].as_str().unwrap_or("ecmr-load");
    let token =
        principal(&admin, PrincipalKind::Party, name, vec![key.public_key().to_b64url()], Some(details)).await?;
    let party = gateway(&base, &token)?;

    let signing = Instant::now();
    let run_id = uuid::Uuid::new_v4().simple().to_string();
    let at = chrono::Utc::now();
    let ids: Vec<uuid::Uuid> = (0..docs).map(|_| uuid::Uuid::new_v4()).collect();
    let ids = Arc::new(ids);
    let with_vehicles = args.searches > 0;
    let sign = {
        let (run_id, ids) = (run_id.clone(), ids.clone());
        move |i: usize| -> Result<Bytes, String> {
            let mut n = note.clone();
            n["number"] = serde_json::json!(format!("LOAD-{}-{i}", &run_id[..8]));
            if with_vehicles && let Some(v) = n.pointer_mut("/transport/vehicles/0/registration") {
                *v = serde_json::json!(vehicle(&run_id, i));
            }
            let id = ids.get(i).copied().unwrap_or_default();
            let doc = ecmr::sign::issue_value(id, n, at, &key).map_err(|e| e.to_string())?;
            Ok(Bytes::from(doc.into_bytes()))
        }
    };
    // A new document is stored (201); anything else counts as a failure.
    let created = |r: Result<ecmr_client::Submitted, ecmr_client::Error>| match r {
        Ok(s) if s.outcome == SubmitOutcome::Created => Ok(()),
        Ok(s) => Err(format!("{} was not new: {:?}", s.receipt.id, s.outcome)),
        Err(e) => Err(e.to_string()),
    };
    let ingest = if args.sign_inline {
        println!("submitting {docs} documents, signed while submitting, over {connections} connections to {base}");
        let (party, sign) = (party.clone(), Arc::new(sign));
        run(docs, connections, max, move |i| {
            let (party, body) = (party.clone(), sign(i));
            async move { created(party.submit(&body?).await) }
        })
        .await
    } else {
        let bodies = (0..docs).map(&sign).collect::<Result<Vec<_>, _>>()?;
        println!(
            "signed {docs} documents in {:.2} s; submitting over {connections} connections to {base}",
            signing.elapsed().as_secs_f64()
        );
        let (bodies, party) = (Arc::new(bodies), party.clone());
        run(docs, connections, max, move |i| {
            let (party, bodies) = (party.clone(), bodies.clone());
            async move { created(party.submit(bodies.get(i).map(|b| &b[..]).unwrap_or_default()).await) }
        })
        .await
    };
    report("ingest POST /v1/documents", &ingest);

    if gets > 0 && ingest.ok > 0 {
        let ids = ids.clone();
        let stored = ingest.ok.min(ids.len());
        let party = party.clone();
        let phase = run(gets, connections, max, move |i| {
            let id = ids.get((i * 7919) % stored).copied().unwrap_or_default();
            let party = party.clone();
            async move { party.document(id).await.map(drop).map_err(|e| e.to_string()) }
        })
        .await;
        report("read GET /v1/documents/{id}", &phase);
    }

    let (uils, searches) = (args.uils.min(1_000_000), args.searches.min(1_000_000));
    if (uils > 0 || searches > 0) && ingest.ok > 0 {
        let details = serde_json::json!({"country": "NL", "subsets": ["full"]});
        let token = principal(&admin, PrincipalKind::Authority, "ecmr-load authority", vec![], Some(details)).await?;
        let authority = gateway(&base, &token)?;
        let stored = ingest.ok.min(ids.len());
        let uil_queries: Arc<Vec<UilDto>> = Arc::new(if uils > 0 {
            ids.iter()
                .take(stored)
                .map(|id| UilDto {
                    gate_id: args.gate_id.clone(),
                    platform_id: args.platform_id.clone(),
                    dataset_id: id.to_string(),
                    subset_id: vec!["EU01".into()],
                })
                .collect()
        } else {
            Vec::new()
        });
        // One request of each kind must find its consignment before the phase is measured.
        if let Some(q) = uil_queries.first() {
            let a = authority.request_uil(q).await.map_err(|e| e.to_string())?;
            if a.status != "COMPLETE" || a.data.is_none() {
                return Err(format!("the UIL query did not answer COMPLETE with data: {a:?}"));
            }
        }
        if searches > 0 {
            let a = authority.search_identifiers(&search(&run_id, 0)).await.map_err(|e| e.to_string())?;
            if a.identifiers.is_empty() {
                return Err(format!("the identifier search found nothing: {a:?}"));
            }
        }
        let counts = if args.read_connections.is_empty() { vec![connections] } else { args.read_connections.clone() };
        for (round, &c) in counts.iter().enumerate() {
            let c = c.clamp(1, 1024);
            // Each round starts elsewhere in the store, so that rounds do not read the same documents.
            let offset = round * 104_729;
            if uils > 0 {
                let (queries, authority) = (uil_queries.clone(), authority.clone());
                let phase = run(uils, c, max, move |i| {
                    let (queries, authority) = (queries.clone(), authority.clone());
                    async move {
                        let q = queries.get((i * 7919 + offset) % stored).ok_or("no query")?;
                        authority.request_uil(q).await.map(drop).map_err(|e| e.to_string())
                    }
                })
                .await;
                report(&format!("eFTI POST /v1/control/uil (EU01), {c} connections, {stored} stored"), &phase);
            }
            if searches > 0
                && let Some(country) = &args.local_country
            {
                let (local_run, local_authority, country) = (run_id.clone(), authority.clone(), country.clone());
                let phase = run(searches, c, max, move |i| {
                    let mut q = search(&local_run, (i * 7919 + offset) % stored);
                    q.efti_gate_indicator = vec![country.clone()];
                    let authority = local_authority.clone();
                    async move {
                        let a = authority.search_identifiers(&q).await.map_err(|e| e.to_string())?;
                        if a.status != "COMPLETE" || a.identifiers.is_empty() {
                            return Err(format!(
                                "the local search answered {} with {} hits",
                                a.status,
                                a.identifiers.len()
                            ));
                        }
                        Ok(())
                    }
                })
                .await;
                report(&format!("eFTI identifier search, this gate only, {c} connections, {stored} stored"), &phase);
                let (run_id, authority) = (run_id.clone(), authority.clone());
                let phase = run(searches, c, max, move |i| {
                    let (q, authority) = (search(&run_id, (i * 7919 + offset) % stored), authority.clone());
                    async move { federated_search(&authority, &q).await }
                })
                .await;
                report(&format!("eFTI identifier search, every gate, to COMPLETE, {c} connections"), &phase);
            } else if searches > 0 {
                let (run_id, authority) = (run_id.clone(), authority.clone());
                let phase = run(searches, c, max, move |i| {
                    let (q, authority) = (search(&run_id, (i * 7919 + offset) % stored), authority.clone());
                    async move { authority.search_identifiers(&q).await.map(drop).map_err(|e| e.to_string()) }
                })
                .await;
                report(&format!("eFTI POST /v1/control/identifiers, {c} connections, {stored} stored"), &phase);
            }
            if let Some(hello) = &hello_url {
                let n = args.hellos.unwrap_or(uils.max(searches));
                let (url, client) = (hello.clone(), bare.clone());
                let phase = run(n, c, max, move |_| {
                    let (url, client) = (url.clone(), client.clone());
                    async move { plain_get(&client, &url).await }
                })
                .await;
                report(&format!("hello GET {hello}, {c} connections"), &phase);
            }
        }
    }
    Ok(())
}

/// A search of every gate, until its answer is in: POST, then GET every millisecond while `PENDING`. Every gate
/// must answer `COMPLETE` and the consignment be found.
async fn federated_search(authority: &Gateway, q: &SearchWithIdentifiersRequestDto) -> Result<(), String> {
    let mut a = authority.search_identifiers(q).await.map_err(|e| e.to_string())?;
    let deadline = Instant::now() + Duration::from_secs(120);
    while a.status == "PENDING" {
        if Instant::now() > deadline {
            return Err("still PENDING after 120 s".into());
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
        a = authority.identifiers_answer(&a.request_id).await.map_err(|e| e.to_string())?;
    }
    if let Some(g) = a.gates.iter().find(|g| g.status != "COMPLETE") {
        return Err(format!("gate {:?} answered {}", g.gate_id, g.status));
    }
    if a.gates.len() < 2 || a.identifiers.is_empty() {
        return Err(format!("{} gates answered, {} consignments found", a.gates.len(), a.identifiers.len()));
    }
    Ok(())
}

/// The vehicle registration of document `i` when searches are measured.
fn vehicle(run_id: &str, i: usize) -> String {
    format!("L{}{i}", run_id.get(..6).unwrap_or_default()).to_ascii_uppercase()
}

/// The identifier search that finds document `i`.
fn search(run_id: &str, i: usize) -> SearchWithIdentifiersRequestDto {
    SearchWithIdentifiersRequestDto {
        identifier: vehicle(run_id, i),
        identifier_type: Vec::new(),
        mode_code: None,
        registration_country_code: None,
        dangerous_goods_indicator: None,
        efti_gate_indicator: Vec::new(),
    }
}
