//! Reading the full common dataset back (`Consignment::from_xml`): every example and any generated note round-trip
//! exactly, every subset answered from the read-back dataset equals the one projected from the signed document,
//! and damaged or foreign XML is refused with a located message (cases in `tests/data/efti-dataset-refusals.json`).

mod support;

use ecmr::efti::{self, Consignment, Subsets, table};
use proptest::prelude::*;
use support::vectors;

/// The projection of the complete-lifecycle signed document of every example note.
fn examples() -> Vec<(String, Consignment)> {
    let mut out = Vec::new();
    for (name, bytes) in vectors::documents() {
        if !name.starts_with("complete-") {
            continue;
        }
        let doc = ecmr::verify::verify(&bytes, None).unwrap_or_else(|e| panic!("{name}: {:?}", e.report.failures));
        out.push((name, efti::project(&doc).expect("a verified document projects")));
    }
    assert!(out.len() >= 4, "one complete document per example note");
    out
}

/// `full`, `identifier`, every subset id the XSD defines alone, and a few combinations.
fn all_requests() -> Vec<Subsets> {
    let mut out = vec![Subsets::Full, Subsets::Identifier];
    out.extend(table::SUBSET_IDS.iter().map(|s| Subsets::parse([*s]).expect("known subset id")));
    for combo in
        [&["EU01", "EU02"][..], &["EU03", "EU05a", "EU06"], &["identifier", "EU01"], &["NL01", "BE02", "DE03a"]]
    {
        out.push(Subsets::parse(combo.iter().copied()).expect("known subset ids"));
    }
    out
}

#[test]
fn every_example_reads_back_and_answers_every_subset_alike() {
    let requests = all_requests();
    let mut compared = 0;
    for (name, c) in examples() {
        let full = c.to_xml(&Subsets::Full);
        let back = Consignment::from_xml(&full).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(back, c, "{name}: the read-back dataset differs");
        for r in &requests {
            assert_eq!(back.to_xml(r), c.to_xml(r), "{name}: subset {r:?} differs");
            compared += 1;
        }
    }
    assert!(compared > 4 * 100, "{compared} comparisons");
}

#[test]
fn damaged_or_foreign_xml_is_refused_with_place_and_reason() {
    let (_, c) = examples().into_iter().find(|(n, _)| n.contains("domestic-pallets")).expect("domestic example");
    let full = c.to_xml(&Subsets::Full);
    let cases = vectors::refusal_cases("efti-dataset-refusals.json");
    assert!(cases.len() >= 15);
    for case in &cases {
        let name = case["name"].as_str().expect("name");
        let damaged = vectors::damaged(&full, case);
        let err = Consignment::from_xml(&damaged).expect_err(name);
        let message = case["message"].as_str().expect("message");
        assert!(err.message.contains(message), "{name}: {err}");
        assert!(err.line >= 1 && err.column >= 1, "{name}: {err}");
        if let Some(path) = case["path"].as_str() {
            assert_eq!(err.path, path, "{name}");
        }
        if let Some(prefix) = case["path_prefix"].as_str() {
            assert!(err.path.starts_with(prefix), "{name}: {}", err.path);
        }
    }
}

#[test]
fn elements_out_of_the_xsd_order_are_refused() {
    let (_, c) = examples().into_iter().find(|(n, _)| n.contains("domestic-pallets")).expect("domestic example");
    let full = c.to_xml(&Subsets::Full);
    // Move the consignee (sequence index after the consignor) in front of everything.
    let start = full.find("  <consignee>").expect("consignee");
    let end = full.find("</consignee>\n").expect("consignee end") + "</consignee>\n".len();
    let consignee = &full[start..end];
    let without = format!("{}{}", &full[..start], &full[end..]);
    let root_end = without.find("common\">\n").expect("root start") + "common\">\n".len();
    let moved = format!("{}{}{}", &without[..root_end], consignee, &without[root_end..]);
    let err = Consignment::from_xml(&moved).expect_err("out of order");
    assert!(err.message.contains("out of the XSD's order"), "{err}");
}

#[test]
fn the_read_back_text_is_kept_exactly() {
    let (_, c) = examples().into_iter().next().expect("an example");
    let full = c.to_xml(&Subsets::Full);
    let city = full.find("<cityName>").expect("a city") + "<cityName>".len();
    let odd = format!("{} a &amp; b &lt; c  {}", &full[..city], &full[city..]);
    let back = Consignment::from_xml(&odd).expect("still a dataset");
    assert!(back.to_xml(&Subsets::Full).contains("<cityName> a &amp; b &lt; c  "));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Any note's projection reads back as itself.
    #[test]
    fn any_projection_reads_back(note in support::strategies::note()) {
        let c = efti::project_parts(&note, &[]).expect("projects");
        let back = Consignment::from_xml(&c.to_xml(&Subsets::Full));
        prop_assert_eq!(back, Ok(c));
    }

    /// Damaged text never panics the reader.
    #[test]
    fn damaged_text_never_panics(cut in 0usize..4000, byte in any::<u8>(), at in 0usize..4000) {
        let (_, c) = examples().into_iter().next().expect("an example");
        let mut bytes = c.to_xml(&Subsets::Full).into_bytes();
        if let Some(b) = bytes.get_mut(at) {
            *b = byte;
        }
        bytes.truncate(cut.max(1));
        let text = String::from_utf8_lossy(&bytes);
        let _ = Consignment::from_xml(&text);
    }
}
