//! The PDF as a carrier and an inspector get it: every example note, signed through its whole life, fits on one A4
//! page in every language and still shows all 24 boxes, the state, every signature event and the QR code; the
//! goods table never breaks a number; no English label is left in the Dutch, French or German page; and the QR
//! code, rasterised by `pdftoppm` and read by `rqrr`, is the payload and parses.
//!
//! Needs poppler-utils (`pdfinfo`, `pdftotext`, `pdftoppm`).

use std::path::{Path, PathBuf};
use std::process::Command as Process;

use assert_cmd::Command;
use serde_json::Value;

const LANGS: [&str; 4] = ["en", "nl", "fr", "de"];
const VECTORS: [&str; 4] = [
    "complete-adr-fuel.json",
    "complete-domestic-pallets.json",
    "complete-international-cod.json",
    "complete-successive-carriers.json",
];

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

fn tool(name: &str) -> Process {
    assert!(Process::new(name).arg("-v").output().is_ok(), "{name} is missing: install poppler-utils");
    Process::new(name)
}

/// The signed document of a complete-lifecycle vector, written to `dir`.
fn vector_doc(dir: &Path, vector: &str) -> PathBuf {
    let v: Value =
        serde_json::from_slice(&std::fs::read(repo().join("tests/vectors/documents").join(vector)).unwrap()).unwrap();
    let out = dir.join(vector);
    std::fs::write(&out, serde_json::to_vec(&v["document"]).unwrap()).unwrap();
    out
}

fn render_pdf(input: &Path, lang: &str, out: &Path, extra: &[&str]) {
    Command::cargo_bin("ecmr")
        .unwrap()
        .arg("render")
        .arg(input)
        .args(["--format", "pdf", "--force", "--lang", lang, "-o"])
        .arg(out)
        .args(extra)
        .assert()
        .success();
}

fn pages(pdf: &Path) -> usize {
    let info = String::from_utf8(tool("pdfinfo").arg(pdf).output().unwrap().stdout).unwrap();
    assert!(info.contains("595.28 x 841.89 pts (A4)"), "{info}");
    info.lines().find_map(|l| l.strip_prefix("Pages:")).unwrap().trim().parse().unwrap()
}

/// The text of a PDF in content order (`pdftotext -raw`).
fn text(pdf: &Path) -> String {
    let out = tool("pdftotext").arg("-raw").arg(pdf).arg("-").output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

/// Whether `needle` occurs in `hay` not run into a letter or digit on either side.
fn contains_word(hay: &str, needle: &str) -> bool {
    let word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
    hay.match_indices(needle).any(|(i, _)| {
        let before = hay.get(..i).and_then(|s| s.chars().next_back());
        let after = hay.get(i + needle.len()..).and_then(|s| s.chars().next());
        let runs_in_before = needle.starts_with(char::is_alphanumeric) && word(before);
        let runs_in_after = needle.ends_with(char::is_alphanumeric) && word(after);
        !runs_in_before && !runs_in_after
    })
}

#[test]
fn every_example_fits_one_a4_page_with_every_box_event_and_the_qr() {
    let dir = tempfile::tempdir().unwrap();
    for vector in VECTORS {
        let doc = vector_doc(dir.path(), vector);
        let verified = ecmr::verify::verify(&std::fs::read(&doc).unwrap(), None).unwrap();
        for lang in LANGS {
            let pdf = dir.path().join(format!("{vector}.{lang}.pdf"));
            render_pdf(&doc, lang, &pdf, &[]);
            assert_eq!(pages(&pdf), 1, "{vector} in {lang} is not one page");
            let t = text(&pdf);
            let labels = ecmr::render::Labels::for_language(lang).unwrap();
            for n in (1..=5).chain(13..=24) {
                let label = labels.boxes[n - 1];
                assert!(t.contains(&format!("{n} {label}")), "{vector} {lang}: box {n} {label:?} missing:\n{t}");
            }
            assert!(t.contains(&format!("6-12 {}", labels.goods)), "{vector} {lang}: goods missing");
            for (i, column) in labels.goods_columns.iter().enumerate() {
                // A column heading may wrap between its number and its words.
                let (n, first) = (i + 6, column.split(' ').next().unwrap());
                assert!(contains_word(&t, &n.to_string()) && t.contains(first), "{vector} {lang}: column {n}");
            }
            // The document, its state and every event: seq and the signer's key id.
            assert!(t.contains(verified.id()), "{vector} {lang}: document id missing");
            let state = match lang {
                "en" => "State: delivered",
                "nl" => "Status: afgeleverd",
                "fr" => "État: livrée",
                _ => "Status: abgeliefert",
            };
            assert_eq!(verified.state(), ecmr::lifecycle::State::Delivered);
            assert!(t.contains(state), "{vector} {lang}: {state:?} missing");
            for e in &verified.events {
                let key = ecmr::keys::PublicKey::from_b64url(&e.signer.public_key).unwrap().key_id().to_string();
                let line = t.lines().find(|l| l.starts_with(&format!("{} ", e.seq)) && l.contains(&key[..16]));
                assert!(line.is_some(), "{vector} {lang}: event {} missing:\n{t}", e.seq);
            }
            let digest = verified.last_event_digest().unwrap();
            assert!(t.replace('\n', "").contains(digest), "{vector} {lang}: QR payload text missing");
        }
    }
}

#[test]
fn no_english_label_in_dutch_french_or_german() {
    let list: Value = serde_json::from_slice(&std::fs::read(data("render/english-labels.json")).unwrap()).unwrap();
    let labels: Vec<&str> = list["labels"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    let dir = tempfile::tempdir().unwrap();
    let mut english_found = 0;
    for vector in VECTORS {
        let doc = vector_doc(dir.path(), vector);
        for lang in LANGS {
            let pdf = dir.path().join(format!("{lang}.pdf"));
            render_pdf(&doc, lang, &pdf, &[]);
            let t = text(&pdf);
            if lang == "en" {
                english_found += labels.iter().filter(|l| contains_word(&t, l)).count();
                continue;
            }
            let same: Vec<&str> =
                list["same_in"][lang].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
            for label in labels.iter().filter(|l| !same.contains(l)) {
                assert!(!contains_word(&t, label), "{vector} in {lang} has the English label {label:?}:\n{t}");
            }
        }
    }
    // The list is the English page's: most of it is found there (a label not used by any example is not).
    assert!(english_found >= 4 * 60, "only {english_found} English labels found in the English PDFs");
}

#[test]
fn goods_numbers_are_never_broken() {
    let dir = tempfile::tempdir().unwrap();
    let note = data("wide-goods-note.json");
    let parsed: Value = serde_json::from_slice(&std::fs::read(&note).unwrap()).unwrap();
    for lang in LANGS {
        let pdf = dir.path().join(format!("{lang}.pdf"));
        render_pdf(&note, lang, &pdf, &[]);
        assert_eq!(pages(&pdf), 1);
        let t = text(&pdf);
        let lines: Vec<&str> = t.lines().collect();
        for g in parsed["goods"].as_array().unwrap() {
            let weight = g["gross_weight_kg"].as_str().unwrap();
            let volume = g["volume_m3"].as_str().unwrap();
            let packages = g["number_of_packages"].to_string();
            let stat = g["statistical_number"].as_str().unwrap();
            // Stat. no., gross weight and volume of a row stand whole, together on one line.
            assert!(
                lines.iter().any(|l| l.contains(&format!("{stat} {weight} {volume}"))),
                "{lang}: {stat} {weight} {volume} broken:\n{t}"
            );
            assert!(lines.iter().any(|l| contains_word(l, &packages)), "{lang}: {packages} broken:\n{t}");
        }
    }
}

/// A binary greyscale PGM (P5, 8 bit) as width, height and pixels.
fn read_pgm(bytes: &[u8]) -> (usize, usize, Vec<u8>) {
    let mut fields = Vec::new();
    let mut i = 0;
    while fields.len() < 4 {
        while bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let start = i;
        while !bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        fields.push(String::from_utf8(bytes[start..i].to_vec()).unwrap());
    }
    assert_eq!(fields[0], "P5");
    let (w, h): (usize, usize) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
    (w, h, bytes[i + 1..].to_vec())
}

/// Rasterises page 1 at `dpi` and reads the one QR code on it.
fn scan(pdf: &Path, dpi: u32) -> String {
    let dir = pdf.parent().unwrap();
    let prefix = dir.join(format!("scan-{dpi}"));
    let st = tool("pdftoppm")
        .args(["-r", &dpi.to_string(), "-gray", "-singlefile", "-f", "1", "-l", "1"])
        .arg(pdf)
        .arg(&prefix)
        .status()
        .unwrap();
    assert!(st.success());
    let (w, h, pixels) = read_pgm(&std::fs::read(prefix.with_extension("pgm")).unwrap());
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| pixels[y * w + x]);
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1, "expected one QR code at {dpi} dpi");
    grids[0].decode().unwrap().1
}

#[test]
fn the_printed_qr_scans_as_the_payload_and_parses() {
    let dir = tempfile::tempdir().unwrap();
    let doc = vector_doc(dir.path(), "complete-successive-carriers.json");
    let verified = ecmr::verify::verify(&std::fs::read(&doc).unwrap(), None).unwrap();
    for (extra, url) in [
        (&[][..], None),
        (
            &["--gateway-url", "https://efti-gate.example.eu/ecmr", "--gate-id", "ES-gate"][..],
            Some("https://efti-gate.example.eu/ecmr"),
        ),
    ] {
        let pdf = dir.path().join("qr.pdf");
        render_pdf(&doc, "fr", &pdf, extra);
        let printed = String::from_utf8(
            Command::cargo_bin("ecmr").unwrap().arg("render").arg(&doc).args(extra).output().unwrap().stdout,
        )
        .unwrap();
        let payload = printed.lines().last().unwrap();
        for dpi in [150, 300] {
            let scanned = scan(&pdf, dpi);
            assert_eq!(scanned, payload, "at {dpi} dpi");
            let p = ecmr::qr::QrPayload::parse(&scanned).unwrap();
            assert_eq!(p.dataset_id, verified.id());
            assert_eq!(p.seq, verified.events.len() as u64 - 1);
            assert_eq!(p.digest, verified.last_event_digest().unwrap());
            assert_eq!(p.gateway_url.as_deref(), url);
            assert_eq!(
                p.check(verified.id(), &verified.events.iter().map(|e| e.digest()).collect::<Vec<_>>()),
                ecmr::qr::QrCheck::Current
            );
        }
    }
}

#[test]
fn a_goods_line_taller_than_a_page_continues_on_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let mut note: Value =
        serde_json::from_slice(&std::fs::read(repo().join("examples/domestic-pallets.json")).unwrap()).unwrap();
    let words: Vec<String> = (0..3000).map(|i| format!("w{i}")).collect();
    note["goods"][0]["nature_of_goods"] = words.join(" ").into();
    let path = dir.path().join("tall.json");
    std::fs::write(&path, serde_json::to_vec(&note).unwrap()).unwrap();
    let pdf = dir.path().join("tall.pdf");
    render_pdf(&path, "en", &pdf, &[]);
    assert!(pages(&pdf) >= 3);
    let out = tool("pdftotext").arg(&pdf).arg("-").output().unwrap();
    let got: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .filter(|w| w.starts_with('w') && w[1..].chars().all(|c| c.is_ascii_digit()))
        .map(str::to_owned)
        .collect();
    assert_eq!(got, words, "every word of the goods line, in order");
}
