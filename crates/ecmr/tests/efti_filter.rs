//! Subsets answered from the stored text of the full common dataset (`efti::filter_xml`): byte for byte what the
//! projection writes for every document vector that verifies and every subset request, for any generated note too;
//! damaged or foreign text is refused with a located message (cases in `tests/data/efti-filter-refusals.json`)
//! and never panics.

mod support;

use std::borrow::Cow;
use std::sync::OnceLock;

use ecmr::efti::{self, Consignment, Subsets, filter_xml, table};
use proptest::prelude::*;
use support::vectors;

/// The projection of every document vector that verifies (verified once).
fn examples() -> &'static [(String, Consignment)] {
    static EXAMPLES: OnceLock<Vec<(String, Consignment)>> = OnceLock::new();
    EXAMPLES.get_or_init(verified_examples)
}

fn verified_examples() -> Vec<(String, Consignment)> {
    let mut out = Vec::new();
    for (name, bytes) in vectors::documents() {
        if let Ok(doc) = ecmr::verify::verify(&bytes, None) {
            out.push((name, efti::project(&doc).expect("a verified document projects")));
        }
    }
    assert!(out.len() >= 5, "the complete documents and the pinned-keys one verify");
    out
}

fn example(name: &str) -> &'static Consignment {
    examples().iter().find(|(n, _)| n.contains(name)).map(|(_, c)| c).expect("example")
}

/// `full`, `identifier`, every subset id the XSD defines alone, and several combinations.
fn all_requests() -> Vec<Subsets> {
    let mut out = vec![Subsets::Full, Subsets::Identifier];
    out.extend(table::SUBSET_IDS.iter().map(|s| Subsets::parse([*s]).expect("known subset id")));
    for combo in [
        &["EU01", "EU02"][..],
        &["EU01", "EU02", "EU03"],
        &["EU03", "EU05a", "EU06"],
        &["EU05a", "EU05b", "EU05c"],
        &["identifier", "EU01"],
        &["NL01", "BE02", "DE03a"],
        &["LT02", "EL05", "HU07", "CY03"],
    ] {
        out.push(Subsets::parse(combo.iter().copied()).expect("known subset ids"));
    }
    out
}

#[test]
fn every_vector_and_request_matches_the_projection_byte_for_byte() {
    let requests = all_requests();
    assert!(requests.iter().any(|r| *r == Subsets::parse(["EU05a"]).expect("EU05a")));
    let mut compared = 0;
    let mut shorter = 0;
    for (name, c) in examples() {
        let full = c.to_xml(&Subsets::Full);
        for r in &requests {
            let filtered = filter_xml(&full, r).unwrap_or_else(|e| panic!("{name}: {r:?}: {e}"));
            let expected = c.to_xml(r);
            assert_eq!(filtered, expected, "{name}: subset {r:?} differs");
            if filtered.len() < full.len() {
                shorter += 1;
            }
            compared += 1;
        }
        assert!(matches!(filter_xml(&full, &Subsets::Full), Ok(Cow::Borrowed(t)) if t == full));
    }
    assert!(compared > 5 * 100, "{compared} comparisons");
    assert!(shorter > compared / 2, "most subsets drop something ({shorter} of {compared})");
}

#[test]
fn a_request_that_keeps_nothing_leaves_an_empty_root() {
    let c = example("domestic-pallets");
    let full = c.to_xml(&Subsets::Full);
    let empty = "<consignment xmlns=\"http://efti.eu/v1/consignment/common\"/>";
    let mut seen = 0;
    for id in table::SUBSET_IDS {
        let subsets = Subsets::parse([*id]).expect("known subset id");
        let expected = c.to_xml(&subsets);
        if expected.ends_with(empty) {
            assert_eq!(filter_xml(&full, &subsets).expect("filters"), expected, "{id}");
            seen += 1;
        }
    }
    assert!(seen > 0, "some subset has nothing of this note");
}

#[test]
fn damaged_or_foreign_text_is_refused_with_place_and_reason() {
    let full = example("domestic-pallets").to_xml(&Subsets::Full);
    let cases = vectors::refusal_cases("efti-filter-refusals.json");
    assert!(cases.len() >= 15);
    for case in &cases {
        let name = case["name"].as_str().expect("name");
        let damaged = vectors::damaged(&full, case);
        let ids: Vec<&str> = match case["subsets"].as_array() {
            Some(ids) => ids.iter().map(|v| v.as_str().expect("subset id")).collect(),
            None => vec!["EU01"],
        };
        let subsets = Subsets::parse(ids).expect("known subset ids");
        let err = filter_xml(&damaged, &subsets).expect_err(name);
        // `full` answers the text as it is, but only once it has passed the same checks.
        assert!(filter_xml(&damaged, &Subsets::Full).is_err(), "{name}: full");
        let message = case["message"].as_str().expect("message");
        assert!(err.message.contains(message), "{name}: {err}");
        assert_eq!(err.line, usize::try_from(case["line"].as_u64().expect("line")).expect("line"), "{name}: {err}");
        assert_eq!(err.column, usize::try_from(case["column"].as_u64().expect("col")).expect("col"), "{name}: {err}");
        if let Some(path) = case["path"].as_str() {
            assert_eq!(err.path, path, "{name}");
        }
    }
}

#[test]
fn oversized_input_is_refused_before_reading() {
    let full = example("domestic-pallets").to_xml(&Subsets::Full);
    let eu01 = Subsets::parse(["EU01"]).expect("EU01");
    let huge = full.replacen("<consignor>", &format!("<consignor>{}", " ".repeat(ecmr::xml::MAX_XML_BYTES)), 1);
    let err = filter_xml(&huge, &eu01).expect_err("too large");
    assert!(err.message.contains("bytes allowed"), "{err}");
    assert_eq!((err.line, err.column), (1, 1));
}

#[test]
fn kept_text_is_copied_as_it_is() {
    let full = example("domestic-pallets").to_xml(&Subsets::Full);
    let eu01 = Subsets::parse(["EU01"]).expect("EU01");
    // The first city is the place of taking over, which EU01 keeps.
    let odd = full.replacen("<cityName>Tilburg", "<cityName> a &amp; b &lt; c  Tilburg", 1);
    let filtered = filter_xml(&odd, &eu01).expect("still a dataset");
    assert_eq!(filtered, Consignment::from_xml(&odd).expect("reads").to_xml(&eu01));
    assert!(filtered.contains("<cityName> a &amp; b &lt; c  Tilburg</cityName>"), "{filtered}");
    // A character reference the writer would not have made stays as it was.
    let referenced = full.replacen("<cityName>Tilburg", "<cityName>&#x1F69A; Tilburg", 1);
    assert!(filter_xml(&referenced, &eu01).expect("filters").contains("<cityName>&#x1F69A; Tilburg</cityName>"));
}

fn arbitrary_subsets() -> impl Strategy<Value = Subsets> {
    prop::collection::btree_set(prop::sample::select(table::SUBSET_IDS), 1..5)
        .prop_map(|ids| Subsets::parse(ids).expect("known subset ids"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Any note's full dataset, filtered as text, is what the projection writes for the subsets.
    #[test]
    fn filtering_the_text_equals_filtering_the_tree(
        note in support::strategies::note(),
        subsets in arbitrary_subsets(),
    ) {
        let c = efti::project_parts(&note, &[]).expect("projects");
        let full = c.to_xml(&Subsets::Full);
        let expected = c.to_xml(&subsets);
        let filtered = filter_xml(&full, &subsets);
        prop_assert_eq!(filtered.as_deref(), Ok(expected.as_str()));
    }

    /// Damaged text never panics the filter, and whatever it answers is a dataset `from_xml` can read when the
    /// damage left the full text readable.
    #[test]
    fn damaged_text_never_panics(cut in 0usize..12000, byte in any::<u8>(), at in 0usize..12000, pick in 0usize..64) {
        let (_, c) = examples().get(pick % examples().len()).expect("an example");
        let mut bytes = c.to_xml(&Subsets::Full).into_bytes();
        if let Some(b) = bytes.get_mut(at) {
            *b = byte;
        }
        bytes.truncate(cut.max(1));
        let text = String::from_utf8_lossy(&bytes);
        let eu = Subsets::parse(["EU01", "EU02", "EU05a"]).expect("subsets");
        if let Ok(filtered) = filter_xml(&text, &eu)
            && Consignment::from_xml(&text).is_ok()
        {
            prop_assert!(Consignment::from_xml(&filtered).is_ok(), "{}", filtered);
        }
    }
}
