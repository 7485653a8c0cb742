//! The repository's texts name only documents the repository has: every `*.md` named in a Markdown, Rust or TOML
//! file exists, next to the file that names it, under the repository root or in `docs/`.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// Text files of the repository (build output, fuzzing corpora and version control left out).
fn texts(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap_or_default().to_string_lossy().into_owned();
        if path.is_dir() {
            if !["target", ".git", "corpus", "artifacts", "coverage"].contains(&name.as_str()) {
                texts(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "md" || e == "rs" || e == "toml") {
            out.push(path);
        }
    }
}

/// The `*.md` names in a text.
fn named_documents(text: &str) -> Vec<&str> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || "_./-".contains(c)))
        .map(|w| w.trim_end_matches('.').trim_start_matches('/'))
        .filter(|w| w.len() > 3 && w.ends_with(".md"))
        .collect()
}

#[test]
fn every_document_named_exists() {
    let root = root();
    let mut files = Vec::new();
    texts(&root, &mut files);
    assert!(files.len() > 50, "the repository's texts are found ({})", files.len());
    let mut missing = Vec::new();
    let mut named = 0;
    // This file names made-up documents to test the search.
    let this = root.join("crates/ecmr/tests/docs.rs");
    for file in files.iter().filter(|f| **f != this) {
        let Ok(text) = std::fs::read_to_string(file) else { continue };
        for doc in named_documents(&text) {
            named += 1;
            // Relative to the file or any directory above it (a crate's tests name paths from the crate), or docs/.
            let mut candidates: Vec<PathBuf> = file.ancestors().skip(1).map(|d| d.join(doc)).collect();
            candidates.push(root.join("docs").join(doc));
            if !candidates.iter().any(|p| p.is_file()) {
                missing.push(format!("{} names {doc}", file.strip_prefix(&root).unwrap_or(file).display()));
            }
        }
    }
    assert!(named > 10, "documents are named ({named})");
    assert!(missing.is_empty(), "documents named but not in the repository:\n{}", missing.join("\n"));
}

#[test]
fn names_are_found_in_text() {
    assert_eq!(
        named_documents("see `docs/domain.md`, BENCHMARKS.md and ../../x.md."),
        ["docs/domain.md", "BENCHMARKS.md", "../../x.md"]
    );
    assert!(named_documents("no documents, .md alone, markdown").is_empty());
}
