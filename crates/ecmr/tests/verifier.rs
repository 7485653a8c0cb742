//! The reusable [`Verifier`] (which remembers decoded signer keys) gives exactly the answers of the free
//! `verify` / `check`, on every test vector, with keys it has seen and keys it has not, and stays within its bound.

use std::path::Path;

use ecmr::keys::{FileKey, Signer};
use ecmr::trust::{TrustStore, TrustedKey};
use ecmr::verify::{FailureKind, Verifier, check, verify};
use serde_json::Value;

const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/vectors/documents");
const NOTE: &str = include_str!("../../../examples/domestic-pallets.json");

/// Every document vector: (file name, document bytes).
fn vectors() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(Path::new(VECTORS)).expect("vectors").flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".json") {
            continue;
        }
        let wrapper: Value = serde_json::from_str(&std::fs::read_to_string(entry.path()).expect("read")).expect("json");
        let bytes = match (&wrapper["document"], &wrapper["document_text"]) {
            (Value::Null, Value::String(text)) => text.as_bytes().to_vec(),
            (doc, Value::Null) => serde_json::to_vec(doc).expect("json"),
            _ => panic!("{name}: needs document or document_text"),
        };
        out.push((name, bytes));
    }
    out.sort();
    assert!(out.len() >= 25, "only {} vectors", out.len());
    out
}

/// The warm and the cold answer agree in everything a caller can see.
fn assert_same(name: &str, verifier: &Verifier, bytes: &[u8], trust: Option<&TrustStore>) {
    let cold = verify(bytes, trust);
    let warm = verifier.verify(bytes, trust);
    match (&cold, &warm) {
        (Ok(c), Ok(w)) => {
            assert_eq!(c.report(), w.report(), "{name}");
            assert_eq!(c.bytes(), w.bytes(), "{name}");
            assert_eq!(c.get(), w.get(), "{name}");
            assert_eq!(c.state(), w.state(), "{name}");
            assert_eq!(c.next_seq(), w.next_seq(), "{name}");
            assert_eq!(c.last_event_digest(), w.last_event_digest(), "{name}");
            assert_eq!(c.note_digest(), w.note_digest(), "{name}");
            assert_eq!(c.open_reservations().collect::<Vec<_>>(), w.open_reservations().collect::<Vec<_>>());
        }
        (Err(c), Err(w)) => {
            assert_eq!(c, w, "{name}");
            assert_eq!(c.to_string(), w.to_string(), "{name}");
        }
        _ => panic!("{name}: cold {:?} but warm {:?}", cold.is_ok(), warm.is_ok()),
    }
    assert_eq!(check(bytes, trust), verifier.check(bytes, trust), "{name}");
}

#[test]
fn a_warm_verifier_reports_as_the_cold_one_on_every_vector() {
    let vectors = vectors();
    let verifier = Verifier::new();
    // First with an empty cache, then with every key of every vector remembered, then in reverse order.
    for (name, bytes) in &vectors {
        assert_same(name, &verifier, bytes, None);
    }
    assert!(verifier.cached_keys() >= 4, "the vectors' keys are remembered");
    for (name, bytes) in &vectors {
        assert_same(name, &verifier, bytes, None);
    }
    for (name, bytes) in vectors.iter().rev() {
        assert_same(name, &verifier, bytes, None);
    }
    // With a trust store vouching for the test parties' keys.
    let mut store = TrustStore::new();
    for (seed, name) in [(1u8, "Sender Ltd"), (2, "Carrier GmbH"), (3, "Consignee SA")] {
        let public_key = FileKey::from_seed(&[seed; 32]).public_key();
        store.insert(TrustedKey { public_key, name: name.to_owned(), roles: vec![] });
    }
    for (name, bytes) in &vectors {
        assert_same(name, &verifier, bytes, Some(&store));
    }
}

#[test]
fn a_remembered_weak_key_is_still_reported_as_weak() {
    let (_, bytes) = vectors().into_iter().find(|(n, _)| n == "weak-key.json").expect("weak-key vector");
    let verifier = Verifier::new();
    let codes =
        |report: &ecmr::verify::Report| report.failures.iter().map(|f| (f.seq, f.kind.code())).collect::<Vec<_>>();
    let cold = codes(&check(&bytes, None));
    assert!(cold.iter().any(|(_, c)| *c == "weak_key"), "{cold:?}");
    let first = verifier.check(&bytes, None);
    let held = verifier.cached_keys();
    let second = verifier.check(&bytes, None);
    assert_eq!(verifier.cached_keys(), held, "nothing new to decode the second time");
    assert_eq!(codes(&first), cold);
    assert_eq!(codes(&second), cold);
    assert!(second.failures.iter().any(|f| f.kind == FailureKind::WeakKey));
}

#[test]
fn text_that_is_not_a_key_is_not_remembered() {
    let verifier = Verifier::new();
    let (_, bytes) = vectors().into_iter().find(|(n, _)| n == "bad-key.json").expect("vector");
    let before = verifier.check(&bytes, None);
    let held = verifier.cached_keys();
    let after = verifier.check(&bytes, None);
    assert_eq!(before, after);
    assert_eq!(before, check(&bytes, None));
    assert_eq!(verifier.cached_keys(), held);
    assert!(after.failures.iter().any(|f| f.kind.code() == "bad_key"), "{after:?}");

    // 32 bytes that are not a curve point.
    let not_a_point = (2u8..)
        .map(|y| {
            let mut b = [0u8; 32];
            b[0] = y;
            b
        })
        .find(|b| ecmr::keys::PublicKey::from_bytes(b).is_err())
        .expect("some y is off the curve");
    let good = issued_by(1);
    let key = FileKey::from_seed(&[1; 32]).public_key().to_b64url();
    let text = String::from_utf8(good).expect("UTF-8").replace(&key, &ecmr::keys::encode_b64url(&not_a_point));
    let verifier = Verifier::new();
    for _ in 0..2 {
        assert_same("not a point", &verifier, text.as_bytes(), None);
        let report = verifier.check(text.as_bytes(), None);
        assert!(report.failures.iter().any(|f| f.kind.code() == "bad_key"), "{report:?}");
        assert_eq!(verifier.cached_keys(), 0);
    }
}

fn issued_by(seed: u8) -> Vec<u8> {
    let note: Value = serde_json::from_str(NOTE).expect("example note");
    let key = FileKey::from_seed(&[seed; 32]);
    let at = "2026-11-27T15:00:00Z".parse().expect("time");
    ecmr::sign::issue_value(uuid::Uuid::from_u128(u128::from(seed)), note, at, &key).expect("issue").into_bytes()
}

#[test]
fn the_cache_stays_within_its_bound() {
    let docs: Vec<Vec<u8>> = (1..=48).map(issued_by).collect();
    let verifier = Verifier::with_capacity(16);
    for _ in 0..2 {
        for doc in &docs {
            assert_same("issued", &verifier, doc, None);
            assert!(verifier.cached_keys() <= 16, "{}", verifier.cached_keys());
        }
    }
    assert!(verifier.cached_keys() > 0);
    let none = Verifier::with_capacity(0);
    assert_same("issued", &none, &docs[0], None);
    assert_eq!(none.cached_keys(), 0);
    verifier.clear();
    assert_eq!(verifier.cached_keys(), 0);
}

#[test]
fn one_verifier_serves_many_threads() {
    fn shareable<T: Send + Sync>(_: &T) {}
    let verifier = Verifier::new();
    shareable(&verifier);
    let docs: Vec<Vec<u8>> = (1..=8).map(issued_by).collect();
    std::thread::scope(|s| {
        for t in 0..4 {
            let (verifier, docs) = (&verifier, &docs);
            s.spawn(move || {
                for i in 0..docs.len() * 2 {
                    let doc = &docs[(i + t) % docs.len()];
                    assert_same("issued", verifier, doc, None);
                }
            });
        }
    });
    assert_eq!(verifier.cached_keys(), 8);
}
