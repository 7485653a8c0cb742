//! `ecmr render`: text snapshots, HTML with every box, a PDF whose text `pdftotext` reads back and whose QR code
//! (rasterised by `pdftoppm`, read by `rqrr`) carries the document id and the digest of the last event.
//!
//! Needs poppler-utils (`pdftotext`, `pdftoppm`). Run with `ECMR_BLESS=1` to rewrite the text snapshots.

use std::path::{Path, PathBuf};
use std::process::Command as Process;

use assert_cmd::Command;
use ecmr::keys::FileKey;
use predicates::str::contains;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

fn hex32(s: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap();
    }
    out
}

/// A delivered document of the international ADR note, signed with fixed keys at fixed times so every byte is
/// the same on every run. The sender's and carrier's keys are the ones the note pins (RFC 8032 test keys 1, 2).
fn delivered() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let keys = [
        ("sender.pem", hex32("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")),
        ("carrier.pem", hex32("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb")),
        ("second.pem", [3; 32]),
        ("consignee.pem", [4; 32]),
    ];
    for (name, seed) in keys {
        std::fs::write(dir.path().join(name), FileKey::from_seed(&seed).to_pkcs8_pem().unwrap()).unwrap();
    }
    let run = |args: &[&str]| {
        Command::cargo_bin("ecmr").unwrap().current_dir(dir.path()).args(args).assert().success();
    };
    let note = data("adr-note.json");
    run(&[
        "issue",
        note.to_str().unwrap(),
        "--key",
        "sender.pem",
        "-o",
        "doc.json",
        "--id",
        "0b6f4c1e-5a53-4f7e-9d0a-3c2b1a000001",
        "--at",
        "2026-11-27T15:00:00Z",
    ]);
    run(&[
        "take-over",
        "doc.json",
        "--key",
        "carrier.pem",
        "--at",
        "2026-11-28T05:10:00Z",
        "--time",
        "2026-11-28T06:10:00+01:00",
        "--reservation",
        "packaging=2 drums dented:seen at loading",
    ]);
    run(&["accept-reservations", "doc.json", "--key", "sender.pem", "--at", "2026-11-28T05:20:00Z"]);
    run(&[
        "hand-over",
        "doc.json",
        "--key",
        "second.pem",
        "--place",
        "Strasbourg,FR",
        "--time",
        "2026-11-28T14:00:00+01:00",
        "--at",
        "2026-11-28T13:00:00Z",
    ]);
    run(&[
        "deliver",
        "doc.json",
        "--key",
        "consignee.pem",
        "--time",
        "2026-11-29T09:30:00+01:00",
        "--at",
        "2026-11-29T08:30:00Z",
    ]);
    let doc = dir.path().join("doc.json");
    (dir, doc)
}

fn render(doc: &Path, args: &[&str]) -> Vec<u8> {
    Command::cargo_bin("ecmr").unwrap().arg("render").arg(doc).args(args).assert().success().get_output().stdout.clone()
}

fn check_snapshot(name: &str, got: &str) {
    let path = data(&format!("render/{name}"));
    if std::env::var_os("ECMR_BLESS").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("missing snapshot {}", path.display()));
    assert_eq!(
        got,
        want,
        "rendering differs from {}; rerun with ECMR_BLESS=1 after an intended change",
        path.display()
    );
}

#[test]
fn text_snapshots_in_every_language() {
    let (_dir, doc) = delivered();
    for lang in ["en", "nl", "fr", "de"] {
        let text = String::from_utf8(render(&doc, &["--lang", lang])).unwrap();
        check_snapshot(&format!("adr-delivered.{lang}.txt"), &text);
    }
    // A bare note renders as the library's text, with no events or QR code.
    let text = String::from_utf8(render(&data("adr-note.json"), &[])).unwrap();
    let note = ecmr::json::from_str(&std::fs::read_to_string(data("adr-note.json")).unwrap()).unwrap();
    assert_eq!(text, ecmr::render::text(&note));
}

#[test]
fn text_shows_state_events_reservations_and_adr() {
    let (_dir, doc) = delivered();
    let text = String::from_utf8(render(&doc, &[])).unwrap();
    for want in [
        "State: delivered",
        "0 Issued — sender — Nordchemie Handels GmbH",
        "1 Taken over — carrier — Elbe Logistik KG",
        "Reservation (packaging): 2 drums dented — grounds: seen at loading",
        "accepted by the sender, event 2",
        "3 Handed over — successive carrier",
        "4 Delivered — consignee — Chimie Lyonnaise SAS",
        "ADR: UN 1098 ALLYL ALCOHOL, 6.1 (3), I, (C/D)",
        "ecmr:uil=ecmr-gate/ecmr-platform/0b6f4c1e-5a53-4f7e-9d0a-3c2b1a000001;seq=4;digest=sha256:",
    ] {
        assert!(text.contains(want), "text rendering lacks {want:?}:\n{text}");
    }
    let de = String::from_utf8(render(&doc, &["--lang", "de"])).unwrap();
    assert!(de.contains("24 Gut empfangen") && de.contains("Status: abgeliefert"));
}

#[test]
fn html_has_every_box_and_the_qr_code() {
    let (_dir, doc) = delivered();
    let html = String::from_utf8(render(&doc, &["--format", "html", "--lang", "fr"])).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<html lang=\"fr\">"));
    for n in (1..=5).chain(13..=24) {
        assert!(html.contains(&format!("id=\"box-{n}\"")), "box {n} missing");
    }
    assert!(html.contains("id=\"box-6-12\"") && html.contains("Nature de la marchandise"));
    assert!(html.contains("Nordchemie Handels GmbH") && html.contains("UN 1098 ALLYL ALCOHOL, 6.1 (3), I, (C/D)"));
    assert!(html.contains("<svg") && html.contains("id=\"events\""));
    // Self-contained: nothing is loaded from elsewhere.
    for bad in ["<script", "src=\"http", "href=\"http", "<link"] {
        assert!(!html.contains(bad), "HTML loads something: {bad}");
    }
}

fn tool(name: &str) -> Process {
    let probe = Process::new(name).arg("-v").output();
    assert!(probe.is_ok(), "{name} is missing: install poppler-utils");
    Process::new(name)
}

#[test]
fn pdf_text_extracts_and_qr_decodes() {
    let (dir, doc) = delivered();
    let pdf = dir.path().join("doc.pdf");
    Command::cargo_bin("ecmr")
        .unwrap()
        .arg("render")
        .arg(&doc)
        .args(["--format", "pdf", "-o"])
        .arg(&pdf)
        .assert()
        .success();
    let bytes = std::fs::read(&pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF-"));

    let out = tool("pdftotext").arg(&pdf).arg("-").output().unwrap();
    assert!(out.status.success(), "pdftotext failed: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    for want in [
        "CMR CONSIGNMENT NOTE",
        "Nordchemie Handels GmbH",
        "Chimie Lyonnaise SAS",
        "Elbe Logistik KG",
        "UN 1098 ALLYL ALCOHOL, 6.1 (3), I, (C/D)",
        "24 Goods received",
    ] {
        assert!(text.contains(want), "PDF text lacks {want:?}:\n{text}");
    }
    let number = serde_json::from_str::<serde_json::Value>(&std::fs::read_to_string(data("adr-note.json")).unwrap())
        .unwrap()["number"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(text.contains(&number));

    // A4 on every page.
    let info = tool("pdfinfo").arg(&pdf).output().unwrap();
    let info = String::from_utf8(info.stdout).unwrap();
    assert!(info.contains("595.28 x 841.89 pts (A4)"), "{info}");

    // Rasterise the first page and read the QR code.
    let prefix = dir.path().join("page");
    let st =
        tool("pdftoppm").args(["-r", "200", "-gray", "-f", "1", "-l", "1"]).arg(&pdf).arg(&prefix).status().unwrap();
    assert!(st.success());
    let pgm = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "pgm"))
        .expect("pdftoppm wrote no page");
    let (w, h, pixels) = read_pgm(&std::fs::read(pgm).unwrap());
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| pixels[y * w + x]);
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1, "expected one QR code on page 1");
    let (_, content) = grids[0].decode().unwrap();
    let verified = ecmr::verify::verify(&std::fs::read(&doc).unwrap(), None).unwrap();
    let expected = format!(
        "ecmr:uil=ecmr-gate/ecmr-platform/{};seq={};digest={}",
        verified.id(),
        verified.events.len() - 1,
        verified.last_event_digest().unwrap()
    );
    assert_eq!(content, expected);
}

#[test]
fn qr_payload_links_to_the_gateway_inspector_or_is_text() {
    let (_dir, doc) = delivered();
    let verified = ecmr::verify::verify(&std::fs::read(&doc).unwrap(), None).unwrap();
    let digest = verified.last_event_digest().unwrap();
    let last_line = |args: &[&str]| {
        let text = String::from_utf8(render(&doc, args)).unwrap();
        text.lines().last().unwrap().to_owned()
    };
    let link = last_line(&["--gateway-url", "https://gate.example.eu/", "--gate-id", "NL gate#1"]);
    assert_eq!(
        link,
        format!(
            "https://gate.example.eu/inspect/#uil=NL%20gate%231/ecmr-platform/{}&seq=4&digest={digest}",
            verified.id()
        )
    );
    let p = ecmr::qr::QrPayload::parse(&link).unwrap();
    assert_eq!((p.gate_id.as_str(), p.dataset_id.as_str(), p.seq), ("NL gate#1", verified.id(), 4));
    let text = last_line(&["--platform-id", "van-dijk"]);
    assert_eq!(text, format!("ecmr:uil=ecmr-gate/van-dijk/{};seq=4;digest={digest}", verified.id()));

    // Ids and URLs the UIL does not allow are usage errors that name the option.
    for (args, what) in [
        (&["--gateway-url", "gate.example.eu"][..], "--gateway-url"),
        (&["--gateway-url", "https://gate.example.eu/?x=1"][..], "--gateway-url"),
        (&["--gate-id", "a;b"][..], "gateId"),
        (&["--platform-id", ""][..], "platformId"),
    ] {
        Command::cargo_bin("ecmr").unwrap().arg("render").arg(&doc).args(args).assert().code(2).stderr(contains(what));
    }
}

/// A binary greyscale PGM (P5, 8 bit).
fn read_pgm(bytes: &[u8]) -> (usize, usize, Vec<u8>) {
    let mut fields = Vec::new();
    let mut i = 0;
    while fields.len() < 4 {
        while bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if bytes[i] == b'#' {
            while bytes[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        let start = i;
        while !bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        fields.push(String::from_utf8(bytes[start..i].to_vec()).unwrap());
    }
    assert_eq!(fields[0], "P5");
    let (w, h): (usize, usize) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
    let data = bytes[i + 1..].to_vec();
    assert_eq!(data.len(), w * h);
    (w, h, data)
}

#[test]
fn render_failures() {
    let (dir, doc) = delivered();
    // A document that does not verify is not rendered.
    let text = std::fs::read_to_string(&doc).unwrap().replacen("Hamburg", "Hamburq", 1);
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, text).unwrap();
    Command::cargo_bin("ecmr").unwrap().arg("render").arg(&bad).assert().code(1).stderr(contains("does not verify"));
    Command::cargo_bin("ecmr").unwrap().args(["render", "/nonexistent.json"]).assert().code(2);
    Command::cargo_bin("ecmr").unwrap().arg("render").arg(data("not-a-note.txt")).assert().code(1);
    Command::cargo_bin("ecmr").unwrap().arg("render").arg(&doc).args(["--format", "svg"]).assert().code(2);
    // Refuses to overwrite without --force.
    let out = dir.path().join("x.html");
    std::fs::write(&out, "keep").unwrap();
    Command::cargo_bin("ecmr")
        .unwrap()
        .arg("render")
        .arg(&doc)
        .args(["--format", "html", "-o"])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(contains("--force"));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "keep");
}

#[test]
fn long_notes_flow_over_a4_pages_and_keep_every_character() {
    // 300 goods lines, a long special agreement and a sender named in Polish, Greek, Cyrillic and Chinese.
    let dir = tempfile::tempdir().unwrap();
    let mut note: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/domestic-pallets.json"))
            .unwrap(),
    )
    .unwrap();
    let item = note["goods"][0].clone();
    note["goods"] = (0..300)
        .map(|i| {
            let mut g = item.clone();
            g["marks_and_numbers"] = format!("BZ-{i:04} {}", "x".repeat(i % 50)).into();
            g
        })
        .collect();
    note["special_agreements"] = serde_json::json!(["Lorem ipsum dolor sit amet ".repeat(40)]);
    note["sender"]["name"] = "Łódź Przewóz Ελληνικά Кириллица 中文".into();
    let path = dir.path().join("big.json");
    std::fs::write(&path, serde_json::to_string(&note).unwrap()).unwrap();
    let pdf = dir.path().join("big.pdf");
    Command::cargo_bin("ecmr")
        .unwrap()
        .arg("render")
        .arg(&path)
        .args(["--format", "pdf", "-o"])
        .arg(&pdf)
        .assert()
        .success();

    let info =
        String::from_utf8(tool("pdfinfo").args(["-f", "1", "-l", "99"]).arg(&pdf).output().unwrap().stdout).unwrap();
    let pages: usize = info.lines().find_map(|l| l.strip_prefix("Pages:")).unwrap().trim().parse().unwrap();
    assert!(pages >= 2, "{info}");
    let sizes: Vec<&str> = info.lines().filter(|l| l.starts_with("Page") && l.contains("size:")).collect();
    assert_eq!(sizes.len(), pages);
    assert!(sizes.iter().all(|l| l.contains("595.28 x 841.89 pts (A4)")), "{info}");

    let text = String::from_utf8(tool("pdftotext").arg(&pdf).arg("-").output().unwrap().stdout).unwrap();
    assert_eq!(text.matches("BZ-0").count(), 300);
    assert!(text.contains("BZ-0299"));
    // Characters the fonts have come back as they are; those they lack print and extract as `?`.
    assert!(text.contains("Łódź Przewóz Ελληνικά Кириллица ??"), "{text}");
    assert!(text.contains("Lorem ipsum dolor sit amet"));
}
