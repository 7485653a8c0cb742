//! UN/CEFACT eCMR XML: example round trips, the example XML files, and refusal of hostile input.

mod support;

use std::path::{Path, PathBuf};

use ecmr::{json, xml};

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

fn hostile_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/xml-hostile")
}

fn files_with_ext(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .collect();
    v.sort();
    v
}

/// Every JSON example converts to XML and back to an equal note, and its `.xml` twin is in sync
/// (`ECMR_BLESS=1` rewrites the twins).
#[test]
fn examples_round_trip_and_xml_twins_are_in_sync() {
    let bless = std::env::var_os("ECMR_BLESS").is_some_and(|v| v == "1");
    let examples = files_with_ext(&examples_dir(), "json");
    assert!(!examples.is_empty());
    let mut stale = Vec::new();
    for path in &examples {
        let text = std::fs::read_to_string(path).unwrap();
        let note = match json::from_str(&text) {
            Ok(note) => note,
            // Signed documents (`"format": "ecmr-document/1"`) are not notes; their own tests cover them.
            Err(_) if serde_json::from_str::<serde_json::Value>(&text).is_ok_and(|v| v.get("format").is_some()) => {
                continue;
            }
            Err(e) => panic!("{}: {e}", path.display()),
        };
        let written = xml::to_string(&note);
        let back = xml::from_str(&written).unwrap_or_else(|e| panic!("{}: {e}\n{written}", path.display()));
        assert_eq!(back, note, "{}", path.display());
        assert_eq!(json::to_string(&back), json::to_string(&note), "{}", path.display());
        assert_eq!(xml::to_string(&back), written, "writing is deterministic");

        let twin = path.with_extension("xml");
        if bless {
            std::fs::write(&twin, &written).unwrap();
            continue;
        }
        match std::fs::read_to_string(&twin) {
            Ok(on_disk) if on_disk == written => {
                assert_eq!(xml::from_str(&on_disk).unwrap(), note);
            }
            _ => stale.push(twin.display().to_string()),
        }
    }
    assert!(stale.is_empty(), "XML examples missing or out of date (run with ECMR_BLESS=1): {stale:?}");
}

#[test]
fn written_xml_has_declaration_namespaces_and_two_space_indent() {
    let note = json::from_str(&std::fs::read_to_string(examples_dir().join("domestic-pallets.json")).unwrap()).unwrap();
    let text = xml::to_string(&note);
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some(r#"<?xml version="1.0" encoding="UTF-8"?>"#));
    let root = lines.next().unwrap();
    assert!(root.starts_with("<rsm:eCMR xmlns:rsm=\"urn:un:unece:uncefact:data:standard:eCMR:100\""), "{root}");
    for ns in [xml::NS_RAM, xml::NS_UDT, xml::NS_QDT] {
        assert!(root.contains(ns), "{root}");
    }
    assert_eq!(lines.next(), Some("  <rsm:ExchangedDocumentContext>"));
    assert!(text.contains("\n      <ram:GrossWeightMeasure unitCode=\"KGM\">12480.000</ram:GrossWeightMeasure>\n"));
    assert!(text.contains("<ram:GrossVolumeMeasure unitCode=\"MTQ\">41.6</ram:GrossVolumeMeasure>"));
    assert!(text.ends_with("</rsm:eCMR>\n"));
}

/// Every hostile input is refused with the expected message and position. Each `NAME.xml` has a `NAME.expect`:
/// first line a substring of the message, second line `line:column`.
#[test]
fn hostile_inputs_are_refused_where_they_go_wrong() {
    let cases = files_with_ext(&hostile_dir(), "xml");
    assert!(cases.len() >= 20, "only {} hostile cases", cases.len());
    let mut failures = Vec::new();
    for path in &cases {
        let input = std::fs::read_to_string(path).unwrap();
        let expect = std::fs::read_to_string(path.with_extension("expect"))
            .unwrap_or_else(|e| panic!("{}: {e}", path.with_extension("expect").display()));
        let mut lines = expect.lines();
        let substring = lines.next().unwrap();
        let position = lines.next().unwrap().trim();
        let name = path.file_name().unwrap().to_string_lossy();
        match xml::from_str(&input) {
            Ok(_) => failures.push(format!("{name}: accepted")),
            Err(e) => {
                let at = format!("{}:{}", e.line, e.column);
                if !e.message.contains(substring) || at != position {
                    failures.push(format!("{name}: got `{}` at {at}, expected `{substring}` at {position}", e.message));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn deep_nesting_is_refused_without_recursion() {
    let depth = 100_000;
    let root = r#"<rsm:eCMR xmlns:rsm="urn:un:unece:uncefact:data:standard:eCMR:100">"#;
    let mut text = String::from(root);
    text.push_str(&"<rsm:a>".repeat(depth));
    text.push_str(&"</rsm:a>".repeat(depth));
    text.push_str("</rsm:eCMR>");
    let err = xml::from_str(&text).unwrap_err();
    assert!(err.message.contains("nested deeper than 64"), "{err}");
    // The 64th <rsm:a> is the 65th level.
    assert_eq!((err.line, err.column), (1, root.len() + 7 * 63 + 1));
}

#[test]
fn too_many_elements_are_refused() {
    let root = r#"<rsm:eCMR xmlns:rsm="urn:un:unece:uncefact:data:standard:eCMR:100">"#;
    let text = format!("{root}{}</rsm:eCMR>", "<rsm:a/>".repeat(xml::MAX_ELEMENTS + 10));
    assert!(text.len() < xml::MAX_XML_BYTES);
    let err = xml::from_str(&text).unwrap_err();
    assert!(err.message.contains("more than 200000 elements"), "{err}");
    // The root is the first element, so the refused one is the 200 000th <rsm:a/>.
    assert_eq!((err.line, err.column), (1, root.len() + 8 * (xml::MAX_ELEMENTS - 1) + 1));
}

#[test]
fn oversized_input_is_refused_before_parsing() {
    let mut text = String::from("<rsm:eCMR xmlns:rsm=\"urn:un:unece:uncefact:data:standard:eCMR:100\">");
    text.push_str(&"<!-- padding -->".repeat(xml::MAX_XML_BYTES / 16 + 1));
    text.push_str("</rsm:eCMR>");
    assert!(text.len() > xml::MAX_XML_BYTES);
    let err = xml::from_str(&text).unwrap_err();
    assert!(err.message.contains("more than the 4194304 bytes allowed"), "{err}");
    assert_eq!((err.line, err.column), (1, 1));
}

fn example_xml() -> String {
    std::fs::read_to_string(examples_dir().join("domestic-pallets.xml")).unwrap()
}

#[test]
fn comments_and_crlf_line_ends_are_accepted() {
    let original = xml::from_str(&example_xml()).unwrap();
    let text = example_xml().replace('\n', "\r\n").replacen(
        "<rsm:ExchangedDocument>",
        "<!-- note --><rsm:ExchangedDocument>",
        1,
    );
    assert_eq!(xml::from_str(&text).unwrap(), original);
}

#[test]
fn entity_and_character_references_are_resolved_in_text_and_attributes() {
    let text = example_xml()
        .replace(">Tilburg</ram:Name>", ">T&#105;lb&#x75;rg &amp; &lt;&gt;&quot;&apos;</ram:Name>")
        .replace("currencyID=\"EUR\"", "currencyID=\"E&#85;R\"");
    let note = xml::from_str(&text).unwrap();
    assert_eq!(note.established.place, "Tilburg & <>\"'");
    assert_eq!(note.charges[0].amount.currency.as_str(), "EUR");
}

#[test]
fn awkward_strings_survive_the_round_trip() {
    let mut note = xml::from_str(&example_xml()).unwrap();
    let nasty = [
        "",
        " ",
        "  leading and trailing  ",
        "line\nbreaks\r\nand\rreturns\ttabs",
        "<tag attr=\"x\">&amp;</tag> ' ]]> &#38;",
        "ünïcødé — 日本語 🚚",
        "\u{7F}\u{FFFD}\u{D7FF}\u{E000}\u{10FFFF}",
    ];
    for s in nasty {
        note.number = s.to_owned();
        note.sender.name = s.to_owned();
        note.other_particulars = vec![s.to_owned(), s.to_owned()];
        note.charges[0].amount.currency = s.into();
        note.goods[0].quantity = Some(ecmr::Quantity { value: "0.10".parse().unwrap(), unit: s.to_owned() });
        let text = xml::to_string(&note);
        let back = xml::from_str(&text).unwrap_or_else(|e| panic!("{s:?}: {e}\n{text}"));
        assert_eq!(back, note, "{s:?}");
    }
}

fn leaf_pointers(value: &serde_json::Value, prefix: &str, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                leaf_pointers(v, &format!("{prefix}/{k}"), out);
            }
        }
        serde_json::Value::Array(items) => {
            for v in items {
                leaf_pointers(v, &format!("{prefix}/*"), out);
            }
        }
        _ => out.push(prefix.to_owned()),
    }
}

/// A note with every particular present survives the round trip, and every one of its fields is listed in the
/// mapping table (directly, or relative to a party, location or address).
#[test]
fn every_model_field_round_trips_and_is_in_the_mapping_table() {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/xml-full-note.json")).unwrap();
    let note = json::from_str(&text).unwrap();
    let back = xml::from_str(&xml::to_string(&note)).unwrap();
    assert_eq!(json::to_string(&back), json::to_string(&note));

    let table =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/ecmr-xml-mapping.md"))
            .unwrap();
    let mut pointers = Vec::new();
    leaf_pointers(&serde_json::to_value(&note).unwrap(), "", &mut pointers);
    pointers.sort();
    pointers.dedup();
    assert!(pointers.len() > 80, "the fixture is not fully populated: {}", pointers.len());
    let missing: Vec<&String> = pointers
        .iter()
        .filter(|p| {
            let segs: Vec<&str> = p.trim_start_matches('/').split('/').collect();
            let full = format!("| `{p}` |");
            !table.contains(&full)
                && !(1..segs.len()).any(|i| table.contains(&format!("| `{}` |", segs[i..].join("/"))))
        })
        .collect();
    assert!(missing.is_empty(), "fields missing from schemas/ecmr-xml-mapping.md: {missing:?}");
}

#[test]
fn cdata_sections_and_a_byte_order_mark_are_accepted() {
    let original = xml::from_str(&example_xml()).unwrap();
    let text =
        format!("\u{FEFF}{}", example_xml().replace(">Tilburg</ram:Name>", "><![CDATA[Til<b>&amp;]]>burg</ram:Name>"));
    let note = xml::from_str(&text).unwrap();
    assert_eq!(note.established.place, "Til<b>&amp;burg");
    assert_eq!(note.goods, original.goods);
}

#[test]
fn a_large_note_within_the_limit_is_read_back() {
    let mut note = xml::from_str(&example_xml()).unwrap();
    let line = note.goods[0].clone();
    note.goods = vec![line; 3000];
    let text = xml::to_string(&note);
    assert!(text.len() > 2_000_000 && text.len() < xml::MAX_XML_BYTES, "{}", text.len());
    let started = std::time::Instant::now();
    assert_eq!(xml::from_str(&text).unwrap(), note);
    eprintln!("read {} bytes in {:?}", text.len(), started.elapsed());
}

#[test]
fn errors_name_the_element_and_position_of_bad_values() {
    let text = example_xml().replace(">53.2194<", ">53.2194.1<");
    let err = xml::from_str(&text).unwrap_err();
    assert!(err.message.starts_with("invalid decimal in <ram:LatitudeMeasure>"), "{err}");
    let line = text.lines().position(|l| l.contains("53.2194.1")).unwrap() + 1;
    assert_eq!(err.line, line);
    assert_eq!(err.column, "        <ram:LatitudeMeasure>".len() + 1);
    assert!(err.to_string().ends_with(&format!("at line {line} column {}", err.column)));
}

#[test]
fn characters_xml_forbids_are_refused_by_the_reader_with_their_place() {
    let good = example_xml();
    let at = good.find(">Tilburg</ram:Name>").expect("place name") + 1;
    let (line, _) = (good[..at].matches('\n').count() + 1, 0);
    for (bad, name) in support::NOT_XML {
        let text = good.replacen(">Tilburg</ram:Name>", &format!(">Til{bad}burg</ram:Name>"), 1);
        let err = xml::from_str(&text).expect_err(name);
        assert!(err.message.contains(name), "{bad:?}: {err}");
        assert_eq!(err.line, line, "{bad:?}: {err}");
        // In an attribute value as well.
        let text = good.replacen("currencyID=\"EUR\"", &format!("currencyID=\"EU{bad}R\""), 1);
        let err = xml::from_str(&text).expect_err(name);
        assert!(err.message.contains(name), "{bad:?} in an attribute: {err}");
    }
}

#[test]
fn a_note_that_xml_cannot_carry_is_refused_by_the_writer_and_by_validation() {
    let mut note = xml::from_str(&example_xml()).unwrap();
    for (bad, name) in support::NOT_XML.iter().filter(|(b, _)| !b.starts_with('&')) {
        note.goods[0].nature_of_goods = format!("pal{bad}lets");
        let err = xml::try_to_string(&note).expect_err(name);
        assert_eq!(err.path, "/goods/0/nature_of_goods");
        assert!(err.to_string().contains(name), "{err}");
        let report = ecmr::validate::validate(&note);
        let f = report.errors().find(|f| f.code == "text.xml_char").expect("finding");
        assert_eq!(f.path, "/goods/0/nature_of_goods");
        assert!(f.message.contains(name), "{}", f.message);
        // The JSON form is checked the same way, also when it does not read as a note otherwise.
        let mut value = serde_json::to_value(&note).unwrap();
        value["sender"]["name"] = format!("x{bad}").into();
        value.as_object_mut().unwrap().remove("consignee");
        let report = ecmr::validate::validate_value(&value);
        let paths: Vec<_> = report.errors().filter(|f| f.code == "text.xml_char").map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["/sender/name", "/goods/0/nature_of_goods"], "{bad:?}");
    }
    note.goods[0].nature_of_goods = "pallets\t\n\r\u{7F}".into();
    assert!(xml::try_to_string(&note).is_ok());
    assert!(!ecmr::validate::validate(&note).findings.iter().any(|f| f.code == "text.xml_char"));
}
