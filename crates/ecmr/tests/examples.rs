//! Every note in `examples/` parses, round-trips through JSON unchanged, and carries the particulars it is there
//! to show.

use std::path::PathBuf;

use ecmr::{ConsignmentNote, PackingGroup, json};

fn examples_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples"))
}

/// Every `examples/*.json` file, sorted by name, with its text.
fn example_files() -> Vec<(String, String)> {
    let dir = examples_dir();
    let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (name, text)
        })
        .collect();
    files.sort();
    files
}

fn load(name: &str) -> ConsignmentNote {
    let text = std::fs::read_to_string(examples_dir().join(name)).unwrap();
    json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn every_example_parses_and_round_trips() {
    let files = example_files();
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    for expected in ["adr-fuel.json", "domestic-pallets.json", "international-cod.json", "successive-carriers.json"] {
        assert!(names.contains(&expected), "{expected} missing from examples/: {names:?}");
    }
    for (name, text) in &files {
        let note = json::from_str(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let pretty = json::from_str(&json::to_string_pretty(&note)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(note, pretty, "{name}: pretty JSON round trip");
        let compact = json::from_str(&json::to_string(&note)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(note, compact, "{name}: compact JSON round trip");
        // The files are written in the model's own form (no defaults spelled out), so writing the parsed note
        // gives back the same JSON value.
        let file_value: serde_json::Value = serde_json::from_str(text).unwrap();
        let written: serde_json::Value = serde_json::from_str(&json::to_string(&note)).unwrap();
        assert_eq!(file_value, written, "{name}: written JSON differs from the file");
    }
}

/// The examples are meant as correct notes: the validator finds no errors in them (warnings are allowed).
#[test]
fn every_example_passes_validation() {
    for (name, text) in example_files() {
        let note = json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let report = ecmr::validate::validate(&note);
        let errors: Vec<_> = report.errors().collect();
        assert!(errors.is_empty(), "{name}: {errors:#?}");
    }
}

#[test]
fn international_cod_has_the_art_6_2_particulars() {
    let note = load("international-cod.json");
    assert_ne!(note.taking_over.location.address.country, note.delivery.location.address.country);
    assert!(note.goods.len() >= 3);
    let packings: std::collections::BTreeSet<_> =
        note.goods.iter().filter_map(|g| g.packing.as_ref().and_then(|p| p.code.clone())).collect();
    assert!(packings.len() >= 3, "different packing per line: {packings:?}");
    let kinds: std::collections::BTreeSet<_> = note.charges.iter().map(|c| format!("{:?}", c.kind)).collect();
    assert!(kinds.len() >= 3, "{kinds:?}");
    assert!(note.charges.iter().any(|c| c.payer == ecmr::Payer::Sender));
    assert!(note.charges.iter().any(|c| c.payer == ecmr::Payer::Consignee));
    assert!(note.cash_on_delivery.is_some());
    assert!(note.declared_value.is_some());
    assert!(note.insurance_instructions.is_some());
    assert!(!note.sender_instructions.customs.is_empty());
    assert!(note.agreed_time_limit.is_some());
    assert!(note.transhipment_prohibited);
}

#[test]
fn adr_fuel_carries_the_two_dangerous_goods_lines() {
    let note = load("adr-fuel.json");
    let dg: Vec<_> = note.goods.iter().filter_map(|g| g.dangerous_goods.as_ref()).collect();
    assert_eq!(dg.len(), 2);
    let petrol = dg[0];
    assert_eq!(
        (petrol.un_number.as_str(), petrol.proper_shipping_name.as_str(), petrol.class.as_str()),
        ("1203", "MOTOR SPIRIT", "3")
    );
    assert!(petrol.subsidiary_risks.is_empty());
    assert_eq!(petrol.packing_group, Some(PackingGroup::II));
    assert_eq!(petrol.tunnel_restriction_code.as_deref(), Some("D/E"));
    assert!(petrol.environmentally_hazardous);
    let allyl = dg[1];
    assert_eq!(
        (allyl.un_number.as_str(), allyl.proper_shipping_name.as_str(), allyl.class.as_str()),
        ("1098", "ALLYL ALCOHOL", "6.1")
    );
    assert_eq!(allyl.subsidiary_risks, ["3"]);
    assert_eq!(allyl.packing_group, Some(PackingGroup::I));
    assert_eq!(allyl.tunnel_restriction_code.as_deref(), Some("C/D"));
    assert!(!allyl.environmentally_hazardous);
    assert!(note.documents.iter().any(|d| d.name.contains("Instructions in writing")));
    assert!(!note.transport.equipment.is_empty());
}

#[test]
fn successive_carriers_pin_valid_ed25519_keys() {
    let note = load("successive-carriers.json");
    assert_eq!(note.successive_carriers.len(), 2);
    for carrier in &note.successive_carriers {
        assert_eq!(carrier.public_keys.len(), 1, "{}", carrier.name);
        for key in &carrier.public_keys {
            let bytes = base64url_decode(key).unwrap_or_else(|| panic!("{key} is not base64url without padding"));
            let bytes: [u8; 32] = bytes.try_into().unwrap_or_else(|b: Vec<u8>| panic!("{key}: {} bytes", b.len()));
            ed25519_dalek::VerifyingKey::from_bytes(&bytes)
                .unwrap_or_else(|e| panic!("{key} is not an Ed25519 point: {e}"));
        }
    }
    let codes: Vec<_> = note.documents.iter().filter_map(|d| d.type_code.as_deref()).collect();
    assert_eq!(codes, ["380", "271", "861"], "invoice, packing list, certificate of origin");
    let trailer = &note.transport.equipment[0];
    assert_eq!(trailer.category_code.as_deref(), Some("TE"));
    assert_eq!(trailer.carried[0].category_code.as_deref(), Some("CN"));
    assert!(iso6346_check_digit_ok(&trailer.carried[0].id), "{}", trailer.carried[0].id);
    assert!(!note.references.is_empty());
    assert!(!note.special_agreements.is_empty());
    assert!(!note.other_particulars.is_empty());
    assert!(note.consignee_has_right_of_disposal);
}

#[test]
fn helpers_reject_bad_input() {
    assert_eq!(base64url_decode("AQID"), Some(vec![1, 2, 3]));
    assert_eq!(base64url_decode("AQI"), Some(vec![1, 2]));
    assert_eq!(base64url_decode("AQI="), None, "padding is not allowed");
    assert_eq!(base64url_decode("A+I"), None, "standard alphabet is not allowed");
    assert_eq!(base64url_decode("A"), None);
    assert!(iso6346_check_digit_ok("CSQU3054383"));
    assert!(!iso6346_check_digit_ok("CSQU3054384"));
    assert!(!iso6346_check_digit_ok("CSQU305438"));
}

/// Decodes base64url without padding; `None` on any other alphabet, padding or a dangling character.
fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        } as u32)
    };
    if text.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::new();
    for chunk in text.as_bytes().chunks(4) {
        let mut acc = 0u32;
        for &c in chunk {
            acc = acc << 6 | value(c)?;
        }
        acc <<= 6 * (4 - chunk.len() as u32);
        let bytes = acc.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    Some(out)
}

/// ISO 6346 container number: owner code, category letter, six digits and a check digit.
fn iso6346_check_digit_ok(id: &str) -> bool {
    let b = id.as_bytes();
    if b.len() != 11 || !b[..4].iter().all(u8::is_ascii_uppercase) || !b[4..].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let letter_value = |c: u8| {
        // A = 10, skipping multiples of 11.
        let mut v = 10;
        for l in b'A'..c {
            let _ = l;
            v += 1;
            if v % 11 == 0 {
                v += 1;
            }
        }
        v
    };
    let sum: u32 = b[..10]
        .iter()
        .enumerate()
        .map(|(i, &c)| if c.is_ascii_digit() { u32::from(c - b'0') } else { letter_value(c) } << i)
        .sum();
    sum % 11 % 10 == u32::from(b[10] - b'0')
}

/// The fuzz seed corpus (`fuzz/seeds/`) holds every example: as JSON for `note_json`, and as the XML writer
/// writes it for `note_xml` (only once XML written from the note reads back as the same note). Run with
/// `ECMR_BLESS=1` to (re)write the seeds; otherwise every seed that should exist must match.
#[test]
fn fuzz_seeds_follow_the_examples() {
    let seeds = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../fuzz/seeds"));
    let bless = std::env::var_os("ECMR_BLESS").is_some_and(|v| v == "1");
    for (name, text) in example_files() {
        let stem = name.trim_end_matches(".json");
        let note = json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let xml = ecmr::xml::to_string(&note);
        let xml_round_trips = ecmr::xml::from_str(&xml).is_ok_and(|back| back == note);
        let mut wanted = vec![(seeds.join("note_json").join(&name), text.clone())];
        if xml_round_trips {
            wanted.push((seeds.join("note_xml").join(format!("{stem}.xml")), xml));
        }
        for (path, content) in wanted {
            if bless {
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, &content).unwrap();
            } else {
                let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
                assert!(
                    on_disk == content,
                    "{} is missing or stale; run `ECMR_BLESS=1 cargo test -p ecmr --test examples`",
                    path.display()
                );
            }
        }
    }
}
