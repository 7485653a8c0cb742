//! Writes the eFTI XML of signed documents for every subset the proof covers.
//!
//! Usage: `cargo run -p ecmr --example efti-xml -- OUT_DIR DOCUMENT.json…`
//!
//! Each file is a signed document, or a test vector holding one under `document`. For each, the common dataset
//! (`full`, each EU subset) and the identifier dataset are written to `OUT_DIR/<file stem>.<subset>.xml`.
//! `tools/check-efti-xml.sh` validates them with xmllint.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use ecmr::efti::{self, Subsets};

/// The subsets written for each document: `full`, `identifier` and every EU subset the common XSD defines.
fn subsets() -> Vec<String> {
    let mut out = vec!["full".to_owned(), "identifier".to_owned()];
    out.extend(efti::table::SUBSET_IDS.iter().filter(|s| s.starts_with("EU")).map(|s| (*s).to_owned()));
    out
}

fn document_bytes(path: &Path) -> Result<Vec<u8>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let value: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| format!("{}: not JSON: {e}", path.display()))?;
    match value.get("document") {
        Some(doc) => serde_json::to_vec(doc).map_err(|e| format!("{}: {e}", path.display())),
        None => Ok(bytes),
    }
}

fn run(out: &Path, files: &[PathBuf]) -> Result<usize, String> {
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut written = 0;
    for path in files {
        let bytes = document_bytes(path)?;
        let doc = ecmr::verify::verify(&bytes, None)
            .map_err(|e| format!("{}: does not verify: {:?}", path.display(), e.report.failures))?;
        let consignment = efti::project(&doc).map_err(|e| format!("{}: {e}", path.display()))?;
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("document");
        for subset in subsets() {
            let request = Subsets::parse([subset.as_str()]).map_err(|e| e.to_string())?;
            let target = out.join(format!("{stem}.{subset}.xml"));
            std::fs::write(&target, consignment.to_xml(&request)).map_err(|e| format!("{}: {e}", target.display()))?;
            written += 1;
        }
    }
    Ok(written)
}

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let Some(out) = args.next() else {
        eprintln!("usage: efti-xml OUT_DIR DOCUMENT.json…");
        return ExitCode::from(2);
    };
    let files: Vec<PathBuf> = args.map(PathBuf::from).collect();
    match run(Path::new(&out), &files) {
        Ok(n) => {
            println!("wrote {n} files to {}", Path::new(&out).display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("efti-xml: {e}");
            ExitCode::FAILURE
        }
    }
}
