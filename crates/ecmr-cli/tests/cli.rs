//! The command line driven as a process: every command, its failing paths and exit codes, a full lifecycle that
//! `ecmr verify` accepts, and tampering that it catches.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use predicates::str::contains;

fn ecmr() -> Command {
    Command::cargo_bin("ecmr").unwrap()
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn example(name: &str) -> PathBuf {
    repo().join("examples").join(name)
}

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

/// A scratch directory with the three parties' keys.
struct Setup {
    dir: tempfile::TempDir,
}

impl Setup {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        for who in ["sender", "carrier", "consignee", "second"] {
            ecmr().current_dir(dir.path()).args(["key", "generate", "-o", &format!("{who}.pem")]).assert().success();
        }
        Setup { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn cmd(&self) -> Command {
        let mut c = ecmr();
        c.current_dir(self.dir.path());
        c
    }

    /// Issues the domestic example as `doc.json`.
    fn issued(&self) -> PathBuf {
        self.cmd()
            .arg("issue")
            .arg(example("domestic-pallets.json"))
            .args(["--key", "sender.pem", "-o", "doc.json", "--at", "2026-11-27T15:00:00Z"])
            .assert()
            .success()
            .stdout(contains("issued NL-2026-000123 as document"));
        self.path("doc.json")
    }

    fn step(&self, args: &[&str]) -> assert_cmd::assert::Assert {
        self.cmd().args(args).assert()
    }
}

#[test]
fn help_lists_every_command_and_option() {
    let out = ecmr().arg("--help").assert().success().get_output().stdout.clone();
    let text = String::from_utf8(out).unwrap();
    for c in [
        "key",
        "validate",
        "convert",
        "issue",
        "take-over",
        "accept-reservations",
        "amend",
        "hand-over",
        "deliver",
        "refuse",
        "cancel",
        "verify",
        "render",
        "import",
    ] {
        assert!(text.contains(&format!("  {c} ")), "--help does not list {c}");
    }
    ecmr().args(["take-over", "--help"]).assert().success().stdout(contains("--reservation").and(contains("--place")));
    ecmr().args(["verify", "--help"]).assert().success().stdout(contains("--trust").and(contains("--json")));
    ecmr().args(["render", "--help"]).assert().success().stdout(contains("--lang").and(contains("pdf")));
    ecmr().args(["key", "generate", "--help"]).assert().success().stdout(contains("--force"));
    // Every command has its own complete help.
    for c in [
        &["key", "generate"][..],
        &["key", "show"],
        &["validate"],
        &["convert"],
        &["issue"],
        &["take-over"],
        &["accept-reservations"],
        &["amend"],
        &["hand-over"],
        &["deliver"],
        &["refuse"],
        &["cancel"],
        &["verify"],
        &["render"],
        &["import"],
    ] {
        let out = ecmr().args(c).arg("--help").assert().success().get_output().stdout.clone();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("Usage: ecmr"), "{c:?}: {text}");
        assert!(text.contains("Options:") && text.contains("--help"), "{c:?}: {text}");
    }
}

#[test]
fn usage_errors_exit_2() {
    ecmr().assert().code(2);
    ecmr().arg("frobnicate").assert().code(2);
    ecmr().args(["convert", "x.json"]).assert().code(2).stderr(contains("--to"));
    ecmr().args(["render", "x.json", "--lang", "es"]).assert().code(2);
}

#[test]
fn key_generate_writes_a_private_pem_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let out = ecmr()
        .current_dir(dir.path())
        .args(["key", "generate", "-o", "k.pem"])
        .assert()
        .success()
        .stdout(contains("public key: ").and(contains("key id:")))
        .get_output()
        .stdout
        .clone();
    let pem = std::fs::read_to_string(dir.path().join("k.pem")).unwrap();
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(dir.path().join("k.pem")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // Refuses to overwrite, and the key stays as it was.
    ecmr()
        .current_dir(dir.path())
        .args(["key", "generate", "-o", "k.pem"])
        .assert()
        .code(2)
        .stderr(contains("already exists").and(contains("--force")));
    assert_eq!(std::fs::read_to_string(dir.path().join("k.pem")).unwrap(), pem);
    ecmr().current_dir(dir.path()).args(["key", "generate", "-o", "k.pem", "--force"]).assert().success();
    assert_ne!(std::fs::read_to_string(dir.path().join("k.pem")).unwrap(), pem);

    // `key show` prints the same public key and id as `generate` did for the first key.
    let first = String::from_utf8(out).unwrap();
    std::fs::write(dir.path().join("old.pem"), &pem).unwrap();
    let shown =
        ecmr().current_dir(dir.path()).args(["key", "show", "old.pem"]).assert().success().get_output().stdout.clone();
    let shown = String::from_utf8(shown).unwrap();
    for line in first.lines().take(2) {
        assert!(shown.contains(line), "{line} not in {shown}");
    }
    // Without -o the PEM goes to stdout.
    ecmr()
        .args(["key", "generate"])
        .assert()
        .success()
        .stdout(contains("BEGIN PRIVATE KEY"))
        .stderr(contains("key id:"));
}

/// `-o` naming a named pipe or a device writes into it: renaming a file over it (as a regular file is replaced)
/// would swap the pipe — or `/dev/null` for every program on the machine — for a plain file.
#[cfg(unix)]
#[test]
fn output_into_a_pipe_keeps_the_pipe_and_a_directory_is_refused() {
    use std::os::unix::fs::FileTypeExt as _;
    let s = Setup::new();
    let fifo = s.path("out.fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().expect("mkfifo runs");
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(fifo).unwrap())
    };
    s.cmd()
        .arg("issue")
        .arg(example("domestic-pallets.json"))
        .args(["--key", "sender.pem", "-o", "out.fifo", "--force", "--at", "2026-11-27T15:00:00Z"])
        .assert()
        .success();
    // Checked before waiting for the reader, which would wait forever on a pipe replaced by a file.
    let kind = std::fs::symlink_metadata(&fifo).unwrap().file_type();
    assert!(kind.is_fifo(), "out.fifo is still a named pipe, not {kind:?}");
    let written = reader.join().unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&written).expect("the pipe received the signed document");
    assert_eq!(doc["events"][0]["kind"], "issued", "{doc}");

    std::fs::create_dir(s.path("notes")).unwrap();
    let err = one_line_error(
        s.cmd()
            .arg("issue")
            .arg(example("domestic-pallets.json"))
            .args(["--key", "sender.pem", "-o", "notes", "--force"])
            .assert()
            .code(2),
    );
    assert!(err.contains("notes is a directory"), "{err}");
    assert!(std::fs::read_dir(s.path("notes")).unwrap().next().is_none(), "nothing written into the directory");
}

/// A generated key is the PKCS#8 v1 form OpenSSL itself writes for Ed25519, which `openssl pkey` (3.0) and
/// pyca/cryptography read; the v2 form with the public key is refused by them.
#[test]
fn generated_keys_are_read_by_openssl() {
    let dir = tempfile::tempdir().unwrap();
    ecmr().current_dir(dir.path()).args(["key", "generate", "-o", "k.pem"]).assert().success();
    let pem = std::fs::read_to_string(dir.path().join("k.pem")).unwrap();
    // RFC 8410 v1: SEQUENCE of 46 bytes, version 0, the algorithm and the 32-byte private key, nothing else.
    assert!(pem.lines().nth(1).is_some_and(|l| l.starts_with("MC4CAQAw")), "{pem}");
    match std::process::Command::new("openssl").args(["pkey", "-noout", "-in"]).arg(dir.path().join("k.pem")).output() {
        Ok(out) => assert!(out.status.success(), "openssl refuses the key: {}", String::from_utf8_lossy(&out.stderr)),
        Err(e) => println!("note: openssl not run ({e}); the check that it reads the key is skipped"),
    }
}

#[test]
fn key_show_failures() {
    ecmr()
        .args(["key", "show"])
        .arg(data("not-a-note.txt"))
        .assert()
        .code(1)
        .stderr(contains("holds neither an Ed25519 public key nor a private key in PEM"));
    ecmr().args(["key", "show", "/nonexistent/key.pem"]).assert().code(2).stderr(contains("cannot read"));
}

#[test]
fn validate_examples_json_and_xml() {
    for name in ["domestic-pallets.json", "domestic-pallets.xml"] {
        ecmr().arg("validate").arg(example(name)).assert().code(0).stdout(contains("valid"));
    }
}

#[test]
fn validate_prints_every_finding_with_its_path() {
    ecmr().arg("validate").arg(data("invalid-note.json")).assert().code(1).stdout(
        contains("/sender/address/country")
            .and(contains("/goods/0/gross_weight_kg"))
            .and(contains("invalid, 2 errors")),
    );
    ecmr().arg("validate").arg(data("unparseable-note.json")).assert().code(1).stdout(contains("/number"));
    ecmr().arg("validate").arg(data("not-a-note.txt")).assert().code(1).stderr(contains("neither JSON nor XML"));
    ecmr().args(["validate", "/nonexistent.json"]).assert().code(2).stderr(contains("cannot read"));
    ecmr().arg("validate").arg(data("")).assert().code(2).stderr(contains("directory"));
}

#[test]
fn validate_lists_a_missing_member_with_the_content_findings() {
    let out = ecmr().arg("validate").arg(data("three-faults-note.json")).assert().code(1).get_output().stdout.clone();
    let text = String::from_utf8(out).unwrap();
    let errors: Vec<&str> = text.lines().filter(|l| l.starts_with("error")).collect();
    assert_eq!(errors.len(), 3, "{text}");
    for (pointer, code) in [
        ("/consignee", "structure.missing"),
        ("/sender/address/country", "country.unknown"),
        ("/goods/0/gross_weight_kg", "number.not_positive"),
    ] {
        assert!(errors.iter().any(|l| l.contains(&format!(" {pointer} ")) && l.contains(code)), "{pointer}: {text}");
    }
    assert!(text.ends_with("invalid, 3 errors\n"), "{text}");
}

#[test]
fn convert_round_trips_between_json_and_xml() {
    let dir = tempfile::tempdir().unwrap();
    let xml = dir.path().join("n.xml");
    ecmr()
        .arg("convert")
        .arg(example("domestic-pallets.json"))
        .args(["--to", "xml", "-o"])
        .arg(&xml)
        .assert()
        .success();
    assert!(std::fs::read_to_string(&xml).unwrap().contains("<rsm:eCMR"));
    let json = ecmr().arg("convert").arg(&xml).args(["--to", "json"]).assert().success().get_output().stdout.clone();
    let back = ecmr::json::from_slice(&json).unwrap();
    let original = ecmr::json::from_str(&std::fs::read_to_string(example("domestic-pallets.json")).unwrap()).unwrap();
    assert_eq!(back, original);
    // Refuses to overwrite without --force.
    ecmr().arg("convert").arg(example("domestic-pallets.json")).args(["--to", "xml", "-o"]).arg(&xml).assert().code(2);
    ecmr()
        .arg("convert")
        .arg(example("domestic-pallets.json"))
        .args(["--to", "xml", "--force", "-o"])
        .arg(&xml)
        .assert()
        .success();
    ecmr().arg("convert").arg(data("unparseable-note.json")).args(["--to", "xml"]).assert().code(1);
    ecmr().args(["convert", "/nonexistent.json", "--to", "xml"]).assert().code(2);
}

/// A note with a character XML 1.0 does not allow is not written as XML that no reader accepts: it is refused,
/// naming the text and the character, and `validate` reports it.
#[test]
fn convert_refuses_a_note_that_xml_cannot_carry() {
    let dir = tempfile::tempdir().unwrap();
    let mut note: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(example("domestic-pallets.json")).unwrap()).unwrap();
    note["number"] = "CMR\u{0}\u{1b}".into();
    let path = dir.path().join("bad.json");
    std::fs::write(&path, serde_json::to_string(&note).unwrap()).unwrap();
    let out = dir.path().join("bad.xml");
    ecmr()
        .arg("convert")
        .arg(&path)
        .args(["--to", "xml", "-o"])
        .arg(&out)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("&#x").not())
        .stderr(contains("/number").and(contains("U+0000")));
    assert!(!out.exists());
    ecmr().arg("validate").arg(&path).assert().code(1).stdout(contains("/number"));
}

#[test]
fn full_lifecycle_through_the_cli_verifies() {
    let s = Setup::new();
    let doc = s.issued();
    s.step(&["validate", "doc.json"]).success().stdout(contains("valid (signed document)"));
    s.step(&[
        "take-over",
        "doc.json",
        "--key",
        "carrier.pem",
        "--at",
        "2026-11-28T05:10:00Z",
        "--reservation",
        "packaging=2 pallets wrapping torn:seen at loading",
        "--check",
        "gross_weight=12460 kg on the weighbridge",
    ])
    .success()
    .stdout(contains("taken_over").and(contains("issued → in_transit")));
    s.step(&["accept-reservations", "doc.json", "--key", "sender.pem", "--at", "2026-11-28T05:20:00Z"]).success();
    std::fs::copy(data("amend-patch.json"), s.path("patch.json")).unwrap();
    s.step(&[
        "amend",
        "doc.json",
        "--key",
        "sender.pem",
        "--patch",
        "patch.json",
        "--reason",
        "consignee pays",
        "--at",
        "2026-11-28T06:00:00Z",
    ])
    .success();
    s.step(&["hand-over", "doc.json", "--key", "second.pem", "--place", "Zwolle,NL", "--at", "2026-11-28T08:00:00Z"])
        .success()
        .stdout(contains("successive_carrier"));
    s.step(&[
        "deliver",
        "doc.json",
        "--key",
        "consignee.pem",
        "--at",
        "2026-11-28T10:30:00Z",
        "--reservation",
        "loss_or_damage=1 carton crushed:seen at unloading",
    ])
    .success()
    .stdout(contains("in_transit → delivered"));
    s.step(&["verify", "doc.json"])
        .code(0)
        .stdout(contains("✔ event 5 delivered by the consignee").and(contains("✔ verified: 6 events")));
    // No temporary files are left beside the document.
    let names: Vec<String> = std::fs::read_dir(s.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
    // The library agrees.
    let v = ecmr::verify::verify(&std::fs::read(&doc).unwrap(), None).unwrap();
    assert_eq!(v.state(), ecmr::lifecycle::State::Delivered);
    assert_eq!(v.current_note()["payment_instructions"], "Carriage paid by the consignee");
}

#[test]
fn refused_steps_say_why_and_leave_the_document_alone() {
    let s = Setup::new();
    let doc = s.issued();
    let before = std::fs::read(&doc).unwrap();
    // Wrong state: deliver before take-over.
    s.step(&["deliver", "doc.json", "--key", "consignee.pem"])
        .code(1)
        .stderr(contains("step refused").and(contains("`delivered` is not allowed when the note is issued")));
    // Nothing to accept.
    s.step(&["accept-reservations", "doc.json", "--key", "sender.pem"]).code(1).stderr(contains("no reservations"));
    s.step(&["accept-reservations", "doc.json", "--key", "sender.pem", "--event", "0"])
        .code(1)
        .stderr(contains("no reservations awaiting acceptance"));
    // Forbidden amendment, and a patch that is not an object.
    std::fs::copy(data("forbidden-patch.json"), s.path("p.json")).unwrap();
    s.step(&["amend", "doc.json", "--key", "sender.pem", "--patch", "p.json", "--reason", "x"])
        .code(1)
        .stderr(contains("forbidden amendment"));
    std::fs::copy(data("array-patch.json"), s.path("a.json")).unwrap();
    s.step(&["amend", "doc.json", "--key", "sender.pem", "--patch", "a.json", "--reason", "x"])
        .code(1)
        .stderr(contains("not a JSON object"));
    s.step(&["amend", "doc.json", "--key", "sender.pem", "--patch", "missing.json", "--reason", "x"]).code(2);
    // Empty reasons are refused.
    s.step(&["cancel", "doc.json", "--key", "sender.pem", "--reason", " "]).code(1).stderr(contains("reason"));
    // Bad options.
    s.step(&["take-over", "doc.json", "--key", "carrier.pem", "--reservation", "no grounds"])
        .code(2)
        .stderr(contains("has no grounds"));
    s.step(&["take-over", "doc.json", "--key", "carrier.pem", "--place", "Nowhere"])
        .code(2)
        .stderr(contains("CITY,CC"));
    s.step(&["take-over", "doc.json", "--key", "carrier.pem", "--time", "yesterday"])
        .code(2)
        .stderr(contains("RFC 3339"));
    s.step(&["take-over", "doc.json", "--key", "carrier.pem", "--check", "colour=red"]).code(2);
    s.step(&["take-over", "doc.json", "--key", "nokey.pem"]).code(2).stderr(contains("cannot read key"));
    s.step(&["take-over", "doc.json", "--key", "doc.json"]).code(1).stderr(contains("not a PKCS#8 Ed25519 key"));
    assert_eq!(std::fs::read(&doc).unwrap(), before);

    // Cancel, then nothing more.
    s.step(&["cancel", "doc.json", "--key", "sender.pem", "--reason", "order withdrawn"])
        .success()
        .stdout(contains("issued → cancelled"));
    s.step(&["take-over", "doc.json", "--key", "carrier.pem"])
        .code(1)
        .stderr(contains("follows the final state cancelled"));
}

#[test]
fn steps_refuse_notes_and_broken_documents() {
    let s = Setup::new();
    s.step(&["take-over"]).code(2);
    s.cmd()
        .arg("take-over")
        .arg(example("domestic-pallets.json"))
        .args(["--key", "carrier.pem"])
        .assert()
        .code(1)
        .stderr(contains("not a signed document").and(contains("ecmr issue")));
    let doc = s.issued();
    let mut text = std::fs::read_to_string(&doc).unwrap();
    text = text.replacen("Tilburg", "Tilbury", 1);
    std::fs::write(&doc, text).unwrap();
    s.step(&["take-over", "doc.json", "--key", "carrier.pem"]).code(1).stderr(contains("does not verify"));
    // Issuing an invalid note is refused with the first finding.
    s.cmd()
        .arg("issue")
        .arg(data("invalid-note.json"))
        .args(["--key", "sender.pem", "-o", "x.json"])
        .assert()
        .code(1)
        .stderr(contains("not valid").and(contains("ecmr validate")));
    // Issuing over an existing document needs --force.
    s.cmd()
        .arg("issue")
        .arg(example("domestic-pallets.json"))
        .args(["--key", "sender.pem", "-o", "doc.json"])
        .assert()
        .code(2)
        .stderr(contains("already exists"));
}

#[test]
fn wrong_role_is_refused_when_keys_are_pinned() {
    let s = Setup::new();
    // Pin the sender's key in the note, then try to issue with the carrier's key.
    let pk =
        String::from_utf8(s.cmd().args(["key", "show", "sender.pem"]).assert().success().get_output().stdout.clone())
            .unwrap();
    let pk = pk.lines().next().unwrap().trim_start_matches("public key:").trim().to_owned();
    let mut note: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(example("domestic-pallets.json")).unwrap()).unwrap();
    note["sender"]["public_keys"] = serde_json::json!([pk]);
    std::fs::write(s.path("pinned.json"), serde_json::to_string(&note).unwrap()).unwrap();
    s.step(&["issue", "pinned.json", "--key", "carrier.pem", "-o", "p.json"])
        .code(1)
        .stderr(contains("not among the keys the note pins"));
    s.step(&["issue", "pinned.json", "--key", "sender.pem", "-o", "p.json"]).success();
    s.step(&["verify", "p.json"]).success().stdout(contains("pinned"));
}

/// A bare note given to `verify` is named as a note, with the command that makes a signed document of it.
#[test]
fn verify_of_a_bare_note_suggests_issuing_it() {
    for name in ["domestic-pallets.json", "domestic-pallets.xml"] {
        ecmr().arg("verify").arg(example(name)).assert().code(1).stdout(
            contains("✘")
                .and(contains("is a consignment note, not a signed document: sign it first with `ecmr issue"))
                .and(contains("None").not()),
        );
    }
    // The structured report stays a report.
    ecmr()
        .args(["verify", "--json"])
        .arg(example("domestic-pallets.json"))
        .assert()
        .code(1)
        .stdout(contains("\"failure\": \"unknown_format\""));
}

#[test]
fn verify_with_trust_file_and_json_report() {
    let s = Setup::new();
    s.issued();
    s.step(&["take-over", "doc.json", "--key", "carrier.pem"]).success();
    let entry = |key: &str, name: &str| -> serde_json::Value {
        let out =
            s.cmd().args(["key", "show", key, "--trust-entry", name]).assert().success().get_output().stdout.clone();
        serde_json::from_slice(&out).unwrap()
    };
    let sender = entry("sender.pem", "Brabant Zuivel");
    let carrier = entry("carrier.pem", "Van Dijk");
    std::fs::write(s.path("partial.json"), serde_json::json!({ "keys": [sender.clone()] }).to_string()).unwrap();
    std::fs::write(s.path("full.json"), serde_json::json!({ "keys": [sender, carrier] }).to_string()).unwrap();

    s.step(&["verify", "doc.json", "--trust", "full.json"])
        .code(0)
        .stdout(contains("trust store: Brabant Zuivel").and(contains("trust store: Van Dijk")));
    s.step(&["verify", "doc.json", "--trust", "partial.json"])
        .code(1)
        .stdout(contains("✘ event 1 taken_over").and(contains("not every signer is trusted")));
    s.step(&["verify", "doc.json"]).code(0);

    let out = s.step(&["verify", "doc.json", "--json", "--trust", "partial.json"]).code(1).get_output().stdout.clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["valid"], true);
    assert_eq!(v["all_trusted"], false);
    assert_eq!(v["ok"], false);
    assert_eq!(v["events"][1]["kind"], "taken_over");
    assert_eq!(v["state"], "in_transit");

    s.cmd()
        .arg("verify")
        .arg("doc.json")
        .arg("--trust")
        .arg(data("bad-trust.json"))
        .assert()
        .code(1)
        .stderr(contains("not a trust file"));
    s.step(&["verify", "doc.json", "--trust", "missing.json"]).code(2);
    s.step(&["verify", "missing.json"]).code(2);
    s.cmd().arg("verify").arg(example("domestic-pallets.json")).assert().code(1).stdout(contains("✘"));
}

/// The events' positions in the document's bytes.
fn event_spans(bytes: &[u8]) -> Vec<(usize, usize)> {
    let text = std::str::from_utf8(bytes).unwrap();
    let start = text.find("\"events\":[").unwrap() + "\"events\":[".len();
    let mut spans = Vec::new();
    let (mut depth, mut in_str, mut esc, mut begin) = (0usize, false, false, 0usize);
    for (i, c) in text[start..].char_indices() {
        let i = i + start;
        if in_str {
            match (esc, c) {
                (true, _) => esc = false,
                (false, '\\') => esc = true,
                (false, '"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_str = true,
            '{' => {
                if depth == 0 {
                    begin = i;
                }
                depth += 1;
            }
            '}' => {
                depth -= 1;
                if depth == 0 {
                    spans.push((begin, i + 1));
                }
            }
            ']' if depth == 0 => break,
            _ => {}
        }
    }
    spans
}

#[test]
fn a_tampered_byte_makes_verify_fail_naming_the_event() {
    let s = Setup::new();
    s.issued();
    s.step(&["take-over", "doc.json", "--key", "carrier.pem", "--reservation", "wet:rain"]).success();
    s.step(&["deliver", "doc.json", "--key", "consignee.pem"]).success();
    let original = std::fs::read(s.path("doc.json")).unwrap();
    let spans = event_spans(&original);
    assert_eq!(spans.len(), 3);
    // Every 9th byte of every event: change it and verify names that event (or a later one whose `prev` breaks).
    for (seq, &(begin, end)) in spans.iter().enumerate() {
        for pos in (begin..end).step_by(9) {
            let mut bytes = original.clone();
            bytes[pos] = if bytes[pos] == b'0' {
                b'1'
            } else if bytes[pos].is_ascii_alphanumeric() {
                b'0'
            } else {
                b'x'
            };
            std::fs::write(s.path("t.json"), &bytes).unwrap();
            let out = s.step(&["verify", "t.json"]).code(1).get_output().stdout.clone();
            let out = String::from_utf8(out).unwrap();
            let structural = !original[pos].is_ascii_alphanumeric();
            if !structural {
                assert!(
                    out.contains(&format!("✘ event {seq} ")) || out.contains(&format!("✘ event {seq}:")),
                    "byte {pos} ({:?}) of event {seq} changed, report does not name it:\n{out}",
                    original[pos] as char
                );
            }
        }
    }
    // And every 37th byte anywhere makes it fail.
    for pos in (0..original.len()).step_by(37) {
        let mut bytes = original.clone();
        bytes[pos] ^= 0x01;
        std::fs::write(s.path("t.json"), &bytes).unwrap();
        s.step(&["verify", "t.json"]).code(1);
    }
}

/// What the README says is signed: every value, not the layout. A re-indented document with its members in
/// another order and a string escaped differently still verifies; a changed value does not.
#[test]
fn layout_is_not_signed_but_every_value_is() {
    let s = Setup::new();
    s.issued();
    s.step(&["take-over", "doc.json", "--key", "carrier.pem", "--reservation", "wet:rain"]).success();
    let compact = std::fs::read_to_string(s.path("doc.json")).unwrap();
    let value: serde_json::Value = serde_json::from_str(&compact).unwrap();
    let pretty = serde_json::to_string_pretty(&value).unwrap().replace("\"Tilburg\"", "\"\\u0054ilburg\"");
    assert_ne!(pretty, compact);
    assert!(pretty.contains("\\u0054ilburg") && !compact.contains("\n  "), "layout, order and escapes differ");
    std::fs::write(s.path("pretty.json"), &pretty).unwrap();
    s.step(&["verify", "pretty.json"]).code(0).stdout(contains("✔ verified: 2 events"));
    for (from, to) in [("NL-2026-000123", "NL-2026-000124"), ("\"wet\"", "\"dry\""), ("\"seq\": 1", "\"seq\": 2")] {
        assert!(pretty.contains(from), "{from}");
        std::fs::write(s.path("changed.json"), pretty.replacen(from, to, 1)).unwrap();
        s.step(&["verify", "changed.json"]).code(1).stdout(contains("✘ does not verify"));
    }
}

/// A directory with two valid notes (JSON, and XML in a subdirectory), a signed document and an invalid note.
fn import_inputs(s: &Setup) -> PathBuf {
    let dir = s.path("in");
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::copy(example("domestic-pallets.json"), dir.join("a.json")).unwrap();
    std::fs::copy(example("international-cod.xml"), dir.join("sub/b.xml")).unwrap();
    std::fs::copy(data("invalid-note.json"), dir.join("c.json")).unwrap();
    std::fs::write(dir.join("ignored.txt"), "not taken").unwrap();
    s.issued();
    std::fs::copy(s.path("doc.json"), dir.join("d.json")).unwrap();
    dir
}

#[test]
fn import_validates_converts_and_summarises() {
    let s = Setup::new();
    import_inputs(&s);
    s.step(&["import", "in", "--to", "out"])
        .code(1)
        .stdout(contains("imported 3 of 4 files into out: 2 notes, 1 signed document; 1 failed"))
        .stderr(contains("c.json: invalid, 2 errors"));
    let original = ecmr::json::from_str(&std::fs::read_to_string(example("domestic-pallets.json")).unwrap()).unwrap();
    for (name, example_name) in [("a.json", "domestic-pallets.json"), ("b.json", "international-cod.json")] {
        let note = ecmr::json::from_str(&std::fs::read_to_string(s.path("out").join(name)).unwrap()).unwrap();
        let expected = ecmr::json::from_str(&std::fs::read_to_string(example(example_name)).unwrap()).unwrap();
        assert_eq!(note, expected, "{name}");
    }
    // The document is copied byte for byte.
    assert_eq!(std::fs::read(s.path("out/d.json")).unwrap(), std::fs::read(s.path("doc.json")).unwrap());
    assert!(!s.path("out/c.json").exists());
    // Without the progress bar when standard output is not a terminal.
    let out = s.step(&["import", "in/a.json", "--to", "out2", "--format", "xml"]).code(0).get_output().clone();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout, "imported 1 of 1 file into out2: 1 note, 0 signed documents; 0 failed\n");
    assert!(out.stderr.is_empty());
    let xml = std::fs::read_to_string(s.path("out2/a.xml")).unwrap();
    assert_eq!(ecmr::xml::from_str(&xml).unwrap(), original);
}

#[test]
fn import_refuses_overwrites_and_collisions() {
    let s = Setup::new();
    import_inputs(&s);
    s.step(&["import", "in/a.json", "--to", "out"]).code(0);
    s.step(&["import", "in/a.json", "--to", "out"]).code(1).stderr(contains("already exists — pass --force"));
    s.step(&["import", "in/a.json", "--to", "out", "--force"]).code(0);
    // Two different notes that would be written to the same file.
    std::fs::copy(example("international-cod.xml"), s.path("in/a.xml")).unwrap();
    s.step(&["import", "in/a.json", "in/a.xml", "--to", "out3"])
        .code(1)
        .stdout(contains("imported 1 of 2 files into out3: 1 note, 0 signed documents; 1 failed"))
        .stderr(contains("already written from"));
    // Usage and I/O errors.
    std::fs::create_dir_all(s.path("empty")).unwrap();
    s.step(&["import", "empty", "--to", "out"]).code(2).stderr(contains("no .json or .xml files"));
    s.step(&["import", "missing", "--to", "out"]).code(2);
    s.step(&["import", "--to", "out"]).code(2);
    std::fs::write(s.path("file"), "x").unwrap();
    s.step(&["import", "in/a.json", "--to", "file"]).code(2);
}

/// The same note as JSON and as XML, under the same name or another, is one note: each later copy is named as a
/// duplicate of the first, counted apart, not written, and not a failure.
#[test]
fn import_counts_copies_of_one_note_as_duplicates() {
    let s = Setup::new();
    import_inputs(&s);
    std::fs::copy(example("domestic-pallets.xml"), s.path("in/a.xml")).unwrap();
    s.step(&["import", "in/a.json", "in/a.xml", "--to", "out"])
        .code(0)
        .stdout("imported 1 of 2 files into out: 1 note, 0 signed documents; 1 duplicate; 0 failed\n")
        .stderr(contains("in/a.xml: duplicate of in/a.json").and(contains("✘").not()));
    let written = ecmr::json::from_str(&std::fs::read_to_string(s.path("out/a.json")).unwrap()).unwrap();
    let original = ecmr::json::from_str(&std::fs::read_to_string(example("domestic-pallets.json")).unwrap()).unwrap();
    assert_eq!(written, original);
    assert_eq!(std::fs::read_dir(s.path("out")).unwrap().count(), 1);
    // A signed document given twice, and duplicates next to a failure: each counted in its place.
    s.step(&["import", "in/d.json", "in/d.json", "in/c.json", "--to", "out2"])
        .code(1)
        .stdout("imported 1 of 3 files into out2: 0 notes, 1 signed document; 1 duplicate; 1 failed\n")
        .stderr(contains("in/d.json: duplicate of in/d.json").and(contains("✘ in/c.json")));
    // Copies under other names, and in another layout: told by the note they hold, not by the file name.
    std::fs::copy(example("domestic-pallets.xml"), s.path("in/other.xml")).unwrap();
    let pretty = std::fs::read_to_string(example("domestic-pallets.json")).unwrap();
    let compact = serde_json::to_string(&serde_json::from_str::<serde_json::Value>(&pretty).unwrap()).unwrap();
    std::fs::write(s.path("in/z.json"), compact).unwrap();
    s.step(&["import", "in/a.json", "in/other.xml", "in/sub/b.xml", "in/z.json", "--to", "out3"])
        .code(0)
        .stdout("imported 2 of 4 files into out3: 2 notes, 0 signed documents; 2 duplicates; 0 failed\n")
        .stderr(
            contains("in/other.xml: duplicate of in/a.json")
                .and(contains("in/z.json: duplicate of in/a.json"))
                .and(contains("b.xml").not()),
        );
    let mut names: Vec<String> = std::fs::read_dir(s.path("out3"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["a.json", "b.json"]);
    // The XML first: the JSON copy is its duplicate, and the note is written under the XML file's name.
    s.step(&["import", "in/other.xml", "in/a.json", "--to", "out4", "--format", "xml"])
        .code(0)
        .stdout(contains("1 note, 0 signed documents; 1 duplicate"))
        .stderr(contains("in/a.json: duplicate of in/other.xml"));
    assert!(s.path("out4/other.xml").exists() && !s.path("out4/a.xml").exists());
    // A signed document under two names.
    std::fs::copy(s.path("in/d.json"), s.path("in/e.json")).unwrap();
    s.step(&["import", "in/d.json", "in/e.json", "--to", "out5"])
        .code(0)
        .stdout(contains("0 notes, 1 signed document; 1 duplicate"))
        .stderr(contains("in/e.json: duplicate of in/d.json"));
    assert!(!s.path("out5/e.json").exists());
}

#[test]
fn import_draws_a_progress_bar_on_a_terminal() {
    // `script` (util-linux) runs the command with a pseudo-terminal as standard output.
    let s = Setup::new();
    import_inputs(&s);
    let bin = assert_cmd::cargo::cargo_bin("ecmr");
    let cmd = format!("{} import in --to out", bin.display());
    let out = std::process::Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .current_dir(s.dir.path())
        .output()
        .expect("`script` from util-linux is needed for this test");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains('█') || text.contains('░'), "no progress bar drawn:\n{text}");
    assert!(text.contains("imported 3 of 4 files"));
}

/// Writes the key with a 32-byte seed of `byte` (the test vectors' parties: 01 sender, 02 carrier, 03 consignee,
/// 04, 05 … successive carriers).
fn seed_key(dir: &Path, name: &str, byte: u8) {
    let pem = ecmr::keys::FileKey::from_seed(&[byte; 32]).to_pkcs8_pem().unwrap();
    std::fs::write(dir.join(name), pem).unwrap();
}

#[test]
fn every_example_goes_through_its_whole_life_on_the_command_line() {
    let mut examples: Vec<PathBuf> = std::fs::read_dir(repo().join("examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    examples.sort();
    assert!(examples.len() >= 4);
    for note in examples {
        let dir = tempfile::tempdir().unwrap();
        let run = |args: &[&str]| ecmr().current_dir(dir.path()).args(args).assert();
        for (name, byte) in [("s.pem", 1), ("c.pem", 2), ("r.pem", 3), ("k4.pem", 4), ("k5.pem", 5)] {
            seed_key(dir.path(), name, byte);
        }
        let path = note.to_str().unwrap();
        run(&["validate", path]).code(0);
        run(&["validate", &path.replace(".json", ".xml")]).code(0);
        // Keys an example pins for successive carriers are replaced by the test keys (seed 04 + i).
        let mut value: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&note).unwrap()).unwrap();
        if let Some(carriers) = value.get_mut("successive_carriers").and_then(|c| c.as_array_mut()) {
            for (i, c) in carriers.iter_mut().enumerate() {
                if c.get("public_keys").is_some() {
                    let key = ecmr::keys::FileKey::from_seed(&[4 + i as u8; 32]);
                    c["public_keys"] = serde_json::json!([ecmr::keys::Signer::public_key(&key).to_b64url()]);
                }
            }
        }
        std::fs::write(dir.path().join("n.json"), serde_json::to_string(&value).unwrap()).unwrap();
        run(&["convert", "n.json", "--to", "xml", "-o", "n.xml"]).code(0);
        run(&["issue", "n.xml", "--key", "s.pem", "-o", "d.json"]).code(0);
        run(&["take-over", "d.json", "--key", "c.pem", "--reservation", "wet:rain"]).code(0);
        run(&["accept-reservations", "d.json", "--key", "s.pem"]).code(0);
        let parsed = ecmr::json::from_str(&std::fs::read_to_string(&note).unwrap()).unwrap();
        std::fs::copy(data("amend-patch.json"), dir.path().join("patch.json")).unwrap();
        let holder = if parsed.consignee_has_right_of_disposal { "r.pem" } else { "s.pem" };
        run(&["amend", "d.json", "--key", holder, "--patch", "patch.json", "--reason", "payer changed"]).code(0);
        for (i, _) in parsed.successive_carriers.iter().enumerate() {
            let key = format!("k{}.pem", 4 + i);
            run(&["hand-over", "d.json", "--key", &key, "--place", "Antwerpen,BE"]).code(0);
        }
        run(&["deliver", "d.json", "--key", "r.pem"]).code(0);
        run(&["verify", "d.json"]).code(0).stdout(contains("✔ verified"));
        run(&["render", "d.json", "--format", "html", "-o", "d.html"]).code(0);
        let html = std::fs::read_to_string(dir.path().join("d.html")).unwrap();
        assert!(html.contains(&parsed.number), "{} not in the HTML", parsed.number);
    }
}

/// The successive-carriers example goes through its whole life signed with the test keys shipped beside it in
/// `examples/keys/`, the successive carriers with the very keys the note pins for them.
#[test]
fn successive_carriers_example_lives_with_the_shipped_test_keys() {
    let keys = repo().join("examples/keys");
    let key = |who: &str| keys.join(format!("TEST-KEY-{who}.pem")).to_str().unwrap().to_owned();
    let note: serde_json::Value =
        serde_json::from_slice(&std::fs::read(example("successive-carriers.json")).unwrap()).unwrap();
    for (i, who) in ["successive-carrier-1", "successive-carrier-2"].into_iter().enumerate() {
        let shown = ecmr().args(["key", "show", &key(who)]).assert().success().get_output().stdout.clone();
        let pinned = note["successive_carriers"][i]["public_keys"][0].as_str().unwrap();
        assert!(String::from_utf8(shown).unwrap().contains(pinned), "{who} is not the key the note pins");
    }
    assert!(std::fs::read_to_string(keys.join("README.md")).unwrap().contains("never"), "marked as test keys");

    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| ecmr().current_dir(dir.path()).args(args).assert();
    let doc = "d.json";
    let note_path = example("successive-carriers.json");
    run(&["issue", note_path.to_str().unwrap(), "--key", &key("sender"), "-o", doc]).code(0);
    run(&["take-over", doc, "--key", &key("carrier"), "--reservation", "packaging=one crate split:seen at loading"])
        .code(0);
    run(&["accept-reservations", doc, "--key", &key("sender")]).code(0);
    // Only a key the note pins for successive carriers may hand over.
    run(&["hand-over", doc, "--key", &key("carrier"), "--place", "Trieste,IT"])
        .code(1)
        .stderr(contains("step refused").and(contains("not among the keys the note pins")));
    run(&["hand-over", doc, "--key", &key("successive-carrier-1"), "--place", "Trieste,IT"]).code(0);
    run(&["hand-over", doc, "--key", &key("successive-carrier-2"), "--place", "Zagreb,HR"]).code(0);
    run(&["deliver", doc, "--key", &key("consignee")]).code(0);
    run(&["verify", doc]).code(0).stdout(
        contains("✔ verified: 6 events")
            .and(contains("pinned"))
            .and(contains("(Autotrasporti Giuliani S.r.l.)"))
            .and(contains("(Sava Logistika d.o.o.)")),
    );
}

#[test]
fn verify_answers_every_test_vector() {
    let dir = repo().join("tests/vectors/documents");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let vector: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let bytes = match (&vector["document_text"], &vector["document"]) {
            (serde_json::Value::String(t), _) => t.clone().into_bytes(),
            (_, doc) => serde_json::to_vec(doc).unwrap(),
        };
        let tmp = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(tmp.path(), &bytes).unwrap();
        let name = path.display().to_string();
        if vector["expect"] == "valid" {
            ecmr().arg("verify").arg(tmp.path()).assert().code(0).stdout(contains("✔ verified"));
        } else {
            let out = ecmr().arg("verify").arg(tmp.path()).arg("--json").assert().code(1).get_output().stdout.clone();
            let report: serde_json::Value = serde_json::from_slice(&out).unwrap();
            let failures = report["failures"].as_array().unwrap();
            let want = &vector["expect"];
            assert!(
                failures.iter().any(|f| f["failure"] == want["failure"] && f["seq"] == want["seq"]),
                "{name}: expected {want}, got {failures:?}"
            );
            let human = ecmr().arg("verify").arg(tmp.path()).assert().code(1).get_output().stdout.clone();
            let human = String::from_utf8(human).unwrap();
            if let Some(seq) = want["seq"].as_u64() {
                assert!(
                    human.contains(&format!("✘ event {seq} ")) || human.contains(&format!("✘ event {seq}:")),
                    "{name}: human report does not name event {seq}:\n{human}"
                );
            }
        }
        count += 1;
    }
    assert!(count >= 10, "only {count} vectors");
}

#[test]
fn step_output_elsewhere_and_trust_entry_roles() {
    let s = Setup::new();
    s.issued();
    let before = std::fs::read(s.path("doc.json")).unwrap();
    std::fs::write(s.path("other.json"), "keep").unwrap();
    s.step(&["take-over", "doc.json", "--key", "carrier.pem", "-o", "other.json"]).code(2).stderr(contains("--force"));
    assert_eq!(std::fs::read_to_string(s.path("other.json")).unwrap(), "keep");
    s.step(&["take-over", "doc.json", "--key", "carrier.pem", "-o", "other.json", "--force"]).success();
    s.step(&["take-over", "doc.json", "--key", "carrier.pem", "-o", "new.json"]).success();
    // DOC itself is left as it was.
    assert_eq!(std::fs::read(s.path("doc.json")).unwrap(), before);
    s.step(&["verify", "new.json"]).success();

    let out = s
        .step(&["key", "show", "carrier.pem", "--trust-entry", "Van Dijk", "--role", "carrier"])
        .success()
        .get_output()
        .stdout
        .clone();
    let entry: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(entry["roles"], serde_json::json!(["carrier"]));
    // A key trusted only as sender does not vouch for a carrier's event.
    let out = s
        .step(&["key", "show", "carrier.pem", "--trust-entry", "Van Dijk", "--role", "sender"])
        .success()
        .get_output()
        .stdout
        .clone();
    let wrong: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let sender: serde_json::Value = serde_json::from_slice(
        &s.step(&["key", "show", "sender.pem", "--trust-entry", "Brabant"]).success().get_output().stdout.clone(),
    )
    .unwrap();
    std::fs::write(s.path("t1.json"), serde_json::json!({ "keys": [sender.clone(), entry] }).to_string()).unwrap();
    std::fs::write(s.path("t2.json"), serde_json::json!({ "keys": [sender, wrong] }).to_string()).unwrap();
    s.step(&["verify", "new.json", "--trust", "t1.json"]).code(0);
    // An entry may name the key by its id alone.
    let id = String::from_utf8(s.step(&["key", "show", "carrier.pem"]).success().get_output().stdout.clone()).unwrap();
    let id = id.lines().nth(1).unwrap().trim_start_matches("key id:").trim().to_owned();
    let by_id = serde_json::json!({ "key_id": id, "name": "Van Dijk by id", "roles": ["carrier"] });
    let t1: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(s.path("t1.json")).unwrap()).unwrap();
    let sender_entry = t1["keys"][0].clone();
    std::fs::write(s.path("t3.json"), serde_json::json!({ "keys": [sender_entry, by_id] }).to_string()).unwrap();
    s.step(&["verify", "new.json", "--trust", "t3.json"]).code(0).stdout(contains("trust store: Van Dijk by id"));
    s.step(&["verify", "new.json", "--trust", "t2.json"]).code(1);
    s.step(&["key", "show", "carrier.pem", "--role", "carrier"]).code(2);
}

/// The standard error of a failed command: exactly one line, `error: … — hint`, no panic or backtrace.
fn one_line_error(a: assert_cmd::assert::Assert) -> String {
    let err = String::from_utf8(a.get_output().stderr.clone()).unwrap();
    assert_eq!(err.lines().count(), 1, "not one line: {err}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(!err.contains("panicked") && !err.contains("backtrace"), "{err}");
    err
}

#[test]
fn more_failing_paths_each_one_line() {
    let s = Setup::new();
    let err = one_line_error(s.step(&["key", "generate", "-o", "/nonexistent/dir/k.pem"]).code(2));
    assert!(err.contains("cannot"), "{err}");
    // Hostile XML is refused with a position.
    std::fs::write(s.path("hostile.xml"), "<!DOCTYPE x [<!ENTITY a \"b\">]><x>&a;</x>").unwrap();
    s.step(&["validate", "hostile.xml"]).code(1).stdout(contains("line 1"));
    s.step(&["convert", "hostile.xml", "--to", "json"]).code(1);
    // Issue refuses a signed document as input.
    s.issued();
    let err = one_line_error(s.step(&["issue", "doc.json", "--key", "sender.pem", "-o", "again.json"]).code(1));
    assert!(err.contains("is a signed document, not a note"), "{err}");
    // Convert gives a document's current note, and refuses a document that does not verify.
    let out = s.step(&["convert", "doc.json", "--to", "json"]).success().get_output().stdout.clone();
    assert_eq!(ecmr::json::from_slice(&out).unwrap().number, "NL-2026-000123");
    let tampered = std::fs::read_to_string(s.path("doc.json")).unwrap().replacen("Tilburg", "Tilbury", 1);
    std::fs::write(s.path("bad.json"), tampered).unwrap();
    let err = one_line_error(s.step(&["convert", "bad.json", "--to", "xml"]).code(1));
    assert!(err.contains("does not verify") && err.contains("ecmr verify"), "{err}");
    // Hand-over and refusal before take-over are refused; a bad signing time is a usage error.
    one_line_error(s.step(&["hand-over", "doc.json", "--key", "second.pem", "--place", "Gent,BE"]).code(1));
    one_line_error(s.step(&["refuse", "doc.json", "--key", "consignee.pem", "--reason", "late"]).code(1));
    s.step(&["hand-over", "doc.json", "--key", "second.pem"]).code(2).stderr(contains("--place"));
    s.step(&["cancel", "doc.json", "--key", "sender.pem", "--reason", "x", "--at", "tomorrow"]).code(2);
    one_line_error(s.step(&["take-over", "doc.json", "--key", "carrier.pem", "--place", "{\"city\": 1}"]).code(2));
    // After take-over the consignee may refuse, with a reason; then nothing follows.
    s.step(&["take-over", "doc.json", "--key", "carrier.pem"]).success();
    s.step(&[
        "refuse",
        "doc.json",
        "--key",
        "consignee.pem",
        "--reason",
        "goods spoiled",
        "--time",
        "2026-11-29T10:00:00+01:00",
    ])
    .success()
    .stdout(contains("in_transit → refused"));
    s.step(&["verify", "doc.json"]).success().stdout(contains("state refused"));
    let err = one_line_error(s.step(&["deliver", "doc.json", "--key", "consignee.pem"]).code(1));
    assert!(err.contains("follows the final state refused"), "{err}");
    s.step(&["render", "doc.json"]).success().stdout(contains("Delivery refused").and(contains("goods spoiled")));
}
