//! Test vectors in `tests/vectors/` at the repository root.
//!
//! `documents/*.json` are generated deterministically (fixed seeds, ids and times) by this file: run with
//! `ECMR_BLESS=1` to write them, otherwise they are checked to be current. Independently of generation, every
//! vector file is verified and the answer compared with its `expect` field. The RFC 8032 and RFC 8785 corpora are
//! checked against our key handling and canonicaliser.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ecmr::canonical::{self, StrictJsonErrorKind};
use ecmr::document::{
    Deliver, Document, Event, EventKind, Reservation, ReservationSubject, Role, SignerInfo, TakeOver,
};
use ecmr::keys::{FileKey, Signer};
use ecmr::model::ConsignmentNote;
use ecmr::types::Timestamp;
use serde_json::{Value, json};

const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/vectors");
const EXAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples");

struct Keys {
    sender: FileKey,
    carrier: FileKey,
    consignee: FileKey,
    stranger: FileKey,
}

/// The fixed test keys: seeds of 32 equal bytes (01 sender, 02 carrier, 03 consignee, 04, 05 …
/// successive carriers in order, 09 a stranger).
fn keys() -> Keys {
    Keys {
        sender: FileKey::from_seed(&[1; 32]),
        carrier: FileKey::from_seed(&[2; 32]),
        consignee: FileKey::from_seed(&[3; 32]),
        stranger: FileKey::from_seed(&[9; 32]),
    }
}

fn at(s: &str) -> chrono::DateTime<chrono::Utc> {
    s.parse().expect("fixed time")
}

/// A v4-shaped UUID derived from a name, so that ids do not depend on the order of files.
fn id_for(name: &str) -> uuid::Uuid {
    let digest = canonical::sha256_tagged(name.as_bytes());
    let hex = digest.trim_start_matches("sha256:");
    let mut bytes = [0u8; 16];
    for (i, b) in bytes.iter_mut().enumerate() {
        *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).expect("hex");
    }
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

fn example_notes() -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(EXAMPLES)
        .expect("examples directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    for path in paths {
        let text = std::fs::read_to_string(&path).expect("read example");
        let value = canonical::parse_strict(text.as_bytes(), canonical::MAX_DOCUMENT_BYTES)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        // Signed documents among the examples are not notes.
        if value.get("format").is_some() {
            continue;
        }
        let note = ecmr::json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let report = ecmr::validate::validate(&note);
        assert!(report.is_valid(), "{}: {:?}", path.display(), report.errors().collect::<Vec<_>>());
        let stem = path.file_stem().and_then(|s| s.to_str()).expect("file name").to_owned();
        out.push((stem, value));
    }
    out
}

fn typed(note: &Value) -> ConsignmentNote {
    serde_json::from_value(note.clone()).expect("typed note")
}

/// issue → take-over with a reservation and a check result → acceptance → amendment → delivery.
fn complete(name: &str, mut note: Value, k: &Keys) -> Document {
    // Successive carrier i signs with the seed 04 + i; keys the example pins for them are replaced by those.
    let successive: Vec<FileKey> = (0..typed(&note).successive_carriers.len())
        .map(|i| FileKey::from_seed(&[4 + u8::try_from(i).expect("few carriers"); 32]))
        .collect();
    if let Some(carriers) = note.get_mut("successive_carriers").and_then(Value::as_array_mut) {
        for (c, key) in carriers.iter_mut().zip(&successive) {
            if c.get("public_keys").is_some() {
                c["public_keys"] = json!([key.public_key().to_b64url()]);
            }
        }
    }
    let n = typed(&note);
    let disposal = if n.consignee_has_right_of_disposal { &k.consignee } else { &k.sender };
    let doc = ecmr::sign::issue_value(id_for(name), note, at("2026-11-27T15:00:00Z"), &k.sender).expect("issue");
    let doc = doc
        .take_over(
            TakeOver {
                place: n.taking_over.location.clone(),
                time: n.taking_over.date,
                reservations: vec![Reservation {
                    subject: ReservationSubject::Packaging,
                    text: "Stretch wrap of one pallet torn".into(),
                    grounds: "Seen on loading; goods themselves look undamaged".into(),
                }],
                checks: vec![ecmr::document::CheckResult {
                    subject: ecmr::document::CheckSubject::GrossWeight,
                    result: "Weighbridge reading matches the declared gross weight".into(),
                }],
            },
            at("2026-11-28T05:10:00Z"),
            &k.carrier,
        )
        .expect("take over");
    let doc = doc.accept_reservations(vec![1], at("2026-11-28T05:20:00Z"), &k.sender).expect("accept");
    let doc = doc
        .amend(
            json!({"special_agreements": ["Delivery by tail-lift agreed by telephone"]}),
            "Consignee has no loading dock today",
            at("2026-11-28T07:45:00Z"),
            disposal,
        )
        .expect("amend");
    // Art. 34: each successive carrier named in the note takes over in turn.
    let mut doc = doc;
    for (i, key) in successive.iter().enumerate() {
        doc = doc
            .hand_over(
                ecmr::document::HandOver {
                    place: n.delivery.location.clone(),
                    time: n.taking_over.date,
                    reservations: vec![],
                },
                at(&format!("2026-11-28T08:{:02}:00Z", i * 10)),
                key,
            )
            .expect("hand over");
    }
    let doc = doc
        .deliver(
            Deliver { place: n.delivery.location.clone(), time: delivery_time(&n), reservations: vec![] },
            at("2026-11-28T10:05:00Z"),
            &k.consignee,
        )
        .expect("deliver");
    doc.into_inner()
}

fn delivery_time(n: &ConsignmentNote) -> Timestamp {
    n.delivery.expected_date.unwrap_or_else(|| "2026-11-28T11:00:00+01:00".parse().expect("time"))
}

/// The next event after `doc`'s last, filled in as a correct builder would, unsigned.
fn next_event(doc: &Document, kind: EventKind, role: Role, data: Value) -> Event {
    let last = doc.events.last();
    Event {
        seq: doc.events.len() as u64,
        kind,
        document_id: doc.id.clone(),
        at: "2026-11-28T05:20:00Z".into(),
        prev: last.map(Event::digest),
        note_digest: last.map_or_else(|| canonical::digest_value(&doc.note), |e| e.note_digest.clone()),
        role,
        data,
        signer: SignerInfo { alg: String::new(), public_key: String::new() },
        signature: String::new(),
    }
}

fn push(mut doc: Document, mut ev: Event, key: &FileKey) -> Document {
    ev.sign(key).expect("sign");
    doc.events.push(ev);
    doc
}

fn accept_data() -> Value {
    json!({"events": [1]})
}

/// Adds L (the group order) to S: the same signature in a non-canonical encoding.
fn malleate(sig_b64: &str) -> String {
    const L: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];
    let mut sig = ecmr::keys::decode_b64url(sig_b64).expect("b64");
    let mut carry = 0u16;
    for (i, l) in L.iter().enumerate() {
        let sum = u16::from(sig[32 + i]) + u16::from(*l) + carry;
        sig[32 + i] = (sum & 0xff) as u8;
        carry = sum >> 8;
    }
    assert_eq!(carry, 0);
    ecmr::keys::encode_b64url(&sig)
}

fn vector(description: &str, expect: Value, doc: &Document) -> Value {
    json!({ "description": description, "expect": expect, "document": doc })
}

fn text_vector(description: &str, expect: Value, text: &str) -> Value {
    json!({ "description": description, "expect": expect, "document_text": text })
}

fn fails(code: &str, seq: Option<u64>) -> Value {
    json!({ "failure": code, "seq": seq })
}

fn generate() -> BTreeMap<String, Value> {
    let k = keys();
    let mut out = BTreeMap::new();
    let examples = example_notes();
    assert!(examples.iter().any(|(n, _)| n == "domestic-pallets"), "examples/domestic-pallets.json is a valid note");
    for (name, note) in &examples {
        let doc = complete(name, note.clone(), &k);
        out.insert(
            format!("complete-{name}.json"),
            json!({
                "description": format!("examples/{name}.json issued, taken over with a reservation and a check result, reservation accepted, amended, handed over to each successive carrier (any keys the example pins for them replaced by the test keys), delivered"),
                "expect": "valid",
                "state": "delivered",
                "document": doc,
            }),
        );
    }
    let (_, note) = examples.iter().find(|(n, _)| n == "domestic-pallets").expect("domestic-pallets");
    let n = typed(note);
    let issued = ecmr::sign::issue_value(id_for("negative"), note.clone(), at("2026-11-27T15:00:00Z"), &k.sender)
        .expect("issue");
    let taken = issued
        .take_over(
            TakeOver {
                place: n.taking_over.location.clone(),
                time: n.taking_over.date,
                reservations: vec![Reservation {
                    subject: ReservationSubject::ApparentCondition,
                    text: "Two pallets wet".into(),
                    grounds: "Trailer floor wet at loading bay".into(),
                }],
                checks: vec![],
            },
            at("2026-11-28T05:10:00Z"),
            &k.carrier,
        )
        .expect("take over");
    let issued = issued.into_inner();
    let base = taken.into_inner();
    let mut add = |file: &str, v: Value| {
        out.insert(format!("{file}.json"), v);
    };

    // A pinned, valid chain.
    let mut pinned_note = note.clone();
    pinned_note["sender"]["public_keys"] = json!([k.sender.public_key().to_b64url()]);
    pinned_note["carrier"]["public_keys"] = json!([k.carrier.public_key().to_b64url()]);
    let pinned = ecmr::sign::issue_value(id_for("pinned"), pinned_note.clone(), at("2026-11-27T15:00:00Z"), &k.sender)
        .expect("issue pinned")
        .take_over(
            TakeOver {
                place: n.taking_over.location.clone(),
                time: n.taking_over.date,
                reservations: vec![],
                checks: vec![],
            },
            at("2026-11-28T05:10:00Z"),
            &k.carrier,
        )
        .expect("take over pinned");
    add(
        "valid-pinned-keys",
        json!({
        "description": "sender and carrier keys pinned in the note; both events signed by the pinned keys",
        "expect": "valid", "state": "in_transit", "document": pinned.get() }),
    );

    // One vector per named failure.
    let mut ev = next_event(&base, EventKind::ReservationsAccepted, Role::Sender, accept_data());
    ev.sign(&k.sender).expect("sign");
    ev.at = "2026-11-28T05:21:00Z".into();
    let mut d = base.clone();
    d.events.push(ev);
    add("bad-signature", vector("event 2's `at` changed after signing", fails("bad_signature", Some(2)), &d));

    let mut ev = next_event(&base, EventKind::ReservationsAccepted, Role::Sender, accept_data());
    ev.prev = Some(base.events[0].digest());
    add(
        "broken-prev",
        vector(
            "event 2's prev is the digest of event 0, not event 1",
            fails("broken_prev", Some(2)),
            &push(base.clone(), ev, &k.sender),
        ),
    );

    let mut ev = next_event(&base, EventKind::ReservationsAccepted, Role::Sender, accept_data());
    ev.note_digest = canonical::sha256_tagged(b"another note");
    add(
        "wrong-note-digest",
        vector(
            "event 2's note_digest is not the digest of the note",
            fails("wrong_note_digest", Some(2)),
            &push(base.clone(), ev, &k.sender),
        ),
    );

    let mut ev = next_event(&base, EventKind::ReservationsAccepted, Role::Sender, accept_data());
    ev.seq = 3;
    add(
        "seq-gap",
        vector("the third event claims seq 3", fails("seq_gap", Some(2)), &push(base.clone(), ev, &k.sender)),
    );

    let mut ev = next_event(&base, EventKind::ReservationsAccepted, Role::Sender, accept_data());
    ev.seq = 1;
    add(
        "seq-repeat",
        vector("the third event claims seq 1 again", fails("seq_repeat", Some(2)), &push(base.clone(), ev, &k.sender)),
    );

    let mut ev = next_event(&base, EventKind::ReservationsAccepted, Role::Sender, accept_data());
    ev.document_id = id_for("another document").hyphenated().to_string();
    add(
        "wrong-document-id",
        vector(
            "event 2 names another document",
            fails("wrong_document_id", Some(2)),
            &push(base.clone(), ev, &k.sender),
        ),
    );

    let mut ev = next_event(&base, EventKind::ReservationsAccepted, Role::Sender, accept_data());
    ev.sign(&k.sender).expect("sign");
    let mut identity = [0u8; 32];
    identity[0] = 1;
    ev.signer.public_key = ecmr::keys::encode_b64url(&identity);
    let mut d = base.clone();
    d.events.push(ev);
    add("weak-key", vector("event 2's signer key is the identity point (small order)", fails("weak_key", Some(2)), &d));

    let mut ev = next_event(&base, EventKind::ReservationsAccepted, Role::Sender, accept_data());
    ev.sign(&k.sender).expect("sign");
    ev.signature = malleate(&ev.signature);
    let mut d = base.clone();
    d.events.push(ev);
    add(
        "non-canonical-signature",
        vector("event 2's signature has S + L instead of S", fails("non_canonical_signature", Some(2)), &d),
    );

    let doc = Document {
        format: "ecmr-document/1".into(),
        id: id_for("pinned").hyphenated().to_string(),
        note: pinned_note.clone(),
        events: vec![],
    };
    let ev = next_event(&doc, EventKind::Issued, Role::Sender, json!({}));
    add(
        "key-not-pinned",
        vector(
            "the note pins the sender's key; event 0 is signed by another key",
            fails("key_not_pinned", Some(0)),
            &push(doc, ev, &k.stranger),
        ),
    );

    let ev = next_event(
        &issued,
        EventKind::Delivered,
        Role::Consignee,
        serde_json::to_value(Deliver {
            place: n.delivery.location.clone(),
            time: delivery_time(&n),
            reservations: vec![],
        })
        .expect("data"),
    );
    add(
        "disallowed-transition-wrong-state",
        vector(
            "delivered straight after issued, without take-over",
            fails("disallowed_transition", Some(1)),
            &push(issued.clone(), ev, &k.consignee),
        ),
    );

    let ev = next_event(&base, EventKind::ReservationsAccepted, Role::Carrier, accept_data());
    add(
        "disallowed-transition-wrong-role",
        vector(
            "the carrier accepts its own reservations",
            fails("disallowed_transition", Some(2)),
            &push(base.clone(), ev, &k.carrier),
        ),
    );

    let ev = next_event(&issued, EventKind::Cancelled, Role::Sender, json!({"reason": "Order withdrawn"}));
    let cancelled = push(issued.clone(), ev, &k.sender);
    let ev = next_event(
        &cancelled,
        EventKind::TakenOver,
        Role::Carrier,
        serde_json::to_value(TakeOver {
            place: n.taking_over.location.clone(),
            time: n.taking_over.date,
            reservations: vec![],
            checks: vec![],
        })
        .expect("data"),
    );
    add(
        "disallowed-transition-after-final",
        vector(
            "taken over after the note was cancelled",
            fails("disallowed_transition", Some(2)),
            &push(cancelled, ev, &k.carrier),
        ),
    );

    let mut d = base.clone();
    d.format = "ecmr-document/2".into();
    add("unknown-format", vector("format ecmr-document/2", fails("unknown_format", None), &d));

    let text = serde_json::to_string(&base).expect("json");
    let float_text = text.replacen("\"number_of_packages\":26", "\"number_of_packages\":26.0", 1);
    assert_ne!(float_text, text);
    add(
        "malformed-float",
        text_vector(
            "a float in the note (26.0); the exact bytes are in document_text",
            fails("malformed", None),
            &float_text,
        ),
    );
    let dup_text = text.replacen(
        "{\"format\":\"ecmr-document/1\"",
        "{\"format\":\"ecmr-document/1\",\"format\":\"ecmr-document/1\"",
        1,
    );
    assert_ne!(dup_text, text);
    add(
        "malformed-duplicate-key",
        text_vector(
            "`format` appears twice; the exact bytes are in document_text",
            fails("malformed", None),
            &dup_text,
        ),
    );

    let ev = next_event(
        &issued,
        EventKind::TakenOver,
        Role::Carrier,
        json!({
        "place": n.taking_over.location, "time": n.taking_over.date,
        "reservations": [{"subject": "apparent_condition", "text": "Two pallets wet", "grounds": ""}]}),
    );
    add(
        "invalid-event-data",
        vector(
            "a take-over reservation without grounds",
            fails("invalid_event_data", Some(1)),
            &push(issued.clone(), ev, &k.carrier),
        ),
    );

    let patch = json!({"consignee_has_right_of_disposal": true});
    let mut amended = note.clone();
    canonical::merge_patch(&mut amended, &patch);
    let mut ev = next_event(
        &issued,
        EventKind::Amended,
        Role::Sender,
        json!({"patch": patch, "reason": "Hand the right of disposal over"}),
    );
    ev.note_digest = canonical::digest_value(&amended);
    add(
        "forbidden-amendment",
        vector(
            "an amendment that gives the consignee the right of disposal",
            fails("forbidden_amendment", Some(1)),
            &push(issued.clone(), ev, &k.sender),
        ),
    );

    let patch = json!({"goods": null});
    let mut amended = note.clone();
    canonical::merge_patch(&mut amended, &patch);
    let mut ev =
        next_event(&issued, EventKind::Amended, Role::Sender, json!({"patch": patch, "reason": "Remove the goods"}));
    ev.note_digest = canonical::digest_value(&amended);
    add(
        "invalid-note",
        vector(
            "an amendment that removes the goods",
            fails("invalid_note", Some(1)),
            &push(issued.clone(), ev, &k.sender),
        ),
    );

    let mut d = issued.clone();
    d.events.clear();
    add("no-events", vector("a document without events", fails("no_events", None), &d));

    let mut d = issued.clone();
    d.id = d.id.to_uppercase();
    for e in &mut d.events {
        e.document_id = d.id.clone();
        e.sign(&k.sender).expect("sign");
    }
    add("invalid-document-id", vector("the id is an upper-case UUID", fails("invalid_document_id", None), &d));

    let mut ev = next_event(&base, EventKind::ReservationsAccepted, Role::Sender, accept_data());
    ev.sign(&k.sender).expect("sign");
    ev.signer.alg = "Ed448".into();
    let mut d = base.clone();
    d.events.push(ev);
    add(
        "unsupported-algorithm",
        vector("event 2 claims the Ed448 algorithm", fails("unsupported_algorithm", Some(2)), &d),
    );

    let mut ev = next_event(&base, EventKind::ReservationsAccepted, Role::Sender, accept_data());
    ev.sign(&k.sender).expect("sign");
    ev.signer.public_key = "AAAA".into();
    let mut d = base.clone();
    d.events.push(ev);
    add("bad-key", vector("event 2's public key is 3 bytes", fails("bad_key", Some(2)), &d));

    let mut ev = next_event(&base, EventKind::ReservationsAccepted, Role::Sender, accept_data());
    ev.sign(&k.sender).expect("sign");
    ev.signature.truncate(40);
    let mut d = base.clone();
    d.events.push(ev);
    add(
        "bad-signature-encoding",
        vector("event 2's signature is cut short", fails("bad_signature_encoding", Some(2)), &d),
    );

    let ev = next_event(&base, EventKind::ReservationsAccepted, Role::Sender, accept_data());
    let three = push(base.clone(), ev, &k.sender);
    let mut d = three.clone();
    d.events.swap(1, 2);
    add("events-reordered", vector("events 1 and 2 swapped", fails("seq_gap", Some(1)), &d));
    let mut d = three;
    d.events.remove(1);
    add("event-dropped", vector("event 1 removed", fails("seq_gap", Some(1)), &d));

    out
}

fn vector_dir() -> PathBuf {
    Path::new(VECTORS).join("documents")
}

fn render(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).expect("json");
    s.push('\n');
    s
}

#[test]
fn document_vectors_are_current() {
    let generated = generate();
    let dir = vector_dir();
    if std::env::var("ECMR_BLESS").is_ok_and(|v| v == "1") {
        std::fs::create_dir_all(&dir).expect("mkdir");
        for entry in std::fs::read_dir(&dir).expect("dir").flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".json") && !generated.contains_key(&name) {
                std::fs::remove_file(entry.path()).expect("remove stale vector");
            }
        }
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

#[test]
fn document_vectors_verify_as_expected() {
    let mut count = 0;
    for entry in std::fs::read_dir(vector_dir()).expect("vectors").flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".json") {
            continue;
        }
        count += 1;
        let wrapper: Value = serde_json::from_str(&std::fs::read_to_string(entry.path()).expect("read")).expect("json");
        let bytes = match (&wrapper["document"], &wrapper["document_text"]) {
            (Value::Null, Value::String(text)) => text.as_bytes().to_vec(),
            (doc, Value::Null) => serde_json::to_vec(doc).expect("json"),
            _ => panic!("{name}: needs document or document_text"),
        };
        let result = ecmr::verify::verify(&bytes, None);
        match &wrapper["expect"] {
            Value::String(s) if s == "valid" => {
                let v = result.unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(Some(v.state().as_str()), wrapper["state"].as_str(), "{name}");
            }
            Value::Object(expect) => {
                let err = result.err().unwrap_or_else(|| panic!("{name}: verified but should fail"));
                let first = err.report.failures.first().expect("a failure");
                assert_eq!(Some(first.kind.code()), expect["failure"].as_str(), "{name}: {err}");
                assert_eq!(first.seq, expect["seq"].as_u64(), "{name}: {err}");
            }
            other => panic!("{name}: bad expect {other}"),
        }
    }
    assert!(count >= 25, "only {count} vectors");
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex")).collect()
}

#[test]
fn rfc8032_ed25519() {
    let text = std::fs::read_to_string(Path::new(VECTORS).join("rfc8032-ed25519.json")).expect("read");
    let v: Value = serde_json::from_str(&text).expect("json");
    let cases = v["cases"].as_array().expect("cases");
    assert!(cases.len() >= 3);
    for c in cases {
        let seed: [u8; 32] = unhex(c["secret_key"].as_str().expect("sk")).try_into().expect("32 bytes");
        let key = FileKey::from_seed(&seed);
        assert_eq!(key.public_key().to_bytes().to_vec(), unhex(c["public_key"].as_str().expect("pk")), "{}", c["name"]);
        let msg = unhex(c["message"].as_str().expect("msg"));
        let sig = key.sign(&msg).expect("sign");
        assert_eq!(sig.to_vec(), unhex(c["signature"].as_str().expect("sig")), "{}", c["name"]);
        let pk = key.public_key();
        let signature = ed25519_dalek::Signature::from_bytes(&sig);
        assert!(pk.verifying_key().verify_strict(&msg, &signature).is_ok());
        let mut other = msg.clone();
        other.push(0);
        assert!(pk.verifying_key().verify_strict(&other, &signature).is_err());
        assert!(pk.verify_strict(&msg, &sig), "{}", c["name"]);
        assert!(!pk.verify_strict(&other, &sig), "{}", c["name"]);
        // PKCS#8 PEM round trip keeps the key.
        let pem = key.to_pkcs8_pem().expect("pem");
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
        assert_eq!(FileKey::from_pkcs8_pem(&pem).expect("read pem").public_key(), pk);
    }
}

/// Keys are written as PKCS#8 v1 (RFC 5208/8410: the private key only), as OpenSSL writes them; v2 (RFC 5958,
/// with the public key), which other tools write, is still read.
#[test]
fn pkcs8_v1_is_written_and_v2_read() {
    // RFC 8410, section 10.3: the private key of this seed, in the form without the public key.
    let seed: [u8; 32] =
        unhex("d4ee72dbf913584ad5b6d8f1f769f8ad3afe7c28cbf1d4fbe097a88f44755842").try_into().expect("32 bytes");
    let key = FileKey::from_seed(&seed);
    let v1 = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n-----END PRIVATE KEY-----\n";
    assert_eq!(key.to_pkcs8_pem().expect("pem"), v1);
    assert_eq!(FileKey::from_pkcs8_pem(v1).expect("v1 reads").public_key(), key.public_key());

    use ed25519_dalek::pkcs8::EncodePrivateKey as _;
    let v2 = ed25519_dalek::SigningKey::from_bytes(&seed).to_pkcs8_pem(Default::default()).expect("v2");
    assert_ne!(v2.as_str(), v1, "ed25519-dalek writes the other form");
    assert_eq!(FileKey::from_pkcs8_pem(&v2).expect("v2 reads").public_key(), key.public_key());
}

#[test]
fn rfc8785_conformance() {
    let dir = Path::new(VECTORS).join("rfc8785");
    let mut count = 0;
    for entry in std::fs::read_dir(dir.join("input")).expect("inputs").flatten() {
        count += 1;
        let name = entry.file_name();
        let input = std::fs::read(entry.path()).expect("read");
        let expected = std::fs::read(dir.join("output").join(&name)).expect("output");
        // The canonicaliser itself, on the full corpus (floats included).
        let lax: Value = serde_json::from_slice(&input).expect("json");
        assert_eq!(
            String::from_utf8(canonical::jcs(&lax)).expect("utf8"),
            String::from_utf8(expected.clone()).expect("utf8"),
            "{name:?}"
        );
        // Our strict path: the same bytes where there are no floats, a refusal where there are.
        match canonical::parse_strict(&input, canonical::MAX_DOCUMENT_BYTES) {
            Ok(strict) => assert_eq!(canonical::jcs(&strict), expected, "{name:?}"),
            Err(e) => {
                assert_eq!(e.kind, StrictJsonErrorKind::Float, "{name:?}: {e}");
                assert!(canonical::check_value(&lax).is_err(), "{name:?} has floats");
            }
        }
    }
    assert_eq!(count, 6);
}
