//! The gateway commands against a real `ecmr-gateway` process started on a free loopback port with a temporary
//! data directory: SQLite always, and PostgreSQL (a fresh database) when `ECMR_TEST_POSTGRES_URL` is set.
//!
//! Each party has its own profile (`ecmr login`) and signs and submits its own step; an authority searches and
//! reads; a stranger is told "not found".

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use ecmr::keys::FileKey;
use serde_json::{Value, json};

/// The `ecmr-gateway` binary, built once for the whole test run (it lives in another package of the workspace).
fn gateway_binary() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        // Built with the profile of this test, so that it lands next to the `ecmr` under test.
        let profile: &[&str] = if cfg!(debug_assertions) { &[] } else { &["--release"] };
        let status = Command::new(cargo)
            .args(["build", "-q", "-p", "ecmr-gateway", "--bin", "ecmr-gateway"])
            .args(profile)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdin(Stdio::null())
            .status()
            .expect("run cargo build");
        assert!(status.success(), "building ecmr-gateway failed");
        let ecmr = assert_cmd::cargo::cargo_bin("ecmr");
        ecmr.parent().expect("target dir").join(format!("ecmr-gateway{}", std::env::consts::EXE_SUFFIX))
    })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

/// A running gateway; killed when dropped.
struct Gateway {
    child: Child,
    url: String,
    data: tempfile::TempDir,
    database_url: Option<String>,
}

impl Gateway {
    fn start(database_url: Option<String>) -> Gateway {
        Gateway::start_with(database_url, &[])
    }

    /// A gateway with more environment variables.
    fn start_with(database_url: Option<String>, env: &[(&str, &str)]) -> Gateway {
        let data = tempfile::tempdir().expect("data dir");
        let port = free_port();
        let mut cmd = Command::new(gateway_binary());
        cmd.arg("serve")
            .env("ECMR_DATA_DIR", data.path())
            .env("ECMR_LISTEN", format!("127.0.0.1:{port}"))
            .env("ECMR_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .envs(env.iter().copied());
        match &database_url {
            Some(url) => cmd.env("ECMR_DATABASE_URL", url),
            None => cmd.env_remove("ECMR_DATABASE_URL"),
        };
        let child = cmd.spawn().expect("start ecmr-gateway");
        let gw = Gateway { child, url: format!("http://127.0.0.1:{port}"), data, database_url };
        gw.wait_ready();
        gw
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        let addr = self.url.trim_start_matches("http://").to_owned();
        while Instant::now() < deadline {
            if std::net::TcpStream::connect(&addr).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the gateway did not start listening on {addr}");
    }

    /// A principal named `name` made with `ecmr-gateway principal add`, its token written to `<file>.token`.
    fn principal(&self, dir: &Path, file: &str, name: &str, args: &[&str]) -> PathBuf {
        self.principal_with_id(dir, file, name, args).1
    }

    /// [`Gateway::principal`] with the principal's id.
    fn principal_with_id(&self, dir: &Path, file: &str, name: &str, args: &[&str]) -> (String, PathBuf) {
        let mut cmd = Command::new(gateway_binary());
        cmd.args(["principal", "add", "--name", name]).args(args).env("ECMR_DATA_DIR", self.data.path());
        match &self.database_url {
            Some(url) => cmd.env("ECMR_DATABASE_URL", url),
            None => cmd.env_remove("ECMR_DATABASE_URL"),
        };
        let out = cmd.stdin(Stdio::null()).output().expect("principal add");
        assert!(out.status.success(), "principal add: {}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8_lossy(&out.stdout);
        let token = text.lines().find_map(|l| l.strip_prefix("token (shown only now): ")).expect("a token line");
        let id = text
            .lines()
            .find_map(|l| l.strip_prefix("principal ").and_then(|r| r.split_whitespace().next()))
            .expect("a principal line")
            .to_owned();
        let path = dir.join(format!("{file}.token"));
        std::fs::write(&path, format!("{token}\n")).expect("token file");
        (id, path)
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `ecmr` with the test's configuration directory.
struct Ecmr {
    config: PathBuf,
    work: PathBuf,
}

impl Ecmr {
    fn run(&self, args: &[&str]) -> Output {
        self.run_with_stdin(args, None)
    }

    fn run_with_stdin(&self, args: &[&str], stdin: Option<&[u8]>) -> Output {
        let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("ecmr"));
        cmd.args(args)
            .current_dir(&self.work)
            .env("ECMR_CONFIG_DIR", &self.config)
            .env_remove("ECMR_PROFILE")
            .env_remove("ECMR_GATEWAY_URL")
            .env_remove("ECMR_TOKEN_FILE")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        match stdin {
            Some(bytes) => {
                cmd.stdin(Stdio::piped());
                let mut child = cmd.spawn().expect("run ecmr");
                std::io::Write::write_all(child.stdin.as_mut().expect("stdin"), bytes).expect("write stdin");
                drop(child.stdin.take());
                child.wait_with_output().expect("ecmr output")
            }
            None => cmd.stdin(Stdio::null()).output().expect("run ecmr"),
        }
    }

    /// Runs and expects exit `code`; the output.
    fn expect(&self, code: i32, args: &[&str]) -> Output {
        let out = self.run(args);
        assert_eq!(
            out.status.code(),
            Some(code),
            "ecmr {}\nstdout: {}\nstderr: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// Runs with `--json`, expects exit `code`, and returns the one object printed.
    fn json(&self, code: i32, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.push("--json");
        let out = self.expect(code, &all);
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(text.trim().lines().count(), 1, "one JSON object on one line: {text}");
        serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A fresh key written as PEM; its public key.
fn key(dir: &Path, name: &str) -> (PathBuf, String) {
    let k = FileKey::generate().expect("key");
    let path = dir.join(format!("{name}.pem"));
    std::fs::write(&path, k.to_pkcs8_pem().expect("pem")).expect("write key");
    (path, ecmr::keys::Signer::public_key(&k).to_b64url())
}

async fn fresh_postgres_database(url: &str) -> String {
    use sqlx::Connection as _;
    let name = format!("ecmr_cli_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(url).await.expect("connect to ECMR_TEST_POSTGRES_URL");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut conn).await.expect("create db");
    let _ = conn.close().await;
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let (server, _) = base.rsplit_once('/').expect("a database in the URL");
    format!("{server}/{name}{query}")
}

/// Every backend the test runs on.
fn backends() -> Vec<Option<String>> {
    let mut out = vec![None];
    if let Ok(url) = std::env::var("ECMR_TEST_POSTGRES_URL") {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        out.push(Some(rt.block_on(fresh_postgres_database(&url))));
    }
    out
}

#[test]
fn a_lifecycle_signed_and_submitted_by_each_party_then_fetched_searched_and_followed_up() {
    for database in backends() {
        let backend = if database.is_some() { "postgres" } else { "sqlite" };
        let gw = Gateway::start(database);
        let dir = tempfile::tempdir().expect("work dir");
        let work = dir.path();
        let ecmr = Ecmr { config: work.join("config"), work: work.to_path_buf() };

        let (sender_key, sender_pub) = key(work, "sender");
        let (carrier_key, carrier_pub) = key(work, "carrier");
        let (consignee_key, consignee_pub) = key(work, "consignee");
        let (_, stranger_pub) = key(work, "stranger");
        // Each party as the gateway's directory knows it: the legal name, country and numbers the note carries.
        let parties: [(&str, &str, &String, &[&str]); 4] = [
            ("sender", "Brabant Zuivel B.V.", &sender_pub, &["--country", "NL", "--identifier", "vat:NL812345678B01"]),
            (
                "carrier",
                "Van Dijk Transport B.V.",
                &carrier_pub,
                &["--country", "NL", "--identifier", "transport_licence:NL-123456"],
            ),
            ("consignee", "Supermarkt Distributiecentrum Noord", &consignee_pub, &["--country", "NL"]),
            ("stranger", "Elders Logistiek", &stranger_pub, &["--country", "BE", "--identifier", "vat:BE0123456789"]),
        ];
        let mut ids = std::collections::BTreeMap::new();
        for (profile, legal_name, public, details) in parties {
            let mut args = vec!["--kind", "party", "--key", public.as_str()];
            args.extend_from_slice(details);
            let (principal_id, token) = gw.principal_with_id(work, profile, legal_name, &args);
            ids.insert(profile, principal_id);
            ecmr.expect(
                0,
                &["login", "--gateway", &gw.url, "--token-file", token.to_str().unwrap(), "--profile", profile],
            );
        }
        let ilt =
            gw.principal(work, "ilt", "ILT", &["--kind", "authority", "--country", "NL", "--subsets", "EU01,full"]);
        ecmr.expect(0, &["login", "--gateway", &gw.url, "--token-file", ilt.to_str().unwrap(), "--profile", "ilt"]);

        // The profile is the user's alone.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let meta = std::fs::metadata(work.join("config/profiles/carrier.json")).expect("profile");
            assert_eq!(meta.permissions().mode() & 0o777, 0o600, "{backend}");
        }
        // A token the gateway does not know: exit 2, log in again.
        std::fs::write(work.join("bogus.token"), "ecmr_bogus\n").unwrap();
        ecmr.expect(0, &["login", "--gateway", &gw.url, "--token-file", "bogus.token", "--profile", "bogus"]);
        let out = ecmr.expect(2, &["list", "--profile", "bogus"]);
        assert!(stderr(&out).contains("does not accept the profile's token") && stderr(&out).contains("ecmr login"));
        let who = ecmr.json(0, &["whoami", "--profile", "carrier"]);
        assert_eq!((who["kind"].as_str(), who["gateway"].as_str()), (Some("party"), Some(gw.url.as_str())));
        assert_eq!(ecmr.json(0, &["whoami", "--profile", "ilt"])["kind"], "authority");

        // The note pins the carrier's and the consignee's keys, so that they may see and extend the document.
        let mut note: Value =
            serde_json::from_str(include_str!("../../../examples/domestic-pallets.json")).expect("example note");
        let number = format!("CLI-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        note["number"] = json!(number);
        note["carrier"]["public_keys"] = json!([carrier_pub]);
        note["consignee"]["public_keys"] = json!([consignee_pub]);
        std::fs::write(work.join("note.json"), serde_json::to_vec_pretty(&note).unwrap()).unwrap();

        // Sender: issue and submit in one go.
        let out = ecmr.expect(
            0,
            &[
                "issue",
                "note.json",
                "--key",
                sender_key.to_str().unwrap(),
                "-o",
                "doc.json",
                "--submit",
                "--profile",
                "sender",
            ],
        );
        assert!(stdout(&out).contains("submitted, stored"), "{}", stdout(&out));
        let issued = std::fs::read(work.join("doc.json")).unwrap();
        std::fs::write(work.join("issued.json"), &issued).unwrap();
        let id = serde_json::from_slice::<Value>(&issued).unwrap()["id"].as_str().unwrap().to_owned();

        // Carrier: take over with a reservation, and sync.
        let out = ecmr.expect(
            0,
            &[
                "take-over",
                "doc.json",
                "--key",
                carrier_key.to_str().unwrap(),
                "--reservation",
                "packaging=2 pallets wrapping torn:seen at loading",
                "--submit",
                "--profile",
                "carrier",
            ],
        );
        assert!(stdout(&out).contains("appended seqs 1 —"), "{}", stdout(&out));
        // Consignee: deliver, and sync.
        let out = ecmr.expect(
            0,
            &["deliver", "doc.json", "--key", consignee_key.to_str().unwrap(), "--submit", "--profile", "consignee"],
        );
        assert!(stdout(&out).contains("appended seqs 2 —"), "{}", stdout(&out));

        // Submitting the whole document again, or the document as issued: nothing to do, exit 0.
        let again = ecmr.json(0, &["submit", "doc.json", "issued.json", "--profile", "sender"]);
        assert_eq!(again["ok"], true);
        let outcomes: Vec<&str> =
            again["results"].as_array().unwrap().iter().map(|r| r["outcome"].as_str().unwrap()).collect();
        assert_eq!(outcomes, ["unchanged", "unchanged"], "{again}");
        assert_eq!(again["results"][1]["receipt"]["last_seq"], 2);
        let out = ecmr.expect(0, &["submit", "doc.json", "--profile", "carrier"]);
        assert!(stdout(&out).starts_with("doc.json: already up to date"), "{}", stdout(&out));

        // A chain that diverges (the sender cancels the issued copy): refused, exit 1, naming why.
        ecmr.expect(
            0,
            &[
                "cancel",
                "issued.json",
                "--key",
                sender_key.to_str().unwrap(),
                "--reason",
                "order withdrawn",
                "-o",
                "cancelled.json",
            ],
        );
        let out = ecmr.expect(1, &["submit", "cancelled.json", "doc.json", "--profile", "sender"]);
        assert!(stderr(&out).contains("chain-diverged") && stderr(&out).contains("seq 1"), "{}", stderr(&out));
        assert!(stdout(&out).contains("doc.json: already up to date"), "the other file is still submitted");
        let refused = ecmr.json(1, &["submit", "cancelled.json", "--profile", "sender"]);
        assert_eq!(
            (refused["ok"].as_bool(), refused["results"][0]["code"].as_str()),
            (Some(false), Some("chain-diverged"))
        );
        assert_eq!(refused["results"][0]["problem"]["seq"], 1);

        // Fetched by the carrier: the whole chain, verified.
        let out = ecmr.expect(0, &["fetch", &id, "-o", "fetched.json", "--profile", "carrier"]);
        assert!(stdout(&out).contains("delivered, 3 events, verified"), "{}", stdout(&out));
        ecmr.expect(0, &["verify", "fetched.json"]);
        let fetched = ecmr.json(0, &["fetch", &id, "--profile", "consignee"]);
        assert_eq!((fetched["state"].as_str(), fetched["events"].as_u64()), (Some("delivered"), Some(3)));
        assert_eq!(fetched["document"]["events"][1]["data"]["reservations"][0]["grounds"], "seen at loading");

        // The bundle: the document with the gateway's receipts and attestations, checked offline with the key
        // the gateway made in its data directory (a PEM whose public half is taken).
        let out = ecmr.expect(0, &["fetch", &id, "--bundle", "-o", "bundle.json", "--profile", "carrier"]);
        assert!(stdout(&out).contains("verified"), "{}", stdout(&out));
        let gateway_key = gw.data.path().join("gateway-key.pem");
        let gateway_key = gateway_key.to_str().expect("utf-8 path");
        let out = ecmr.expect(0, &["verify", "bundle.json", "--gateway-key", gateway_key]);
        assert!(stdout(&out).contains("✔ receipt for event 2"), "{}", stdout(&out));
        let out = ecmr.expect(1, &["verify", "bundle.json"]);
        assert!(stdout(&out).contains("cannot be checked without --gateway-key"), "{}", stdout(&out));

        // A stranger: not found, exit 1.
        let out = ecmr.expect(1, &["fetch", &id, "--profile", "stranger"]);
        assert!(stderr(&out).contains("not found"), "{}", stderr(&out));
        let e = ecmr.json(1, &["fetch", &id, "--profile", "stranger"]);
        assert_eq!((e["ok"].as_bool(), e["error"]["status"].as_u64()), (Some(false), Some(404)));
        // A stranger cannot give itself access; the sender can give it, once.
        let stranger = ids["stranger"].as_str();
        ecmr.expect(1, &["grant", &id, "--to", stranger, "--profile", "stranger"]);
        let out = ecmr.expect(0, &["grant", &id, "--to", stranger, "--profile", "sender"]);
        assert!(stdout(&out).contains("Elders Logistiek") && stdout(&out).contains("may now read"), "{}", stdout(&out));
        let again = ecmr.json(0, &["grant", &id, "--to", stranger, "--profile", "sender"]);
        assert_eq!(
            (again["granted_now"].as_bool(), again["participant"]["name"].as_str()),
            (Some(false), Some("Elders Logistiek"))
        );
        ecmr.expect(0, &["fetch", &id, "-o", "granted.json", "--profile", "stranger"]);
        // Only party principals can be given access.
        let e = ecmr.json(1, &["grant", &id, "--to", &uuid::Uuid::new_v4().to_string(), "--profile", "sender"]);
        assert_eq!(e["error"]["status"].as_u64(), Some(422), "{e}");

        // Listing, audit.
        let listed = ecmr.json(0, &["list", "--state", "delivered", "--role", "consignee", "--profile", "consignee"]);
        assert!(listed["items"].as_array().unwrap().iter().any(|d| d["id"] == id.as_str()), "{listed}");
        let granted = ecmr.json(0, &["list", "--profile", "stranger"]);
        assert!(granted["items"].as_array().unwrap().iter().any(|d| d["id"] == id.as_str()), "{granted}");
        let out = ecmr.expect(1, &["list", "--state", "lost", "--profile", "carrier"]);
        assert!(stderr(&out).contains("state"), "{}", stderr(&out));

        // The authority: searches the plate, reads the dataset, follows up.
        let found =
            ecmr.json(0, &["control", "search", "12-BXL-4", "--country", "NL", "--mode", "3", "--profile", "ilt"]);
        let hits = found["identifiers"].as_array().unwrap();
        assert!(hits.iter().any(|h| h["datasetId"] == id.as_str()), "{found}");
        let out = ecmr.expect(0, &["control", "search", "12 BXL 4", "--profile", "ilt"]);
        assert!(stdout(&out).contains(&format!("ecmr-gate/ecmr-platform/{id}")), "{}", stdout(&out));
        let uil = format!("ecmr-gate/ecmr-platform/{id}");
        let read = ecmr.json(0, &["control", "uil", &uil, "--subset", "EU01", "-o", "dataset.xml", "--profile", "ilt"]);
        let xml = std::fs::read_to_string(work.join("dataset.xml")).unwrap();
        assert!(xml.starts_with("<?xml") && xml.contains("<carrierAcceptanceLocation>"), "{xml}");
        let request = read["requestId"].as_str().unwrap().to_owned();
        let other_gate = ecmr.json(
            1,
            &["control", "uil", &format!("elsewhere/ecmr-platform/{id}"), "--subset", "EU01", "--profile", "ilt"],
        );
        assert_eq!(other_gate["error"]["code"], "UIL_GATE_NOT_LOCAL", "{other_gate}");
        ecmr.expect(0, &["control", "follow-up", &request, "Seal broken at Hazeldonk.", "--profile", "ilt"]);
        // A party may not use the authority API.
        let out = ecmr.expect(1, &["control", "search", "12BXL4", "--profile", "carrier"]);
        assert!(stderr(&out).contains("forbidden"), "{}", stderr(&out));

        // The parties read it.
        let out = ecmr.expect(0, &["follow-ups", &id, "--profile", "carrier"]);
        assert!(stdout(&out).contains("Seal broken at Hazeldonk."), "{}", stdout(&out));
        let audit = ecmr.json(0, &["audit", &id, "--profile", "sender"]);
        let actions: Vec<&str> =
            audit["entries"].as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).collect();
        for wanted in ["document.created", "event.appended:1", "event.appended:2", "document.read"] {
            assert!(actions.contains(&wanted), "{wanted} in {actions:?}");
        }
        assert!(actions.iter().any(|a| a.starts_with("efti.")), "the authority's read is in the log: {actions:?}");

        // Watching: the first poll reports the document and the follow-up, the next one nothing new.
        let out = ecmr.expect(0, &["watch", "--once", "--json", "--profile", "carrier"]);
        let events: Vec<Value> = stdout(&out).lines().map(|l| serde_json::from_str(l).expect("a JSON line")).collect();
        assert!(
            events.iter().any(|e| e["event"] == "document" && e["id"] == id.as_str() && e["last_seq"] == 2),
            "{events:?}"
        );
        assert!(
            events.iter().any(|e| e["event"] == "follow_up" && e["message"] == "Seal broken at Hazeldonk."),
            "{events:?}"
        );
        let out = ecmr.expect(0, &["watch", "--once", "--profile", "carrier"]);
        assert_eq!(stdout(&out), "", "nothing new since the cursor");
        let out = ecmr.expect(0, &["watch", "--once", "--from-start", "--profile", "carrier"]);
        assert!(stdout(&out).contains(&format!("{id} {number}: delivered at seq 2")), "{}", stdout(&out));

        drop(gw);
    }
}

#[test]
fn network_and_profile_errors_say_what_failed_and_exit_2() {
    let dir = tempfile::tempdir().expect("dir");
    let ecmr = Ecmr { config: dir.path().join("config"), work: dir.path().to_path_buf() };
    std::fs::write(dir.path().join("t.token"), "ecmr_not-a-real-token\n").unwrap();
    // No profile yet.
    let out = ecmr.expect(2, &["list"]);
    assert!(stderr(&out).contains("no profile \"default\"") && stderr(&out).contains("ecmr login"), "{}", stderr(&out));
    // A bad URL is refused at login.
    let out = ecmr.expect(2, &["login", "--gateway", "ftp://gw", "--token-file", "t.token"]);
    assert!(stderr(&out).contains("ftp://gw"), "{}", stderr(&out));
    // Login also takes its arguments from the environment.
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("ecmr"));
    let status = cmd
        .args(["login", "--profile", "dead"])
        .env("ECMR_CONFIG_DIR", &ecmr.config)
        .env("ECMR_GATEWAY_URL", &url)
        .env("ECMR_TOKEN_FILE", dir.path().join("t.token"))
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    // Nothing listens there: exit 2, the URL named, safe to retry.
    let out = ecmr.expect(2, &["list", "--profile", "dead"]);
    let err = stderr(&out);
    assert!(err.contains(&format!("{url}/v1/documents")) && err.contains("safe to retry"), "{err}");
    let e = ecmr.json(2, &["fetch", &uuid::Uuid::new_v4().to_string(), "--profile", "dead"]);
    assert_eq!((e["ok"].as_bool(), e["error"]["retry_safe"].as_bool()), (Some(false), Some(true)), "{e}");
    assert!(e["error"]["url"].as_str().unwrap().starts_with(&url));
    // A submit whose file cannot be read: exit 2, the file named.
    let out = ecmr.expect(2, &["submit", "missing.json", "--profile", "dead"]);
    assert!(stderr(&out).contains("missing.json"), "{}", stderr(&out));
}

#[test]
fn validate_takes_several_files_and_standard_input() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let dir = tempfile::tempdir().expect("dir");
    let ecmr = Ecmr { config: dir.path().join("config"), work: examples.clone() };
    let out = ecmr.expect(0, &["validate", "domestic-pallets.json", "adr-fuel.xml"]);
    assert!(stdout(&out).contains("domestic-pallets.json: valid") && stdout(&out).contains("adr-fuel.xml: valid"));
    let note = std::fs::read(examples.join("international-cod.json")).unwrap();
    let out = ecmr.run_with_stdin(&["validate", "-"], Some(&note));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("(standard input): valid (JSON note)"), "{}", stdout(&out));
    // One invalid file makes the exit 1; the valid ones are still reported.
    let bad = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/invalid-note.json");
    let out = ecmr.run(&["validate", "domestic-pallets.json", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("domestic-pallets.json: valid") && stdout(&out).contains("invalid"),
        "{}",
        stdout(&out)
    );
    // A missing file: 2, and the others are still checked.
    let out = ecmr.run(&["validate", "nope.json", "domestic-pallets.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stdout(&out).contains("domestic-pallets.json: valid"));
    assert_eq!(ecmr.run(&["validate", "-", "-"]).status.code(), Some(2));
}

#[test]
fn identity_mismatches_a_warning_gateway_accepts_are_shown() {
    let gw = Gateway::start_with(None, &[("ECMR_IDENTITY_CHECK", "warn")]);
    let dir = tempfile::tempdir().expect("work dir");
    let work = dir.path();
    let ecmr = Ecmr { config: work.join("config"), work: work.to_path_buf() };
    let (sender_key, sender_pub) = key(work, "sender");
    // In the directory as another company than the note's sender.
    let token = gw.principal(
        work,
        "sender",
        "Elders Logistiek",
        &["--kind", "party", "--key", &sender_pub, "--country", "BE", "--identifier", "vat:BE0123456789"],
    );
    ecmr.expect(0, &["login", "--gateway", &gw.url, "--token-file", token.to_str().unwrap()]);
    let note = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/domestic-pallets.json");
    let out = ecmr.expect(
        0,
        &["issue", note.to_str().unwrap(), "--key", sender_key.to_str().unwrap(), "-o", "doc.json", "--submit"],
    );
    assert!(stdout(&out).contains("submitted, stored"), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(err.contains("identity_check = warn") && err.contains("event 0"), "{err}");
    let again = ecmr.json(0, &["submit", "doc.json"]);
    assert_eq!(again["results"][0]["outcome"], "unchanged", "{again}");
}
