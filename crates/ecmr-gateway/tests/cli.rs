//! The binary's sub-commands: `serve` with no configuration, `principal add|list|revoke` offline on the same
//! store, configuration errors, and a graceful stop on SIGTERM.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn gateway(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ecmr-gateway"))
        .args(args)
        .current_dir(dir)
        .env_remove("ECMR_DATABASE_URL")
        .env_remove("ECMR_DATA_DIR")
        .env_remove("ECMR_LISTEN")
        .output()
        .expect("run ecmr-gateway")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn principal_commands_work_offline_on_the_default_store() {
    let dir = common::temp_dir("cli");
    let key = common::public(&common::key(5));
    let out = gateway(&dir, &["principal", "add", "--kind", "party", "--name", "Brabant Zuivel", "--key", &key]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("token (shown only now): ecmr_"), "{stdout}");
    let id = stdout.split_whitespace().nth(1).expect("principal id").to_owned();
    assert!(dir.join("ecmr-data/ecmr.sqlite3").exists(), "the default store is ./ecmr-data");

    let out = gateway(
        &dir,
        &["principal", "add", "--kind", "authority", "--name", "ILT", "--country", "NL", "--subsets", "EU01,EU02,full"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = gateway(
        &dir,
        &["principal", "add", "--kind", "authority", "--name", "x", "--country", "NL", "--subsets", "EU1"],
    );
    assert!(text(&out.stderr).contains("unknown subset id \"EU1\""), "{}", text(&out.stderr));
    // Refused requests say why and exit non-zero.
    let out = gateway(&dir, &["principal", "add", "--kind", "party", "--name", "no key"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("at least one public key"), "{}", text(&out.stderr));
    let out = gateway(&dir, &["principal", "add", "--kind", "authority", "--name", "x"]);
    assert!(text(&out.stderr).contains("country"), "{}", text(&out.stderr));
    let out = gateway(&dir, &["principal", "add", "--kind", "wizard", "--name", "x"]);
    assert!(text(&out.stderr).contains("unknown principal kind"), "{}", text(&out.stderr));

    // About one base64url key in 64 begins with `-`; such a key is a value, not an option.
    let hyphen = (0..=255u8).map(common::key).map(|k| common::public(&k)).find(|k| k.starts_with('-')).expect("key");
    let out = gateway(&dir, &["principal", "add", "--kind", "party", "--name", "Hyphen BV", "--key", &hyphen]);
    assert!(out.status.success(), "{}", text(&out.stderr));

    let out = gateway(&dir, &["principal", "list"]);
    let listing = text(&out.stdout);
    assert!(listing.contains(&id) && listing.contains("Brabant Zuivel") && listing.contains("authority"), "{listing}");
    let out = gateway(&dir, &["principal", "list", "--json"]);
    let all: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON listing");
    assert_eq!(all.as_array().map(Vec::len), Some(3));
    assert_eq!(all[0]["keys"][0]["public_key"], key);
    assert_eq!(all[1]["details"]["subsets"], serde_json::json!(["EU01", "EU02", "full"]));
    let authority = all[1]["id"].as_str().expect("id").to_owned();
    let out = gateway(&dir, &["principal", "subsets", &authority, "EU03,identifier"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = gateway(&dir, &["principal", "subsets", &authority, "EU3"]);
    assert!(text(&out.stderr).contains("unknown subset id"), "{}", text(&out.stderr));
    let out = gateway(&dir, &["principal", "subsets", &id, "EU01"]);
    assert!(text(&out.stderr).contains("only an authority"), "{}", text(&out.stderr));
    let out = gateway(&dir, &["principal", "list", "--json"]);
    let all: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON listing");
    assert_eq!(all[1]["details"]["subsets"], serde_json::json!(["EU03", "identifier"]));

    let out = gateway(&dir, &["principal", "revoke", &id]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = gateway(&dir, &["principal", "revoke", &id]);
    assert!(!out.status.success(), "revoking twice fails");
    assert!(text(&gateway(&dir, &["principal", "list"]).stdout).contains("revoked"));
}

#[test]
fn configuration_errors_are_reported() {
    let dir = common::temp_dir("cli-config");
    std::fs::write(dir.join("bad.toml"), "listen = \"127.0.0.1:1\"\nport = 5\n").unwrap();
    let out = gateway(&dir, &["--config", "bad.toml", "serve"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("port"), "{}", text(&out.stderr));
    let out = Command::new(env!("CARGO_BIN_EXE_ecmr-gateway"))
        .args(["serve"])
        .current_dir(&dir)
        .env("ECMR_LISTEN", "not-an-address")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("ECMR_LISTEN"));
    // The example configuration is valid.
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/gateway.example.toml");
    let config = ecmr_gateway::config::Config::load_with_env(Some(Path::new(example)), |_| None).expect("example");
    assert_eq!(config, ecmr_gateway::config::Config::default());
}

#[test]
fn serve_without_configuration_then_sigterm_stops_cleanly() {
    let dir = common::temp_dir("cli-serve");
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(env!("CARGO_BIN_EXE_ecmr-gateway"))
        .arg("serve")
        .current_dir(&dir)
        .env_remove("ECMR_DATABASE_URL")
        .env_remove("ECMR_DATA_DIR")
        .env("ECMR_LISTEN", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let token_file = dir.join("ecmr-data/admin-token");
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the gateway did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    let token = std::fs::read_to_string(&token_file).expect("first admin token");
    // The data directory and the database are the owner's alone.
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = |p: &std::path::Path| std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777;
        assert_eq!(mode(&dir.join("ecmr-data")), 0o700);
        for f in ["ecmr.sqlite3", "ecmr.sqlite3-wal", "ecmr.sqlite3-shm", "admin-token"] {
            let path = dir.join("ecmr-data").join(f);
            if path.exists() {
                assert_eq!(mode(&path), 0o600, "{f}");
            }
        }
        assert!(dir.join("ecmr-data/ecmr.sqlite3-wal").exists(), "the WAL is checked too");
    }
    assert!(token.trim().starts_with("ecmr_"));
    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "a clean exit on SIGTERM: {:?}", out.status);
    let log = text(&out.stderr);
    assert!(log.contains("first admin token written to ecmr-data/admin-token"), "{log}");
    assert!(log.contains("\"level\":\"INFO\""), "JSON logs: {log}");
    assert!(log.contains("stopped"), "{log}");
    // The admin stays in the store, for the offline commands too.
    let out = gateway(&dir, &["principal", "list"]);
    assert!(text(&out.stdout).contains("first admin"));
    // It is the only admin: revoking it offline would lock everyone out, and is refused.
    let out = gateway(&dir, &["principal", "list", "--json"]);
    let all: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON listing");
    let admin = all[0]["id"].as_str().expect("admin id").to_owned();
    let out = gateway(&dir, &["principal", "revoke", &admin]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("without an active admin"), "{}", text(&out.stderr));
}
