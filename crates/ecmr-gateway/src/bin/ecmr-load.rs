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
//! ```text
//! ecmr-load --url http://127.0.0.1:8080 --admin-token-file ecmr-data/admin-token --docs 20000 --connections 64
//! ```

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;
use ecmr::keys::{FileKey, Signer as _};
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

async fn call(
    client: &HttpClient,
    method: &str,
    url: &str,
    token: &str,
    body: Option<Bytes>,
) -> Result<(u16, Bytes), String> {
    let req = hyper::Request::builder()
        .method(method)
        .uri(url)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(Full::new(body.unwrap_or_default()))
        .map_err(|e| e.to_string())?;
    let resp = client.request(req).await.map_err(|e| e.to_string())?;
    let status = resp.status().as_u16();
    let body = resp.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
    Ok((status, body))
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

/// Sends `n` requests over `connections` workers; `make(i)` gives the method, URL and body of request `i`.
async fn run<F>(
    client: &HttpClient,
    token: &str,
    n: usize,
    connections: usize,
    max: Duration,
    ok_status: &'static [u16],
    make: F,
) -> Phase
where
    F: Fn(usize) -> (&'static str, String, Option<Bytes>) + Send + Sync + 'static,
{
    let next = Arc::new(AtomicUsize::new(0));
    let make = Arc::new(make);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (client, token, next, make) = (client.clone(), token.to_owned(), next.clone(), make.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let (mut ok, mut failed) = (0, 0);
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n || start.elapsed() > max {
                    break;
                }
                let (method, url, body) = make(i);
                let t = Instant::now();
                match call(&client, method, &url, &token, body).await {
                    Ok((s, _)) if ok_status.contains(&s) => {
                        ok += 1;
                        lat.push(t.elapsed());
                    }
                    Ok((s, b)) => {
                        failed += 1;
                        if failed <= 3 {
                            eprintln!("status {s}: {}", String::from_utf8_lossy(&b));
                        }
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

    let client: HttpClient = Client::builder(TokioExecutor::new()).pool_max_idle_per_host(connections).build_http();
    let key = FileKey::generate().map_err(|e| e.to_string())?;
    let body = serde_json::json!({"kind": "party", "name": "ecmr-load", "public_keys": [key.public_key().to_b64url()]});
    let (status, resp) =
        call(&client, "POST", &format!("{base}/v1/admin/principals"), &admin, Some(Bytes::from(body.to_string())))
            .await?;
    if status != 201 {
        return Err(format!("creating the load party failed: {status} {}", String::from_utf8_lossy(&resp)));
    }
    let created: serde_json::Value = serde_json::from_slice(&resp).map_err(|e| e.to_string())?;
    let token = created["token"].as_str().unwrap_or_default().to_owned();

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
    let url = format!("{base}/v1/documents");
    let ingest = if args.sign_inline {
        println!("submitting {docs} documents, signed while submitting, over {connections} connections to {base}");
        run(&client, &token, docs, connections, max, &[201], move |i| ("POST", url.clone(), sign(i).ok())).await
    } else {
        let bodies = (0..docs).map(&sign).collect::<Result<Vec<_>, _>>()?;
        println!(
            "signed {docs} documents in {:.2} s; submitting over {connections} connections to {base}",
            signing.elapsed().as_secs_f64()
        );
        let bodies = Arc::new(bodies);
        run(&client, &token, docs, connections, max, &[201], move |i| ("POST", url.clone(), bodies.get(i).cloned()))
            .await
    };
    report("ingest POST /v1/documents", &ingest);

    if gets > 0 && ingest.ok > 0 {
        let ids = ids.clone();
        let stored = ingest.ok.min(ids.len());
        let base = base.clone();
        let phase = run(&client, &token, gets, connections, max, &[200], move |i| {
            let id = ids.get((i * 7919) % stored).copied().unwrap_or_default();
            ("GET", format!("{base}/v1/documents/{id}"), None)
        })
        .await;
        report("read GET /v1/documents/{id}", &phase);
    }

    let (uils, searches) = (args.uils.min(1_000_000), args.searches.min(1_000_000));
    if (uils > 0 || searches > 0) && ingest.ok > 0 {
        let body = serde_json::json!({"kind": "authority", "name": "ecmr-load authority",
            "details": {"country": "NL", "subsets": ["full"]}});
        let (status, resp) =
            call(&client, "POST", &format!("{base}/v1/admin/principals"), &admin, Some(Bytes::from(body.to_string())))
                .await?;
        if status != 201 {
            return Err(format!("creating the load authority failed: {status} {}", String::from_utf8_lossy(&resp)));
        }
        let created: serde_json::Value = serde_json::from_slice(&resp).map_err(|e| e.to_string())?;
        let authority = created["token"].as_str().unwrap_or_default().to_owned();
        let stored = ingest.ok.min(ids.len());
        let uil_bodies: Arc<Vec<Bytes>> = Arc::new(if uils > 0 {
            ids.iter()
                .take(stored)
                .map(|id| {
                    let b = serde_json::json!({"gateId": args.gate_id, "platformId": args.platform_id,
                        "datasetId": id, "subsetId": ["EU01"]});
                    Bytes::from(b.to_string())
                })
                .collect()
        } else {
            Vec::new()
        });
        let uil_url = format!("{base}/v1/control/uil");
        let search_url = format!("{base}/v1/control/identifiers");
        if uils > 0 {
            check_complete(&client, &uil_url, &authority, uil_bodies.first().cloned()).await?;
        }
        if searches > 0 {
            let first = serde_json::json!({"identifier": vehicle(&run_id, 0)}).to_string();
            check_complete(&client, &search_url, &authority, Some(Bytes::from(first))).await?;
        }
        let counts = if args.read_connections.is_empty() { vec![connections] } else { args.read_connections.clone() };
        for (round, &c) in counts.iter().enumerate() {
            let c = c.clamp(1, 1024);
            // Each round starts elsewhere in the store, so that rounds do not read the same documents.
            let offset = round * 104_729;
            if uils > 0 {
                let (bodies, url) = (uil_bodies.clone(), uil_url.clone());
                let phase = run(&client, &authority, uils, c, max, &[202], move |i| {
                    ("POST", url.clone(), bodies.get((i * 7919 + offset) % stored).cloned())
                })
                .await;
                report(&format!("eFTI POST /v1/control/uil (EU01), {c} connections, {stored} stored"), &phase);
            }
            if searches > 0 {
                let (run_id, url) = (run_id.clone(), search_url.clone());
                let phase = run(&client, &authority, searches, c, max, &[200], move |i| {
                    let body = serde_json::json!({"identifier": vehicle(&run_id, (i * 7919 + offset) % stored)});
                    ("POST", url.clone(), Some(Bytes::from(body.to_string())))
                })
                .await;
                report(&format!("eFTI POST /v1/control/identifiers, {c} connections, {stored} stored"), &phase);
            }
            if let Some(hello) = &hello_url {
                let n = args.hellos.unwrap_or(uils.max(searches));
                let url = hello.clone();
                let phase = run(&client, "none", n, c, max, &[200], move |_| ("GET", url.clone(), None)).await;
                report(&format!("hello GET {hello}, {c} connections"), &phase);
            }
        }
    }
    Ok(())
}

/// The vehicle registration of document `i` when searches are measured.
fn vehicle(run_id: &str, i: usize) -> String {
    format!("L{}{i}", run_id.get(..6).unwrap_or_default()).to_ascii_uppercase()
}

/// One request that must answer `status: COMPLETE` before a phase is measured.
async fn check_complete(client: &HttpClient, url: &str, token: &str, body: Option<Bytes>) -> Result<(), String> {
    let (status, resp) = call(client, "POST", url, token, body).await?;
    let v: serde_json::Value = serde_json::from_slice(&resp).unwrap_or_default();
    let found = v["identifiers"].as_array().is_none_or(|a| !a.is_empty());
    if v["status"] != "COMPLETE" || !found {
        return Err(format!("{url} did not answer COMPLETE with data: {status} {v}"));
    }
    Ok(())
}
