//! Validation rules, table-driven from `tests/data/validation-cases.json`.
//!
//! Each case edits `examples/domestic-pallets.json` (JSON pointer → new value; `null` removes the member, a
//! pointer ending in `/-` appends to an array) and lists the exact findings (code and path, in order) expected.

use std::collections::BTreeSet;

use ecmr::validate::{Severity, validate, validate_json, validate_value};
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    /// The code whose rule the case exercises, at the edge on the passing side or just over it.
    rule: String,
    edits: Vec<Edit>,
    expect: Vec<Expected>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Edit {
    pointer: String,
    value: Value,
}

#[derive(Deserialize, Debug, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
struct Expected {
    code: String,
    path: String,
    severity: Severity,
}

fn read(rel: &str) -> String {
    let path = format!("{}/{rel}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn example() -> Value {
    serde_json::from_str(&read("../../examples/domestic-pallets.json")).unwrap()
}

fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

/// Applies one edit; panics with the case name when the pointer does not lead anywhere.
fn apply(doc: &mut Value, edit: &Edit, case: &str) {
    let tokens: Vec<String> = edit.pointer.split('/').skip(1).map(unescape).collect();
    let (last, parents) = tokens.split_last().unwrap_or_else(|| panic!("{case}: empty pointer"));
    let mut cur = doc;
    for t in parents {
        cur = match cur {
            Value::Object(m) => m.get_mut(t),
            Value::Array(a) => t.parse::<usize>().ok().and_then(|i| a.get_mut(i)),
            _ => None,
        }
        .unwrap_or_else(|| panic!("{case}: pointer {} does not exist", edit.pointer));
    }
    match cur {
        Value::Object(m) if edit.value.is_null() => {
            m.remove(last).unwrap_or_else(|| panic!("{case}: nothing to remove at {}", edit.pointer));
        }
        Value::Object(m) => {
            m.insert(last.clone(), edit.value.clone());
        }
        Value::Array(a) if last == "-" => a.push(edit.value.clone()),
        Value::Array(a) => {
            let i: usize = last.parse().unwrap_or_else(|_| panic!("{case}: bad index in {}", edit.pointer));
            if edit.value.is_null() {
                a.remove(i);
            } else {
                a[i] = edit.value.clone();
            }
        }
        _ => panic!("{case}: {} is not inside an object or array", edit.pointer),
    }
}

fn cases() -> Vec<Case> {
    serde_json::from_str(&read("tests/data/validation-cases.json")).unwrap()
}

#[test]
fn example_has_no_findings() {
    let note = ecmr::json::from_str(&read("../../examples/domestic-pallets.json")).unwrap();
    let report = validate(&note);
    assert_eq!(report.findings, vec![], "the example is clean");
    assert!(report.is_valid());
}

#[test]
fn every_case_gives_exactly_the_expected_findings() {
    let mut failures = Vec::new();
    let cases = cases();
    for case in &cases {
        let mut doc = example();
        for e in &case.edits {
            apply(&mut doc, e, &case.name);
        }
        // A note that reads is checked as such; one that does not is checked as a JSON value, which for a note
        // that reads gives the same report.
        let report = validate_value(&doc);
        if let Ok(note) = ecmr::json::from_str(&doc.to_string()) {
            assert_eq!(validate(&note), report, "{}: the value and the note give different reports", case.name);
        }
        let got: Vec<Expected> = report
            .findings
            .iter()
            .map(|f| Expected { code: f.code.clone(), path: f.path.clone(), severity: f.severity })
            .collect();
        if got != case.expect {
            failures.push(format!("{}:\n  expected {:?}\n  got      {:?}", case.name, case.expect, report.findings));
        }
        for f in &report.findings {
            assert!(!f.message.trim().is_empty(), "{}: finding {} has no message", case.name, f.code);
            // The path is a JSON pointer into the note: the value itself, or (for a missing member) its parent.
            let parent = f.path.rsplit_once('/').map_or("", |(p, _)| p);
            assert!(
                doc.pointer(&f.path).is_some() || doc.pointer(parent).is_some(),
                "{}: path {} of {} leads nowhere",
                case.name,
                f.path,
                f.code
            );
        }
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

fn documented_codes() -> BTreeSet<String> {
    read("src/validate.rs")
        .lines()
        .filter_map(|l| l.strip_prefix("//! | `"))
        .filter_map(|l| l.split('`').next())
        .map(str::to_owned)
        .collect()
}

/// Every code documented in the module docs has at least one passing case (the rule's code is not reported) and
/// one failing case (it is), and no case uses an undocumented code.
#[test]
fn every_documented_rule_has_a_passing_and_a_failing_case() {
    let documented = documented_codes();
    assert!(documented.len() > 40, "code table found ({} codes)", documented.len());
    let cases = cases();
    let mut problems = Vec::new();
    for code in &documented {
        let of_rule: Vec<&Case> = cases.iter().filter(|c| &c.rule == code).collect();
        if !of_rule.iter().any(|c| c.expect.iter().all(|e| &e.code != code)) {
            problems.push(format!("{code}: no passing case"));
        }
        if !of_rule.iter().any(|c| c.expect.iter().any(|e| &e.code == code)) {
            problems.push(format!("{code}: no failing case"));
        }
    }
    for c in &cases {
        if !documented.contains(&c.rule) {
            problems.push(format!("{}: rule {} is not documented", c.name, c.rule));
        }
        for e in &c.expect {
            if !documented.contains(&e.code) {
                problems.push(format!("{}: code {} is not documented", c.name, e.code));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn many_problems_are_reported_at_once() {
    let mut doc = example();
    let edits = [
        ("/number", Value::from(" ")),
        ("/sender/address/country", Value::from("nl")),
        ("/goods/0/gross_weight_kg", Value::from("0")),
        ("/goods/0/volume_m3", Value::from("-1.0")),
        ("/charges/0/amount/currency", Value::from("EUX")),
        ("/transport/mode_code", Value::from("road")),
        ("/paramount_statement", Value::from("")),
    ];
    for (p, v) in edits {
        apply(&mut doc, &Edit { pointer: p.to_owned(), value: v }, "many");
    }
    let note = ecmr::json::from_str(&doc.to_string()).unwrap();
    let report = validate(&note);
    let codes: Vec<(&str, &str)> = report.findings.iter().map(|f| (f.code.as_str(), f.path.as_str())).collect();
    assert_eq!(
        codes,
        vec![
            ("required.empty", "/number"),
            ("country.format", "/sender/address/country"),
            ("number.not_positive", "/goods/0/gross_weight_kg"),
            ("number.not_positive", "/goods/0/volume_m3"),
            ("currency.unknown", "/charges/0/amount/currency"),
            ("required.empty", "/paramount_statement"),
            ("transport_mode.format", "/transport/mode_code"),
        ]
    );
    assert!(!report.is_valid());
    assert_eq!(report.errors().count(), 7);
    assert!(report.findings[1].message.contains("\"nl\""), "message names the value: {}", report.findings[1].message);
}

/// A note that does not read gets every finding at once: the faults of its shape, then the content findings.
#[test]
fn a_note_that_does_not_read_gets_every_finding_at_once() {
    let mut doc = example();
    for (p, v) in [
        ("/consignee", Value::Null),
        ("/goods/0/gross_weight_kg", Value::from("-480.000")),
        ("/sender/address/country", Value::from("XX")),
        ("/carrier/name", Value::from(7)),
        ("/transport/vehicles/0/colour", Value::from("red")),
    ] {
        apply(&mut doc, &Edit { pointer: p.to_owned(), value: v }, "shape");
    }
    assert!(ecmr::json::from_str(&doc.to_string()).is_err(), "the note does not read");
    let report = validate_value(&doc);
    let got: Vec<(&str, &str)> = report.findings.iter().map(|f| (f.code.as_str(), f.path.as_str())).collect();
    assert_eq!(
        got,
        [
            ("structure.invalid", "/carrier/name"),
            ("structure.unknown_member", "/transport/vehicles/0/colour"),
            ("structure.missing", "/consignee"),
            ("country.unknown", "/sender/address/country"),
            ("number.not_positive", "/goods/0/gross_weight_kg"),
        ]
    );
    assert!(report.findings.iter().all(|f| f.severity == Severity::Error && !f.message.is_empty()));
    assert_eq!(report.findings[2].message, "the required member `consignee` is missing");
    // The same text gives the same report; text that is not JSON gives the parse error instead.
    assert_eq!(validate_json(&doc.to_string()).unwrap(), report);
    assert!(validate_json("{\"number\": ").unwrap_err().message.contains("EOF"));
}

/// Whatever is not a note at all, or is only partly one, gets findings rather than a panic, and never "valid".
#[test]
fn values_of_any_shape_are_reported() {
    for v in [
        serde_json::json!(null),
        serde_json::json!([]),
        serde_json::json!(5),
        serde_json::json!({}),
        serde_json::json!({"goods": [1, {"colour": 2, "gross_weight_kg": "5"}], "number": {"a": 1}}),
    ] {
        let report = validate_value(&v);
        assert!(!report.is_valid(), "{v}");
        assert!(report.findings.iter().all(|f| f.code.starts_with("structure.")), "{v}: {:?}", report.findings);
    }
    let required = validate_value(&serde_json::json!({}));
    let missing: Vec<&str> = required.findings.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        missing,
        [
            "/number",
            "/established",
            "/sender",
            "/consignee",
            "/carrier",
            "/taking_over",
            "/delivery",
            "/goods",
            "/paramount_statement"
        ]
    );
}

/// A member written twice cannot live in a JSON value; the text check still reports it.
#[test]
fn a_repeated_member_is_reported_from_the_text() {
    let text = read("../../examples/domestic-pallets.json").replacen("{\n", "{\n  \"number\": \"X-0\",\n", 1);
    let report = validate_json(&text).unwrap();
    let got: Vec<(&str, &str)> = report.findings.iter().map(|f| (f.code.as_str(), f.path.as_str())).collect();
    assert_eq!(got, [("structure.invalid", "/number")]);
    assert!(report.findings[0].message.contains("duplicate"), "{}", report.findings[0].message);
}

/// Each note the schema and parser refuse gets a finding at the place the parser names.
#[test]
fn schema_invalid_vectors_are_found_where_the_parser_stops() {
    let dir = format!("{}/tests/vectors/schema-invalid", env!("CARGO_MANIFEST_DIR"));
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let vector: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let at = vector["parser_error_at"].as_str().unwrap();
        let report = validate_value(&vector["note"]);
        assert!(
            report.errors().any(|f| f.path == at || (at.is_empty() && f.code == "structure.missing")),
            "{}: no error at {at:?}: {:?}",
            path.display(),
            report.findings
        );
        seen += 1;
    }
    assert!(seen >= 6);
}

fn xsd_codes(file: &str, len: usize) -> BTreeSet<String> {
    let path = format!("{}/../../../shared/efti-ri/xsd/codes/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.split("enumeration value=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .filter(|c| c.len() == len)
        .map(str::to_owned)
        .collect()
}

fn data_codes(file: &str) -> BTreeSet<String> {
    read(&format!("data/{file}"))
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

#[test]
fn country_list_matches_efti_code_list() {
    let ours = data_codes("iso3166-1.txt");
    let efti = xsd_codes("ISO_ISOTwo-letterCountryCode_SecondEdition2006.xsd", 2);
    assert_eq!(ours.len(), 249);
    assert_eq!(ours, efti);
    for c in &ours {
        assert!(ecmr::validate::is_known_country(c));
    }
}

#[test]
fn currency_list_is_efti_list_with_later_iso_amendments() {
    let ours = data_codes("iso4217.txt");
    let efti = xsd_codes("ISO_ISO3AlphaCurrencyCode_2012-08-31.xsd", 3);
    let added: BTreeSet<_> = ours.difference(&efti).cloned().collect();
    let withdrawn: BTreeSet<_> = efti.difference(&ours).cloned().collect();
    // XCG replaced ANG (2025), ZWG replaced ZWL (2024).
    assert_eq!(added, ["XCG", "ZWG"].map(String::from).into());
    assert_eq!(withdrawn, ["ANG", "ZWL"].map(String::from).into());
    for c in &ours {
        assert!(ecmr::validate::is_known_currency(c));
    }
}

mod arbitrary_text {
    use super::*;
    use proptest::prelude::*;

    /// Fields that take free text or codes; any string there must neither panic validation nor rendering.
    const TEXT_FIELDS: &[&str] = &[
        "/number",
        "/established/country",
        "/sender/address/country",
        "/sender/contact/email",
        "/taking_over/location/unlocode",
        "/goods/0/nature_of_goods",
        "/goods/0/statistical_number",
        "/goods/0/packing/code",
        "/charges/0/amount/currency",
        "/transport/mode_code",
        "/transport/vehicles/0/registration",
        "/paramount_statement",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn any_text_in_any_field_is_reported_not_panicked(
            field in 0..TEXT_FIELDS.len(),
            text in any::<String>(),
            un in "\\PC{0,6}",
            class in "\\PC{0,5}",
            key in "[A-Za-z0-9_=+/-]{40,45}",
        ) {
            let mut doc = example();
            apply(&mut doc, &Edit { pointer: TEXT_FIELDS[field].to_owned(), value: Value::from(text) }, "prop");
            apply(&mut doc, &Edit { pointer: "/sender/public_keys".to_owned(), value: Value::from(vec![key]) }, "prop");
            let dg = serde_json::json!({ "un_number": un, "proper_shipping_name": "X", "class": class });
            apply(&mut doc, &Edit { pointer: "/goods/0/dangerous_goods".to_owned(), value: dg }, "prop");
            let note = ecmr::json::from_str(&doc.to_string()).unwrap();
            let report = validate(&note);
            for f in &report.findings {
                let parent = f.path.rsplit_once('/').map_or("", |(p, _)| p);
                prop_assert!(doc.pointer(&f.path).is_some() || doc.pointer(parent).is_some(), "{}", f.path);
            }
            let out = ecmr::render::text(&note);
            prop_assert!(out.contains("24 Goods received"));
        }
    }
}

mod any_shape {
    use super::*;
    use proptest::prelude::*;

    /// Every pointer into the example, containers and leaves alike.
    fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => m.iter().for_each(|(k, c)| pointers(c, format!("{at}/{k}"), out)),
            Value::Array(a) => a.iter().enumerate().for_each(|(i, c)| pointers(c, format!("{at}/{i}"), out)),
            _ => {}
        }
        out.push(at);
    }

    fn any_json() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            (-1e6f64..1e6).prop_map(Value::from),
            "\\PC{0,8}".prop_map(Value::from),
            Just(serde_json::json!([])),
            Just(serde_json::json!({})),
            Just(serde_json::json!([{"x": 1}])),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        /// Any value anywhere: no panic; a note that does not read is never valid and gets a `structure.*`
        /// error; one that reads gets exactly what `validate` says; every finding points into the value.
        #[test]
        fn any_value_anywhere_is_reported(pick in any::<prop::sample::Index>(), value in any_json()) {
            let mut doc = example();
            let mut all = Vec::new();
            pointers(&doc, String::new(), &mut all);
            let pointer = pick.get(&all).clone();
            if pointer.is_empty() {
                doc = value;
            } else {
                apply(&mut doc, &Edit { pointer, value }, "any");
            }
            let report = validate_value(&doc);
            match ecmr::json::from_str(&doc.to_string()) {
                Ok(note) => prop_assert_eq!(&report, &validate(&note)),
                Err(_) => prop_assert!(report.errors().any(|f| f.code.starts_with("structure."))),
            }
            for f in &report.findings {
                let parent = f.path.rsplit_once('/').map_or("", |(p, _)| p);
                prop_assert!(doc.pointer(&f.path).is_some() || doc.pointer(parent).is_some(), "{}", f.path);
            }
        }
    }
}

#[test]
fn equipment_categories_match_efti_code_list() {
    let ours = data_codes("unece-8053.txt");
    let efti: BTreeSet<String> = ["TransportEquipmentCategoryCode_D23A"]
        .iter()
        .flat_map(|f| (2..=3).flat_map(move |n| xsd_codes(&format!("UNECE_{f}.xsd"), n)))
        .collect();
    assert_eq!(ours, efti);
    assert!(ecmr::validate::is_known_equipment_category("TE") && !ecmr::validate::is_known_equipment_category("te"));
}
