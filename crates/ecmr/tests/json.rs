//! JSON parsing of notes: strictness and error positions.

use ecmr::json;

fn example(name: &str) -> String {
    let path = format!("{}/../../examples/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn example_parses_and_round_trips() {
    let text = example("domestic-pallets.json");
    let note = json::from_str(&text).unwrap();
    assert_eq!(note.number, "NL-2026-000123");
    assert_eq!(note.goods[0].gross_weight_kg.unwrap().to_string(), "12480.000");
    let again = json::from_str(&json::to_string_pretty(&note)).unwrap();
    assert_eq!(note, again);
    let a: serde_json::Value = serde_json::from_str(&text).unwrap();
    let b: serde_json::Value = serde_json::from_str(&json::to_string(&note)).unwrap();
    assert_eq!(a, b, "writing the parsed example gives back the same JSON");
}

fn with(path: &[&str], value: serde_json::Value) -> String {
    let mut v: serde_json::Value = serde_json::from_str(&example("domestic-pallets.json")).unwrap();
    let mut cur = &mut v;
    for p in &path[..path.len() - 1] {
        cur = match p.parse::<usize>() {
            Ok(i) => &mut cur[i],
            Err(_) => &mut cur[*p],
        };
    }
    cur[path[path.len() - 1]] = value;
    v.to_string()
}

#[test]
fn unknown_field_is_named_with_its_path() {
    let err = json::from_str(&with(&["goods", "0", "colour"], "red".into())).unwrap_err();
    assert!(err.message.contains("unknown field `colour`"), "{err}");
    assert_eq!(err.pointer, "/goods/0/colour");
}

#[test]
fn duplicate_field_is_refused() {
    let text = example("domestic-pallets.json").replacen(
        "\"number\": \"NL-2026-000123\",",
        "\"number\": \"A\", \"number\": \"B\",",
        1,
    );
    let err = json::from_str(&text).unwrap_err();
    assert!(err.message.contains("duplicate field `number`"), "{err}");
    assert_eq!(err.line, 2);
}

#[test]
fn floats_are_refused_for_decimals() {
    let err = json::from_str(&with(&["goods", "0", "gross_weight_kg"], serde_json::json!(12.5))).unwrap_err();
    assert_eq!(err.pointer, "/goods/0/gross_weight_kg");
    assert!(err.message.contains("decimal number written as a string"), "{err}");
}

#[test]
fn bad_dates_and_syntax_are_located() {
    let err = json::from_str(&with(&["taking_over", "date"], "28-11-2026".into())).unwrap_err();
    assert_eq!(err.pointer, "/taking_over/date");
    let err = json::from_str("{\n  \"number\": \"x\",\n  oops\n}").unwrap_err();
    assert_eq!((err.line, err.column), (3, 3));
    let err = json::from_str(&(example("domestic-pallets.json") + "[]")).unwrap_err();
    assert!(err.message.contains("trailing"), "{err}");
}

#[test]
fn missing_particular_is_named() {
    let mut v: serde_json::Value = serde_json::from_str(&example("domestic-pallets.json")).unwrap();
    v.as_object_mut().unwrap().remove("paramount_statement");
    let err = json::from_str(&v.to_string()).unwrap_err();
    assert!(err.message.contains("missing field `paramount_statement`"), "{err}");
}

#[test]
fn oversized_input_is_refused_before_parsing() {
    let big = " ".repeat(json::MAX_NOTE_JSON_BYTES + 1);
    let err = json::from_str(&big).unwrap_err();
    assert!(err.message.contains("more than"), "{err}");
    let err = json::from_slice(b"{\"number\": \"\xff\"}").unwrap_err();
    assert!(err.message.contains("UTF-8"));
}

#[test]
fn error_message_names_pointer_and_position() {
    let err = json::from_str(r#"{"number": 5}"#).unwrap_err();
    assert_eq!(err.to_string(), "invalid type: integer `5`, expected a string at /number (line 1 column 12)");
    let err = json::from_str("{").unwrap_err();
    assert!(err.to_string().ends_with("at line 1 column 1"), "{err}");
}
