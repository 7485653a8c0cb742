//! What a carrier's transport management software does with an e-CMR: load its signing key, receive a signed
//! note from the sender, take the goods over with a reservation (signed with the core library, `ecmr::sign`),
//! sync the document to the gateway, and watch it for authorities' follow-up messages.
//!
//! Against a local gateway, with the published test keys (never use them for real consignments):
//!
//! ```sh
//! # 1. A gateway with a sender and a carrier party, in its party directory as the note names them (the keys are
//! #    TEST-KEY-sender and TEST-KEY-carrier).
//! cargo run -p ecmr-gateway -- serve &                           # SQLite in ./ecmr-data, 127.0.0.1:8080
//! ecmr-gateway principal add --kind party --name "Cerámicas del Mijares S.A." --country ES \
//!     --identifier vat:ESA12345674 --key iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w | grep token > sender.token
//! ecmr-gateway principal add --kind party --name "Transportes Plana Baixa S.L." --country ES \
//!     --identifier transport_licence:ES-12-0048321 --key gTl3Dqh9F19Wo1Rmw0x-zMuNipG07jeiXfYPW4_Js5Q \
//!     | grep token > carrier.token
//! # 2. The sender pins the carrier's key in the note (so that the carrier may see and extend the document at the
//! #    gateway), issues it and syncs it; the carrier's software receives the file.
//! ecmr issue examples/successive-carriers.json --pin carrier=gTl3Dqh9F19Wo1Rmw0x-zMuNipG07jeiXfYPW4_Js5Q \
//!     --key examples/keys/TEST-KEY-sender.pem -o received.json
//! ecmr login --gateway http://127.0.0.1:8080 --token-file sender.token && ecmr submit received.json
//! # 3. The carrier's software.
//! cargo run -p ecmr-client --example tms -- http://127.0.0.1:8080 carrier.token \
//!     examples/keys/TEST-KEY-carrier.pem received.json 30
//! ```
//!
//! Arguments: gateway URL, token file, the carrier's PKCS#8 PEM key, the received document, and how many seconds
//! to watch for follow-ups (default 0: check once). The document taken over is written next to the received one
//! as `<name>.taken-over.json`: the software keeps the whole document and syncs it again after every step.

use std::path::{Path, PathBuf};
use std::time::Duration;

use ecmr::document::{Reservation, ReservationSubject, TakeOver};
use ecmr::keys::FileKey;
use ecmr::model::Location;
use ecmr_client::{Client, SubmitOutcome};

type Failure = Box<dyn std::error::Error>;

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("tms: {e}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), Failure> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [gateway, token_file, key_file, received, rest @ ..] = args.as_slice() else {
        return Err("usage: tms GATEWAY_URL TOKEN_FILE KEY.pem RECEIVED.json [WATCH_SECONDS]".into());
    };
    let watch_secs: u64 =
        rest.first().map(|s| s.parse()).transpose().map_err(|e| format!("WATCH_SECONDS: {e}"))?.unwrap_or(0);

    // 1. The carrier's key and token.
    let key = FileKey::from_pkcs8_pem(&read_text(Path::new(key_file))?).map_err(|e| format!("{key_file}: {e}"))?;
    // The token alone, or the line `ecmr-gateway principal add` printed ("token (shown only now): ecmr_…").
    let text = read_text(Path::new(token_file))?;
    let token = text.split_whitespace().last().ok_or(format!("{token_file} holds no token"))?;
    let client = Client::builder(gateway.as_str()).token(token).build()?;

    // 2. The note as received, verified before anything is signed on top of it.
    let bytes = std::fs::read(received).map_err(|e| format!("{received}: {e}"))?;
    let doc = ecmr::verify::verify(&bytes, None).map_err(|e| format!("{received} does not verify: {e}"))?;
    println!("received {} ({}), state {}", doc.id(), doc.note["number"], doc.state().as_str());

    // 3. Take the goods over, with a reservation about their condition.
    let data = TakeOver {
        place: serde_json::from_value::<Location>(serde_json::json!({
            "address": {"city": "Castellón de la Plana", "country": "ES"}
        }))?,
        time: ecmr::types::Timestamp(chrono::Utc::now().fixed_offset()),
        reservations: vec![Reservation {
            subject: ReservationSubject::Packaging,
            text: "2 pallets: wrapping torn".into(),
            grounds: "seen at loading".into(),
        }],
        checks: Vec::new(),
    };
    let taken = doc.take_over(data, chrono::Utc::now(), &key).map_err(|e| format!("cannot take over: {e}"))?;
    let out = sibling(Path::new(received), "taken-over.json");
    std::fs::write(&out, taken.bytes()).map_err(|e| format!("{}: {e}", out.display()))?;
    println!("signed the take-over as seq {}, kept in {}", taken.events.len() - 1, out.display());

    // 4. Sync the whole document: the gateway appends what it does not have. A retry after a lost answer is safe.
    let sent = client.submit(taken.bytes()).await.map_err(|e| {
        let retry = if e.is_retry_safe() { " (safe to retry)" } else { "" };
        format!("sync failed: {e}{retry}")
    })?;
    match sent.outcome {
        SubmitOutcome::Created => println!("the gateway stored the document"),
        SubmitOutcome::Extended => println!("the gateway appended seqs {:?}", sent.receipt.appended_seqs),
        SubmitOutcome::Unchanged => println!("the gateway had it already"),
    }
    println!(
        "state {} at seq {}; UIL {}/{}/{}",
        sent.receipt.state,
        sent.receipt.last_seq,
        sent.receipt.uil.gate_id,
        sent.receipt.uil.platform_id,
        sent.receipt.uil.dataset_id
    );

    // 5. Watch for follow-up messages of control authorities.
    let id = sent.receipt.id;
    let mut seen = 0;
    let until = std::time::Instant::now() + Duration::from_secs(watch_secs);
    loop {
        let messages = client.follow_ups(id).await?;
        for m in messages.iter().skip(seen) {
            println!(
                "follow-up from {} ({}): {}",
                m.principal.name,
                m.principal.country.as_deref().unwrap_or("-"),
                m.message
            );
        }
        seen = messages.len();
        if std::time::Instant::now() >= until {
            break;
        }
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
    println!("{seen} follow-up message(s)");
    Ok(())
}

fn read_text(path: &Path) -> Result<String, Failure> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()).into())
}

/// `dir/name.json` → `dir/name.<suffix>`.
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("document");
    path.with_file_name(format!("{stem}.{suffix}"))
}
