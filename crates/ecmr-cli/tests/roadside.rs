//! The roadside without a web app: `ecmr verify --json` gives what a QR shows, `ecmr verify --qr` checks a scanned
//! code against the original (current, moved on, another document, no such event, wrong digest), and a rendered
//! PDF carries the exact signed document, which `ecmr verify note.pdf` verifies — and refuses when it is tampered
//! with, damaged or missing.
//!
//! The documents are the complete-lifecycle test vectors of `tests/vectors/documents/` and prefixes of them (a
//! prefix of a valid document is valid: the note as it stood after its first events). Needs poppler-utils.

use std::path::{Path, PathBuf};
use std::process::Command as Process;

use assert_cmd::Command;
use predicates::str::contains;
use serde_json::Value;

fn ecmr() -> Command {
    Command::cargo_bin("ecmr").unwrap()
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The document of a test vector, its first `events` events (all when `None`), written compact to `dir/name`.
fn vector_doc(dir: &Path, vector: &str, events: Option<usize>, name: &str) -> PathBuf {
    let path = repo().join("tests/vectors/documents").join(vector);
    let v: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let mut doc = v["document"].clone();
    if let Some(n) = events {
        doc["events"].as_array_mut().unwrap().truncate(n);
    }
    let out = dir.join(name);
    std::fs::write(&out, serde_json::to_vec(&doc).unwrap()).unwrap();
    out
}

fn verify_json(args: &[&std::ffi::OsStr]) -> (i32, Value) {
    let out = ecmr().arg("verify").arg("--json").args(args).output().unwrap();
    let v =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    (out.status.code().unwrap(), v)
}

fn qr_of(doc: &Path, extra: &[&str]) -> String {
    let out = ecmr().arg("render").arg(doc).args(extra).output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().lines().last().unwrap().to_owned()
}

#[test]
fn json_report_has_the_id_and_the_last_event_a_qr_shows() {
    let dir = tempfile::tempdir().unwrap();
    let doc = vector_doc(dir.path(), "complete-domestic-pallets.json", None, "doc.json");
    let (code, v) = verify_json(&[doc.as_os_str()]);
    assert_eq!(code, 0);
    let verified = ecmr::verify::verify(&std::fs::read(&doc).unwrap(), None).unwrap();
    assert_eq!(v["document_id"], verified.id());
    assert_eq!(v["last_seq"], verified.events.len() as u64 - 1);
    assert_eq!(v["last_event_digest"], verified.last_event_digest().unwrap());
    assert!(v.get("qr").is_none() && v.get("pdf_attachment").is_none());
    // The QR of a rendering carries exactly these.
    let qr = ecmr::qr::QrPayload::parse(&qr_of(&doc, &[])).unwrap();
    assert_eq!(
        (qr.dataset_id.as_str(), qr.seq, qr.digest.as_str()),
        (verified.id(), 4, verified.last_event_digest().unwrap())
    );

    // A document that does not verify still names its id and last event, and is not ok.
    let tampered = std::fs::read_to_string(&doc).unwrap().replacen("Tilburg", "Tilburq", 1);
    std::fs::write(dir.path().join("bad.json"), tampered).unwrap();
    let (code, v) = verify_json(&[dir.path().join("bad.json").as_os_str()]);
    assert_eq!(code, 1);
    assert_eq!((v["ok"].as_bool(), v["document_id"].as_str()), (Some(false), Some(verified.id())));
    assert_eq!(v["last_seq"], 4);
}

#[test]
fn scanned_qr_is_checked_against_the_document() {
    let dir = tempfile::tempdir().unwrap();
    let full = vector_doc(dir.path(), "complete-domestic-pallets.json", None, "full.json");
    let early = vector_doc(dir.path(), "complete-domestic-pallets.json", Some(2), "early.json");
    let other = vector_doc(dir.path(), "complete-international-cod.json", None, "other.json");
    let current = qr_of(&full, &["--gateway-url", "https://gate.example.eu"]);
    let printed_early = qr_of(&early, &[]);

    let check = |qr: &str, doc: &Path| {
        let (code, v) = verify_json(&["--qr".as_ref(), qr.as_ref(), doc.as_os_str()]);
        (code, v["qr"]["outcome"].as_str().unwrap().to_owned(), v["qr"]["message"].as_str().unwrap().to_owned())
    };
    assert_eq!(check(&current, &full).0, 0);
    assert_eq!(check(&current, &full).1, "current");
    assert_eq!(check(&printed_early, &early).1, "current");

    // Printed after event 1, checked against the document that went on to event 4: a named outcome of its own.
    let (code, outcome, message) = check(&printed_early, &full);
    assert_eq!((code, outcome.as_str()), (1, "moved_on"));
    assert!(message.contains("the document has moved on since this QR"), "{message}");
    ecmr().args(["verify", "--qr", &printed_early]).arg(&full).assert().code(1).stdout(contains(
        "✘ QR: the document has moved on since this QR: the QR shows event 1, the document's last event is 4",
    ));

    // The current QR against the early document: it has no event 4.
    assert_eq!(
        check(&current, &early),
        (1, "no_such_event".to_owned(), "the document has no event 4: it has 2 events".to_owned())
    );
    // Another document.
    assert_eq!(check(&current, &other).1, "other_document");
    // The right document and seq, another digest.
    let p = ecmr::qr::QrPayload::parse(&current).unwrap();
    let forged = ecmr::qr::QrPayload { digest: format!("sha256:{}", "0".repeat(64)), ..p.clone() };
    let (code, outcome, message) = check(&forged.to_string(), &full);
    assert_eq!((code, outcome.as_str()), (1, "digest_mismatch"));
    assert!(message.contains(&p.digest), "{message}");
    // The same seq and digest read from the text form.
    let text = ecmr::qr::QrPayload { gateway_url: None, ..p };
    assert_eq!(check(&text.to_string(), &full).1, "current");

    // A scan that is not a payload is refused naming the part; nothing is verified.
    for (bad, part) in [("hello", "payload"), ("ecmr:uil=g/p/d;seq=x;digest=sha256:00", "seq")] {
        ecmr()
            .args(["verify", "--qr", bad])
            .arg(&full)
            .assert()
            .code(1)
            .stdout("")
            .stderr(contains(format!("--qr is not an ecmr QR payload: {part}")));
    }
}

fn tool(name: &str) -> Process {
    assert!(Process::new(name).arg("-v").output().is_ok(), "{name} is missing: install poppler-utils");
    Process::new(name)
}

fn render_pdf(doc: &Path, pdf: &Path, extra: &[&str]) {
    ecmr().arg("render").arg(doc).args(["--format", "pdf", "--force", "-o"]).arg(pdf).args(extra).assert().success();
}

#[test]
fn the_pdf_carries_the_exact_signed_document_and_verifies_from_it() {
    let dir = tempfile::tempdir().unwrap();
    let doc = vector_doc(dir.path(), "complete-adr-fuel.json", None, "doc.json");
    // Re-indented: the attachment must be these bytes, not a re-serialisation.
    let pretty =
        serde_json::to_string_pretty(&serde_json::from_slice::<Value>(&std::fs::read(&doc).unwrap()).unwrap()).unwrap();
    std::fs::write(&doc, format!("{pretty}\n")).unwrap();
    let pdf = dir.path().join("note.pdf");
    render_pdf(&doc, &pdf, &["--lang", "de"]);

    let list = tool("pdfdetach").arg("-list").arg(&pdf).output().unwrap();
    let list = String::from_utf8(list.stdout).unwrap();
    let id = ecmr::document::Document::from_slice(&std::fs::read(&doc).unwrap()).unwrap().id;
    assert!(list.starts_with("1 embedded files") && list.contains(&format!("1: ecmr-{id}.json")), "{list}");
    let saved = dir.path().join("saved.json");
    assert!(tool("pdfdetach").args(["-save", "1", "-o"]).arg(&saved).arg(&pdf).status().unwrap().success());
    assert_eq!(std::fs::read(&saved).unwrap(), std::fs::read(&doc).unwrap());

    // The associated-file structure: /AF and /Names /EmbeddedFiles name one file spec, /AFRelationship /Source,
    // an application/json stream with /Params /Size and /CheckSum.
    let parsed = lopdf::Document::load(&pdf).unwrap();
    let catalog = parsed.catalog().unwrap();
    let af = catalog.get(b"AF").unwrap().as_array().unwrap();
    assert_eq!(af.len(), 1);
    let spec_id = af[0].as_reference().unwrap();
    let names = catalog.get_deref(b"Names", &parsed).unwrap().as_dict().unwrap();
    let tree = names.get_deref(b"EmbeddedFiles", &parsed).unwrap().as_dict().unwrap();
    assert_eq!(tree.get(b"Names").unwrap().as_array().unwrap()[1].as_reference().unwrap(), spec_id);
    let spec = parsed.get_dictionary(spec_id).unwrap();
    assert_eq!(spec.get(b"AFRelationship").unwrap().as_name().unwrap(), b"Source");
    let ef = spec.get(b"EF").unwrap().as_dict().unwrap();
    let stream = parsed.get_object(ef.get(b"F").unwrap().as_reference().unwrap()).unwrap().as_stream().unwrap();
    assert_eq!(stream.dict.get(b"Subtype").unwrap().as_name().unwrap(), b"application/json");
    let params = stream.dict.get(b"Params").unwrap().as_dict().unwrap();
    assert_eq!(params.get(b"Size").unwrap().as_i64().unwrap(), std::fs::metadata(&doc).unwrap().len() as i64);
    assert_eq!(params.get(b"CheckSum").unwrap().as_str().unwrap().len(), 16);

    // `ecmr verify note.pdf` verifies the attached document, and --json says where it came from.
    ecmr()
        .arg("verify")
        .arg(&pdf)
        .assert()
        .success()
        .stdout(contains(format!("signed document ecmr-{id}.json attached to the PDF")))
        .stdout(contains("✔ verified: 5 events"));
    let (code, v) = verify_json(&[pdf.as_os_str()]);
    assert_eq!((code, v["pdf_attachment"].as_str()), (0, Some(format!("ecmr-{id}.json").as_str())));
    // And the QR printed on the PDF, scanned, matches the PDF's own document.
    let qr = qr_of(&doc, &[]);
    ecmr()
        .args(["verify", "--qr", &qr])
        .arg(&pdf)
        .assert()
        .success()
        .stdout(contains("✔ QR: the QR shows the document as it stands"));
}

/// Rewrites the attached file of `pdf` with `content`, keeping (or fixing) the /Params size and checksum.
fn replace_attachment(pdf: &Path, content: &[u8], fix_params: bool, out: &Path) {
    let mut parsed = lopdf::Document::load(pdf).unwrap();
    let ids: Vec<lopdf::ObjectId> = parsed
        .objects
        .iter()
        .filter(|(_, o)| {
            o.as_stream().is_ok_and(|s| s.dict.get(b"Type").and_then(|t| t.as_name()).ok() == Some(b"EmbeddedFile"))
        })
        .map(|(id, _)| *id)
        .collect();
    assert_eq!(ids.len(), 1);
    let stream = parsed.get_object_mut(ids[0]).unwrap().as_stream_mut().unwrap();
    stream.set_plain_content(content.to_vec());
    if fix_params {
        use md5::Digest as _;
        let mut params = lopdf::Dictionary::new();
        params.set("Size", content.len() as i64);
        params.set("CheckSum", lopdf::Object::string_literal(md5::Md5::digest(content).to_vec()));
        stream.dict.set("Params", params);
    }
    parsed.save(out).unwrap();
}

#[test]
fn a_pdf_whose_attachment_is_changed_damaged_or_missing_does_not_verify() {
    let dir = tempfile::tempdir().unwrap();
    let doc = vector_doc(dir.path(), "complete-domestic-pallets.json", None, "doc.json");
    let pdf = dir.path().join("note.pdf");
    render_pdf(&doc, &pdf, &[]);
    let original = std::fs::read(&doc).unwrap();

    // The attached document changed by one value, size and checksum made to fit: the signatures catch it.
    let changed =
        String::from_utf8(original.clone()).unwrap().replacen("\"26\"", "\"27\"", 1).replacen(":26,", ":27,", 1);
    assert_ne!(changed.as_bytes(), original);
    let tampered = dir.path().join("tampered.pdf");
    replace_attachment(&pdf, changed.as_bytes(), true, &tampered);
    ecmr().arg("verify").arg(&tampered).assert().code(1).stdout(contains("✘ does not verify"));

    // Changed without fixing /Params: the attachment is reported damaged.
    let damaged = dir.path().join("damaged.pdf");
    replace_attachment(&pdf, changed.as_bytes(), false, &damaged);
    ecmr().arg("verify").arg(&damaged).assert().code(1).stderr(contains("is damaged"));

    // The same bytes re-saved by another PDF writer still verify.
    let resaved = dir.path().join("resaved.pdf");
    replace_attachment(&pdf, &original, true, &resaved);
    ecmr().arg("verify").arg(&resaved).assert().success();

    // A PDF of a bare note carries no signed document.
    let bare = dir.path().join("bare.pdf");
    render_pdf(&repo().join("examples/domestic-pallets.json"), &bare, &[]);
    ecmr().arg("verify").arg(&bare).assert().code(1).stderr(contains("carries no signed document"));

    // A truncated PDF does not read.
    let bytes = std::fs::read(&pdf).unwrap();
    let cut = dir.path().join("cut.pdf");
    std::fs::write(&cut, &bytes[..bytes.len() / 3]).unwrap();
    ecmr().arg("verify").arg(&cut).assert().code(1).stderr(contains("cut.pdf"));
    // Nor does a file that only starts like one.
    let fake = dir.path().join("fake.pdf");
    std::fs::write(&fake, "%PDF-1.7\nnot really\n").unwrap();
    ecmr().arg("verify").arg(&fake).assert().code(1).stderr(contains("is not a readable PDF"));
}
