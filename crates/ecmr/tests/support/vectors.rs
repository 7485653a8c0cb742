//! The repository's test data as the tests read it.

use serde_json::Value;

/// The repository root.
pub const REPO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

/// Every signed-document vector in `tests/vectors/documents`, by file name: the document's bytes.
pub fn documents() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(format!("{REPO}/tests/vectors/documents")).expect("vectors directory") {
        let path = entry.expect("directory entry").path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
        let vector: Value =
            serde_json::from_slice(&std::fs::read(&path).expect("vector readable")).expect("vector is JSON");
        out.push((name, serde_json::to_vec(&vector["document"]).expect("document serialises")));
    }
    out.sort();
    out
}

/// The cases of a refusal file in `crates/ecmr/tests/data`.
pub fn refusal_cases(file: &str) -> Vec<Value> {
    let path = format!("{REPO}/crates/ecmr/tests/data/{file}");
    serde_json::from_slice(&std::fs::read(&path).expect("cases file")).expect("cases are JSON")
}

/// `text` damaged as a refusal case says: cut just before `find` (`truncate`), or `find` replaced by `replace`
/// everywhere (`all`) or where it first occurs. `find` must occur in `text`.
pub fn damaged(text: &str, case: &Value) -> String {
    let name = case["name"].as_str().expect("name");
    let find = case["find"].as_str().expect("find");
    let at = text.find(find).unwrap_or_else(|| panic!("{name}: {find:?} is not in the dataset"));
    let replace = case["replace"].as_str().unwrap_or_default();
    if case["truncate"] == true {
        text[..at].to_owned()
    } else if case["all"] == true {
        text.replace(find, replace)
    } else {
        text.replacen(find, replace, 1)
    }
}
