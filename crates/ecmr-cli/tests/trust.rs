//! Who signed, from the command line: trust files, pins, key continuity, and gateway bundles checked offline.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use ecmr::attest::{Attestation, Bundle, PartyIdentity, PostedBy, Receipt, ReceiptFacts};
use ecmr::keys::{FileKey, Signer as _};
use predicates::prelude::*;
use predicates::str::contains;

fn ecmr(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("ecmr").unwrap();
    c.current_dir(dir);
    c
}

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples").join(name)
}

fn keys(dir: &Path, names: &[&str]) {
    for who in names {
        ecmr(dir).args(["key", "generate", "-o", &format!("{who}.pem")]).assert().success();
    }
}

fn public_key(dir: &Path, pem: &str) -> String {
    let out = ecmr(dir).args(["key", "show", pem]).assert().success().get_output().stdout.clone();
    let text = String::from_utf8(out).unwrap();
    text.lines().find_map(|l| l.strip_prefix("public key: ")).unwrap().trim().to_owned()
}

/// The forged note: a real company's name as sender, a stranger's key pinned for every role and signing.
#[test]
fn a_self_pinned_forgery_is_refused_with_a_trust_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    keys(dir, &["stranger", "brabant"]);
    ecmr(dir)
        .arg("issue")
        .arg(example("domestic-pallets.json"))
        .args(["--key", "stranger.pem", "-o", "forged.json", "--at", "2026-11-27T15:00:00Z"])
        .args(["--pin", "sender=stranger.pem", "--pin", "carrier=stranger.pem", "--pin", "consignee=stranger.pem"])
        .assert()
        .success();
    ecmr(dir)
        .args(["take-over", "forged.json", "--key", "stranger.pem", "--at", "2026-11-28T05:10:00Z"])
        .assert()
        .success();
    // Without a trust file: the signatures hold, and the last line says identities were not checked.
    ecmr(dir)
        .args(["verify", "forged.json"])
        .assert()
        .code(0)
        .stdout(contains("✔ verified: 2 events").and(contains("identities were not checked")));
    // A trust file that lists no key at all, and one that lists Brabant Zuivel's real key: both refuse.
    std::fs::write(dir.join("empty.json"), r#"{"keys": []}"#).unwrap();
    ecmr(dir)
        .args(["verify", "forged.json", "--trust", "empty.json"])
        .assert()
        .code(1)
        .stdout(contains("✘ event 0 issued by the sender").and(contains("pinned only by event 0")));
    ecmr(dir)
        .args(["trust", "add", "-f", "trust.json", "--name", "Brabant Zuivel B.V.", "--role", "sender"])
        .args(["--pem", "brabant.pem"])
        .assert()
        .success()
        .stdout(contains("added Brabant Zuivel B.V. key"));
    ecmr(dir)
        .args(["trust", "list", "-f", "trust.json"])
        .assert()
        .success()
        .stdout(contains("Brabant Zuivel B.V.  (sender)"));
    ecmr(dir)
        .args(["verify", "forged.json", "--trust", "trust.json"])
        .assert()
        .code(1)
        .stdout(contains("who signed is not established: pinned only by event 0, whose signer is not trusted"))
        .stdout(contains("not every signer is trusted"));
}

/// A trusted sender's pins delegate; an amendment by another key in the sender's role breaks key continuity.
#[test]
fn pins_from_a_trusted_sender_delegate_and_roles_keep_their_keys() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    keys(dir, &["sender", "carrier", "consignee"]);
    let carrier = public_key(dir, "carrier.pem");
    ecmr(dir)
        .arg("issue")
        .arg(example("domestic-pallets.json"))
        .args(["--key", "sender.pem", "-o", "doc.json", "--at", "2026-11-27T15:00:00Z", "--pin"])
        .arg(format!("carrier={carrier}"))
        .assert()
        .success();
    ecmr(dir)
        .args(["take-over", "doc.json", "--key", "carrier.pem", "--at", "2026-11-28T05:10:00Z"])
        .assert()
        .success();
    ecmr(dir)
        .args(["trust", "add", "-f", "trust.json", "--name", "Brabant Zuivel B.V.", "--role", "sender", "--pem"])
        .arg("sender.pem")
        .assert()
        .success();
    ecmr(dir).args(["verify", "doc.json", "--trust", "trust.json"]).assert().code(0).stdout(
        contains("trust store: Brabant Zuivel B.V.").and(contains("pinned by event 0, whose signer is trusted")),
    );
    // The consignee's key signs an amendment as the sender: refused by the builder, named.
    std::fs::write(dir.join("patch.json"), r#"{"special_agreements": ["Back entrance"]}"#).unwrap();
    ecmr(dir)
        .args(["amend", "doc.json", "--key", "consignee.pem", "--reason", "phone call", "--patch", "patch.json"])
        .assert()
        .code(1)
        .stderr(contains("key changed").or(contains("key_changed")));
    ecmr(dir).args(["issue", "x.json", "--key", "sender.pem", "--pin", "driver=sender.pem"]).assert().code(2);
}

fn bundle(doc: &[u8], gateway: &FileKey, tamper: bool) -> Vec<u8> {
    let verified = ecmr::verify::verify(doc, None).unwrap();
    let receipts: Vec<Receipt> = verified
        .events
        .iter()
        .map(|e| {
            Receipt::issue(
                ReceiptFacts {
                    gate_id: "gate-nl",
                    document_id: verified.id(),
                    seq: e.seq,
                    event_digest: &e.digest(),
                    received_at: "2026-11-28T06:00:00Z",
                    posted_by: PostedBy { id: "p-1".into(), name: "Brabant Zuivel B.V.".into() },
                    signer_identity: None,
                },
                gateway,
            )
            .unwrap()
        })
        .collect();
    let signer = |i: usize| verified.events[i].signer.public_key.parse().unwrap();
    let attestations = [
        Attestation::new(
            "gate-nl",
            signer(0),
            PartyIdentity::new("Brabant Zuivel B.V.", "NL").with_identifier("vat", "NL812345678B01"),
            "2026-01-01T00:00:00Z",
            None,
            "2026-01-01T00:00:00Z",
        )
        .sign(gateway)
        .unwrap(),
        Attestation::new(
            "gate-nl",
            signer(1),
            PartyIdentity::new("Van Dijk Transport B.V.", "NL").with_identifier("transport_licence", "NL-123456"),
            "2026-01-01T00:00:00Z",
            None,
            "2026-01-01T00:00:00Z",
        )
        .sign(gateway)
        .unwrap(),
    ];
    let text = serde_json::to_string(&Bundle::new(doc, &receipts, &attestations).unwrap()).unwrap();
    if tamper {
        // One byte of one receipt: the received time.
        text.replacen("2026-11-28T06:00:00Z", "2026-11-28T06:00:01Z", 1).into_bytes()
    } else {
        text.into_bytes()
    }
}

/// A gateway bundle verifies offline with the gateway's key, and not when a receipt byte changes or the key is
/// not given.
#[test]
fn a_bundle_verifies_offline_with_the_gateway_key() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    keys(dir, &["sender", "carrier"]);
    ecmr(dir)
        .arg("issue")
        .arg(example("domestic-pallets.json"))
        .args(["--key", "sender.pem", "-o", "doc.json", "--at", "2026-11-27T15:00:00Z"])
        .assert()
        .success();
    ecmr(dir)
        .args(["take-over", "doc.json", "--key", "carrier.pem", "--at", "2026-11-28T05:10:00Z"])
        .assert()
        .success();
    let gateway = FileKey::from_seed(&[0x47; 32]);
    let doc = std::fs::read(dir.join("doc.json")).unwrap();
    std::fs::write(dir.join("bundle.json"), bundle(&doc, &gateway, false)).unwrap();
    std::fs::write(dir.join("tampered.json"), bundle(&doc, &gateway, true)).unwrap();
    let key = format!("gate-nl={}", gateway.public_key().to_b64url());
    ecmr(dir)
        .args(["verify", "bundle.json", "--gateway-key", &key])
        .assert()
        .code(0)
        .stdout(contains("attested by gate gate-nl: Brabant Zuivel B.V."))
        .stdout(contains("✔ receipt for event 1: gate gate-nl"));
    ecmr(dir)
        .args(["verify", "tampered.json", "--gateway-key", &key])
        .assert()
        .code(1)
        .stdout(contains("✘ receipt for event 0: bad signature").and(contains("event 0 has no valid gateway receipt")));
    ecmr(dir)
        .args(["verify", "bundle.json"])
        .assert()
        .code(1)
        .stdout(contains("cannot be checked without --gateway-key"));
    // A key of another gateway: nothing is accepted.
    let other = format!("gate-nl={}", FileKey::from_seed(&[0x48; 32]).public_key().to_b64url());
    ecmr(dir)
        .args(["verify", "bundle.json", "--gateway-key", &other])
        .assert()
        .code(1)
        .stdout(contains("not a trusted gateway key"));
    // The JSON report says the same.
    let out = ecmr(dir)
        .args(["verify", "bundle.json", "--gateway-key", &key, "--json"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["all_trusted"], true);
    assert_eq!(v["identities_checked"], true);
    assert_eq!(v["statements"]["receipts"].as_array().unwrap().len(), 2);
}

/// Keys whose public key, base64url, begins with `-` (about one key in 64), from fixed seeds.
fn keys_beginning_with_a_hyphen() -> impl Iterator<Item = FileKey> {
    (0..=u16::MAX)
        .map(|n| {
            let mut seed = [0u8; 32];
            seed[..2].copy_from_slice(&n.to_le_bytes());
            FileKey::from_seed(&seed)
        })
        .filter(|k| k.public_key().to_b64url().starts_with('-'))
}

/// A key whose base64url form begins with `-` is a value, not an option: `trust add --key` and `--gateway` take
/// it, and `verify` then trusts it, as it does given with `--gateway-key`.
#[test]
fn keys_beginning_with_a_hyphen_are_taken() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut hyphenated = keys_beginning_with_a_hyphen();
    let (sender, gateway) = (hyphenated.next().unwrap(), hyphenated.next().unwrap());
    std::fs::write(dir.join("sender.pem"), sender.to_pkcs8_pem().unwrap()).unwrap();
    keys(dir, &["carrier"]);
    ecmr(dir)
        .arg("issue")
        .arg(example("domestic-pallets.json"))
        .args(["--key", "sender.pem", "-o", "doc.json", "--at", "2026-11-27T15:00:00Z"])
        .assert()
        .success();
    ecmr(dir)
        .args(["take-over", "doc.json", "--key", "carrier.pem", "--at", "2026-11-28T05:10:00Z"])
        .assert()
        .success();
    let sender_key = sender.public_key().to_b64url();
    ecmr(dir)
        .args(["trust", "add", "-f", "trust.json", "--name", "Brabant Zuivel B.V.", "--role", "sender"])
        .args(["--key", &sender_key])
        .assert()
        .success()
        .stdout(contains("added Brabant Zuivel B.V. key"));
    ecmr(dir)
        .args(["verify", "doc.json", "--trust", "trust.json"])
        .assert()
        .stdout(contains("trust store: Brabant Zuivel B.V."))
        .stdout(contains("event 0 issued by the sender").and(contains("✘ event 0").not()));

    let doc = std::fs::read(dir.join("doc.json")).unwrap();
    std::fs::write(dir.join("bundle.json"), bundle(&doc, &gateway, false)).unwrap();
    let gateway_key = gateway.public_key().to_b64url();
    ecmr(dir)
        .args(["trust", "add", "-f", "gateways.json", "--name", "gate-nl", "--gateway", &gateway_key])
        .assert()
        .success();
    ecmr(dir)
        .args(["verify", "bundle.json", "--trust", "gateways.json"])
        .assert()
        .code(0)
        .stdout(contains("attested by gate gate-nl: Brabant Zuivel B.V."));
    ecmr(dir)
        .args(["verify", "bundle.json", "--gateway-key", &gateway_key])
        .assert()
        .code(0)
        .stdout(contains("✔ receipt for event 1: gate gate-nl"));
}
