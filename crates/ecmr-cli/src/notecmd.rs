//! `ecmr validate` and `ecmr convert`.

use std::path::Path;

use ecmr::ConsignmentNote;
use ecmr::validate::Severity;

use crate::cli::NoteFormat;
use crate::error::{CliError, CliResult, EXIT_INVALID, EXIT_OK};
use crate::io::{Kind, detect, outln, parse_note, read, write_atomic};

/// Validates a note or signed document and prints every finding with its path.
pub(crate) fn validate(path: &Path) -> CliResult {
    let bytes = read(path)?;
    let kind = detect(path, &bytes)?;
    let lines = validation_lines(path, &bytes, kind)?;
    let valid = lines.iter().all(|l| !l.starts_with("error"));
    for l in &lines {
        outln(l);
    }
    if valid {
        outln(&format!("{}: valid ({})", path.display(), describe(kind)));
        Ok(EXIT_OK)
    } else {
        let n = lines.iter().filter(|l| l.starts_with("error")).count();
        outln(&format!("{}: invalid, {n} error{}", path.display(), if n == 1 { "" } else { "s" }));
        Ok(EXIT_INVALID)
    }
}

fn describe(kind: Kind) -> &'static str {
    match kind {
        Kind::JsonNote => "JSON note",
        Kind::Xml => "XML note",
        Kind::JsonDocument => "signed document",
    }
}

/// The findings of a file, one line each, starting with `error` or `warning`. A parse error is one `error` line.
pub(crate) fn validation_lines(path: &Path, bytes: &[u8], kind: Kind) -> Result<Vec<String>, CliError> {
    let mut lines = Vec::new();
    match kind {
        Kind::JsonDocument => {
            let report = ecmr::verify::check(bytes, None);
            for f in &report.failures {
                let at = f.seq.map(|s| format!("/events/{s}")).unwrap_or_else(|| "/".to_owned());
                lines.push(format!("error    {at}  {} ({})", f.kind, f.kind.code()));
            }
            if let Some(note) = report.note.as_ref().and_then(|n| serde_json::from_value(n.clone()).ok()) {
                note_findings(&note, &mut lines, report.valid);
            }
        }
        _ => match parse_note(path, bytes, kind) {
            Ok(note) => note_findings(&note, &mut lines, false),
            Err(e) if e.code == EXIT_INVALID => lines.push(format!("error    {}", e.message)),
            Err(e) => return Err(e),
        },
    }
    Ok(lines)
}

fn note_findings(note: &ConsignmentNote, lines: &mut Vec<String>, warnings_only: bool) {
    for f in ecmr::validate::validate(note).findings {
        let sev = match f.severity {
            Severity::Error if warnings_only => continue,
            Severity::Error => "error  ",
            Severity::Warning => "warning",
        };
        let path = if f.path.is_empty() { "/" } else { &f.path };
        lines.push(format!("{sev}  {path}  {} ({})", crate::error::one_line(&f.message), f.code));
    }
}

/// The note a file holds: the note itself, or a signed document's current note (which must verify).
pub(crate) fn note_of(path: &Path) -> Result<ConsignmentNote, CliError> {
    let bytes = read(path)?;
    match detect(path, &bytes)? {
        Kind::JsonDocument => {
            let doc = crate::io::read_verified(path)?;
            doc.current_note_typed().map_err(|e| CliError::invalid(format!("{}: {e}", path.display())))
        }
        kind => parse_note(path, &bytes, kind),
    }
}

/// Serialises a note.
pub(crate) fn encode(note: &ConsignmentNote, to: NoteFormat) -> String {
    match to {
        NoteFormat::Json => {
            let mut s = ecmr::json::to_string_pretty(note);
            s.push('\n');
            s
        }
        NoteFormat::Xml => ecmr::xml::to_string(note),
    }
}

/// Converts a note (or a document's current note) to JSON or XML.
pub(crate) fn convert(path: &Path, to: NoteFormat, output: Option<&Path>, force: bool) -> CliResult {
    let note = note_of(path)?;
    let text = encode(&note, to);
    match output {
        Some(o) => write_atomic(o, text.as_bytes(), force, false)?,
        None => crate::io::out(text.as_bytes()),
    }
    Ok(EXIT_OK)
}
