//! The inspector web app and the driver view in a real headless Chromium, driven through chromedriver
//! (`fantoccini`), against a gateway serving on a local socket: sign in, search a plate typed with a space, open
//! the note, every event ✔, a damaged stored copy ✘ on the right event, an authority entitled to EU01 only sees
//! no box outside it, a follow-up sent from the page reaches the party, sign-out, the share link's driver view
//! and its 404 after revocation and after expiry, and the QR code of a rendered PDF opening the right note. And
//! the JavaScript verifier against every test vector, answer for answer with the Rust verifier.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them): without chromedriver these tests
//! fail, saying so. Screenshots of every page, desktop and phone, are written to `target/test-output/inspect/`.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use common::TestApp;
use ecmr_gateway::config::Config;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(20);

/// Where the screenshots go.
fn output_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/test-output/inspect");
    std::fs::create_dir_all(&dir).expect("screenshot directory");
    dir
}

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|p| std::env::split_paths(&p).map(|d| d.join(name)).find(|f| f.is_file()))
}

/// chromedriver with a headless Chromium session; the driver process ends with it.
struct Browser {
    client: Client,
    driver: Child,
}

impl Browser {
    async fn start() -> Browser {
        let driver_path = on_path("chromedriver").unwrap_or_else(|| {
            panic!(
                "chromedriver is not installed: the inspector's browser tests need Debian's `chromium` and \
                 `chromium-driver` (apt-get install chromium chromium-driver; .ci/run installs them)"
            )
        });
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().expect("addr").port();
        let driver = Command::new(driver_path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let mut options = json!({
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,1000", "--lang=en-GB", "--hide-scrollbars", "--force-device-scale-factor=1"],
        });
        if let Some(chromium) = on_path("chromium") {
            options["binary"] = json!(chromium);
        }
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), json!("chrome"));
        caps.insert("goog:chromeOptions".into(), options);
        let started = Instant::now();
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(caps.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await
            {
                Ok(c) => break c,
                Err(e) if started.elapsed() < Duration::from_secs(20) => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(e) => panic!("cannot start a Chromium session through chromedriver: {e}"),
            }
        };
        Browser { client, driver }
    }

    async fn end(mut self) {
        let _ = self.client.close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }

    /// Screenshots of the page as it is, at desktop size and at a phone's (390 × 844), back to desktop after.
    async fn shots(&self, name: &str) {
        let dir = output_dir();
        for (suffix, w, h) in [("desktop", 1280, 1000), ("phone", 390, 844)] {
            self.client.set_window_size(w, h).await.expect("resize");
            tokio::time::sleep(Duration::from_millis(150)).await;
            let png = self.client.screenshot().await.expect("screenshot");
            std::fs::write(dir.join(format!("{name}-{suffix}.png")), png).expect("write screenshot");
        }
        self.client.set_window_size(1280, 1000).await.expect("resize");
    }

    async fn visible(&self, css: &str) -> fantoccini::elements::Element {
        let started = Instant::now();
        loop {
            if let Ok(e) = self.client.find(Locator::Css(css)).await
                && e.is_displayed().await.unwrap_or(false)
            {
                return e;
            }
            assert!(started.elapsed() < WAIT, "{css} did not show within {WAIT:?}; page: {}", self.text("body").await);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn text(&self, css: &str) -> String {
        match self.client.find(Locator::Css(css)).await {
            Ok(e) => e.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// Waits until the text of `css` contains `needle`; returns the text.
    async fn text_with(&self, css: &str, needle: &str) -> String {
        let started = Instant::now();
        loop {
            let t = self.text(css).await;
            if t.contains(needle) {
                return t;
            }
            assert!(started.elapsed() < WAIT, "{css} never said {needle:?}; it says {t:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn fill(&self, css: &str, text: &str) {
        let e = self.visible(css).await;
        e.clear().await.expect("clear");
        e.send_keys(text).await.expect("type");
    }

    async fn click(&self, css: &str) {
        self.visible(css).await.click().await.expect("click");
    }

    /// The page's verdict marks, event by event, once every event is shown.
    async fn verdicts(&self, events: usize) -> Vec<String> {
        let started = Instant::now();
        loop {
            let marks = self.client.find_all(Locator::Css("#events .event .verdict")).await.unwrap_or_default();
            if marks.len() == events {
                let mut out = Vec::new();
                for m in marks {
                    out.push(m.text().await.unwrap_or_default());
                }
                return out;
            }
            assert!(started.elapsed() < WAIT, "{events} events never showed; page: {}", self.text("body").await);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// A gateway serving on a local socket, with the app for setting things up on the same state.
struct Served {
    app: TestApp,
    base: String,
    sqlite: PathBuf,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Served {
    async fn start() -> Served {
        let (store, sqlite) = common::sqlite_store().await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://127.0.0.1:{}", listener.local_addr().expect("addr").port());
        let config = Config { public_url: Some(base.clone()), ..Config::default() };
        let app = TestApp::with_config(store, config).await;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let limits = ecmr_gateway::server::ConnectionLimits { header_read_timeout: Duration::from_secs(10), per_ip: 0 };
        let router = ecmr_gateway::app::router(app.state.clone());
        tokio::spawn(ecmr_gateway::server::run(listener, router, limits, async {
            let _ = stopped.await;
        }));
        Served { app, base, sqlite, stop: Some(stop) }
    }

    /// Runs SQL on the gateway's SQLite file, as someone with access to the disk would.
    fn tamper(&self, sql: &str) {
        let conn = rusqlite::Connection::open(&self.sqlite).expect("open the store's file");
        conn.execute_batch(sql).expect("tamper");
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

/// A document issued by `sender` whose vehicle is `plate`, taken over by `carrier`, stored; its id and a file
/// holding it.
async fn stored(
    s: &Served,
    number: &str,
    plate: &str,
    sender: &common::Party,
    carrier: &common::Party,
) -> (String, PathBuf) {
    let at = "2026-11-27T15:00:00Z".parse().expect("time");
    let mut note = common::note(number, Some(&carrier.key));
    common::as_party(&mut note["sender"], sender.seed);
    note["transport"]["vehicles"][0]["registration"] = json!(plate);
    let doc = ecmr::sign::issue_value(uuid::Uuid::new_v4(), note, at, &sender.key).expect("issue");
    let r = s.app.post("/v1/documents", &sender.token, doc.bytes().to_vec()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", String::from_utf8_lossy(&r.body));
    let taken = common::take_over(&doc, &carrier.key);
    let r = s.app.post(&format!("/v1/documents/{}/events", doc.id()), &carrier.token, common::last_event(&taken)).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let path = common::temp_dir("browser-doc").join(format!("{number}.json"));
    std::fs::write(&path, taken.bytes()).expect("write the document");
    (doc.id().to_owned(), path)
}

/// The `ecmr` command-line binary, built beside the tests (built now when it is not there yet).
fn ecmr_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary");
    let bin = exe.parent().and_then(Path::parent).expect("target dir").join("ecmr");
    if !bin.is_file() {
        let st = Command::new(env!("CARGO"))
            .args(["build", "-q", "-p", "ecmr-cli", "--bin", "ecmr"])
            .stdin(Stdio::null())
            .status()
            .expect("cargo build ecmr");
        assert!(st.success(), "cannot build the ecmr binary");
    }
    bin
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
        fields.push(String::from_utf8(bytes[start..i].to_vec()).expect("header"));
    }
    assert_eq!(fields[0], "P5");
    let (w, h): (usize, usize) = (fields[1].parse().expect("width"), fields[2].parse().expect("height"));
    (w, h, bytes[i + 1..].to_vec())
}

/// Renders `doc` as a PDF for the gateway at `base`, rasterises it with pdftoppm and reads its QR code with rqrr.
fn qr_of_rendered_pdf(doc: &Path, base: &str) -> String {
    let dir = doc.parent().expect("dir");
    let pdf = dir.join("note.pdf");
    let out = Command::new(ecmr_binary())
        .arg("render")
        .arg(doc)
        .args(["--format", "pdf", "--force", "--gateway-url", base, "-o"])
        .arg(&pdf)
        .output()
        .expect("run ecmr render");
    assert!(out.status.success(), "ecmr render: {}", String::from_utf8_lossy(&out.stderr));
    let prefix = dir.join("page");
    let st = Command::new("pdftoppm")
        .args(["-r", "200", "-gray", "-singlefile", "-f", "1", "-l", "1"])
        .arg(&pdf)
        .arg(&prefix)
        .status()
        .expect("pdftoppm (poppler-utils) is needed");
    assert!(st.success());
    let (w, h, pixels) = read_pgm(&std::fs::read(prefix.with_extension("pgm")).expect("pgm"));
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| pixels[y * w + x]);
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code on the page");
    grids[0].decode().expect("the QR code decodes").1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inspector_and_a_driver_use_the_web_app_in_chromium() {
    let s = Served::start().await;
    let sender = s.app.party(1).await;
    let carrier = s.app.party(2).await;
    let (a, a_file) = stored(&s, "NL-2026-000777", "4821-LMN", &sender, &carrier).await;
    let (damaged, _) = stored(&s, "NL-2026-000778", "7 XYZ 99", &sender, &carrier).await;
    let full = s.app.authority("Inspectie Leefomgeving en Transport", &["full"]).await;
    let eu01 = s.app.authority("Politie Verkeer", &["EU01"]).await;
    let b = Browser::start().await;
    let c = &b.client;
    let base = &s.base;

    // Sign in.
    c.goto(&format!("{base}/inspect/")).await.expect("open the app");
    b.visible("#signin #token").await;
    b.shots("01-sign-in").await;
    // By keyboard alone: the token, then Enter.
    b.fill("#token", &format!("{full}\u{E007}")).await;
    b.visible("#find #identifier").await;
    assert!(b.text("#who").await.contains("Inspectie Leefomgeving en Transport"));
    let stored_token: Value = c.execute("return [localStorage.length, document.cookie]", vec![]).await.expect("js");
    assert_eq!(stored_token, json!([0, ""]), "nothing in localStorage and the cookie is HttpOnly");
    b.shots("02-find").await;

    // Search a plate typed with a space, with country and mode.
    b.fill("#country", "NL").await;
    c.execute("document.getElementById('mode').value = '3'", vec![]).await.expect("mode");
    b.fill("#identifier", "4821 LMN\u{E007}").await;
    // Each result names the note, its state and its parties (this authority may read them all).
    let results = b.text_with("#result-list", "NL-2026-000777").await;
    assert!(
        !results.contains("NL-2026-000778") && !results.contains(&damaged),
        "only the plate searched for: {results}"
    );
    for shown in ["in transit", "Sender: ", "Carrier: ", "Vehicle: 4821-LMN", "Gate: "] {
        assert!(results.contains(shown), "{shown:?} in {results}");
    }
    b.shots("03-results").await;

    // Open the note (the first result has the focus: Enter): boxes, every event ✔, the gateway key named.
    let focused = c.active_element().await.expect("focus");
    assert_eq!(
        focused.attr("class").await.expect("class").as_deref(),
        Some("result"),
        "the first result has the focus"
    );
    focused.send_keys("\u{E007}").await.expect("enter");
    assert_eq!(b.verdicts(2).await, ["✔", "✔"]);
    b.text_with("#verify-banner", "✔").await;
    assert!(b.text("#boxes").await.contains("Brabant Zuivel"), "box 1 shows the sender");
    let known = s.app.call("GET", "/.well-known/ecmr-gateway", None, None).await.json();
    let key = known["gateway_keys"][0]["public_key"].as_str().expect("key").to_owned();
    assert!(b.text("#gateway-key").await.contains(&key), "the page names the key it checked against");
    assert!(b.text("#events").await.contains("party 2"), "the carrier's attested name");
    b.shots("04-note-verified").await;

    // The language, chosen and remembered.
    c.execute(
        "const s = document.getElementById('lang'); s.value = 'de'; s.dispatchEvent(new Event('change'))",
        vec![],
    )
    .await
    .expect("lang");
    b.text_with("#boxes", ecmr::render::Labels::GERMAN.boxes[0]).await;
    b.text_with("#events", "Übernommen").await;
    b.shots("05-note-german").await;
    let kept: Value = c.execute("return localStorage.getItem('ecmr.lang')", vec![]).await.expect("js");
    assert_eq!(kept, "de");
    c.execute(
        "const s = document.getElementById('lang'); s.value = 'en'; s.dispatchEvent(new Event('change'))",
        vec![],
    )
    .await
    .expect("lang");
    b.text_with("#boxes", ecmr::render::Labels::ENGLISH.boxes[0]).await;

    // A follow-up from the page reaches the party.
    b.fill("#follow-up", "Please send the ADR instructions to the driver").await;
    b.click("#follow-up-form button[type=submit]").await;
    b.text_with("#follow-ups", "ADR instructions").await;
    let msgs = s.app.get(&format!("/v1/documents/{a}/follow-ups"), &sender.token).await.json();
    assert!(msgs.to_string().contains("Please send the ADR instructions to the driver"), "{msgs}");

    // The stored copy of another note damaged on disk: ✘ on event 1, ✔ on event 0.
    s.tamper(&format!(
        "DROP TRIGGER events_no_update; UPDATE events SET body = replace(body, 'Tilburg', 'Breda') \
         WHERE document_id = '{damaged}' AND seq = 1;"
    ));
    c.goto(&format!("{base}/inspect/#uil=ecmr-gate/ecmr-platform/{damaged}")).await.expect("open by link");
    c.refresh().await.expect("reload");
    assert_eq!(b.verdicts(2).await, ["✔", "✘"]);
    b.text_with("#verify-banner", "✘").await;
    let reason = b.text("#events .event[data-seq='1'] .reason").await;
    assert!(reason.contains("bad_signature"), "{reason}");
    b.shots("06-note-damaged").await;
    c.execute("document.getElementById('events-card').scrollIntoView()", vec![]).await.expect("scroll");
    b.shots("06-note-damaged-events").await;

    // The QR code of a rendered PDF leads to the note, which matches it.
    let url = qr_of_rendered_pdf(&a_file, base);
    assert!(url.starts_with(&format!("{base}/inspect/#uil=ecmr-gate/ecmr-platform/{a}&seq=1&digest=sha256:")), "{url}");
    c.goto(&url).await.expect("open the QR link");
    c.refresh().await.expect("reload");
    assert_eq!(b.verdicts(2).await, ["✔", "✔"]);
    b.text_with("#qr-check", "✔").await;
    b.shots("07-note-from-qr").await;
    let wrong = format!("{}{}", &url[..url.len() - 4], if url.ends_with("0000") { "1111" } else { "0000" });
    c.goto(&wrong).await.expect("open a wrong QR link");
    c.refresh().await.expect("reload");
    b.text_with("#qr-check", "MISMATCH").await;
    b.shots("08-note-qr-mismatch").await;

    // Sign-out ends the session.
    b.click("#sign-out").await;
    b.visible("#signin #token").await;
    let status: Value = c
        .execute_async(
            "const done = arguments[0]; fetch('/inspect/session', {headers: {'X-Ecmr-Inspector': '1'}}).then(r => done(r.status));",
            vec![],
        )
        .await
        .expect("js");
    assert_eq!(status, 401);

    // An authority entitled to EU01 only: no box outside it, and the page says the gateway checked.
    b.fill("#token", &eu01).await;
    b.click("#signin-form button[type=submit]").await;
    b.fill("#uil", &format!("ecmr-gate/ecmr-platform/{a}")).await;
    b.click("#uil-form button[type=submit]").await;
    b.text_with("#verify-banner", "checked by the gateway").await;
    let shown: Vec<u8> = c
        .execute("return [...document.querySelectorAll('#boxes .box:not(.missing) .box-no')].map(e => Number(e.textContent))", vec![])
        .await
        .expect("js")
        .as_array()
        .expect("numbers")
        .iter()
        .filter_map(|n| n.as_u64().and_then(|n| u8::try_from(n).ok()))
        .collect();
    let xml = s.app.get(&format!("/v1/uil/ecmr-gate/ecmr-platform/{a}?subsetId=EU01"), &eu01).await;
    let view =
        ecmr_gateway::service::views::note_view(std::str::from_utf8(&xml.body).expect("xml"), "en").expect("view");
    let entitled: Vec<u8> =
        view.boxes.iter().filter(|b| b.lines.is_some() && !(6..=12).contains(&b.number)).map(|b| b.number).collect();
    assert_eq!(shown, entitled, "the page shows exactly the boxes EU01 provides");
    let full_xml = s.app.get(&format!("/v1/uil/ecmr-gate/ecmr-platform/{a}?subsetId=full"), &full).await;
    let all =
        ecmr_gateway::service::views::note_view(std::str::from_utf8(&full_xml.body).expect("xml"), "en").expect("view");
    assert!(
        all.boxes.iter().filter(|b| b.lines.is_some()).count()
            > view.boxes.iter().filter(|b| b.lines.is_some()).count()
    );
    assert!(b.client.find(Locator::Css("#events-card")).await.expect("card").is_displayed().await.ok() == Some(false));
    b.shots("09-note-eu01-only").await;

    // The driver's share link: the note, its state and the QR code; 404 after revocation and after expiry.
    let made = s.app.post(&format!("/v1/documents/{a}/shares"), &carrier.token, br#"{"label": "Jan"}"#.to_vec()).await;
    assert_eq!(made.status, StatusCode::CREATED);
    let made = made.json();
    let link = made["url"].as_str().expect("url").to_owned();
    assert!(link.starts_with(&format!("{base}/share/#t=")));
    c.goto(&link).await.expect("open the share link");
    b.visible("#note #qr").await;
    b.text_with("#note-title", "NL-2026-000777").await;
    assert!(b.text("#note-meta").await.contains("in transit"));
    assert!(b.text("#boxes").await.contains("Brabant Zuivel"));
    b.shots("10-driver-view").await;
    let share_id = made["id"].as_str().expect("id");
    let r = s.app.call("DELETE", &format!("/v1/documents/{a}/shares/{share_id}"), Some(&carrier.token), None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    c.refresh().await.expect("reload");
    b.text_with("#status", "does not work").await;
    b.shots("11-driver-link-revoked").await;
    let made = s.app.post(&format!("/v1/documents/{a}/shares"), &carrier.token, b"{}".to_vec()).await.json();
    let link = made["url"].as_str().expect("url").to_owned();
    c.goto(&link).await.expect("open");
    b.visible("#note #qr").await;
    s.tamper(&format!(
        "UPDATE share_links SET expires_at = '2026-01-01T00:00:00.000000Z' WHERE id = '{}';",
        made["id"].as_str().expect("id")
    ));
    c.refresh().await.expect("reload");
    b.text_with("#status", "does not work").await;

    b.end().await;
    s.app.check_audit().await;
}

/// Runs `script` (an async function body with `m`, the verifier module, and `input`) in the page.
async fn in_page(c: &Client, script: &str, input: Value) -> Value {
    let wrapped = format!(
        "const done = arguments[arguments.length - 1]; const input = arguments[0];
         import('/inspect/verify.js').then(async (m) => {{ {script} }}).then(done, (e) => done({{error: String(e)}}));"
    );
    c.execute_async(&wrapped, vec![input]).await.expect("script")
}

fn vectors(dir: &str) -> Vec<(String, Value)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors").join(dir);
    let mut out: Vec<(String, Value)> = std::fs::read_dir(&root)
        .expect("vectors")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            let v = serde_json::from_str(&std::fs::read_to_string(&p).expect("read")).expect("json");
            (p.file_name().expect("name").to_string_lossy().into_owned(), v)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// The first failure the Rust verifier names, as `(name, seq)`, or `None` for a valid document.
fn rust_verdict(bytes: &[u8]) -> Option<(String, Option<u64>)> {
    match ecmr::verify::Verifier::new().verify(bytes, None) {
        Ok(_) => None,
        Err(e) => e.report.failures.first().map(|f| (f.kind.code().to_owned(), f.seq)),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_javascript_verifier_answers_every_vector_as_ecmr_verify_does() {
    let s = Served::start().await;
    let b = Browser::start().await;
    let c = &b.client;
    c.goto(&format!("{}/inspect/", s.base)).await.expect("open");
    let available = in_page(c, "return await m.ed25519Available();", Value::Null).await;
    assert_eq!(available, true, "this Chromium has Ed25519 in WebCrypto");

    // Documents: the same first failure (name and position) or the same "valid".
    let mut compared = 0;
    for dir in ["documents", "trust"] {
        for (name, v) in vectors(dir) {
            let text = match v.get("document_text").and_then(Value::as_str) {
                Some(t) => t.to_owned(),
                None => serde_json::to_string(&v["document"]).expect("json"),
            };
            let rust = rust_verdict(text.as_bytes());
            let js = in_page(
                c,
                "const r = await m.verifyDocument(input); return {valid: r.valid, first: r.failures[0] || null, checked: r.signatures_checked};",
                json!(text),
            )
            .await;
            assert!(js.get("error").is_none(), "{dir}/{name}: {js}");
            let js_verdict =
                js["first"].as_object().map(|f| (f["failure"].as_str().unwrap_or("").to_owned(), f["seq"].as_u64()));
            assert_eq!(js_verdict, rust, "{dir}/{name}: the browser says {js}, ecmr verify says {rust:?}");
            assert_eq!(js["valid"], rust.is_none(), "{dir}/{name}");
            compared += 1;
        }
    }
    assert_eq!(compared, 30 + 9, "every document and trust vector");

    // Tampered copies of the valid documents: the browser refuses every one the Rust verifier refuses.
    for (name, v) in vectors("documents").into_iter().filter(|(n, _)| n.starts_with("complete-")) {
        let mut doc = v["document"].clone();
        doc["events"][1]["data"]["place"]["address"]["city"] = json!("Elsewhere");
        let text = serde_json::to_string(&doc).expect("json");
        let rust = rust_verdict(text.as_bytes()).expect("refused");
        let js = in_page(c, "const r = await m.verifyDocument(input); return r.failures[0];", json!(text)).await;
        assert_eq!((js["failure"].as_str(), js["seq"].as_u64()), (Some(rust.0.as_str()), rust.1), "{name}");
    }

    // Strict Ed25519: the browser accepts exactly the signatures the strict rules accept.
    let strict: Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors/ed25519-strict.json"))
            .expect("read"),
    )
    .expect("json");
    for case in strict["cases"].as_array().expect("cases") {
        let js = in_page(
            c,
            "const h = (x) => Uint8Array.from(x.match(/../g) || [], (b) => parseInt(b, 16));
             return await m.verifyStrict(h(input.public_key), h(input.signature), h(input.message));",
            case.clone(),
        )
        .await;
        assert_eq!(js == "ok", case["strict"].as_bool().expect("strict"), "{}: {js}", case["name"]);
    }

    // RFC 8785: the canonical form of every input of the conformance corpus.
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors/rfc8785");
    for entry in std::fs::read_dir(corpus.join("input")).expect("corpus").filter_map(Result::ok) {
        let input = std::fs::read_to_string(entry.path()).expect("input");
        let expected = std::fs::read_to_string(corpus.join("output").join(entry.file_name())).expect("output");
        let js = in_page(c, "return m.canonicalize(JSON.parse(input));", json!(input)).await;
        assert_eq!(js.as_str(), Some(expected.trim_end_matches('\n')), "{:?}", entry.file_name());
    }

    // Gateway statements: the worked example's receipt and attestation, and changed copies of them.
    let st: Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors/statements.json"))
            .expect("read"),
    )
    .expect("json");
    let gateway_key = st["gateway_public_key"].as_str().expect("key");
    let mut trust = ecmr::trust::TrustStore::new();
    trust.add_gateway_key(ecmr::trust::GatewayKey::new(
        "gate-nl",
        ecmr::keys::PublicKey::from_b64url(gateway_key).expect("key"),
    ));
    let keys = json!([{"gate_id": "gate-nl", "public_key": gateway_key}]);
    let mut cases = Vec::new();
    for (member, format) in [("receipt", "ecmr-receipt/1"), ("attestation", "ecmr-attestation/1")] {
        let original = st[member].clone();
        let mut changed = original.clone();
        changed["gate_id"] = json!("gate-be");
        let mut resigned_elsewhere = original.clone();
        resigned_elsewhere["issued_at"] = json!("2027-01-01T00:00:00Z");
        cases.extend([(format, original), (format, changed), (format, resigned_elsewhere)]);
    }
    for (format, value) in cases {
        let rust_ok = match format {
            "ecmr-receipt/1" => ecmr::attest::Receipt::verify_value(&value, &trust).is_ok(),
            _ => ecmr::attest::Attestation::verify_value(&value, &trust).is_ok(),
        };
        let js = in_page(
            c,
            "return await m.verifyStatement(input.value, input.format, input.keys);",
            json!({"value": value, "format": format, "keys": keys}),
        )
        .await;
        assert_eq!(js["ok"].as_bool(), Some(rust_ok), "{format} {value}: {js}");
    }

    // A browser without Ed25519 in WebCrypto: a fresh copy of the module where importing an Ed25519 key fails. It
    // says it checked nothing and calls nothing valid — never a ✔ for what it could not check.
    let (_, valid) =
        vectors("documents").into_iter().find(|(n, _)| n == "complete-domestic-pallets.json").expect("vector");
    let js = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const real = crypto.subtle.importKey.bind(crypto.subtle);
             crypto.subtle.importKey = (f, k, alg, ...rest) =>
               (alg && alg.name === 'Ed25519') ? Promise.reject(new Error('no Ed25519')) : real(f, k, alg, ...rest);
             import('/inspect/verify.js?without-ed25519').then(async (m) => {
               const r = await m.verifyDocument(arguments[0]);
               crypto.subtle.importKey = real;
               done({available: await m.ed25519Available(), valid: r.valid, checked: r.signatures_checked,
                     ok: r.events.map((e) => e.ok), signatures: r.events.map((e) => e.signature), failures: r.failures.length});
             }, (e) => done({error: String(e)}));",
            vec![json!(serde_json::to_string(&valid["document"]).expect("json"))],
        )
        .await
        .expect("script");
    assert_eq!(
        js,
        json!({"available": false, "valid": false, "checked": false, "ok": [false, false, false, false, false],
               "signatures": ["unavailable", "unavailable", "unavailable", "unavailable", "unavailable"], "failures": 0}),
        "without Ed25519 nothing is called verified, and nothing is called broken either"
    );
    b.end().await;
}
