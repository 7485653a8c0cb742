//! The eFTI identifier dataset: the reference examples parse, hostile and invalid inputs are refused with
//! their place, our own projections read back unchanged, and the identifier search (table-driven over the
//! reference examples) agrees with a lookup over the index rows.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use ecmr::efti::identifiers::{
    self, CarriedEquipment, DateTime, DateTimeFormat, Identifier, IdentifierConsignment, TransportEquipment,
    TransportEvent, TransportMeans, TransportMovement,
};
use ecmr::efti::search::{self, IdentifierQuery, IdentifierType, QueryError};
use ecmr::efti::{self, Subsets, table};
use proptest::collection::vec;
use proptest::option::of;
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::Value;

const RI_EXAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/efti-ri/xsd/examples");
const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");
const REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn ri(name: &str) -> String {
    read(&format!("{RI_EXAMPLES}/{name}"))
}

fn parse_ok(name: &str, xml: &str) -> IdentifierConsignment {
    identifiers::parse(xml).unwrap_or_else(|e| panic!("{name}: {e}"))
}

// ---- the reference examples ----

#[test]
fn reference_identifier_examples_parse() {
    for (file, legs, equipment) in [
        ("consignment-identifiers-one-leg.xml", 1, 1),
        ("consignment-identifiers-two-legs.xml", 2, 1),
        ("consignment-identifiers-three-legs.xml", 3, 2),
        ("consignment-identifiers-four-legs.xml", 4, 3),
        ("consignment.xml", 1, 1),
    ] {
        let c = parse_ok(file, &ri(file));
        assert_eq!(c.main_carriage_transport_movements.len(), legs, "{file}");
        assert_eq!(c.used_transport_equipment.len(), equipment, "{file}");
        assert!(c.carrier_acceptance_date_time.is_some(), "{file}");
    }
}

#[test]
fn four_legs_values() {
    let c = parse_ok("four-legs", &ri("consignment-identifiers-four-legs.xml"));
    let acceptance = c.carrier_acceptance_date_time.as_ref().expect("acceptance");
    assert_eq!((acceptance.value.as_str(), acceptance.format), ("202410220000", DateTimeFormat::DateTimeOffset));
    let delivered = c.delivery_event.as_ref().and_then(|d| d.actual_occurrence_date_time.as_ref()).expect("delivery");
    assert_eq!(delivered.value, "202410230000");
    let legs: Vec<(&str, &str, bool, &str)> = c
        .main_carriage_transport_movements
        .iter()
        .map(|m| {
            let means = m.used_transport_means.as_ref().expect("means");
            let id = means.id.as_ref().map_or("", |i| i.value.as_str());
            (id, m.mode_code.as_str(), m.dangerous_goods_indicator, means.registration_country.as_str())
        })
        .collect();
    assert_eq!(
        legs,
        [
            ("ABC-125", "3", false, "FI"),
            ("BB12", "4", true, "FI"),
            ("ABC-124", "3", false, "FI"),
            ("ABC-123", "3", false, "FI")
        ]
    );
    let trailer = c.used_transport_equipment.get(2).expect("third equipment");
    assert_eq!(trailer.id.as_ref().map(|i| i.value.as_str()), Some("4321-1"));
    assert_eq!(trailer.category_code.as_deref(), Some("AE"));
    assert_eq!(trailer.sequence_number, Some(1));
    let carried: Vec<(Option<&str>, Option<i64>)> = trailer
        .carried_transport_equipment
        .iter()
        .map(|ce| (ce.id.as_ref().map(|i| i.value.as_str()), ce.sequence_number))
        .collect();
    assert_eq!(carried, [(Some("1234-1"), Some(1)), (Some("1234-2"), Some(2))]);
}

#[test]
fn scheme_agency_and_lexical_forms() {
    let c = parse_ok("consignment.xml", &ri("consignment.xml"));
    let e = c.used_transport_equipment.first().expect("equipment");
    assert_eq!(e.id.as_ref().and_then(|i| i.scheme_agency_id.as_deref()), Some("20"));
    assert_eq!(c.carrier_acceptance_date_time.as_ref().map(|d| d.format), Some(DateTimeFormat::DateTime));

    let m = parse_ok("mixed", &read(&format!("{DATA}/efti-identifiers-mixed.xml")));
    let ship = m.main_carriage_transport_movements.get(1).expect("second leg");
    assert!(ship.dangerous_goods_indicator, "xsd:boolean `1` is true");
    assert_eq!(ship.used_transport_means.as_ref().and_then(|t| t.id.as_ref()).map(|i| i.value.as_str()), Some("ship7"));
    assert_eq!(m.main_carriage_transport_movements.get(2).and_then(|l| l.used_transport_means.as_ref()), None);
    assert_eq!(m.used_transport_equipment.get(1).and_then(|e| e.sequence_number), Some(2), "`+002` is 2");
    assert_eq!(m.used_transport_equipment.get(2).and_then(|e| e.id.as_ref()), None);
    // 2 means; 2 equipment ids and 1 carried id × the 2 distinct (mode, DG) legs; the unnamed equipment has none.
    assert_eq!(search::index_keys(&m).len(), 2 + 3 * 2);
}

// ---- refused inputs ----

#[test]
fn hostile_and_invalid_inputs_are_refused_with_their_place() {
    let dir = format!("{DATA}/efti-identifier-hostile");
    let expected: BTreeMap<String, Value> =
        serde_json::from_str(&read(&format!("{dir}/expected.json"))).expect("expected.json");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .expect("hostile directory")
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str().map(str::to_owned))
        .filter(|n| n.ends_with(".xml"))
        .collect();
    files.sort();
    assert_eq!(files, expected.keys().cloned().collect::<Vec<_>>(), "every file has an expectation and vice versa");
    for name in files {
        let err = identifiers::parse(&read(&format!("{dir}/{name}"))).expect_err(&name);
        let want = &expected[&name];
        let got = serde_json::json!({
            "line": err.line, "column": err.column, "path": err.path, "message": err.message,
        });
        assert_eq!(&got, want, "{name}: {err}");
        let shown = err.to_string();
        assert!(shown.contains(&format!("line {}", err.line)), "{shown}");
    }
}

#[test]
fn oversized_input_is_refused_before_parsing() {
    let pad = " ".repeat(ecmr::xml::MAX_XML_BYTES);
    let xml = format!("<consignment xmlns=\"{}\">{pad}</consignment>", efti::IDENTIFIER_NAMESPACE);
    let err = identifiers::parse(&xml).expect_err("too large");
    assert!(err.message.contains("bytes"), "{err}");
    assert_eq!((err.line, err.column), (1, 1));
}

#[test]
fn the_smallest_dataset_is_an_empty_consignment() {
    let xml = format!("<consignment xmlns=\"{}\"/>", efti::IDENTIFIER_NAMESPACE);
    assert_eq!(identifiers::parse(&xml), Ok(IdentifierConsignment::default()));
    let err = identifiers::parse("<consignment/>").expect_err("no namespace");
    assert!(err.path.is_empty() && err.to_string().contains("the document"), "{err}");
}

// ---- our own documents ----

fn example_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(format!("{REPO}/examples"))
        .expect("examples directory")
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.strip_suffix(".json")).map(str::to_owned))
        .collect();
    names.sort();
    names
}

#[test]
fn every_example_document_reads_back_from_its_identifier_xml() {
    let names = example_names();
    assert!(!names.is_empty());
    for name in names {
        let path = format!("{REPO}/tests/vectors/documents/complete-{name}.json");
        let vector: Value = serde_json::from_str(&read(&path)).expect("vector is JSON");
        let bytes = serde_json::to_vec(&vector["document"]).expect("document serialises");
        let doc = ecmr::verify::verify(&bytes, None).unwrap_or_else(|e| panic!("{path}: {:?}", e.report.failures));
        let from_doc = identifiers::from_document(&doc).expect("projects");
        let xml = efti::project(&doc).expect("projects").to_xml(&Subsets::Identifier);
        assert_eq!(parse_ok(&name, &xml), from_doc, "{name}");
        assert!(from_doc.carrier_acceptance_date_time.is_some(), "{name}: taken over");
        assert!(from_doc.delivery_event.is_some(), "{name}: delivered");
        assert!(!search::index_keys(&from_doc).is_empty() || from_doc.main_carriage_transport_movements.is_empty());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// The identifier XML of any projected note parses back to the same dataset as the projection's.
    #[test]
    fn any_projection_reads_back_from_its_identifier_xml(note in support::strategies::note()) {
        let c = efti::project_parts(&note, &[]).expect("projects");
        let xml = c.to_xml(&Subsets::Identifier);
        let parsed = identifiers::parse(&xml);
        prop_assert!(parsed.is_ok(), "{:?}\n{}", parsed, xml);
        let typed = identifiers::from_projection(&c);
        prop_assert_eq!(parsed.ok(), Some(typed.clone()));
        prop_assert_eq!(typed.to_xml(), xml, "the typed dataset writes the projection's identifier XML");
    }

    /// Any valid dataset is written and read back unchanged.
    #[test]
    fn any_dataset_reads_back_from_its_xml(c in dataset()) {
        let xml = c.to_xml();
        let parsed = identifiers::parse(&xml);
        prop_assert_eq!(parsed.as_ref().ok(), Some(&c), "{:?}\n{}", parsed, xml);
    }

    /// Searching a projected note finds each of its vehicles by registration, as the index does.
    #[test]
    fn projected_vehicles_are_found(note in support::strategies::note()) {
        let c = identifiers::from_projection(&efti::project_parts(&note, &[]).expect("projects"));
        let keys = search::index_keys(&c);
        for m in &c.main_carriage_transport_movements {
            let Some(id) = m.used_transport_means.as_ref().and_then(|t| t.id.as_ref()) else { continue };
            let wanted = search::normalise(&id.value);
            if wanted.is_empty() || wanted.len() > 17 || !wanted.bytes().all(|b| b.is_ascii_alphanumeric()) {
                continue;
            }
            let mut q = IdentifierQuery::new(wanted.to_lowercase());
            q.identifier_types = vec![IdentifierType::Means];
            q.mode_code = Some(m.mode_code.clone());
            prop_assert!(q.validate().is_ok());
            prop_assert!(search::matches(&c, &q));
            prop_assert!(keys.iter().any(|k| k.selects(&q)));
        }
    }
}

fn identifier() -> impl Strategy<Value = Identifier> {
    (prop_oneof!["[ -~]{0,17}", "\\PC{0,17}", "[A-Z0-9-]{1,12}"], of("[A-Za-z0-9]{0,5}"))
        .prop_map(|(value, scheme_agency_id)| Identifier { value, scheme_agency_id })
}

fn date_time() -> impl Strategy<Value = DateTime> {
    ("[0-9+-]{8,20}", select(vec![DateTimeFormat::Date, DateTimeFormat::DateTime, DateTimeFormat::DateTimeOffset]))
        .prop_map(|(value, format)| DateTime { value, format })
}

fn country() -> impl Strategy<Value = String> {
    select(table::COUNTRY_CODES).prop_map(str::to_owned)
}

fn sequence() -> impl Strategy<Value = Option<i64>> {
    of(-9_999_999_999_999_999i64..=9_999_999_999_999_999)
}

fn dataset() -> impl Strategy<Value = IdentifierConsignment> {
    let movement = (any::<bool>(), select(table::TRANSPORT_MODE_CODES), of((of(identifier()), country()))).prop_map(
        |(dg, mode, means)| TransportMovement {
            dangerous_goods_indicator: dg,
            mode_code: mode.to_owned(),
            used_transport_means: means.map(|(id, registration_country)| TransportMeans { id, registration_country }),
        },
    );
    let carried =
        (of(identifier()), sequence()).prop_map(|(id, sequence_number)| CarriedEquipment { id, sequence_number });
    let equipment =
        (vec(carried, 0..3), of(select(table::EQUIPMENT_CATEGORY_CODES)), of(identifier()), country(), sequence())
            .prop_map(|(carried, category, id, registration_country, sequence_number)| TransportEquipment {
                carried_transport_equipment: carried,
                category_code: category.map(str::to_owned),
                id,
                registration_country,
                sequence_number,
            });
    (of(date_time()), of(of(date_time())), vec(movement, 0..4), vec(equipment, 0..4)).prop_map(
        |(acceptance, delivery, movements, equipment)| IdentifierConsignment {
            carrier_acceptance_date_time: acceptance,
            delivery_event: delivery.map(|actual_occurrence_date_time| TransportEvent { actual_occurrence_date_time }),
            main_carriage_transport_movements: movements,
            used_transport_equipment: equipment,
        },
    )
}

#[test]
fn reference_examples_read_back_from_their_own_xml() {
    for file in [
        "consignment-identifiers-one-leg.xml",
        "consignment-identifiers-two-legs.xml",
        "consignment-identifiers-three-legs.xml",
        "consignment-identifiers-four-legs.xml",
        "consignment.xml",
    ] {
        let c = parse_ok(file, &ri(file));
        assert_eq!(identifiers::parse(&c.to_xml()).as_ref(), Ok(&c), "{file}");
    }
}

// ---- agreement with the XSD (xmllint, when installed) ----

const IDENTIFIER_XSD: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/efti-ri/xsd/consignment-identifier.xsd");

/// Whether xmllint accepts `file` against the identifier XSD; `None` without xmllint.
fn xsd_valid(file: &Path) -> Option<bool> {
    let out = Command::new("xmllint")
        .arg("--noout")
        .arg("--nonet")
        .arg("--schema")
        .arg(IDENTIFIER_XSD)
        .arg(file)
        .output()
        .ok()?;
    Some(out.status.success())
}

/// Refused on purpose although the XSD allows them: processing instructions are never accepted.
const HOSTILE_BUT_SCHEMA_VALID: &[&str] = &["processing-instruction.xml"];

#[test]
fn the_reader_agrees_with_the_xsd() {
    if xsd_valid(Path::new(IDENTIFIER_XSD)).is_none() {
        eprintln!("skipped: xmllint not available; install libxml2-utils");
        return;
    }
    let dir = format!("{DATA}/efti-identifier-hostile");
    for entry in std::fs::read_dir(&dir).expect("hostile directory").filter_map(|e| e.ok()) {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".xml") {
            continue;
        }
        let valid = xsd_valid(&entry.path()) == Some(true);
        assert_eq!(valid, HOSTILE_BUT_SCHEMA_VALID.contains(&name.as_str()), "{name}: xmllint says valid = {valid}");
    }
    assert_eq!(xsd_valid(Path::new(&format!("{DATA}/efti-identifiers-mixed.xml"))), Some(true));

    let tmp = std::env::temp_dir().join(format!("ecmr-efti-identifiers-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).expect("temp dir");
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = dataset();
    let mut files: Vec<PathBuf> = Vec::new();
    for i in 0..40 {
        let c = proptest::strategy::ValueTree::current(&strategy.new_tree(&mut runner).expect("a dataset"));
        let path = tmp.join(format!("dataset{i}.xml"));
        std::fs::write(&path, c.to_xml()).expect("write");
        files.push(path);
    }
    for f in &files {
        assert_eq!(xsd_valid(f), Some(true), "{}", read(&f.to_string_lossy()));
    }
    let _ = std::fs::remove_dir_all(&tmp);
}

// ---- search ----

fn query_from(v: &Value) -> Result<IdentifierQuery, QueryError> {
    let types: Vec<&str> =
        v["identifierType"].as_array().map_or(Vec::new(), |a| a.iter().filter_map(Value::as_str).collect());
    IdentifierQuery::from_request(
        v["identifier"].as_str(),
        &types,
        v["modeCode"].as_str(),
        v["registrationCountryCode"].as_str(),
        v["dangerousGoodsIndicator"].as_bool(),
    )
}

fn cases() -> Value {
    serde_json::from_str(&read(&format!("{DATA}/identifier-search-cases.json"))).expect("cases JSON")
}

fn datasets(cases: &Value) -> BTreeMap<String, IdentifierConsignment> {
    let map = cases["datasets"].as_object().expect("datasets");
    map.iter()
        .map(|(name, src)| {
            let src = src.as_str().expect("dataset source");
            let xml = match src.split_once(':') {
                Some(("ri", f)) => ri(f),
                Some(("data", f)) => read(&format!("{DATA}/{f}")),
                _ => panic!("unknown dataset source {src}"),
            };
            (name.clone(), parse_ok(name, &xml))
        })
        .collect()
}

#[test]
fn search_cases_over_the_reference_examples() {
    let cases = cases();
    let sets = datasets(&cases);
    let list = cases["cases"].as_array().expect("cases");
    let (mut positive, mut negative) = (0, 0);
    for case in list {
        let name = case["name"].as_str().expect("name");
        let c = &sets[case["dataset"].as_str().expect("dataset")];
        let q = query_from(&case["query"]).unwrap_or_else(|e| panic!("{name}: query refused: {}", e.code()));
        let want = case["matches"].as_bool().expect("matches");
        assert_eq!(search::matches(c, &q), want, "{name}");
        let keys = search::index_keys(c);
        assert_eq!(keys.iter().any(|k| k.selects(&q)), want, "{name}: index lookup");
        if want { positive += 1 } else { negative += 1 }
    }
    assert!(positive >= 20 && negative >= 20, "{positive} positive, {negative} negative cases");
}

#[test]
fn invalid_queries_get_the_reference_error_codes() {
    let cases = cases();
    for case in cases["invalid"].as_array().expect("invalid") {
        let want = case["error"].as_str().expect("error");
        let err = query_from(&case["query"]).expect_err(want);
        assert_eq!(err.code(), want, "{}", case["query"]);
        assert!(!err.to_string().is_empty());
    }
    // A query built directly is validated the same way.
    let mut q = IdentifierQuery::new("ABC123");
    assert_eq!(q.validate(), Ok(()));
    q.mode_code = Some("10".into());
    assert_eq!(q.validate(), Err(QueryError::ModeCodeIncorrectFormat));
    q.mode_code = Some("9".into());
    q.registration_country_code = Some("EU".into());
    assert_eq!(q.validate().map_err(|e| e.code()), Err("REGISTRATION_COUNTRY_INCORRECT"));
}

/// Every query the cases use, and variants of each with every type list and filter combination, selects the
/// same consignments through `matches` and through the index rows.
#[test]
fn matches_agrees_with_the_index_for_every_case_and_variant() {
    let cases = cases();
    let sets = datasets(&cases);
    let type_lists: [&[IdentifierType]; 5] = [
        &[],
        &[IdentifierType::Means],
        &[IdentifierType::Equipment],
        &[IdentifierType::Carried],
        &[IdentifierType::Equipment, IdentifierType::Carried],
    ];
    let mut checked = 0;
    for case in cases["cases"].as_array().expect("cases") {
        let base = query_from(&case["query"]).expect("valid");
        for c in sets.values() {
            let keys = search::index_keys(c);
            let mut sorted = keys.clone();
            sorted.sort();
            sorted.dedup();
            assert_eq!(keys, sorted, "rows are sorted and unique");
            for types in type_lists {
                for mode in [None, Some("1"), Some("3"), Some("4")] {
                    for country in [None, Some("FI"), Some("DE"), Some("NL"), Some("AD"), Some("BA"), Some("CA")] {
                        for dg in [None, Some(true), Some(false)] {
                            let q = IdentifierQuery {
                                identifier: base.identifier.clone(),
                                identifier_types: types.to_vec(),
                                mode_code: mode.map(str::to_owned),
                                registration_country_code: country.map(str::to_owned),
                                dangerous_goods_indicator: dg,
                            };
                            assert_eq!(search::matches(c, &q), keys.iter().any(|k| k.selects(&q)), "{q:?} on {c:?}");
                            checked += 1;
                        }
                    }
                }
            }
        }
    }
    assert!(checked > 10_000, "{checked}");
}

#[test]
fn index_rows_of_the_four_leg_example() {
    let c = parse_ok("four-legs", &ri("consignment-identifiers-four-legs.xml"));
    let keys = search::index_keys(&c);
    let means: Vec<_> = keys.iter().filter(|k| k.identifier_type == IdentifierType::Means).collect();
    assert_eq!(means.len(), 4);
    let bb12 = means.iter().find(|k| k.identifier == "BB12").expect("BB12 row");
    assert_eq!(
        (bb12.registration_country.as_str(), bb12.mode_code.as_deref(), bb12.dangerous_goods_indicator),
        ("FI", Some("4"), Some(true))
    );
    // Equipment rows: one per distinct (mode, DG) of the legs, here (3, false) and (4, true).
    let trailer: Vec<_> = keys.iter().filter(|k| k.identifier == "43211").collect();
    assert_eq!(trailer.len(), 2);
    assert!(trailer.iter().all(|k| k.identifier_type == IdentifierType::Equipment));
    let carried = keys.iter().filter(|k| k.identifier_type == IdentifierType::Carried).count();
    assert_eq!(carried, 4, "two carried containers × two distinct legs");
    assert!(
        keys.iter().filter(|k| k.identifier_type == IdentifierType::Carried).all(|k| k.registration_country.is_empty()),
        "carried equipment has no registration country"
    );
    // 4 means + 3 equipment × 2 + 2 carried × 2.
    assert_eq!(keys.len(), 4 + 6 + 4);
}

#[test]
fn equipment_of_a_consignment_without_legs_has_no_movement_values() {
    let xml = format!(
        "<consignment xmlns=\"{}\"><usedTransportEquipment><id>C-1</id><registrationCountry><code>SE</code>\
         </registrationCountry></usedTransportEquipment></consignment>",
        efti::IDENTIFIER_NAMESPACE
    );
    let c = parse_ok("no legs", &xml);
    let keys = search::index_keys(&c);
    assert_eq!(keys.len(), 1);
    assert_eq!((keys[0].mode_code.as_deref(), keys[0].dangerous_goods_indicator), (None, None));
    assert!(search::matches(&c, &IdentifierQuery::new("c1")));
    let mut q = IdentifierQuery::new("c1");
    q.dangerous_goods_indicator = Some(false);
    assert!(!search::matches(&c, &q));
    assert!(!search::matches(&c, &IdentifierQuery::new("")), "an empty identifier matches nothing");
    assert!(!search::matches(&c, &IdentifierQuery::new("--")), "nor one that normalises to nothing");
}

/// An inspector types a plate as painted: spaces, hyphens and dots are accepted and ignored, counted neither in
/// the length nor in the comparison; any other character is still refused.
#[test]
fn identifiers_are_accepted_as_typed() {
    for typed in ["4821 LMN", "12-BXL-4", "ab.123.cd", " ABC-123 ", "A-B-C-D-E-F-G-H-I-1-2-3-4-5-6-7-8"] {
        let q = IdentifierQuery::from_request(Some(typed), &[] as &[&str], None, None, None)
            .unwrap_or_else(|e| panic!("{typed:?} refused: {}", e.code()));
        assert_eq!(q.validate(), Ok(()), "{typed:?}");
        assert_eq!(IdentifierQuery::new(typed).validate(), Ok(()), "{typed:?}");
    }
    for (typed, code) in [
        ("4821_LMN", "IDENTIFIER_INCORRECT_FORMAT"),
        ("12/BXL/4", "IDENTIFIER_INCORRECT_FORMAT"),
        ("ab:123", "IDENTIFIER_INCORRECT_FORMAT"),
        ("AB\u{a0}123", "IDENTIFIER_INCORRECT_FORMAT"),
        ("AB\u{2010}123", "IDENTIFIER_INCORRECT_FORMAT"),
        ("-", "IDENTIFIER_MISSING"),
        ("ABCDEFGHIJ1234567-8", "IDENTIFIER_TOO_LONG"),
    ] {
        let err = IdentifierQuery::new(typed).validate().expect_err(typed);
        assert_eq!(err.code(), code, "{typed:?}");
    }
    let xml = format!(
        "<consignment xmlns=\"{}\"><usedTransportEquipment><id>4821LMN</id><registrationCountry><code>BE</code>\
         </registrationCountry></usedTransportEquipment></consignment>",
        efti::IDENTIFIER_NAMESPACE
    );
    let c = parse_ok("plate", &xml);
    let q = IdentifierQuery::from_request(Some("4821 lmn"), &["equipment"], None, Some("BE"), None).expect("valid");
    assert!(search::matches(&c, &q));
    assert!(search::index_keys(&c).iter().any(|k| k.selects(&q)));
}

/// Characters XML 1.0 does not allow are refused, literal or as references, naming the character and its place:
/// they never reach an index row or a search answer.
#[test]
fn identifiers_with_characters_xml_forbids_are_refused() {
    for (bad, name) in support::NOT_XML {
        let xml = format!(
            "<consignment xmlns=\"{}\">\n<usedTransportEquipment><id>AB{bad}1</id><registrationCountry><code>SE</code>\
             </registrationCountry></usedTransportEquipment></consignment>",
            efti::IDENTIFIER_NAMESPACE
        );
        let err = identifiers::parse(&xml).expect_err(name);
        assert!(err.message.contains(name), "{bad:?}: {err}");
        assert_eq!((err.line, err.column), (2, 31), "{bad:?}: {err}");
    }
}
