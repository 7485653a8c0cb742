//! The QR payload: the vectors of `tests/data/qr-payloads.json` (what each text reads as, and which part a refusal
//! names), and properties: every payload reads back as itself in both forms, no text makes the parser panic, and
//! changing one character of a payload never reads as the same payload.

use ecmr::qr::{QrPayload, TEXT_PREFIX};
use proptest::prelude::*;
use serde_json::Value;

fn vectors() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/qr-payloads.json");
    serde_json::from_slice(&std::fs::read(path).expect("vector file")).expect("vector JSON")
}

#[test]
fn valid_vectors_read_as_expected() {
    let v = vectors();
    let valid = v["valid"].as_array().expect("valid");
    assert!(valid.len() >= 4);
    for case in valid {
        let text = case["text"].as_str().expect("text");
        let p = QrPayload::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        let e = &case["expect"];
        assert_eq!(p.gate_id, e["gate_id"].as_str().unwrap(), "{text}");
        assert_eq!(p.platform_id, e["platform_id"].as_str().unwrap(), "{text}");
        assert_eq!(p.dataset_id, e["dataset_id"].as_str().unwrap(), "{text}");
        assert_eq!(p.seq, e["seq"].as_u64().unwrap(), "{text}");
        assert_eq!(p.digest, e["digest"].as_str().unwrap(), "{text}");
        assert_eq!(p.gateway_url.as_deref(), e["gateway_url"].as_str(), "{text}");
        // Written again, it reads as the same payload.
        assert_eq!(QrPayload::parse(&p.to_string()).unwrap(), p);
    }
}

#[test]
fn invalid_vectors_are_refused_naming_the_part() {
    let v = vectors();
    let invalid = v["invalid"].as_array().expect("invalid");
    assert!(invalid.len() >= 20);
    for case in invalid {
        let text = case["text"].as_str().expect("text");
        let e = QrPayload::parse(text).expect_err(text);
        assert_eq!(e.part, case["part"].as_str().unwrap(), "{text}: {e}");
        assert!(!e.message.is_empty());
    }
}

/// Ids as the eFTI reference implementation allows them, separators and spaces included (not only spaces).
fn id() -> impl Strategy<Value = String> {
    "[-A-Za-z0-9_ @./#&+]{0,40}[A-Za-z0-9_@./#&+-]"
}

fn url() -> impl Strategy<Value = Option<String>> {
    proptest::option::of("https?://[a-z0-9.-]{1,20}(:[0-9]{2,5})?(/[a-z0-9._~-]{1,8}){0,3}/?")
}

fn payload() -> impl Strategy<Value = QrPayload> {
    (id(), id(), id(), any::<u64>(), "[0-9a-f]{64}", url()).prop_map(|(g, p, d, seq, hex, url)| {
        let payload = QrPayload::new(&g, &p, &d, seq, &format!("sha256:{hex}")).expect("valid parts");
        match url {
            Some(u) => payload.with_gateway_url(&u).expect("valid url"),
            None => payload,
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn every_payload_reads_back_as_itself(p in payload()) {
        let text = p.to_string();
        prop_assert!(text.is_ascii() && !text.contains(' '), "{}", text);
        prop_assert_eq!(QrPayload::parse(&text).unwrap(), p.clone());
        match &p.gateway_url {
            Some(url) => {
                let start = format!("{url}/inspect/#uil=");
                prop_assert!(text.starts_with(&start));
            }
            None => {
                let start = format!("{TEXT_PREFIX}uil=");
                prop_assert!(text.starts_with(&start));
            }
        }
        // The other form carries the same document, seq and digest.
        let other = QrPayload { gateway_url: None, ..p.clone() };
        let back = QrPayload::parse(&other.to_string()).unwrap();
        prop_assert_eq!((back.dataset_id, back.seq, back.digest), (p.dataset_id, p.seq, p.digest));
    }

    #[test]
    fn any_text_is_read_or_refused_without_panic(text in "\\PC{0,200}") {
        let _ = QrPayload::parse(&text);
    }

    #[test]
    fn one_changed_character_changes_the_payload(p in payload(), at in any::<prop::sample::Index>(),
                                                 c in "[-%&;/=#:a-zA-Z0-9 ]") {
        let text = p.to_string();
        let i = at.index(text.len());
        let mut changed = text.clone();
        changed.replace_range(i..=i, &c);
        if let Ok(q) = QrPayload::parse(&changed) {
            // Read as the same payload only if the change was the case of a hex digit of a percent escape.
            if q == p {
                prop_assert!(changed.eq_ignore_ascii_case(&text), "{} reads as {}", changed, text);
            }
        }
    }
}
