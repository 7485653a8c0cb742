//! The gateway's own key: served at `/.well-known/ecmr-gateway` in the form a trust file takes, signing
//! statements a verifier that trusts only that answer accepts; and `ecmr-gateway key show|rotate`.

mod common;

use common::{TestApp, sqlite_store};
use ecmr::attest::{Attestation, PartyIdentity};
use ecmr::keys::Signer as _;
use ecmr::trust::{GatewayKey, TrustStore};

#[tokio::test]
async fn well_known_lists_the_key_statements_are_signed_with() {
    let (store, _dir) = sqlite_store().await;
    let app = TestApp::new(store).await;
    let answer = app.call("GET", "/.well-known/ecmr-gateway", None, None).await;
    assert_eq!(answer.status, 200);
    let body = answer.json();
    assert_eq!(body["gate_id"], app.state.config.gate_id.as_str());
    assert_eq!(body["platform_id"], app.state.config.platform_id.as_str());
    let keys: Vec<GatewayKey> = serde_json::from_value(body["gateway_keys"].clone()).expect("trust-file entries");
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].public_key, app.state.gate_keys.signer().public_key());
    // A verifier that trusts what the gateway published accepts what it signs.
    let mut trust = TrustStore::new();
    for k in keys {
        trust.add_gateway_key(k);
    }
    let a = Attestation::new(
        &app.state.config.gate_id,
        common::key(1).public_key(),
        PartyIdentity::new("Brabant Zuivel B.V.", "NL"),
        "2026-01-01T00:00:00Z",
        None,
        "2026-01-01T00:00:00Z",
    )
    .sign(app.state.gate_keys.signer())
    .expect("sign");
    trust.add_attestation(&serde_json::to_vec(&a).expect("json")).expect("accepted");
}

#[test]
fn key_show_and_rotate_from_the_command_line() {
    let dir = common::temp_dir("gatekey-cli");
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_ecmr-gateway"))
            .args(args)
            .env("ECMR_DATA_DIR", &dir)
            .env("ECMR_GATE_ID", "gate-nl")
            .output()
            .expect("run");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).expect("json")
    };
    let shown = run(&["key", "show"]);
    assert_eq!(shown["gate_id"], "gate-nl");
    assert_eq!(shown["gateway_keys"].as_array().map(Vec::len), Some(1));
    assert_eq!(run(&["key", "show"])["gateway_keys"], shown["gateway_keys"], "the key is kept");
    let rotated = run(&["key", "rotate"]);
    let keys = rotated["gateway_keys"].as_array().expect("keys");
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[1]["public_key"], shown["gateway_keys"][0]["public_key"]);
    assert!(keys[1]["valid_until"].is_string());
    assert!(keys[0]["valid_until"].is_null());
}
