//! Every refusal the command line gives over the test vectors, the example notes and the test data is said in
//! words: no Rust debug forms (`Some(…)`, `None`, a debug-printed list or struct) in anything a user reads.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use ecmr::keys::Signer as _;

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

/// The Rust debug forms found in `text`, if any: `Some(…)` and `None` anywhere, and outside JSON a debug-printed
/// list (`["a", "b"]`, `[1, 2]`) or struct (`Name { field: … }`). JSON (a whole text, or a line) is looked into:
/// its strings are checked as text, but its own brackets and braces are not debug forms.
fn debug_forms(text: &str) -> Vec<&'static str> {
    let mut found = Vec::new();
    if text.contains("Some(") {
        found.push("Some(");
    }
    if text.split(|c: char| !c.is_alphanumeric() && c != '_').any(|w| w == "None") {
        found.push("None");
    }
    let mut plain = Vec::new();
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(v) => strings(&v, &mut plain),
        Err(_) => {
            for line in text.lines() {
                match serde_json::from_str::<serde_json::Value>(line) {
                    Ok(v) if v.is_object() || v.is_array() => strings(&v, &mut plain),
                    _ => plain.push(line.to_owned()),
                }
            }
        }
    }
    for form in plain.iter().flat_map(|t| list_or_struct(t)) {
        if !found.contains(&form) {
            found.push(form);
        }
    }
    found
}

/// Every string of a JSON value, keys included.
fn strings(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(items) => items.iter().for_each(|i| strings(i, out)),
        serde_json::Value::Object(map) => {
            for (k, i) in map {
                out.push(k.clone());
                strings(i, out);
            }
        }
        _ => {}
    }
}

/// The debug forms of a list or struct in plain text: `["a", "b"` (a list of strings), `[1, 2` (a list of
/// numbers) and `Name { field:` (a struct: a capitalised name, ` { `, then a field name and a colon). Compact JSON
/// within a line (`{"a":["b","c"]}`) separates without spaces, so it is not taken for one; a list of one string,
/// the same in both, is not told apart.
fn list_or_struct(text: &str) -> Vec<&'static str> {
    let mut found = Vec::new();
    let strings = text.match_indices("[\"").any(|(i, _)| {
        let rest = &text[i..];
        rest[..rest.find(']').unwrap_or(rest.len())].contains("\", \"")
    });
    if strings {
        found.push("[\"a\", \"b\"");
    }
    let numbers = text.match_indices('[').any(|(i, _)| {
        let rest = &text[i + 1..];
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        digits > 0 && rest[digits..].starts_with(", ") && rest[digits + 2..].starts_with(|c: char| c.is_ascii_digit())
    });
    if numbers {
        found.push("[1, 2");
    }
    let is_struct = text.match_indices(" { ").any(|(i, _)| {
        let name = text[..i].rsplit(|c: char| !c.is_alphanumeric() && c != '_').next().unwrap_or_default();
        let field = text[i + 3..].split(':').next().unwrap_or_default();
        name.starts_with(|c: char| c.is_ascii_uppercase())
            && !field.is_empty()
            && field.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            && text[i + 3 + field.len()..].starts_with(": ")
    });
    if is_struct {
        found.push("Name { field:");
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

/// Stands for the input file in a command of the table below.
const INPUT: &str = "{input}";
/// Stands for a fresh copy of the input file, for commands that rewrite the file they are given.
const COPY: &str = "{copy}";

#[test]
fn no_message_shows_a_rust_debug_form() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    let key = path("key.pem");
    let signer = ecmr::keys::FileKey::from_seed(&[9; 32]);
    std::fs::write(&key, signer.to_pkcs8_pem().unwrap()).unwrap();
    let data = |name: &str| Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name);
    let trust = data("bad-trust.json").to_str().unwrap().to_owned();
    let patch = data("amend-patch.json").to_str().unwrap().to_owned();
    let written = path("written.json");
    let copy = path("copy.json");
    // A document that every step below could extend, for the commands that take the input as something else.
    let doc = path("doc.json");
    Command::cargo_bin("ecmr")
        .unwrap()
        .arg("issue")
        .arg(repo().join("examples/domestic-pallets.json"))
        .args(["--key", &key, "-o", &doc, "--at", "2026-11-27T15:00:00Z"])
        .assert()
        .success();
    let public = signer.public_key().to_b64url();
    let (key, trust, patch, written, copy, doc) = (&*key, &*trust, &*patch, &*written, &*copy, &*doc);
    let steps = ["-o", written, "--force"];
    let commands: Vec<Vec<&str>> = vec![
        vec!["validate", INPUT],
        vec!["verify", INPUT],
        vec!["verify", INPUT, "--json"],
        vec!["verify", INPUT, "--trust", trust],
        vec!["verify", doc, "--trust", INPUT],
        vec!["verify", doc, "--gateway-key", INPUT],
        vec!["verify", doc, "--receipts", INPUT],
        vec!["verify", doc, "--receipts", INPUT, "--json"],
        vec!["convert", INPUT, "--to", "xml"],
        vec!["render", INPUT],
        vec!["issue", INPUT, "--key", key, "-o", written, "--force"],
        [&["take-over", INPUT, "--key", key][..], &steps].concat(),
        [&["accept-reservations", INPUT, "--key", key][..], &steps].concat(),
        [&["amend", INPUT, "--key", key, "--patch", patch, "--reason", "r"][..], &steps].concat(),
        [&["amend", doc, "--key", key, "--patch", INPUT, "--reason", "r"][..], &steps].concat(),
        [&["hand-over", INPUT, "--key", key, "--place", "Venlo,NL"][..], &steps].concat(),
        [&["deliver", INPUT, "--key", key][..], &steps].concat(),
        [&["refuse", INPUT, "--key", key, "--reason", "r"][..], &steps].concat(),
        [&["cancel", INPUT, "--key", key, "--reason", "r"][..], &steps].concat(),
        [&["take-over", doc, "--key", INPUT][..], &steps].concat(),
        vec!["key", "show", INPUT],
        vec!["key", "show", INPUT, "--trust-entry", "A"],
        vec!["trust", "list", "-f", INPUT],
        vec!["trust", "add", "-f", COPY, "--name", "A", "--key", &public],
        vec!["trust", "add", "-f", written, "--name", "A", "--pem", INPUT],
        vec!["trust", "add", "-f", written, "--name", "gate-nl", "--gateway", INPUT],
    ];
    let mut problems = Vec::new();
    let mut refusals = 0;
    for input in inputs(dir.path()) {
        let input_text = input.to_str().unwrap();
        for template in &commands {
            if template.contains(&COPY) {
                std::fs::copy(&input, copy).unwrap();
            }
            let args: Vec<&str> = template
                .iter()
                .map(|a| match *a {
                    INPUT => input_text,
                    COPY => copy,
                    a => a,
                })
                .collect();
            let out = Command::cargo_bin("ecmr").unwrap().args(&args).output().unwrap();
            if !out.status.success() {
                refusals += 1;
            }
            for (stream, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
                let text = String::from_utf8_lossy(bytes);
                let forms = debug_forms(&text);
                if !forms.is_empty() {
                    let line = text.lines().find(|l| !debug_forms(l).is_empty()).unwrap_or_default();
                    problems.push(format!("ecmr {}: {forms:?} on {stream}: {line}", args.join(" ")));
                }
            }
            let _ = std::fs::remove_file(written);
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
    assert!(refusals > 2000, "the table exercises the refusals ({refusals})");
    assert!(problems.is_empty(), "{} messages show debug forms:\n{}", problems.len(), problems.join("\n"));
}

#[test]
fn the_check_finds_debug_forms() {
    assert_eq!(debug_forms(r#"prev Some("sha256:00") is wrong"#), ["Some("]);
    assert_eq!(debug_forms("unknown format None; expected"), ["None"]);
    assert!(debug_forms("Nonesuch Ltd, none given, Someone (Somerset)").is_empty());
    assert_eq!(debug_forms(r#"roles ["sender", "carrier"] are not allowed"#), [r#"["a", "b""#]);
    assert_eq!(debug_forms("doc.json: appended seqs [1, 2] — stored"), ["[1, 2"]);
    assert_eq!(debug_forms(r#"bad key: PublicKey { bytes: [1, 2, 3] }"#), ["[1, 2", "Name { field:"]);
    assert_eq!(debug_forms(r#"{"msg": "roles [\"a\", \"b\"]"}"#), [r#"["a", "b""#], "inside a JSON string");
    // JSON output, compact or pretty, and plain lists in words are not debug forms.
    let json = r#"{"ok": true, "roles": ["sender"], "seqs": [1, 2], "at": {"x": 1}}"#;
    assert!(debug_forms(json).is_empty());
    let pretty = serde_json::to_string_pretty(&serde_json::from_str::<serde_json::Value>(json).unwrap()).unwrap();
    assert!(debug_forms(&pretty).is_empty());
    assert!(debug_forms(&format!("line one\n{json}\nline three")).is_empty());
    assert!(debug_forms(r#"   Changes: {"special_agreements":["By tail-lift","Call ahead"],"n":[1,2]}"#).is_empty());
    assert!(debug_forms("appended seqs 1, 2 — goods[0].weight must be { positive } (see box 11)").is_empty());
}
