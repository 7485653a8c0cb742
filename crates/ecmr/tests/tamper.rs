//! Property tests: any single changed byte anywhere in a signed document makes parsing refuse it or verification
//! fail; re-ordering events, or dropping any but the last, fails; the strict parser and merge patches behave.

use std::sync::OnceLock;

use ecmr::canonical::{self, MAX_DOCUMENT_BYTES};
use ecmr::document::{Deliver, Document, Reservation, ReservationSubject, TakeOver};
use ecmr::keys::FileKey;
use ecmr::model::ConsignmentNote;
use ecmr::verify::verify;
use proptest::prelude::*;
use serde_json::{Value, json};

const NOTE: &str = include_str!("../../../examples/domestic-pallets.json");

fn at(s: &str) -> chrono::DateTime<chrono::Utc> {
    s.parse().expect("time")
}

/// A 5-event document (issue, take-over with reservation, acceptance, amendment, delivery) as compact bytes.
fn document() -> &'static [u8] {
    static DOC: OnceLock<Vec<u8>> = OnceLock::new();
    DOC.get_or_init(|| {
        let (sender, carrier, consignee) =
            (FileKey::from_seed(&[1; 32]), FileKey::from_seed(&[2; 32]), FileKey::from_seed(&[3; 32]));
        let note: Value = serde_json::from_str(NOTE).expect("note");
        let n: ConsignmentNote = serde_json::from_value(note.clone()).expect("typed");
        let doc = ecmr::sign::issue_value(uuid::Uuid::from_u128(99), note, at("2026-11-27T15:00:00Z"), &sender)
            .expect("issue")
            .take_over(
                TakeOver {
                    place: n.taking_over.location.clone(),
                    time: n.taking_over.date,
                    reservations: vec![Reservation {
                        subject: ReservationSubject::Packaging,
                        text: "Wrap torn".into(),
                        grounds: "Seen at loading".into(),
                    }],
                    checks: vec![],
                },
                at("2026-11-28T05:10:00Z"),
                &carrier,
            )
            .expect("take over")
            .accept_reservations(vec![1], at("2026-11-28T05:20:00Z"), &sender)
            .expect("accept")
            .amend(json!({"payment_instructions": "Carriage forward"}), "Customer", at("2026-11-28T06:00:00Z"), &sender)
            .expect("amend")
            .deliver(
                Deliver { place: n.delivery.location.clone(), time: n.taking_over.date, reservations: vec![] },
                at("2026-11-28T10:05:00Z"),
                &consignee,
            )
            .expect("deliver");
        doc.into_bytes()
    })
}

#[test]
fn the_untouched_document_verifies() {
    let v = verify(document(), None).expect("verifies");
    assert_eq!(v.get().events.len(), 5);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn any_changed_byte_is_detected(pos in any::<prop::sample::Index>(), new in any::<u8>()) {
        let mut bytes = document().to_vec();
        let i = pos.index(bytes.len());
        prop_assume!(bytes[i] != new);
        bytes[i] = new;
        prop_assert!(verify(&bytes, None).is_err(), "byte {} changed to {:#04x} went unnoticed", i, new);
    }

    #[test]
    fn strict_parse_agrees_with_serde_on_integer_json(v in json_value()) {
        let text = serde_json::to_vec(&v).expect("json");
        let strict = canonical::parse_strict(&text, MAX_DOCUMENT_BYTES).expect("integers only");
        prop_assert_eq!(&strict, &v);
        prop_assert_eq!(canonical::jcs(&strict), canonical::jcs(&v));
    }

    #[test]
    fn check_strict_agrees_with_parse_strict(v in json_value(), pos in any::<prop::sample::Index>(), new in prop::sample::select(b"{}[],:\"0.5e-a ".to_vec())) {
        let mut text = serde_json::to_vec(&v).expect("json");
        let i = pos.index(text.len());
        text[i] = new;
        let parsed = canonical::parse_strict(&text, MAX_DOCUMENT_BYTES).err().map(|e| (e.kind, e.pointer));
        let checked = canonical::check_strict(&text, MAX_DOCUMENT_BYTES).err().map(|e| (e.kind, e.pointer));
        prop_assert_eq!(parsed, checked);
    }

    #[test]
    fn fast_jcs_matches_the_reference_canonicaliser(v in json_value()) {
        let reference = serde_json_canonicalizer::to_vec(&v).expect("canonicalises");
        prop_assert_eq!(String::from_utf8(canonical::jcs(&v)).expect("utf8"), String::from_utf8(reference).expect("utf8"));
    }

    #[test]
    fn event_canonical_form_matches_the_reference(data in json_value(), seq in 0u64..(1 << 53), sig in "[A-Za-z0-9_\\-\"\\\\\\x00-\\x1f]{0,90}") {
        let doc = Document::from_slice(document()).expect("parses");
        let mut ev = doc.events[1].clone();
        ev.data = data;
        ev.seq = seq;
        ev.signature = sig;
        let mut value = serde_json::to_value(&ev).expect("json");
        let whole = serde_json_canonicalizer::to_vec(&value).expect("jcs");
        prop_assert_eq!(ev.digest(), canonical::sha256_tagged(&whole));
        if let Value::Object(m) = &mut value { m.remove("signature"); }
        let mut input = b"ecmr-event/1\n".to_vec();
        input.extend(serde_json_canonicalizer::to_vec(&value).expect("jcs"));
        prop_assert_eq!(ev.signing_input(), input);
    }

    #[test]
    fn merge_patch_with_itself_is_idempotent(target in json_value(), patch in json_value()) {
        let mut once = target.clone();
        canonical::merge_patch(&mut once, &patch);
        let mut twice = once.clone();
        canonical::merge_patch(&mut twice, &patch);
        prop_assert_eq!(once, twice);
    }
}

/// Strings with what JCS treats specially: escapes, control characters, non-ASCII, characters from U+E000 and
/// beyond the BMP (where UTF-16 order differs from code-point order).
const STRING: &str = "[a-cA\\-_0-9 \"\\\\\\x00-\\x1f\\x7fé€\u{e000}\u{ffee}😀\u{10000}\u{2028}]{0,6}";

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-(1i64 << 53) + 1..(1i64 << 53)).prop_map(Value::from),
        STRING.prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(STRING, inner, 0..6).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

#[test]
fn every_reordering_of_two_events_fails() {
    let doc = Document::from_slice(document()).expect("parses");
    for a in 0..doc.events.len() {
        for b in a + 1..doc.events.len() {
            let mut d = doc.clone();
            d.events.swap(a, b);
            assert!(verify(&d.to_vec(), None).is_err(), "swapping {a} and {b} went unnoticed");
        }
    }
}

#[test]
fn dropping_any_event_but_the_last_fails() {
    let doc = Document::from_slice(document()).expect("parses");
    for i in 0..doc.events.len() - 1 {
        let mut d = doc.clone();
        d.events.remove(i);
        assert!(verify(&d.to_vec(), None).is_err(), "dropping event {i} went unnoticed");
    }
}

#[test]
fn dropping_the_last_event_leaves_a_valid_prefix() {
    // By design: a prefix of a valid chain is itself valid. Completeness is the holder's (gateway's) concern.
    let mut doc = Document::from_slice(document()).expect("parses");
    doc.events.pop();
    assert!(verify(&doc.to_vec(), None).is_ok());
}

#[test]
fn strict_parser_names_the_place() {
    let cases: &[(&[u8], &str)] = &[
        (br#"{"a":[1,{"b":1.0}]}"#, "/a/1/b"),
        (br#"{"a":{"x~/y":1e2}}"#, "/a/x~0~1y"),
        (br#"{"a":{"b":1,"b":2}}"#, "/a/b"),
        (br#"{"n":9007199254740992}"#, "/n"),
        (br#"{"n":-9007199254740992}"#, "/n"),
    ];
    for (text, pointer) in cases {
        let err = canonical::parse_strict(text, 1024).expect_err("refused");
        assert_eq!(err.pointer, *pointer, "{err}");
        let err = canonical::check_strict(text, 1024).expect_err("refused");
        assert_eq!(err.pointer, *pointer, "{err}");
    }
    assert!(canonical::parse_strict(br#"{"n":9007199254740991}"#, 1024).is_ok());
    let err = canonical::parse_strict(&[b' '; 2048], 1024).expect_err("too large");
    assert_eq!(err.kind, canonical::StrictJsonErrorKind::TooLarge);
    let err = canonical::parse_strict(b"\"\xff\"", 1024).expect_err("not utf-8");
    assert_eq!(err.kind, canonical::StrictJsonErrorKind::NotUtf8);
    let err = canonical::parse_strict(b"{\"a\":", 1024).expect_err("syntax");
    assert_eq!(err.kind, canonical::StrictJsonErrorKind::Syntax);
    let many: String = (0..100).map(|i| format!("\"k{i}\":{i},")).collect();
    let text = format!("{{{many}\"k42\":0}}");
    let err = canonical::check_strict(text.as_bytes(), 1 << 20).expect_err("duplicate in a large object");
    assert_eq!((err.kind, err.pointer.as_str()), (canonical::StrictJsonErrorKind::DuplicateKey, "/k42"));
    let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
    assert!(canonical::parse_strict(deep.as_bytes(), 4096).is_err(), "nesting is bounded");
}

#[test]
fn merge_patch_follows_rfc7396_examples() {
    // RFC 7396 Appendix A.
    let cases = [
        (json!({"a":"b"}), json!({"a":"c"}), json!({"a":"c"})),
        (json!({"a":"b"}), json!({"b":"c"}), json!({"a":"b","b":"c"})),
        (json!({"a":"b"}), json!({"a":null}), json!({})),
        (json!({"a":"b","b":"c"}), json!({"a":null}), json!({"b":"c"})),
        (json!({"a":["b"]}), json!({"a":"c"}), json!({"a":"c"})),
        (json!({"a":"c"}), json!({"a":["b"]}), json!({"a":["b"]})),
        (json!({"a":{"b":"c"}}), json!({"a":{"b":"d","c":null}}), json!({"a":{"b":"d"}})),
        (json!({"a":[{"b":"c"}]}), json!({"a":[1]}), json!({"a":[1]})),
        (json!(["a", "b"]), json!(["c", "d"]), json!(["c", "d"])),
        (json!({"a":"b"}), json!(["c"]), json!(["c"])),
        (json!({"a":"foo"}), json!(null), json!(null)),
        (json!({"a":"foo"}), json!("bar"), json!("bar")),
        (json!({"e":null}), json!({"a":1}), json!({"e":null,"a":1})),
        (json!([1, 2]), json!({"a":"b","c":null}), json!({"a":"b"})),
        (json!({}), json!({"a":{"bb":{"ccc":null}}}), json!({"a":{"bb":{}}})),
    ];
    for (target, patch, expected) in cases {
        let mut t = target.clone();
        canonical::merge_patch(&mut t, &patch);
        assert_eq!(t, expected, "{target} + {patch}");
    }
}

#[test]
fn negative_zero_and_exponents() {
    for text in [&b"{\"n\":-0}"[..], b"{\"n\":-0.0}", b"{\"n\":1e3}", b"{\"n\":1E+2}", b"{\"n\":0.5}"] {
        let err = canonical::parse_strict(text, 64).expect_err("float");
        assert_eq!(err.kind, canonical::StrictJsonErrorKind::Float);
    }
}

#[test]
fn shape_errors_name_the_member() {
    use ecmr::document::ParseError;
    let doc: Value = serde_json::from_slice(document()).expect("json");
    type Edit = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(Edit, &str, &str)> = vec![
        (Box::new(|d| d["extra"] = json!(1)), "/extra", "unknown field"),
        (Box::new(|d| d["events"][1]["extra"] = json!(1)), "/events/1/extra", "unknown field"),
        (Box::new(|d| d["events"][2]["signer"]["kid"] = json!("x")), "/events/2/signer/kid", "unknown field"),
        (
            Box::new(|d| _ = d["events"][1].as_object_mut().map(|m| m.remove("prev"))),
            "/events/1",
            "missing field `prev`",
        ),
        (Box::new(|d| d["events"][1]["seq"] = json!("1")), "/events/1/seq", "expected an integer"),
        (Box::new(|d| d["events"][1]["kind"] = json!("stolen")), "/events/1/kind", "unknown event kind `stolen`"),
        (Box::new(|d| d["events"][3]["role"] = json!(7)), "/events/3/role", "invalid type"),
        (Box::new(|d| d["events"] = json!({})), "/events", "expected a sequence"),
        (Box::new(|d| _ = d.as_object_mut().map(|m| m.remove("note"))), "", "missing field `note`"),
    ];
    for (edit, pointer, message) in cases {
        let mut d = doc.clone();
        edit(&mut d);
        match Document::from_slice(&serde_json::to_vec(&d).expect("json")) {
            Err(ParseError::Shape { pointer: p, message: m }) => {
                assert_eq!(p, pointer, "{m}");
                assert!(m.contains(message), "{pointer}: {m}");
            }
            other => panic!("{pointer}: {other:?}"),
        }
    }
    // The serde form of the document reads the same as the strict reader.
    let via_serde: Document = serde_json::from_slice(document()).expect("serde");
    assert_eq!(via_serde, Document::from_slice(document()).expect("strict"));
}
