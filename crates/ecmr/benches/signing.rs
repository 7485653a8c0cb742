//! Cost of signing one event and of verifying a 5-event document (with every key decoded, and with a verifier
//! that already holds the signers' keys), against the raw Ed25519 `verify_strict` of one signature measured in the
//! same run.

use criterion::{Criterion, criterion_group};
use ecmr::document::{Deliver, Reservation, ReservationSubject, TakeOver};
use ecmr::keys::{FileKey, Signer};
use ecmr::model::Location;
use serde_json::{Value, json};
use std::hint::black_box;

const NOTE: &str = include_str!("../../../examples/domestic-pallets.json");

fn at(s: &str) -> chrono::DateTime<chrono::Utc> {
    s.parse().expect("fixed time")
}

fn five_event_document() -> Vec<u8> {
    let sender = FileKey::from_seed(&[1; 32]);
    let carrier = FileKey::from_seed(&[2; 32]);
    let consignee = FileKey::from_seed(&[3; 32]);
    let note: Value = serde_json::from_str(NOTE).expect("example note");
    let place: Location = serde_json::from_value(note["taking_over"]["location"].clone()).expect("location");
    let delivery: Location = serde_json::from_value(note["delivery"]["location"].clone()).expect("location");
    let id = uuid::Uuid::from_u128(0x5eed);
    let doc = ecmr::sign::issue_value(id, note, at("2026-11-27T15:00:00Z"), &sender).expect("issue");
    let doc = doc
        .take_over(
            TakeOver {
                place,
                time: "2026-11-28T06:05:00+01:00".parse().expect("time"),
                reservations: vec![Reservation {
                    subject: ReservationSubject::Packaging,
                    text: "Wrapping of 2 pallets torn".into(),
                    grounds: "Seen at loading".into(),
                }],
                checks: vec![],
            },
            at("2026-11-28T05:10:00Z"),
            &carrier,
        )
        .expect("take over");
    let doc = doc.accept_reservations(vec![1], at("2026-11-28T05:20:00Z"), &sender).expect("accept");
    let doc = doc
        .amend(json!({"payment_instructions": "Carriage forward"}), "Customer", at("2026-11-28T07:00:00Z"), &sender)
        .expect("amend");
    let doc = doc
        .deliver(
            Deliver { place: delivery, time: "2026-11-28T11:00:00+01:00".parse().expect("time"), reservations: vec![] },
            at("2026-11-28T10:05:00Z"),
            &consignee,
        )
        .expect("deliver");
    doc.into_bytes()
}

fn bench(c: &mut Criterion) {
    let bytes = five_event_document();
    let doc = ecmr::document::Document::from_slice(&bytes).expect("parses");
    let key = FileKey::from_seed(&[3; 32]);
    let last = doc.events.last().expect("5 events").clone();

    c.bench_function("sign_event", |b| {
        b.iter(|| {
            let mut ev = last.clone();
            ev.sign(black_box(&key)).expect("sign");
            ev
        })
    });

    c.bench_function("verify_document_5_events", |b| {
        b.iter(|| ecmr::verify::verify(black_box(&bytes), None).expect("verifies"))
    });

    // The same with a verifier that already holds the three signers' keys, as a gateway's would.
    let verifier = ecmr::verify::Verifier::new();
    verifier.verify(&bytes, None).expect("verifies");
    c.bench_function("verify_document_5_events_warm_keys", |b| {
        b.iter(|| verifier.verify(black_box(&bytes), None).expect("verifies"))
    });

    let message = last.signing_input();
    let sig_bytes: [u8; 64] = key.sign(&message).expect("sign");
    let sig = ed25519_dalek::Signature::from_bytes(&sig_bytes);
    let pk = key.public_key();
    c.bench_function("raw_verify_strict", |b| {
        b.iter(|| pk.verifying_key().verify_strict(black_box(&message), black_box(&sig)).expect("valid"))
    });

    // The strict check `ecmr::verify` makes: the same verdicts as `verify_strict`, one point decoding fewer.
    c.bench_function("ecmr_verify_strict", |b| b.iter(|| assert!(pk.verify_strict(black_box(&message), &sig_bytes))));

    // The same, starting from the key's 32 bytes: what a verifier pays per distinct key in a document.
    let pk_bytes = pk.to_bytes();
    c.bench_function("raw_decode_key_and_verify_strict", |b| {
        b.iter(|| {
            let key = ed25519_dalek::VerifyingKey::from_bytes(black_box(&pk_bytes)).expect("key");
            key.verify_strict(black_box(&message), black_box(&sig)).expect("valid")
        })
    });
}

/// With `SIGNING_MIN_ROUNDS=<n>` in the environment, instead of criterion: `n` rounds, each timing one cold
/// verification, one warm verification and five raw `verify_strict` calls, one after the other, and prints the
/// fastest call of each kind and their ratios. On a shared machine the fastest call is the one no other process
/// disturbed, so the ratio of the fastest calls is steadier than a ratio of criterion medians.
fn min_rounds(rounds: usize) {
    use std::time::{Duration, Instant};
    let bytes = five_event_document();
    let doc = ecmr::document::Document::from_slice(&bytes).expect("parses");
    let key = FileKey::from_seed(&[3; 32]);
    let message = doc.events.last().expect("5 events").signing_input();
    let sig = ed25519_dalek::Signature::from_bytes(&key.sign(&message).expect("sign"));
    let pk = key.public_key();
    let verifier = ecmr::verify::Verifier::new();
    verifier.verify(&bytes, None).expect("verifies");
    let time = |best: &mut Duration, f: &mut dyn FnMut()| {
        let start = Instant::now();
        f();
        *best = (*best).min(start.elapsed());
    };
    let sig_bytes = sig.to_bytes();
    let (mut cold, mut warm, mut raw, mut ours) = (Duration::MAX, Duration::MAX, Duration::MAX, Duration::MAX);
    for _ in 0..rounds {
        time(&mut cold, &mut || drop(black_box(ecmr::verify::verify(black_box(&bytes), None).expect("verifies"))));
        for _ in 0..5 {
            time(&mut raw, &mut || pk.verifying_key().verify_strict(black_box(&message), black_box(&sig)).expect("ok"));
            time(&mut ours, &mut || assert!(pk.verify_strict(black_box(&message), black_box(&sig_bytes))));
        }
        time(&mut warm, &mut || drop(black_box(verifier.verify(black_box(&bytes), None).expect("verifies"))));
    }
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    println!(
        "fastest of {rounds} rounds: cold {:.1} µs, warm {:.1} µs, raw verify_strict {:.2} µs",
        us(cold),
        us(warm),
        us(raw)
    );
    println!("ecmr's strict check {:.2} µs ({:.3} of raw verify_strict)", us(ours), us(ours) / us(raw));
    println!("ratio cold / (5 × raw) = {:.3}", us(cold) / (5.0 * us(raw)));
    println!("ratio warm / (5 × raw) = {:.3}", us(warm) / (5.0 * us(raw)));
    println!(
        "outside the signature checks: cold {:.1} µs, warm {:.1} µs",
        us(cold) - 5.0 * us(ours),
        us(warm) - 5.0 * us(ours)
    );
}

criterion_group!(benches, bench);

fn main() {
    match std::env::var("SIGNING_MIN_ROUNDS").ok().and_then(|n| n.parse().ok()) {
        Some(rounds) => min_rounds(rounds),
        None => {
            benches();
            Criterion::default().configure_from_args().final_summary();
        }
    }
}
