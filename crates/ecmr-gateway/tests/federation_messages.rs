//! The gate-to-gate messages against the RI's `edelivery/gate.xsd`: the RI's examples read, every message the
//! gateway writes validates with `xmllint --schema gate.xsd`, and every message of the invalid corpus
//! (`tests/vectors/federation/invalid/`) is refused by the reader as xmllint refuses it. The xmllint checks need
//! the RI's XSDs beside the checkout and xmllint; under CI they may not be skipped.

use std::path::{Path, PathBuf};
use std::process::Command;

use ecmr_gateway::service::federation::messages::{
    FollowUpRequest, FollowUpResponse, FoundConsignment, IdentifierQuery, IdentifierResponse, Message, Uil, UilQuery,
    UilResponse, read,
};

const XSD_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/efti-ri/xsd");
const INVALID: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/vectors/federation/invalid");

fn missing() -> Option<String> {
    if !Path::new(XSD_DIR).join("edelivery/gate.xsd").exists() {
        return Some(format!("the RI's XSDs are not at {XSD_DIR}"));
    }
    let runs = Command::new("xmllint").arg("--version").output().is_ok_and(|o| o.status.success());
    (!runs).then(|| "xmllint is not installed (Debian: apt-get install libxml2-utils)".to_owned())
}

fn can_run(test: &str) -> bool {
    match missing() {
        None => true,
        Some(why) => {
            assert!(std::env::var_os("CI").is_none(), "{test}: CI is set, so this check may not be skipped: {why}");
            eprintln!("{test}: skipped: {why}");
            false
        }
    }
}

/// Whether xmllint accepts the file against gate.xsd, with its messages.
fn xmllint(file: &Path) -> (bool, String) {
    let out = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(Path::new(XSD_DIR).join("edelivery/gate.xsd"))
        .arg(file)
        .output()
        .expect("xmllint runs");
    (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn example(name: &str) -> String {
    std::fs::read_to_string(Path::new(XSD_DIR).join("examples").join(name)).expect("example")
}

fn uil() -> Uil {
    Uil {
        gate_id: "gate-nl".into(),
        platform_id: "ecmr-nl".into(),
        dataset_id: "0193a5c2-0000-7000-8000-000000000001".into(),
    }
}

/// One message of every kind, with what can go wrong in text (markup characters) in it.
fn every_message() -> Vec<Message> {
    let Message::UilResponse(ri) = read(&example("uil-response.xml")).expect("the RI's uilResponse reads") else {
        panic!("not a uilResponse")
    };
    let Message::IdentifierResponse(found) = read(&example("identifier-response.xml")).expect("reads") else {
        panic!("not an identifierResponse")
    };
    let consignment = found.consignments[0].consignment.clone();
    vec![
        Message::UilQuery(UilQuery {
            request_id: "r-1".into(),
            uil: uil(),
            subsets: vec!["EU01".into(), "EU02".into()],
        }),
        Message::UilResponse(UilResponse {
            request_id: Some("r-1".into()),
            status: "200".into(),
            description: None,
            consignment: ri.consignment,
        }),
        Message::UilResponse(UilResponse {
            request_id: Some("r-1".into()),
            status: "404".into(),
            description: Some("DATA_NOT_FOUND: no dataset <x> & co".into()),
            consignment: None,
        }),
        Message::IdentifierQuery(IdentifierQuery {
            request_id: "r-2".into(),
            identifier: "AB123".into(),
            types: vec!["means".into(), "equipment".into()],
            registration_country_code: Some("NL".into()),
            mode_code: Some("3".into()),
            dangerous_goods_indicator: Some(false),
        }),
        Message::IdentifierQuery(IdentifierQuery {
            request_id: "r-3".into(),
            identifier: "AB123".into(),
            types: vec![],
            registration_country_code: None,
            mode_code: None,
            dangerous_goods_indicator: None,
        }),
        Message::IdentifierResponse(IdentifierResponse {
            request_id: Some("r-2".into()),
            status: "200".into(),
            description: None,
            consignments: vec![
                FoundConsignment { consignment: consignment.clone(), uil: uil() },
                FoundConsignment { consignment, uil: Uil { dataset_id: "other".into(), ..uil() } },
            ],
        }),
        Message::IdentifierResponse(IdentifierResponse {
            request_id: Some("r-3".into()),
            status: "200".into(),
            description: None,
            consignments: vec![],
        }),
        Message::FollowUp(FollowUpRequest {
            request_id: "r-4".into(),
            uil_query_request_id: "r-1".into(),
            uil: uil(),
            message: "Seal <broken> & reported".into(),
        }),
        Message::FollowUpResponse(FollowUpResponse {
            request_id: Some("r-4".into()),
            status: "200".into(),
            description: None,
        }),
    ]
}

#[test]
fn the_ri_examples_read() {
    if missing().is_some_and(|m| m.contains("XSDs")) {
        assert!(std::env::var_os("CI").is_none(), "the RI's XSDs are missing");
        return;
    }
    for (name, kind) in [
        ("uil-query.xml", "uilQuery"),
        ("uil-response.xml", "uilResponse"),
        ("uil-response-404.xml", "uilResponse"),
        ("identifier-query.xml", "identifierQuery"),
        ("identifier-response.xml", "identifierResponse"),
        ("follow-up-request.xml", "postFollowUpRequest"),
    ] {
        let m = read(&example(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(m.name(), kind, "{name}");
    }
    let Message::IdentifierQuery(q) = read(&example("identifier-query.xml")).expect("reads") else { panic!() };
    assert_eq!((q.identifier.as_str(), q.types.as_slice()), ("ASB-123", &["means".to_owned()][..]));
    assert_eq!(q.dangerous_goods_indicator, Some(false));
}

#[test]
fn every_message_written_validates_and_reads_back() {
    if !can_run("every_message_written_validates_and_reads_back") {
        return;
    }
    let dir = std::env::temp_dir().join(format!("ecmr-fed-msg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    for (i, m) in every_message().into_iter().enumerate() {
        let xml = m.to_xml();
        let file = dir.join(format!("{i}-{}.xml", m.name()));
        std::fs::write(&file, &xml).expect("write");
        let (ok, why) = xmllint(&file);
        assert!(ok, "{}: xmllint refuses what the gateway writes: {why}\n{xml}", m.name());
        let back = read(&xml).unwrap_or_else(|e| panic!("{}: {e}\n{xml}", m.name()));
        match (&m, &back) {
            // The consignment comes back as a document of its own, the same elements.
            (Message::UilResponse(a), Message::UilResponse(b)) => {
                assert_eq!((&a.status, &a.description, &a.request_id), (&b.status, &b.description, &b.request_id));
                assert_eq!(a.consignment.is_some(), b.consignment.is_some());
            }
            _ => assert_eq!(back, m, "{xml}"),
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn every_invalid_message_is_refused_as_xmllint_refuses_it() {
    if !can_run("every_invalid_message_is_refused_as_xmllint_refuses_it") {
        return;
    }
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(INVALID).expect("corpus").map(|e| e.expect("entry").path()).collect();
    files.sort();
    assert!(files.len() >= 15, "the corpus has {} files", files.len());
    for file in files {
        let (ok, _) = xmllint(&file);
        assert!(!ok, "{}: xmllint accepts it; it does not belong in the invalid corpus", file.display());
        let text = std::fs::read_to_string(&file).expect("read");
        let refused = read(&text);
        assert!(refused.is_err(), "{}: the reader accepts what gate.xsd refuses: {refused:?}", file.display());
    }
}

#[test]
fn hostile_xml_is_refused() {
    for (xml, says) in [
        (
            "<!DOCTYPE x [<!ENTITY a \"b\">]><uilQuery xmlns=\"http://efti.eu/v1/edelivery\" requestId=\"r\"/>",
            "DOCTYPE",
        ),
        ("<?pi x?><uilQuery xmlns=\"http://efti.eu/v1/edelivery\" requestId=\"r\"/>", "processing"),
        ("<uilQuery xmlns=\"http://efti.eu/v1/edelivery\" requestId=\"r\">&x;</uilQuery>", "entity"),
        ("<uilQuery xmlns=\"http://efti.eu/v1/edelivery\" requestId=\"r\">", "ends"),
        ("not xml", "root"),
    ] {
        let e = read(xml).expect_err(xml);
        assert!(e.to_string().contains(says), "{xml}: {e}");
    }
}
