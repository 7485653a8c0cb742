//! eFTI XML as an authority receives it, read by `ecmr validate` and `ecmr render`: this gateway's datasets (whole
//! and cut down to subsets, from the projection of the complete-lifecycle test vectors), the same inside an
//! eDelivery `uilResponse` as the reference implementation's gate sends it, and datasets that break the XSD, are
//! hostile or are not a common dataset at all.
//!
//! The dataset files in `tests/data/efti/` are checked to be what the projection writes today; run with
//! `ECMR_BLESS=1` to rewrite them after an intended change of the projection.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use predicates::str::contains;
use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn efti(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/efti").join(name)
}

fn ecmr() -> Command {
    Command::cargo_bin("ecmr").unwrap()
}

/// The datasets the projection writes for a vector: (file name, XML).
fn projected() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (vector, subsets) in [
        ("complete-successive-carriers", vec!["full"]),
        ("complete-successive-carriers", vec!["EU01"]),
        ("complete-adr-fuel", vec!["full"]),
        ("complete-international-cod", vec!["FR01a", "FR02a"]),
    ] {
        let v: Value = serde_json::from_slice(
            &std::fs::read(repo().join(format!("tests/vectors/documents/{vector}.json"))).unwrap(),
        )
        .unwrap();
        let bytes = serde_json::to_vec(&v["document"]).unwrap();
        let doc = ecmr::verify::verify(&bytes, None).unwrap();
        let xml = ecmr::efti::to_xml(&doc, &ecmr::efti::Subsets::parse(&subsets).unwrap()).unwrap();
        let name = format!("{}.{}.xml", vector.trim_start_matches("complete-"), subsets.join("-"));
        out.push((name, xml));
    }
    out
}

/// A dataset inside an eDelivery `uilResponse`, written as the reference implementation's gate writes one: the
/// common namespace as default, the eDelivery one prefixed, a schema location hint and comments.
fn wrapped(xml: &str) -> String {
    let body = xml
        .lines()
        .skip(1)
        .map(|l| l.replace(" xmlns=\"http://efti.eu/v1/consignment/common\"", ""))
        .map(|l| format!("  {l}\n"))
        .collect::<String>();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ed:uilResponse\n    \
         xmlns=\"http://efti.eu/v1/consignment/common\"\n    xmlns:ed=\"http://efti.eu/v1/edelivery\"\n    \
         xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"\n    \
         xsi:schemaLocation=\"http://efti.eu/v1/edelivery ../edelivery/gate.xsd\"\n    \
         requestId=\"7c1e0f7a-3b52-4d39-9a55-2f1f0d4d2c11\"\n    status=\"200\">\n  <!-- the dataset asked for -->\n{body}\
         </ed:uilResponse>\n"
    )
}

#[test]
fn dataset_files_are_what_the_projection_writes() {
    let bless = std::env::var_os("ECMR_BLESS").is_some_and(|v| v == "1");
    let mut files = projected();
    let eu01 = files.iter().find(|(n, _)| n == "successive-carriers.EU01.xml").unwrap().1.clone();
    files.push(("successive-carriers.EU01.uil-response.xml".to_owned(), wrapped(&eu01)));
    for (name, xml) in files {
        if bless {
            std::fs::write(efti(&name), &xml).unwrap();
        }
        let stored = std::fs::read_to_string(efti(&name)).unwrap_or_else(|_| panic!("missing {name}"));
        assert_eq!(stored, xml, "{name} differs from the projection; rerun with ECMR_BLESS=1 if intended");
    }
}

#[test]
fn validate_accepts_the_datasets_an_authority_receives() {
    for name in [
        "successive-carriers.full.xml",
        "successive-carriers.EU01.xml",
        "successive-carriers.EU01.uil-response.xml",
        "adr-fuel.full.xml",
        "international-cod.FR01a-FR02a.xml",
    ] {
        ecmr()
            .arg("validate")
            .arg(efti(name))
            .assert()
            .success()
            .stdout(contains(format!("{name}: valid (eFTI dataset)")))
            .stdout(contains("error").not());
    }
}

/// The faults of `broken-dataset.xml`: severity, element path and line, and a word of the message.
const BROKEN: [(&str, &str, usize, &str); 13] = [
    ("error", "/consignment/carrier/postalAddress/countryCode", 8, "\"XX\" is not an ISO 3166 country code"),
    ("error", "/consignment/carrier/vatNumber", 10, "<vatNumber> is not an element of TradeParty"),
    ("warning", "/consignment/carrierAcceptanceDateTime", 12, "not a date and time of format 205"),
    ("error", "/consignment/consignor/postalAddress", 15, "attribute `colour` is not allowed"),
    ("error", "/consignment/consignee", 19, "out of the XSD's order"),
    ("error", "/consignment/consignee", 19, "text is not allowed in <consignee>"),
    (
        "error",
        "/consignment/mainCarriageTransportMovement/dangerousGoodsIndicator",
        21,
        "\"maybe\" is not true or false",
    ),
    ("error", "/consignment/mainCarriageTransportMovement/modeCode", 22, "\"9\" is not a transport mode code"),
    ("error", "/consignment/numberOfPackages", 24, "\"twenty\" is not an integer"),
    ("error", "/consignment/transportContractDocument/formattedIssueDateTime", 27, "may occur at most once"),
    ("error", "/consignment/transportContractDocument/id", 28, "more than the 35"),
    ("error", "/consignment/deliveryEvent", 30, "out of the XSD's order"),
    ("warning", "/consignment/deliveryEvent/actualOccurrenceDateTime", 31, "not a date and time of format 205"),
];

#[test]
fn validate_names_every_fault_with_its_element_and_line() {
    let out = ecmr().arg("validate").arg(efti("broken-dataset.xml")).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), BROKEN.len() + 1, "{text}");
    for ((sev, path, line, words), got) in BROKEN.iter().zip(&lines) {
        assert!(got.starts_with(sev), "{got}");
        assert!(got.contains(&format!("  {path}  ")), "{got}");
        assert!(got.contains(&format!("(line {line}, column ")), "{got}");
        assert!(got.contains(words), "{got}");
    }
    assert!(lines.last().unwrap().ends_with("broken-dataset.xml: invalid, 11 errors"));
    // Rendering refuses it, naming the first fault and how to see them all.
    ecmr()
        .arg("render")
        .arg(efti("broken-dataset.xml"))
        .assert()
        .code(1)
        .stderr(contains("not a valid eFTI dataset: 8:25: /consignment/carrier/postalAddress/countryCode"))
        .stderr(contains("ecmr validate"));
}

#[test]
fn what_is_not_a_common_dataset_is_refused_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let eu01 = std::fs::read_to_string(efti("successive-carriers.EU01.xml")).unwrap();
    let identifier = {
        let v: Value = serde_json::from_slice(
            &std::fs::read(repo().join("tests/vectors/documents/complete-successive-carriers.json")).unwrap(),
        )
        .unwrap();
        let doc = ecmr::verify::verify(&serde_json::to_vec(&v["document"]).unwrap(), None).unwrap();
        ecmr::efti::to_xml(&doc, &ecmr::efti::Subsets::Identifier).unwrap()
    };
    let cases = [
        (
            "doctype.xml",
            eu01.replacen("<consignment", "<!DOCTYPE consignment [<!ENTITY x \"y\">]>\n<consignment", 1),
            "DOCTYPE is not allowed",
        ),
        (
            "not-found.xml",
            "<ed:uilResponse xmlns:ed=\"http://efti.eu/v1/edelivery\" requestId=\"r\" status=\"404\"/>".to_owned(),
            "the response carries no consignment (status 404)",
        ),
        ("identifier.xml", identifier, "this is the identifier dataset"),
        ("cut.xml", eu01.lines().take(eu01.lines().count() / 2).collect::<Vec<_>>().join("\n"), "input ends before"),
        (
            "foreign.xml",
            eu01.replacen("<consignor>", "<x:consignor xmlns:x=\"urn:other\">", 1).replacen(
                "</consignor>",
                "</x:consignor>",
                1,
            ),
            "unexpected namespace (urn:other)",
        ),
    ];
    for (name, text, message) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let out = ecmr().arg("validate").arg(&path).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{name}");
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert!(stdout.lines().next().unwrap().starts_with("error") && stdout.contains(message), "{name}: {stdout}");
        ecmr().arg("render").arg(&path).assert().code(1).stderr(contains(message));
    }
    // A dataset is not a note: it does not convert.
    ecmr()
        .args(["convert", "--to", "json"])
        .arg(efti("successive-carriers.full.xml"))
        .assert()
        .code(1)
        .stderr(contains("is an eFTI dataset, not a consignment note"));
}

fn render(path: &Path, lang: &str) -> String {
    let out = ecmr().arg("render").arg(path).args(["--lang", lang]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// The lines of box `n` in a text rendering.
fn box_lines(text: &str, heading_start: &str) -> Vec<String> {
    let mut lines = text.lines().skip_while(|l| !l.starts_with(heading_start)).skip(1);
    let mut out = Vec::new();
    for l in lines.by_ref() {
        match l.strip_prefix("  ") {
            Some(x) => out.push(x.to_owned()),
            None => break,
        }
    }
    out
}

#[test]
fn render_shows_the_subset_and_marks_the_boxes_it_does_not_provide() {
    let not_provided = [
        ("en", "(not provided in this dataset)"),
        ("nl", "(niet in deze dataset)"),
        ("fr", "(absent de ce jeu de données)"),
        ("de", "(in diesem Datensatz nicht enthalten)"),
    ];
    for (lang, np) in not_provided {
        let labels = ecmr::render::Labels::for_language(lang).unwrap();
        let heading = |n: usize| format!("{n} {}", labels.boxes[n - 1]);
        // The full dataset provides every box it has an element for: 14 and 18 have none, and this note has no
        // cash on delivery, which a dataset cannot tell from a subset that leaves box 15 out.
        let full = render(&efti("successive-carriers.full.xml"), lang);
        for n in (1..=5).chain(13..=24) {
            let lines = box_lines(&full, &heading(n));
            assert!(!lines.is_empty(), "{lang}: box {n} missing:\n{full}");
            assert_eq!(lines == [np], [14, 15, 18].contains(&n), "{lang}: box {n}: {lines:?}");
        }
        assert!(full.starts_with(&format!("{} {} ES-2026-CS-001947", labels.title, labels.number)));
        assert_eq!(box_lines(&full, &heading(1))[0], "Cerámicas del Mijares S.A.");
        let goods = box_lines(&full, &format!("6-12 {}", labels.goods));
        assert!(goods.iter().any(|l| l.contains("CDM-KD 26/118 1-14") && l.contains("Glazed porcelain floor tiles")));
        let received = box_lines(&full, &heading(24));
        assert!(received.iter().any(|l| l.contains("Keramika Dunav d.o.o.")), "{received:?}");

        // EU01 leaves out the consignee, the carrier and more: marked, not shown empty.
        for file in ["successive-carriers.EU01.xml", "successive-carriers.EU01.uil-response.xml"] {
            let subset = render(&efti(file), lang);
            for n in [2, 5, 14, 16, 17, 18, 22] {
                assert_eq!(box_lines(&subset, &heading(n)), [np], "{lang} {file}: box {n}");
            }
            assert_eq!(box_lines(&subset, &heading(1))[0], "Cerámicas del Mijares S.A.");
            assert!(box_lines(&subset, &heading(3)).iter().any(|l| l.contains("RSBEG")));
            assert!(!subset.contains(labels.not_signed) && !subset.contains("ecmr:uil="), "{lang}: no events, no QR");
        }
    }
    // The same subset, bare or in a uilResponse, renders the same.
    assert_eq!(
        render(&efti("successive-carriers.EU01.xml"), "de"),
        render(&efti("successive-carriers.EU01.uil-response.xml"), "de")
    );
}

#[test]
fn a_received_dataset_renders_as_a_one_page_pdf() {
    let dir = tempfile::tempdir().unwrap();
    for (file, lang) in [("successive-carriers.EU01.uil-response.xml", "nl"), ("adr-fuel.full.xml", "fr")] {
        let pdf = dir.path().join(format!("{lang}.pdf"));
        ecmr()
            .arg("render")
            .arg(efti(file))
            .args(["--format", "pdf", "--lang", lang, "-o"])
            .arg(&pdf)
            .assert()
            .success();
        let info = String::from_utf8(std::process::Command::new("pdfinfo").arg(&pdf).output().unwrap().stdout).unwrap();
        assert!(info.contains("Pages:           1"), "{info}");
        let text =
            String::from_utf8(std::process::Command::new("pdftotext").arg(&pdf).arg("-").output().unwrap().stdout)
                .unwrap();
        assert!(
            text.contains("Cerámicas del Mijares S.A.") || text.contains("Scheldeterminal Antwerpen N.V."),
            "{text}"
        );
        // No signed document to attach: the PDF carries none.
        ecmr().arg("verify").arg(&pdf).assert().code(1).stderr(contains("carries no signed document"));
    }
}
