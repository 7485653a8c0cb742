//! Snapshot tests of the plain-text rendering: `text()` of every `examples/*.json` must equal
//! `tests/data/render/<name>.txt`. Run with `ECMR_BLESS=1` to rewrite the snapshots after an intended change.

use std::path::{Path, PathBuf};

use ecmr::render::{Labels, text, text_with};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn examples() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(repo().join("examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    v.sort();
    v
}

/// Extra notes kept beside the snapshots, covering what the examples leave empty.
fn extra_notes() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/render");
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    v.sort();
    v
}

/// Notes among the examples (signed documents and other JSON files are skipped), then the extra notes.
fn notes() -> Vec<(String, ecmr::ConsignmentNote)> {
    examples()
        .into_iter()
        .chain(extra_notes())
        .filter_map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let note = ecmr::json::from_str(&text).ok()?;
            let name = p.file_stem()?.to_str()?.to_owned();
            Some((name, note))
        })
        .collect()
}

#[test]
fn examples_match_snapshots() {
    let bless = std::env::var_os("ECMR_BLESS").is_some_and(|v| v == "1");
    let notes = notes();
    assert!(!notes.is_empty(), "no example notes found");
    let mut failures = Vec::new();
    for (name, note) in &notes {
        let got = text(note);
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/data/render/{name}.txt"));
        if bless {
            std::fs::write(&path, &got).unwrap();
            continue;
        }
        match std::fs::read_to_string(&path) {
            Ok(want) if want == got => {}
            Ok(want) => failures
                .push(format!("{name}: rendering differs from {}\n--- want\n{want}\n--- got\n{got}", path.display())),
            Err(e) => failures.push(format!("{name}: {} ({e}); run with ECMR_BLESS=1 to write it", path.display())),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn boxes_come_in_order_with_their_labels() {
    for (name, note) in notes() {
        let out = text(&note);
        let mut from = 0;
        for (i, label) in Labels::ENGLISH.boxes.iter().enumerate() {
            let n = i + 1;
            let heading = if (6..=12).contains(&n) {
                format!("{n} {}", Labels::ENGLISH.goods_columns[i - 5])
            } else {
                format!("\n{n} {label}\n")
            };
            let at = out[from..].find(&heading).unwrap_or_else(|| panic!("{name}: `{heading}` not after byte {from}"));
            from += at;
        }
        let trailer = out.find(Labels::ENGLISH.trailer).unwrap();
        assert!(trailer > from, "{name}: trailer after box 24");
        assert_eq!(out.matches("not signed").count(), 3, "{name}: boxes 22-24 are unsigned");
        assert!(out[trailer..].contains(&note.paramount_statement), "{name}: paramount statement in the trailer");
    }
}

#[test]
fn extra_notes_are_valid_and_fill_every_box() {
    let extras = extra_notes();
    assert!(!extras.is_empty());
    for p in extras {
        let note = ecmr::json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        let report = ecmr::validate::validate(&note);
        assert_eq!(report.findings, vec![], "{}", p.display());
        let out = text(&note);
        assert!(!out.contains(Labels::ENGLISH.none), "{}: a box is empty:\n{out}", p.display());
    }
}

#[test]
fn labels_are_used() {
    let (_, note) = notes().into_iter().next().unwrap();
    let mut labels = Labels::ENGLISH;
    labels.boxes[0] = "Absender";
    labels.not_signed = "nicht unterschrieben";
    let out = text_with(&note, &labels);
    assert!(out.contains("\n1 Absender\n"));
    assert_eq!(out.matches("nicht unterschrieben").count(), 3);
    assert!(!out.contains("\n1 Sender\n"));
}

#[test]
fn goods_lines_with_dangerous_goods_and_quantity() {
    let (_, mut note) = notes().into_iter().next().unwrap();
    let mut line = note.goods[0].clone();
    line.marks_and_numbers = None;
    line.gross_weight_kg = None;
    line.quantity = Some(ecmr::Quantity { value: "24000".parse().unwrap(), unit: "LTR".into() });
    line.nature_of_goods = "Motor spirit\nin bulk".into();
    line.dangerous_goods = Some(ecmr::DangerousGoods {
        un_number: "1203".into(),
        proper_shipping_name: "MOTOR SPIRIT".into(),
        technical_name: None,
        class: "3".into(),
        subsidiary_risks: vec![],
        packing_group: Some(ecmr::PackingGroup::II),
        tunnel_restriction_code: Some("D/E".into()),
        environmentally_hazardous: true,
    });
    note.goods.push(line);
    let out = text(&note);
    assert!(out.contains("    Quantity: 24000 LTR\n"), "{out}");
    assert!(out.contains("    ADR: UN 1203 MOTOR SPIRIT, 3, II, (D/E), ENVIRONMENTALLY HAZARDOUS\n"), "{out}");
    assert!(out.contains("Motor spirit in bulk"), "line breaks in a table cell are flattened: {out}");
    // All table rows line up: the column separators are at the same places.
    let rows: Vec<&str> = out.lines().filter(|l| l.contains(" | ")).take(3).collect();
    let seps =
        |l: &str| l.char_indices().filter(|(_, c)| *c == '|').map(|(i, _)| l[..i].chars().count()).collect::<Vec<_>>();
    assert_eq!(seps(rows[0]), seps(rows[1]), "{out}");
    assert_eq!(seps(rows[0]), seps(rows[2]), "{out}");
}
