//! The JSON Schema of the note: kept in sync with the types, and in agreement with the parser on the examples and
//! on notes it must refuse.

use std::path::{Path, PathBuf};

use ecmr::{json, schema};

const SCHEMA_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../schemas/consignment-note.schema.json");
const EXAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples");
const INVALID: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/schema-invalid");

fn json_files(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn validator() -> jsonschema::Validator {
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&schema::note_schema())
        .expect("the generated schema is a valid draft 2020-12 schema")
}

/// Fails when `schemas/consignment-note.schema.json` differs from the schema the types generate.
/// Run with `ECMR_BLESS=1` to rewrite the file.
#[test]
fn schema_file_is_up_to_date() {
    let generated = serde_json::to_string_pretty(&schema::note_schema()).unwrap() + "\n";
    if std::env::var_os("ECMR_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(SCHEMA_FILE, &generated).unwrap();
        return;
    }
    let on_disk = std::fs::read_to_string(SCHEMA_FILE).unwrap_or_default();
    assert!(
        on_disk == generated,
        "{SCHEMA_FILE} is out of date with the model; run `ECMR_BLESS=1 cargo test -p ecmr --test schema` and commit it"
    );
}

#[test]
fn schema_is_draft_2020_12_and_closed() {
    let s = schema::note_schema();
    assert_eq!(s["$schema"], "https://json-schema.org/draft/2020-12/schema");
    assert_eq!(s["$id"], schema::NOTE_SCHEMA_ID);
    assert_eq!(s["additionalProperties"], false);
    for name in ["number", "established", "sender", "consignee", "carrier", "goods", "paramount_statement"] {
        assert!(s["required"].as_array().unwrap().iter().any(|r| r == name), "{name} not required");
    }
    assert!(jsonschema::meta::is_valid(&s), "schema fails the draft 2020-12 meta-schema");
}

#[test]
fn every_example_is_valid_against_the_schema() {
    let validator = validator();
    let files = json_files(EXAMPLES);
    assert!(files.len() >= 4, "{files:?}");
    for path in files {
        let value: serde_json::Value = serde_json::from_str(&read(&path)).unwrap();
        let errors: Vec<String> =
            validator.iter_errors(&value).map(|e| format!("{} at {}", e, e.instance_path())).collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", path.display());
    }
}

/// Each file in `tests/vectors/schema-invalid/` holds a `note` that both the schema and the parser refuse, with
/// the JSON pointer each must blame (`schema_error_at`, `parser_error_at`; they differ where the schema blames
/// the object holding an unknown field and the parser the field itself).
#[test]
fn invalid_notes_are_refused_by_schema_and_parser() {
    let validator = validator();
    let files = json_files(INVALID);
    assert!(files.len() >= 3, "{files:?}");
    for path in files {
        let vector: serde_json::Value = serde_json::from_str(&read(&path)).unwrap();
        let note = &vector["note"];
        let at = |key: &str| vector[key].as_str().unwrap_or_else(|| panic!("{}: no {key}", path.display()));
        let (expect, parser_expect) = (at("schema_error_at"), at("parser_error_at"));
        let errors: Vec<(String, String)> =
            validator.iter_errors(note).map(|e| (e.instance_path().to_string(), e.to_string())).collect();
        assert!(
            errors.iter().any(|(at, _)| at == expect),
            "{}: schema should refuse at {expect}, found {errors:?}",
            path.display()
        );
        let err = json::from_str(&note.to_string()).expect_err("the parser accepts a note the schema refuses");
        assert_eq!(err.pointer, parser_expect, "{}: parser error {err}", path.display());
    }
}
