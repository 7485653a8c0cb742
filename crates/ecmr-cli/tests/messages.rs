//! Every refusal the command line gives over the test vectors, the example notes and the test data is said in
//! words: no Rust debug forms (`Some(…)`, `None`) in anything a user reads.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn files(dir: &Path, extensions: &[&str]) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| extensions.iter().any(|e| x == *e)))
        .collect();
    out.sort();
    out
}

/// The Rust debug forms found in `text`, if any.
fn debug_forms(text: &str) -> Vec<&'static str> {
    let mut found = Vec::new();
    if text.contains("Some(") {
        found.push("Some(");
    }
    if text.split(|c: char| !c.is_alphanumeric() && c != '_').any(|w| w == "None") {
        found.push("None");
    }
    found
}

/// The files every command is run on: each signed-document vector, each example, each test-data file, each
/// note the schema refuses and each hostile XML text, copied into `dir` under a readable name.
fn inputs(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for path in files(&repo().join("tests/vectors/documents"), &["json"]) {
        let vector: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let bytes = match (&vector["document_text"], &vector["document"]) {
            (serde_json::Value::String(t), _) => t.clone().into_bytes(),
            (_, doc) => serde_json::to_vec_pretty(doc).unwrap(),
        };
        let copy = dir.join(format!("doc-{}", path.file_name().unwrap().to_string_lossy()));
        std::fs::write(&copy, bytes).unwrap();
        out.push(copy);
    }
    for path in files(&repo().join("crates/ecmr/tests/vectors/schema-invalid"), &["json"]) {
        let vector: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let copy = dir.join(format!("note-{}", path.file_name().unwrap().to_string_lossy()));
        std::fs::write(&copy, serde_json::to_vec_pretty(&vector["note"]).unwrap()).unwrap();
        out.push(copy);
    }
    out.extend(files(&repo().join("examples"), &["json", "xml"]));
    out.extend(files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data"), &["json", "txt"]));
    out.extend(files(&repo().join("crates/ecmr/tests/data/xml-hostile"), &["xml"]));
    out
}

#[test]
fn no_message_shows_a_rust_debug_form() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key.pem");
    std::fs::write(&key, ecmr::keys::FileKey::from_seed(&[9; 32]).to_pkcs8_pem().unwrap()).unwrap();
    let trust = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/bad-trust.json");
    let key = key.to_str().unwrap();
    let trust = trust.to_str().unwrap();
    let written = dir.path().join("written.json");
    let written = written.to_str().unwrap();
    let commands: &[&[&str]] = &[
        &["validate"],
        &["verify"],
        &["verify", "--json"],
        &["verify", "--trust", trust],
        &["convert", "--to", "xml"],
        &["render"],
        &["issue", "--key", key, "-o", written, "--force"],
        &["take-over", "--key", key, "-o", written, "--force"],
        &["cancel", "--key", key, "--reason", "r", "-o", written, "--force"],
        &["key", "show"],
    ];
    let mut problems = Vec::new();
    let mut refusals = 0;
    for input in inputs(dir.path()) {
        for args in commands {
            let (cmd, rest) = match args {
                ["key", "show"] => (&args[..2], &args[2..]),
                _ => (&args[..1], &args[1..]),
            };
            let out = Command::cargo_bin("ecmr").unwrap().args(cmd).arg(&input).args(rest).output().unwrap();
            if !out.status.success() {
                refusals += 1;
            }
            for (stream, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
                let text = String::from_utf8_lossy(bytes);
                let forms = debug_forms(&text);
                if !forms.is_empty() {
                    let line = text.lines().find(|l| !debug_forms(l).is_empty()).unwrap_or_default();
                    problems.push(format!(
                        "ecmr {} {}: {forms:?} on {stream}: {line}",
                        args.join(" "),
                        input.display()
                    ));
                }
            }
        }
        let imported = dir.path().join("imported");
        let out = Command::cargo_bin("ecmr").unwrap().arg("import").arg(&input).arg("--to").arg(&imported).output();
        let out = out.unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
        if !debug_forms(&text).is_empty() {
            problems.push(format!("ecmr import {}: {text}", input.display()));
        }
        let _ = std::fs::remove_dir_all(&imported);
    }
    assert!(refusals > 500, "the table exercises the refusals ({refusals})");
    assert!(problems.is_empty(), "{} messages show debug forms:\n{}", problems.len(), problems.join("\n"));
}

#[test]
fn the_check_finds_debug_forms() {
    assert_eq!(debug_forms(r#"prev Some("sha256:00") is wrong"#), ["Some("]);
    assert_eq!(debug_forms("unknown format None; expected"), ["None"]);
    assert!(debug_forms("Nonesuch Ltd, none given, Someone (Somerset)").is_empty());
}
