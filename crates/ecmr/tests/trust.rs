//! Who signed: the trust vectors in `tests/vectors/trust/` (anchored, delegated, not vouched; key continuity;
//! attestations) and a property test that no document is trusted on keys that nothing outside it vouches for.
//!
//! The vectors are generated deterministically by this file: `ECMR_BLESS=1 cargo test -p ecmr --test trust`
//! rewrites them; a plain run checks they are current and that each verifies as its `expect` says.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ecmr::attest::{Attestation, PartyIdentity};
use ecmr::document::{Deliver, Document, HandOver, TakeOver};
use ecmr::keys::{FileKey, Signer as _};
use ecmr::model::ConsignmentNote;
use ecmr::trust::{GatewayKey, Trust, TrustStore, TrustedKey};
use ecmr::verify::Verified;
use proptest::prelude::*;
use serde_json::{Value, json};

const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/vectors/trust");
const NOTE: &str = include_str!("../../../examples/domestic-pallets.json");
const SUCCESSIVE: &str = include_str!("../../../examples/successive-carriers.json");
const GATE: &str = "gate-nl";

fn key(seed: u8) -> FileKey {
    FileKey::from_seed(&[seed; 32])
}

/// The fixed keys: 01 sender, 02 carrier, 03 consignee, 04 and 05 successive carriers, 09 a stranger, 47 the
/// gateway.
fn sender() -> FileKey {
    key(1)
}
fn carrier() -> FileKey {
    key(2)
}
fn consignee() -> FileKey {
    key(3)
}
fn stranger() -> FileKey {
    key(9)
}
fn gateway() -> FileKey {
    key(0x47)
}

fn at(s: &str) -> chrono::DateTime<chrono::Utc> {
    s.parse().expect("fixed time")
}

fn note(text: &str) -> Value {
    serde_json::from_str(text).expect("example note")
}

fn typed(note: &Value) -> ConsignmentNote {
    serde_json::from_value(note.clone()).expect("typed note")
}

fn pin(note: &mut Value, role: &str, keys: &[&FileKey]) {
    note[role]["public_keys"] = keys.iter().map(|k| Value::from(k.public_key().to_b64url())).collect();
}

fn id(n: u128) -> uuid::Uuid {
    uuid::Uuid::from_u128(0x7a11_0000_0000_4000_8000_0000_0000_0000 | n)
}

fn issue(n: u128, note: Value, by: &FileKey) -> Verified<Document> {
    ecmr::sign::issue_value(id(n), note, at("2026-11-27T15:00:00Z"), by).expect("issue")
}

fn take_over(doc: &Verified<Document>, by: &FileKey) -> Verified<Document> {
    let n = typed(doc.current_note());
    let data = TakeOver {
        place: n.taking_over.location.clone(),
        time: n.taking_over.date,
        reservations: vec![],
        checks: vec![],
    };
    doc.take_over(data, at("2026-11-28T05:10:00Z"), by).expect("take over")
}

fn deliver(doc: &Verified<Document>, by: &FileKey) -> Verified<Document> {
    let n = typed(doc.current_note());
    let time = n.delivery.expected_date.unwrap_or_else(|| "2026-11-28T11:00:00+01:00".parse().expect("time"));
    let data = Deliver { place: n.delivery.location.clone(), time, reservations: vec![] };
    doc.deliver(data, at("2026-11-28T10:05:00Z"), by).expect("deliver")
}

/// Appends an event the builders would refuse (they verify it first), signed as given.
fn force(
    doc: &Verified<Document>,
    kind: ecmr::document::EventKind,
    role: ecmr::document::Role,
    data: Value,
    by: &FileKey,
    note_digest: &str,
) -> Document {
    let mut d = doc.get().clone();
    let mut ev = ecmr::document::Event {
        seq: d.events.len() as u64,
        kind,
        document_id: d.id.clone(),
        at: "2026-11-28T07:45:00Z".into(),
        prev: d.events.last().map(ecmr::document::Event::digest),
        note_digest: note_digest.to_owned(),
        role,
        data,
        signer: ecmr::document::SignerInfo { alg: String::new(), public_key: String::new() },
        signature: String::new(),
    };
    ev.sign(by).expect("sign");
    d.events.push(ev);
    d
}

fn brabant(k: &FileKey) -> (&FileKey, &'static str, &'static [&'static str]) {
    (k, "Brabant Zuivel B.V.", &["sender"])
}

fn store_json(keys: &[(&FileKey, &str, &[&str])], gateway_keys: bool) -> Value {
    let keys: Vec<Value> = keys
        .iter()
        .map(|(k, name, roles)| json!({"public_key": k.public_key().to_b64url(), "name": name, "roles": roles}))
        .collect();
    if gateway_keys {
        json!({"keys": keys, "gateway_keys": [{"gate_id": GATE, "public_key": gateway().public_key().to_b64url()}]})
    } else {
        json!({"keys": keys})
    }
}

fn attestation(party_key: &FileKey, party: PartyIdentity) -> Value {
    let a = Attestation::new(
        GATE,
        party_key.public_key(),
        party,
        "2026-01-01T00:00:00Z",
        Some("2027-01-01T00:00:00Z"),
        "2026-01-01T00:00:00Z",
    )
    .sign(&gateway())
    .expect("sign attestation");
    serde_json::to_value(a).expect("json")
}

fn trust_of(report: &ecmr::verify::Report) -> Vec<Value> {
    report.events.iter().map(|e| serde_json::to_value(&e.trust).expect("json")).collect()
}

/// A vector whose document is valid: `expect` holds the trust of each event, computed here and checked against
/// the hand-written `expected_kinds` (`anchored`, `delegated`, `not_vouched`) so that a change of rules cannot
/// silently rewrite the vectors.
fn valid_vector(
    description: &str,
    store: Option<Value>,
    attestations: Vec<Value>,
    doc: &Document,
    expected_kinds: &[&str],
) -> Value {
    let report = run(store.as_ref(), &attestations, &serde_json::to_vec(doc).expect("json"));
    assert!(report.valid, "{description}: {:?}", report.failures);
    let trust = trust_of(&report);
    let kinds: Vec<&str> = trust.iter().map(|t| t["trust"].as_str().expect("kind")).collect();
    assert_eq!(kinds, expected_kinds, "{description}: {trust:?}");
    json!({
        "description": description,
        "trust_store": store,
        "attestations": attestations,
        "document": doc,
        "expect": {"valid": true, "all_trusted": report.all_trusted(), "events": trust},
    })
}

fn failing_vector(description: &str, doc: &Document, failure: &str, seq: u64) -> Value {
    let report = run(None, &[], &serde_json::to_vec(doc).expect("json"));
    let first = report.failures.first().unwrap_or_else(|| panic!("{description}: verifies"));
    assert_eq!((first.kind.code(), first.seq), (failure, Some(seq)), "{description}: {first}");
    json!({
        "description": description,
        "trust_store": null,
        "attestations": [],
        "document": doc,
        "expect": {"valid": false, "failure": failure, "seq": seq},
    })
}

/// Verifies as a reader of the vectors would: the store from its JSON, each attestation checked against it.
fn run(store: Option<&Value>, attestations: &[Value], bytes: &[u8]) -> ecmr::verify::Report {
    let store = store.map(|s| {
        let mut store = TrustStore::from_json(&s.to_string()).expect("store");
        for a in attestations {
            store.add_attestation_value(a).expect("attestation verifies");
        }
        store
    });
    ecmr::verify::check(bytes, store.as_ref())
}

fn generate() -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    let base = note(NOTE);

    // The self-pinned forgery: a real company's name as sender, a stranger's key pinned for every role and
    // signing every step. The document is sound; nobody is vouched for, whatever the store lists.
    let mut forged = base.clone();
    for role in ["sender", "carrier", "consignee"] {
        pin(&mut forged, role, &[&stranger()]);
    }
    let doc = deliver(&take_over(&issue(1, forged, &stranger()), &stranger()), &stranger());
    out.insert(
        "self-pinned-forgery.json",
        valid_vector(
            "the note names Brabant Zuivel as sender but pins a stranger's key for sender, carrier and consignee, and the stranger signs every step; the trust store lists Brabant Zuivel's real key",
            Some(store_json(&[brabant(&sender())], false)),
            vec![],
            doc.get(),
            &["not_vouched", "not_vouched", "not_vouched"],
        ),
    );

    // Delegation from a trusted sender: the sender is in the store and pins the carrier's key.
    let mut pinned = base.clone();
    pin(&mut pinned, "carrier", &[&carrier()]);
    let delegated = take_over(&issue(2, pinned.clone(), &sender()), &carrier());
    out.insert(
        "delegated-by-trusted-sender.json",
        valid_vector(
            "the trusted sender pins the carrier's key; the carrier's take-over is delegated by event 0",
            Some(store_json(&[brabant(&sender())], false)),
            vec![],
            delegated.get(),
            &["anchored", "delegated"],
        ),
    );
    out.insert(
        "delegated-by-untrusted-sender.json",
        valid_vector(
            "the same document with a trust store that lists only a stranger: the pin comes from an untrusted sender",
            Some(store_json(&[(&stranger(), "Someone else", &[])], false)),
            vec![],
            delegated.get(),
            &["not_vouched", "not_vouched"],
        ),
    );

    // A pin added by an amendment delegates from the amendment's signer.
    let issued = issue(3, base.clone(), &sender());
    let consignee_pin = json!({"consignee": {"public_keys": [consignee().public_key().to_b64url()]}});
    let amended = take_over(&issued, &carrier())
        .amend(consignee_pin, "Consignee signs with its own key", at("2026-11-28T06:00:00Z"), &sender())
        .expect("amend");
    let delivered = deliver(&amended, &consignee());
    out.insert(
        "delegated-by-amendment.json",
        valid_vector(
            "the trusted sender pins the consignee's key by an amendment (event 2); the carrier is in the store; the delivery is delegated by event 2",
            Some(store_json(&[brabant(&sender()), (&carrier(), "Van Dijk Transport B.V.", &["carrier"])], false)),
            vec![],
            delivered.get(),
            &["anchored", "anchored", "anchored", "delegated"],
        ),
    );

    // Key continuity: the sender's role taken by the consignee's key.
    let taken = take_over(&issue(4, base.clone(), &sender()), &carrier());
    let patch = json!({"special_agreements": ["Deliver to the back entrance"]});
    let mut patched = taken.current_note().clone();
    ecmr::canonical::merge_patch(&mut patched, &patch);
    let hijack = force(
        &taken,
        ecmr::document::EventKind::Amended,
        ecmr::document::Role::Sender,
        json!({"patch": patch, "reason": "Changed by phone"}),
        &consignee(),
        &ecmr::canonical::digest_value(&patched),
    );
    out.insert("key-changed.json", failing_vector("an amendment in the sender's role signed by the consignee's key; the sender's role is bound to the key that signed event 0 and the note pins no other", &hijack, "key_changed", 2));

    // Continuity across hand-over, and a key that tries to speak for two parties.
    let succ = note(SUCCESSIVE);
    let n = typed(&succ);
    let hand_over = |doc: &Verified<Document>, by: &FileKey, minute: u32| {
        let data = HandOver { place: n.delivery.location.clone(), time: n.taking_over.date, reservations: vec![] };
        doc.hand_over(data, at(&format!("2026-11-28T08:{minute:02}:00Z")), by).expect("hand over")
    };
    let taken = take_over(&issue(5, succ.clone(), &sender()), &carrier());
    let chain = deliver(&hand_over(&hand_over(&taken, &key(4), 0), &key(5), 10), &consignee());
    out.insert(
        "continuity-across-hand-over.json",
        valid_vector(
            "taken over by the carrier, handed over to two successive carriers with their own keys, delivered; every key is in the store for its role",
            Some(store_json(
                &[
                    brabant(&sender()),
                    (&carrier(), "Van Dijk Transport B.V.", &["carrier"]),
                    (&key(4), "Successive carrier one", &["successive_carrier"]),
                    (&key(5), "Successive carrier two", &["successive_carrier"]),
                    (&consignee(), "Consignee", &["consignee"]),
                ],
                false,
            )),
            vec![],
            chain.get(),
            &["anchored", "anchored", "anchored", "anchored", "anchored"],
        ),
    );
    let data = serde_json::to_value(HandOver {
        place: n.delivery.location.clone(),
        time: n.taking_over.date,
        reservations: vec![],
    })
    .expect("data");
    // Without pins for the successive carriers, so that only continuity stands in the way.
    let mut unpinned = succ.clone();
    for c in unpinned["successive_carriers"].as_array_mut().expect("carriers") {
        c.as_object_mut().expect("carrier").remove("public_keys");
    }
    let taken = take_over(&issue(7, unpinned, &sender()), &carrier());
    let reused = force(
        &taken,
        ecmr::document::EventKind::HandedOver,
        ecmr::document::Role::SuccessiveCarrier,
        data,
        &carrier(),
        taken.note_digest(),
    );
    out.insert(
        "key-reused-across-roles.json",
        failing_vector(
            "the carrier's key signs the hand-over as the successive carrier; the note does not pin it for both",
            &reused,
            "key_reused_across_roles",
            2,
        ),
    );

    // Attestations: a trusted gateway binds the carrier's key to the carrier's identifiers.
    let doc = take_over(&issue(6, base.clone(), &sender()), &carrier());
    let van_dijk =
        PartyIdentity::new("Van Dijk Transport B.V.", "NL").with_identifier("transport_licence", "NL-123456");
    let elsewhere = PartyIdentity::new("Snel Vervoer B.V.", "NL").with_identifier("transport_licence", "NL-999999");
    out.insert(
        "attestation-match.json",
        valid_vector(
            "the gateway (key seed 47, gate-nl) attests the carrier's key for Van Dijk Transport with the licence number the note gives; the sender is in the store",
            Some(store_json(&[brabant(&sender())], true)),
            vec![attestation(&carrier(), van_dijk)],
            doc.get(),
            &["anchored", "anchored"],
        ),
    );
    out.insert(
        "attestation-mismatch.json",
        valid_vector(
            "the gateway attests the carrier's key, but for another company than the note's carrier",
            Some(store_json(&[brabant(&sender())], true)),
            vec![attestation(&carrier(), elsewhere)],
            doc.get(),
            &["anchored", "not_vouched"],
        ),
    );
    out.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

fn render(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).expect("json");
    s.push('\n');
    s
}

#[test]
fn trust_vectors_are_current() {
    let generated = generate();
    let dir = PathBuf::from(VECTORS);
    if std::env::var("ECMR_BLESS").is_ok_and(|v| v == "1") {
        std::fs::create_dir_all(&dir).expect("mkdir");
        for (name, v) in &generated {
            std::fs::write(dir.join(name), render(v)).expect("write vector");
        }
        return;
    }
    for (name, v) in &generated {
        let on_disk = std::fs::read_to_string(dir.join(name))
            .unwrap_or_else(|e| panic!("{name}: {e}; run with ECMR_BLESS=1 to write the vectors"));
        assert_eq!(on_disk, render(v), "{name} is out of date; run with ECMR_BLESS=1");
    }
    for entry in std::fs::read_dir(&dir).expect("dir").flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        assert!(!name.ends_with(".json") || generated.contains_key(&name), "{name} is not generated any more");
    }
}

/// Each vector file, read as an independent verifier would, gives the answer its `expect` states.
#[test]
fn trust_vectors_verify_as_expected() {
    let mut count = 0;
    for entry in std::fs::read_dir(Path::new(VECTORS)).expect("vectors").flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".json") {
            continue;
        }
        count += 1;
        let v: Value = serde_json::from_str(&std::fs::read_to_string(entry.path()).expect("read")).expect("json");
        let store = Some(&v["trust_store"]).filter(|s| !s.is_null());
        let attestations = v["attestations"].as_array().cloned().unwrap_or_default();
        let report = run(store, &attestations, &serde_json::to_vec(&v["document"]).expect("json"));
        let expect = &v["expect"];
        assert_eq!(report.valid, expect["valid"].as_bool().expect("valid"), "{name}: {:?}", report.failures);
        if report.valid {
            assert_eq!(trust_of(&report), expect["events"].as_array().cloned().expect("events"), "{name}");
            assert_eq!(report.all_trusted(), expect["all_trusted"].as_bool().expect("all_trusted"), "{name}");
        } else {
            let first = &report.failures[0];
            assert_eq!(Some(first.kind.code()), expect["failure"].as_str(), "{name}");
            assert_eq!(first.seq, expect["seq"].as_u64(), "{name}");
        }
    }
    assert_eq!(count, 9, "trust vectors");
}

/// The forged note of the self-pinned vector is not trusted by any store that does not list the stranger, and
/// the attestation is refused by a store that does not trust the gateway.
#[test]
fn pins_and_attestations_never_vouch_on_their_own() {
    let mut forged = note(NOTE);
    for role in ["sender", "carrier", "consignee"] {
        pin(&mut forged, role, &[&stranger()]);
    }
    let doc = take_over(&issue(1, forged, &stranger()), &stranger());
    let empty = TrustStore::new();
    let report = ecmr::verify::check(doc.bytes(), Some(&empty));
    assert!(report.valid && !report.all_trusted());
    assert!(report.events.iter().all(|e| e.pinned));
    let without_gateway = TrustStore::new();
    let a = attestation(&stranger(), PartyIdentity::new("Brabant Zuivel B.V.", "NL"));
    let mut store = without_gateway.clone();
    assert!(store.add_attestation_value(&a).is_err(), "no gateway key trusted");
    let mut store = TrustStore::new();
    store.add_gateway_key(GatewayKey::new("gate-be", gateway().public_key()));
    let err = store.add_attestation_value(&a).expect_err("the key is of another gate");
    assert!(err.to_string().contains("gate-be"), "{err}");
}

fn trust_store(members: &[u8]) -> TrustStore {
    let mut store = TrustStore::new();
    for &seed in members {
        store.insert(TrustedKey { public_key: key(seed).public_key(), name: format!("party {seed}"), roles: vec![] });
    }
    store
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Whatever keys sign and whatever the note pins, a document is trusted only when its first signer is in the
    /// store, and every delegation points back at an earlier trusted event that pinned the key.
    #[test]
    fn trust_never_comes_from_the_document_alone(
        signers in (1u8..=5, 1u8..=5, 1u8..=5),
        pins in proptest::collection::vec(proptest::collection::btree_set(1u8..=5, 0..3), 3),
        store_members in proptest::collection::btree_set(1u8..=5, 0..4),
    ) {
        let (s, c, r) = signers;
        let mut n = note(NOTE);
        for (role, set) in ["sender", "carrier", "consignee"].iter().zip(&pins) {
            let keys: Vec<FileKey> = set.iter().map(|&seed| key(seed)).collect();
            pin(&mut n, role, &keys.iter().collect::<Vec<_>>());
        }
        let Ok(doc) = ecmr::sign::issue_value(id(99), n, at("2026-11-27T15:00:00Z"), &key(s)) else { return Ok(()) };
        let n2 = typed(doc.current_note());
        let data = TakeOver { place: n2.taking_over.location.clone(), time: n2.taking_over.date, reservations: vec![], checks: vec![] };
        let mut docs = vec![doc.clone()];
        if let Ok(taken) = doc.take_over(data, at("2026-11-28T05:10:00Z"), &key(c)) {
            docs.push(taken.clone());
            let time = n2.delivery.expected_date.unwrap_or_else(|| "2026-11-28T11:00:00+01:00".parse().expect("time"));
            let data = Deliver { place: n2.delivery.location.clone(), time, reservations: vec![] };
            if let Ok(delivered) = taken.deliver(data, at("2026-11-28T10:05:00Z"), &key(r)) {
                docs.push(delivered);
            }
        }
        let store = trust_store(&store_members.iter().copied().collect::<Vec<_>>());
        let signer_seeds = [s, c, r];
        for d in docs {
            let report = ecmr::verify::check(d.bytes(), Some(&store));
            prop_assert!(report.valid);
            let used = &signer_seeds[..report.events.len()];
            if used.iter().all(|seed| !store_members.contains(seed)) {
                prop_assert!(!report.all_trusted());
            }
            if report.all_trusted() {
                prop_assert!(store_members.contains(&s), "the first signer is anchored");
            }
            for (i, e) in report.events.iter().enumerate() {
                if let Trust::Delegated { by_seq } = e.trust {
                    prop_assert!((by_seq as usize) < i && e.pinned);
                    prop_assert!(report.events[by_seq as usize].trust.is_trusted());
                }
                if e.trust.is_trusted() && !matches!(e.trust, Trust::Delegated { .. }) {
                    prop_assert!(store_members.contains(&used[i]));
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Any changed byte of a signed attestation or receipt is refused (bad signature, or not parseable).
    #[test]
    fn any_changed_byte_of_a_statement_is_refused(position in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let mut store = TrustStore::new();
        store.add_gateway_key(GatewayKey::new(GATE, gateway().public_key()));
        let attestation = serde_json::to_vec(&attestation(&carrier(), PartyIdentity::new("Van Dijk Transport B.V.", "NL"))).expect("json");
        let receipt = ecmr::attest::Receipt::issue(
            ecmr::attest::ReceiptFacts {
                gate_id: GATE,
                document_id: "7a110000-0000-4000-8000-000000000001",
                seq: 0,
                event_digest: "sha256:00",
                received_at: "2026-11-27T15:00:01Z",
                posted_by: ecmr::attest::PostedBy { id: "p-1".into(), name: "Brabant Zuivel B.V.".into() },
                signer_identity: None,
            },
            &gateway(),
        )
        .expect("receipt");
        let receipt = serde_json::to_vec(&receipt).expect("json");
        prop_assert!(Attestation::verify(&attestation, &store).is_ok());
        prop_assert!(ecmr::attest::Receipt::verify(&receipt, &store).is_ok());
        for (bytes, is_attestation) in [(attestation, true), (receipt, false)] {
            let mut changed = bytes.clone();
            let i = position.index(changed.len());
            prop_assume!(changed[i] != byte);
            changed[i] = byte;
            if is_attestation {
                prop_assert!(Attestation::verify(&changed, &store).is_err());
            } else {
                prop_assert!(ecmr::attest::Receipt::verify(&changed, &store).is_err());
            }
        }
    }
}

/// The worked example of `docs/signed-document.md` §9: an attestation and a receipt with their exact signing
/// inputs, from fixed keys and times, in `tests/vectors/statements.json`.
fn statements_example() -> Value {
    let gw = gateway();
    let a = Attestation::new(
        GATE,
        carrier().public_key(),
        PartyIdentity::new("Van Dijk Transport B.V.", "NL").with_identifier("transport_licence", "NL-123456"),
        "2026-01-01T00:00:00Z",
        None,
        "2026-01-01T00:00:00Z",
    )
    .sign(&gw)
    .expect("attestation");
    let doc = take_over(&issue(8, note(NOTE), &sender()), &carrier());
    let event = &doc.events[1];
    let r = ecmr::attest::Receipt::issue(
        ecmr::attest::ReceiptFacts {
            gate_id: GATE,
            document_id: doc.id(),
            seq: 1,
            event_digest: &event.digest(),
            received_at: "2026-11-28T05:10:02Z",
            posted_by: ecmr::attest::PostedBy { id: "van-dijk".into(), name: "Van Dijk Transport B.V.".into() },
            signer_identity: Some(a.party.clone()),
        },
        &gw,
    )
    .expect("receipt");
    let input = |prefix: &str, v: &Value| {
        let mut v = v.clone();
        v.as_object_mut().expect("object").remove("signature");
        format!("{prefix}\n{}", String::from_utf8(ecmr::canonical::jcs(&v)).expect("utf8"))
    };
    let a_value = serde_json::to_value(&a).expect("json");
    let r_value = serde_json::to_value(&r).expect("json");
    json!({
        "description": "a key attestation and a receipt signed by the gateway key of seed 47 (gate-nl); signing_input is the exact text signed (prefix, newline, JCS of the statement without `signature`)",
        "gateway_public_key": gw.public_key().to_b64url(),
        "gateway_key_id": gw.public_key().key_id().to_string(),
        "attestation": a_value,
        "attestation_signing_input": input("ecmr-attestation/1", &a_value),
        "receipt": r_value,
        "receipt_signing_input": input("ecmr-receipt/1", &r_value),
        "document": doc.get(),
    })
}

#[test]
fn statements_example_is_current_and_verifies() {
    let path = Path::new(VECTORS).join("../statements.json");
    let generated = render(&statements_example());
    if std::env::var("ECMR_BLESS").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &generated).expect("write");
    }
    let on_disk = std::fs::read_to_string(&path).expect("statements.json; run with ECMR_BLESS=1");
    assert_eq!(on_disk, generated, "statements.json is out of date; run with ECMR_BLESS=1");
    let v: Value = serde_json::from_str(&on_disk).expect("json");
    // Checked from the file alone, as an independent verifier would: the key, the input, the signature.
    let key: ecmr::keys::PublicKey = v["gateway_public_key"].as_str().expect("key").parse().expect("key");
    for (stmt, input) in [("attestation", "attestation_signing_input"), ("receipt", "receipt_signing_input")] {
        let sig = ecmr::keys::decode_b64url(v[stmt]["signature"].as_str().expect("sig")).expect("b64");
        let sig: [u8; 64] = sig.try_into().expect("64 bytes");
        assert!(key.verify_strict(v[input].as_str().expect("input").as_bytes(), &sig), "{stmt}");
    }
    let mut store = TrustStore::new();
    store.add_gateway_key(GatewayKey::new(GATE, key));
    let receipt = ecmr::attest::Receipt::verify_value(&v["receipt"], &store).expect("receipt");
    let doc = ecmr::verify::verify(&serde_json::to_vec(&v["document"]).expect("json"), None).expect("document");
    receipt.check_against(&doc).expect("the receipt is for event 1");
    store.add_attestation_value(&v["attestation"]).expect("attestation");
}
