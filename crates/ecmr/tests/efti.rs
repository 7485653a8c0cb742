//! The eFTI projection: mapped values, XSD element order, subset filtering, the generated table against the XSDs,
//! and validation of every example's XML with xmllint. The checks against the XSDs need the XSDs (and xmllint or
//! python3): without them they are skipped with a line saying so, except under CI (`CI` set and not empty), where
//! they fail instead of passing unnoticed.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use ecmr::document::{Document, EventKind};
use ecmr::efti::{self, Consignment, Element, ElementDef, SubsetError, Subsets, table};
use ecmr::verify::Verified;
use proptest::prelude::*;

const XSD_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/efti-ri/xsd");
const REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

/// The complete-lifecycle signed document of example note `name` (`examples/NAME.json`).
fn document(name: &str) -> Verified<Document> {
    let path = format!("{REPO}/tests/vectors/documents/complete-{name}.json");
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let vector: serde_json::Value = serde_json::from_slice(&bytes).expect("vector is JSON");
    let doc = serde_json::to_vec(&vector["document"]).expect("document serialises");
    ecmr::verify::verify(&doc, None).unwrap_or_else(|e| panic!("{path}: {:?}", e.report.failures))
}

/// Every example note's name (`examples/*.json`).
fn example_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(format!("{REPO}/examples"))
        .expect("examples directory")
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.strip_suffix(".json")).map(str::to_owned))
        .collect();
    names.sort();
    names
}

fn projected(name: &str) -> Consignment {
    efti::project(&document(name)).expect("a verified document projects")
}

fn subsets(ids: &[&str]) -> Subsets {
    Subsets::parse(ids).expect("known subset ids")
}

/// `full`, `identifier` and every EU subset the common XSD defines.
fn proof_subsets() -> Vec<String> {
    let mut out = vec!["full".to_owned(), "identifier".to_owned()];
    out.extend(table::SUBSET_IDS.iter().filter(|s| s.starts_with("EU")).map(|s| (*s).to_owned()));
    out
}

/// Checks `e` (of complex type `ty`) against an XSD table: every child is declared, children follow the sequence
/// order, no element occurs more often than allowed, required children are present, simple elements have no
/// children and complex ones no text.
fn conforms(e: &Element, ty: &str, table: &'static [ElementDef], path: &str) -> Result<(), String> {
    let mut last = None;
    let mut counts = std::collections::BTreeMap::new();
    for c in &e.children {
        let here = format!("{path}/{}", c.name);
        let def = efti::lookup(table, ty, c.name).ok_or(format!("{here}: not an element of {ty}"))?;
        if last.is_some_and(|l| def.index < l) {
            return Err(format!("{here}: out of XSD order in {ty}"));
        }
        last = Some(def.index);
        let n = counts.entry(c.name).or_insert(0u32);
        *n += 1;
        if def.max.is_some_and(|m| *n > m) {
            return Err(format!("{here}: more than {:?} occurrences", def.max));
        }
        if def.ty.contains(':') {
            if !c.children.is_empty() {
                return Err(format!("{here}: simple type {} with child elements", def.ty));
            }
        } else {
            if c.text.is_some() {
                return Err(format!("{here}: complex type {} with text", def.ty));
            }
            conforms(c, def.ty, table, &here)?;
        }
    }
    for def in table.iter().filter(|d| d.parent == ty && d.min > 0) {
        if e.child(def.name).is_none() {
            return Err(format!("{path}: required {} missing", def.name));
        }
    }
    Ok(())
}

/// Every element name anywhere below `e`, as `/`-separated paths.
fn paths(e: &Element, prefix: &str, out: &mut BTreeSet<String>) {
    for c in &e.children {
        let p = if prefix.is_empty() { c.name.to_owned() } else { format!("{prefix}/{}", c.name) };
        paths(c, &p, out);
        out.insert(p);
    }
}

// ---- mapped values ----

#[test]
fn every_example_note_has_a_complete_signed_document() {
    let names = example_names();
    assert!(names.len() >= 4, "{names:?}");
    for name in names {
        let doc = document(&name);
        let note = doc.current_note_typed().expect("current note parses");
        assert!(!note.number.is_empty());
        let xml = projected(&name).to_xml(&Subsets::Full);
        assert!(xml.contains(&format!("<id>{}</id>", note.number)), "{name}: note number missing");
    }
}

#[test]
fn adr_fuel_values() {
    let c = projected("adr-fuel");
    let r = c.root();
    assert_eq!(r.text_at("transportContractDocument/id"), Some("BE-2026-ADR-07731"));
    assert_eq!(r.text_at("transportContractDocument/typeCode"), Some("730"));
    let issued = r.find("transportContractDocument/formattedIssueDateTime").expect("issue date");
    assert_eq!(issued.attribute("formatId"), Some("205"));
    assert_eq!(issued.text.as_deref(), Some("202612030545+0100"));
    // From the take-over event, not the planned date of the note.
    let acceptance = r.find("carrierAcceptanceDateTime").expect("acceptance");
    assert_eq!(acceptance.text.as_deref(), Some("202612030630+0100"));
    assert_eq!(acceptance.attribute("formatId"), Some("205"));
    assert_eq!(r.text_at("carrierAcceptanceLocation/id"), Some("BEANR"));
    assert_eq!(r.text_at("carrierAcceptanceLocation/name"), Some("Tank terminal, loading bay 4"));
    assert_eq!(r.text_at("carrierAcceptanceLocation/geographicalCoordinates/latitude"), Some("51.2985"));
    // From the delivery event.
    assert_eq!(r.text_at("deliveryEvent/actualOccurrenceDateTime"), Some("202612031400+0100"));
    assert_eq!(r.text_at("deliveryEvent/occurrenceLocation/id"), Some("DELUH"));
    assert_eq!(r.text_at("consigneeReceiptLocation/postalAddress/cityName"), Some("Ludwigshafen am Rhein"));
    assert_eq!(r.text_at("consignor/name"), Some("Scheldeterminal Antwerpen N.V."));
    assert_eq!(r.find("consignor/id").and_then(|e| e.attribute("schemeAgencyId")), Some("EORI"));
    assert_eq!(r.text_at("consignee/postalAddress/countryCode"), Some("DE"));
    assert_eq!(r.text_at("carrier/name"), Some("Kempen Tankvervoer B.V.B.A."));
    assert_eq!(r.text_at("carrier/applicableLicence/id"), Some("BE-L-0012834"));
    // Transport.
    assert_eq!(r.text_at("mainCarriageTransportMovement/modeCode"), Some("3"));
    assert_eq!(r.text_at("mainCarriageTransportMovement/dangerousGoodsIndicator"), Some("true"));
    assert_eq!(r.text_at("mainCarriageTransportMovement/usedTransportMeans/id"), Some("2-ADR-417"));
    assert_eq!(r.text_at("mainCarriageTransportMovement/usedTransportMeans/registrationCountry/code"), Some("BE"));
    assert_eq!(r.text_at("usedTransportEquipment/id"), Some("Q-ATK-558"));
    assert_eq!(r.text_at("usedTransportEquipment/categoryCode"), Some("TE"));
    assert_eq!(r.text_at("usedTransportEquipment/registrationCountry/code"), Some("BE"));
    // Dangerous goods per goods line.
    let items: Vec<&Element> = r.children_named("includedConsignmentItem").collect();
    assert_eq!(items.len(), 2);
    let dg = items[1].child("transportDangerousGoods").expect("DG of line 2");
    assert_eq!(dg.text_at("uNDGID"), Some("1098"));
    assert_eq!(dg.text_at("hazardClassificationID"), Some("6.1"));
    assert_eq!(dg.text_at("labelTypeCode"), Some("3"));
    assert_eq!(dg.text_at("packagingDangerLevelCode"), Some("I"));
    assert_eq!(dg.text_at("properShippingName"), Some("ALLYL ALCOHOL"));
    assert_eq!(dg.text_at("tunnelRestrictionCode"), Some("C/D"));
    assert_eq!(dg.find("grossWeight").and_then(|e| e.attribute("unitId")), Some("KGM"));
    assert_eq!(dg.text_at("grossWeight"), Some("4270.000"));
    assert_eq!(items[0].text_at("transportDangerousGoods/information"), Some("ENVIRONMENTALLY HAZARDOUS"));
    // Totals and the amendment (applied to the current note).
    assert_eq!(r.text_at("grossWeight"), Some("17590.000"));
    let terms: Vec<_> = r.children_named("contractTermsText").filter_map(|e| e.text.as_deref()).collect();
    assert_eq!(terms.first(), Some(&"Delivery by tail-lift agreed by telephone"));
    assert!(terms.last().is_some_and(|t| t.contains("(CMR)")));
    // A reference longer than Identifier35 is left out rather than cut.
    assert_eq!(r.children_named("associatedDocument").count(), 4);
}

#[test]
fn international_cod_values() {
    let c = projected("international-cod");
    let r = c.root();
    let cod = r.find("cODAmount").expect("COD");
    assert_eq!((cod.text.as_deref(), cod.attribute("currencyId")), (Some("18450.00"), Some("EUR")));
    let declared = r.find("declaredValueForCarriageAmount").expect("declared value");
    assert_eq!((declared.text.as_deref(), declared.attribute("currencyId")), (Some("62300.00"), Some("EUR")));
    assert_eq!(r.text_at("numberOfPackages"), Some("54"));
    assert_eq!(r.text_at("grossWeight"), Some("8316.750"));
    assert_eq!(r.text_at("mainCarriageTransportMovement/dangerousGoodsIndicator"), Some("false"));
    let types: Vec<_> =
        r.children_named("associatedDocument").filter_map(|d| d.text_at("typeCode")).collect::<Vec<_>>();
    assert_eq!(types, ["380", "271", "830"]);
    let charge = r.child("applicableServiceCharge").expect("a charge");
    assert!(charge.find("appliedAmount").and_then(|a| a.attribute("currencyId")).is_some());
    assert!(matches!(charge.text_at("payingPartyRoleCode"), Some("CZ" | "CN")));
    assert_eq!(r.children_named("includedConsignmentItem").count(), 4);
    assert_eq!(r.children_named("transportPackage").count(), 4);
}

#[test]
fn successive_carriers_values() {
    let doc = document("successive-carriers");
    let c = efti::project(&doc).expect("projects");
    let r = c.root();
    let carriers: Vec<&Element> = r.children_named("connectingCarrier").collect();
    assert_eq!(carriers.len(), 2);
    assert_eq!(carriers[0].text_at("name"), Some("Autotrasporti Giuliani S.r.l."));
    // Each successive carrier's box is dated by the hand-over it signed.
    let handed: Vec<_> = doc.get().events.iter().filter(|e| e.kind == EventKind::HandedOver).collect();
    assert_eq!(handed.len(), 2);
    for (carrier, event) in carriers.iter().zip(&handed) {
        let at = ecmr::Timestamp::parse(&event.at).expect("event time");
        let want = at.value().format("%Y%m%d%H%M%z").to_string();
        assert_eq!(carrier.text_at("confirmedDocumentAuthentication/actualDateTime"), Some(want.as_str()));
    }
    let carried = r.find("usedTransportEquipment/carriedTransportEquipment").expect("container");
    assert_eq!(carried.text_at("id"), Some("TGHU1234567"));
    assert_eq!(carried.text_at("categoryCode"), Some("CN"));
    assert_eq!(carried.text_at("sequenceNumber"), Some("1"));
    let ident = c.filtered(&Subsets::Identifier);
    assert_eq!(ident.text_at("usedTransportEquipment/carriedTransportEquipment/id"), Some("TGHU1234567"));
    assert_eq!(ident.find("usedTransportEquipment/carriedTransportEquipment/categoryCode"), None);
}

#[test]
fn domestic_pallets_values() {
    let r = projected("domestic-pallets");
    let r = r.root();
    assert_eq!(r.text_at("numberOfPackages"), Some("26"));
    assert_eq!(r.text_at("includedConsignmentItem/goodsUnitQuantity"), Some("26"));
    assert_eq!(r.text_at("transportPackage/itemQuantity"), Some("26"));
    assert_eq!(r.text_at("transportPackage/typeCode"), Some("PX"));
    assert_eq!(r.text_at("natureIdentificationCargo/statisticalClassificationCode"), Some("0403"));
    assert_eq!(r.text_at("grossWeight"), Some("12480.000"));
    assert_eq!(r.text_at("transshipmentPermittedIndicator"), Some("true"));
}

#[test]
fn before_take_over_there_is_no_acceptance_time_and_the_planned_place_is_used() {
    let doc = document("adr-fuel");
    let note = doc.current_note_typed().expect("note");
    let issued_only = &doc.get().events[..1];
    let c = efti::project_parts(&note, issued_only).expect("projects");
    let r = c.root();
    assert_eq!(r.find("carrierAcceptanceDateTime"), None);
    assert_eq!(r.find("deliveryEvent/actualOccurrenceDateTime"), None);
    assert_eq!(
        r.text_at("carrierAcceptanceLocation/postalAddress/cityName"),
        Some(note.taking_over.location.address.city.as_str())
    );
    // The expected delivery date alone stays in the full dataset but is not part of EU03's deliveryEvent.
    assert!(r.find("deliveryEvent/scheduledOccurrenceDateTime").is_some());
    assert_eq!(c.filtered(&subsets(&["EU03"])).find("deliveryEvent"), None);
    assert_eq!(c.filtered(&Subsets::Identifier).find("deliveryEvent"), None);
}

#[test]
fn codes_outside_the_xsd_lists_and_overlong_identifiers_are_left_out() {
    let doc = document("domestic-pallets");
    let mut note = doc.current_note_typed().expect("note");
    note.transport.mode_code = Some("99".into());
    note.transport.vehicles[0].country = "ZZ".into();
    note.transport.vehicles[0].registration = "A-VERY-LONG-PLATE-NUMBER".into();
    note.transport.equipment[0].category_code = Some("XX".into());
    note.transport.equipment[0].country = None;
    note.sender.name = format!("Sender\u{1}\u{FFFE} {}", "x".repeat(100));
    let c = efti::project_parts(&note, &doc.get().events).expect("projects");
    let r = c.root();
    assert_eq!(r.text_at("mainCarriageTransportMovement/modeCode"), Some(efti::ROAD));
    assert_eq!(r.find("mainCarriageTransportMovement/usedTransportMeans/id"), None);
    assert_eq!(r.find("mainCarriageTransportMovement/usedTransportMeans/registrationCountry"), None);
    assert_eq!(r.find("usedTransportEquipment/categoryCode"), None);
    let name = r.text_at("consignor/name").expect("name");
    assert_eq!(name.chars().count(), 70);
    assert!(name.starts_with("Sender x"), "{name:?}");
    // The identifier XSD requires a registration country: equipment without one is left out there only.
    assert!(r.find("usedTransportEquipment").is_some());
    assert_eq!(c.filtered(&Subsets::Identifier).find("usedTransportEquipment"), None);
}

// ---- XSD order and subsets ----

#[test]
fn projections_follow_the_xsd_sequences() {
    for name in example_names() {
        let c = projected(&name);
        conforms(c.root(), efti::ROOT_TYPE, table::COMMON, &name).unwrap_or_else(|e| panic!("{e}"));
        for s in proof_subsets() {
            let req = subsets(&[s.as_str()]);
            let t = if req == Subsets::Identifier { table::IDENTIFIER } else { table::COMMON };
            conforms(&c.filtered(&req), efti::ROOT_TYPE, t, &format!("{name} {s}")).unwrap_or_else(|e| panic!("{e}"));
        }
    }
}

#[test]
fn subset_filter_keeps_exactly_the_annotated_elements() {
    let c = projected("adr-fuel");
    let eu01 = c.filtered(&subsets(&["EU01"]));
    // consignor is annotated EU01, carrier and consignee are not.
    assert!(eu01.child("consignor").is_some());
    assert_eq!(eu01.child("carrier"), None);
    assert_eq!(eu01.child("consignee"), None);
    assert_eq!(eu01.text_at("consignor/name"), Some("Scheldeterminal Antwerpen N.V."));
    // TradeParty/confirmedDocumentAuthentication is not EU01; taxRegistration has no EU subset at all.
    assert_eq!(eu01.find("consignor/confirmedDocumentAuthentication"), None);
    assert_eq!(eu01.find("consignor/taxRegistration"), None);
    // Charges have no EU subset.
    for s in proof_subsets().iter().filter(|s| s.starts_with("EU")) {
        assert_eq!(c.filtered(&subsets(&[s.as_str()])).child("applicableServiceCharge"), None, "{s}");
    }
    let eu03 = c.filtered(&subsets(&["EU03"]));
    assert!(eu03.child("carrier").is_some());
    assert!(eu03.find("includedConsignmentItem/transportDangerousGoods/uNDGID").is_some());
    // A union of subsets keeps what either keeps.
    let both = c.filtered(&subsets(&["EU01", "EU03"]));
    assert!(both.child("consignor").is_some() && both.child("carrier").is_some());
    // EU05a keeps the DG details EU03 does not.
    let eu05a = c.filtered(&subsets(&["EU05a"]));
    assert!(eu05a.find("includedConsignmentItem/transportDangerousGoods/tunnelRestrictionCode").is_some());
    assert_eq!(eu03.find("includedConsignmentItem/transportDangerousGoods/tunnelRestrictionCode"), None);
    // The filter follows the table exactly: every kept element is annotated with the subset, and every element
    // of the full dataset annotated with it (and whose ancestors are) is kept.
    let mut kept = BTreeSet::new();
    paths(&eu01, "", &mut kept);
    let mut all = BTreeSet::new();
    paths(c.root(), "", &mut all);
    for p in &all {
        let mut ty = efti::ROOT_TYPE;
        let mut annotated = true;
        for part in p.split('/') {
            let def = efti::lookup(table::COMMON, ty, part).expect("declared");
            annotated &= def.subsets.contains(&"EU01");
            ty = def.ty;
        }
        let is_leaf = c.root().find(p).is_some_and(|e| e.children.is_empty());
        if is_leaf {
            assert_eq!(kept.contains(p), annotated, "{p}");
        } else if kept.contains(p) {
            assert!(annotated, "{p}");
        }
    }
}

#[test]
fn full_is_unfiltered_and_identifier_is_the_identifier_dataset() {
    let c = projected("successive-carriers");
    assert_eq!(&c.filtered(&Subsets::Full), c.root());
    let ident = c.filtered(&Subsets::Identifier);
    let top: BTreeSet<&str> = ident.children.iter().map(|e| e.name).collect();
    assert_eq!(
        top,
        BTreeSet::from([
            "carrierAcceptanceDateTime",
            "deliveryEvent",
            "mainCarriageTransportMovement",
            "usedTransportEquipment"
        ])
    );
    let xml = c.to_xml(&Subsets::Identifier);
    assert!(xml.contains(r#"<consignment xmlns="http://efti.eu/v1/consignment/identifier">"#));
    let xml = c.to_xml(&subsets(&["identifier", "EU01"]));
    assert!(xml.contains(r#"<consignment xmlns="http://efti.eu/v1/consignment/common">"#));
}

#[test]
fn subset_ids_are_parsed_strictly() {
    assert_eq!(Subsets::parse(Vec::<&str>::new()), Err(SubsetError::Empty));
    assert_eq!(Subsets::parse(["eu01"]), Err(SubsetError::Unknown("eu01".into())));
    assert_eq!(Subsets::parse(["EU04"]), Err(SubsetError::Unknown("EU04".into())));
    assert_eq!(Subsets::parse(["EU01", "full"]), Ok(Subsets::Full));
    assert_eq!(Subsets::parse(["identifier"]), Ok(Subsets::Identifier));
    assert_eq!(Subsets::parse(["identifier", "identifier"]), Ok(Subsets::Identifier));
    assert!(matches!(Subsets::parse(["identifier", "EU02"]), Ok(Subsets::Ids(ids)) if ids.len() == 2));
    for id in ["EU01", "EU02", "EU03", "EU05a", "EU05b", "EU05c", "EU06", "identifier", "HR05B"] {
        assert!(efti::is_known_subset(id), "{id}");
    }
    assert!(!efti::is_known_subset("full"));
}

// ---- what the XSD checks need ----

/// Whether the tests run under CI: `CI` is set and not empty.
fn under_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty())
}

/// What is missing for a check against the XSDs, or nothing. Under CI a check that cannot run fails (naming what
/// to install); elsewhere it is skipped with a line saying why.
fn can_run(test: &str, missing: &[String]) -> bool {
    if missing.is_empty() {
        return true;
    }
    let why = missing.join("; ");
    assert!(!under_ci(), "{test}: CI is set, so this check may not be skipped, but {why}");
    eprintln!("{test}: skipped: {why}");
    false
}

fn missing_xsds() -> Option<String> {
    (!Path::new(XSD_DIR).join("consignment-common.xsd").exists())
        .then(|| format!("the eFTI reference XSDs are not at {XSD_DIR} (shared/efti-ri/xsd beside the checkout)"))
}

fn missing_xmllint() -> Option<String> {
    (!xmllint_available()).then(|| "xmllint is not installed (Debian: apt-get install libxml2-utils)".to_owned())
}

fn missing_python() -> Option<String> {
    let runs = Command::new("python3").arg("--version").output().is_ok_and(|o| o.status.success());
    (!runs).then(|| "python3 is not installed (Debian: apt-get install python3)".to_owned())
}

// ---- the generated table ----

#[test]
fn generated_table_matches_the_xsds() {
    let missing: Vec<String> = [missing_xsds(), missing_python()].into_iter().flatten().collect();
    if !can_run("generated_table_matches_the_xsds", &missing) {
        return;
    }
    let out = Command::new("python3")
        .arg(format!("{REPO}/tools/efti-subset-table.py"))
        .arg(XSD_DIR)
        .output()
        .expect("python3 runs");
    assert!(out.status.success(), "generator failed: {}", String::from_utf8_lossy(&out.stderr));
    let checked_in = std::fs::read_to_string(format!("{REPO}/crates/ecmr/src/efti/table.rs")).expect("table.rs");
    assert!(
        String::from_utf8_lossy(&out.stdout) == checked_in,
        "crates/ecmr/src/efti/table.rs is not what the XSDs give: run \
         `python3 tools/efti-subset-table.py > crates/ecmr/src/efti/table.rs`"
    );
}

#[test]
fn identifier_subset_is_the_identifier_xsd() {
    let from_subset: BTreeSet<(&str, &str)> =
        table::COMMON.iter().filter(|d| d.subsets.contains(&"identifier")).map(|d| (d.parent, d.name)).collect();
    let identifier: BTreeSet<(&str, &str)> = table::IDENTIFIER.iter().map(|d| (d.parent, d.name)).collect();
    assert_eq!(from_subset, identifier);
    for d in table::IDENTIFIER {
        let common = efti::lookup(table::COMMON, d.parent, d.name).expect("in common");
        assert_eq!(common.ty, d.ty, "{}/{}", d.parent, d.name);
    }
    let eu: Vec<&str> = table::SUBSET_IDS.iter().copied().filter(|s| s.starts_with("EU")).collect();
    assert_eq!(eu, ["EU01", "EU02", "EU03", "EU05a", "EU05b", "EU05c", "EU06"]);
}

// ---- xmllint ----

fn xmllint_available() -> bool {
    Command::new("xmllint").arg("--version").output().is_ok_and(|o| o.status.success())
}

/// Runs xmllint on `files` against `schema`; returns the files it rejected with its messages.
fn xmllint(schema: &str, files: &[PathBuf]) -> Vec<String> {
    let mut failures = Vec::new();
    for chunk in files.chunks(200) {
        let out = Command::new("xmllint")
            .arg("--noout")
            .arg("--schema")
            .arg(schema)
            .args(chunk)
            .output()
            .expect("xmllint runs");
        if !out.status.success() {
            failures.push(String::from_utf8_lossy(&out.stderr).into_owned());
        }
    }
    failures
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ecmr-efti-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Writes `xml` for each subset of `c` into `dir`; returns (common files, identifier files).
fn write_all(dir: &Path, stem: &str, c: &Consignment, out: &mut (Vec<PathBuf>, Vec<PathBuf>)) {
    for s in proof_subsets() {
        let req = subsets(&[s.as_str()]);
        let path = dir.join(format!("{stem}.{s}.xml"));
        std::fs::write(&path, c.to_xml(&req)).expect("write xml");
        if req == Subsets::Identifier { out.1.push(path) } else { out.0.push(path) }
    }
}

#[test]
fn every_example_validates_against_the_ri_xsds() {
    let missing: Vec<String> = [missing_xmllint(), missing_xsds()].into_iter().flatten().collect();
    if !can_run("every_example_validates_against_the_ri_xsds", &missing) {
        return;
    }
    let dir = temp_dir("examples");
    let mut files = (Vec::new(), Vec::new());
    for name in example_names() {
        write_all(&dir, &name, &projected(&name), &mut files);
    }
    assert_eq!(files.0.len() + files.1.len(), example_names().len() * proof_subsets().len());
    let mut failures = xmllint(&format!("{XSD_DIR}/consignment-common.xsd"), &files.0);
    failures.extend(xmllint(&format!("{XSD_DIR}/consignment-identifier.xsd"), &files.1));
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // The check does reject what the XSD forbids: an element out of sequence order.
    let full = std::fs::read_to_string(&files.0[0]).expect("read back");
    let broken = full.replacen("<consignor>", "<zzz/><consignor>", 1);
    let bad = dir.join("broken.xml");
    std::fs::write(&bad, broken).expect("write");
    assert_eq!(xmllint(&format!("{XSD_DIR}/consignment-common.xsd"), &[bad]).len(), 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn arbitrary_notes_validate_against_the_ri_xsds() {
    let missing: Vec<String> = [missing_xmllint(), missing_xsds()].into_iter().flatten().collect();
    if !can_run("arbitrary_notes_validate_against_the_ri_xsds", &missing) {
        return;
    }
    let dir = temp_dir("arbitrary");
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = support::strategies::note();
    let mut files = (Vec::new(), Vec::new());
    for i in 0..40 {
        let note = strategy.new_tree(&mut runner).expect("a note").current();
        let c = efti::project_parts(&note, &[]).expect("projects without events");
        write_all(&dir, &format!("note{i}"), &c, &mut files);
    }
    let mut failures = xmllint(&format!("{XSD_DIR}/consignment-common.xsd"), &files.0);
    failures.extend(xmllint(&format!("{XSD_DIR}/consignment-identifier.xsd"), &files.1));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let _ = std::fs::remove_dir_all(&dir);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any note projects without panicking, in XSD order, and writes well-formed XML for every subset.
    #[test]
    fn any_note_projects_in_xsd_order(note in support::strategies::note()) {
        let c = efti::project_parts(&note, &[]).expect("projects");
        prop_assert!(conforms(c.root(), efti::ROOT_TYPE, table::COMMON, "").is_ok());
        for s in ["full", "identifier", "EU01", "EU05a"] {
            let req = subsets(&[s]);
            let t = if req == Subsets::Identifier { table::IDENTIFIER } else { table::COMMON };
            let r = conforms(&c.filtered(&req), efti::ROOT_TYPE, t, s);
            prop_assert!(r.is_ok(), "{:?}", r);
            let xml = c.to_xml(&req);
            let mut reader = quick_xml::Reader::from_str(&xml);
            loop {
                match reader.read_event() {
                    Ok(quick_xml::events::Event::Eof) => break,
                    Ok(_) => {}
                    Err(e) => prop_assert!(false, "not well-formed: {e}"),
                }
            }
        }
    }
}

// ---- the mapping table ----

/// Every leaf of a fully populated note, as a JSON pointer with `*` for list positions.
fn leaf_pointers(v: &serde_json::Value, prefix: &str, out: &mut BTreeSet<String>) {
    match v {
        serde_json::Value::Object(map) => map.iter().for_each(|(k, v)| leaf_pointers(v, &format!("{prefix}/{k}"), out)),
        serde_json::Value::Array(items) => items.iter().for_each(|v| leaf_pointers(v, &format!("{prefix}/*"), out)),
        _ => {
            out.insert(prefix.to_owned());
        }
    }
}

/// Whether `path` or one of its `/`-prefixes is in `names`.
fn has_prefix_in(path: &str, names: &BTreeSet<&str>) -> bool {
    let mut end = path.len();
    loop {
        if path.get(..end).is_some_and(|p| names.contains(p)) {
            return true;
        }
        match path.get(..end).and_then(|p| p.rfind('/')) {
            Some(i) if i > 0 => end = i,
            _ => return false,
        }
    }
}

#[test]
fn mapping_table_names_every_field_of_the_note() {
    let doc = std::fs::read_to_string(format!("{REPO}/schemas/efti-mapping.md")).expect("mapping table");
    let names: BTreeSet<&str> = doc.split('`').skip(1).step_by(2).collect();
    let full: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/xml-full-note.json")).expect("note"),
    )
    .expect("JSON");
    let mut leaves = BTreeSet::new();
    leaf_pointers(&full, "", &mut leaves);
    // Sections of the table give fields relative to these parts of the note.
    let parts = [
        "/sender/",
        "/consignee/",
        "/carrier/",
        "/successive_carriers/*/",
        "/taking_over/location/",
        "/delivery/location/",
        "/goods/*/dangerous_goods/",
    ];
    let missing: Vec<&String> = leaves
        .iter()
        .filter(|p| {
            !has_prefix_in(p, &names)
                && !parts.iter().any(|part| p.strip_prefix(part).is_some_and(|rest| has_prefix_in(rest, &names)))
        })
        .collect();
    assert!(leaves.len() > 50, "{leaves:?}");
    assert!(missing.is_empty(), "fields not in schemas/efti-mapping.md: {missing:?}");
}

#[test]
fn generated_lists_are_sorted_for_binary_search() {
    for t in [table::COMMON, table::IDENTIFIER] {
        assert!(t.windows(2).all(|w| (w[0].parent, w[0].name) < (w[1].parent, w[1].name)));
        for d in t {
            assert!(d.subsets.windows(2).all(|w| w[0] < w[1]), "{}/{}", d.parent, d.name);
        }
    }
    for list in [
        table::SUBSET_IDS,
        table::COUNTRY_CODES,
        table::CURRENCY_CODES,
        table::TRANSPORT_MODE_CODES,
        table::EQUIPMENT_CATEGORY_CODES,
    ] {
        assert!(list.windows(2).all(|w| w[0] < w[1]));
    }
}
