//! `ecmr validate` and `ecmr convert`.

use std::path::{Path, PathBuf};

use clap::Args;
use ecmr::ConsignmentNote;
use ecmr::validate::Severity;

use crate::error::{CliError, CliResult, EXIT_INVALID, EXIT_OK};
use crate::format::{NoteFormat, encode};
use crate::io::{Kind, detect, outln, parse_note, read, write_atomic};

/// The arguments of `ecmr validate`.
#[derive(Debug, Args)]
pub(crate) struct ValidateArgs {
    /// The notes (JSON or UN/CEFACT XML) or signed documents to check; `-` reads one from standard input.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

/// The arguments of `ecmr convert`.
#[derive(Debug, Args)]
pub(crate) struct ConvertArgs {
    /// The note (JSON or XML) or signed document.
    file: PathBuf,
    /// The format to write.
    #[arg(long, value_enum)]
    to: NoteFormat,
    /// Where to write (default: standard output).
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Replace OUTPUT if it exists.
    #[arg(long)]
    force: bool,
}

/// Validates notes or signed documents and prints every finding with its path. With several files, one that
/// cannot be read or is not a note is reported and the others are still checked; the exit code is the worst.
pub(crate) fn validate(args: &ValidateArgs) -> CliResult {
    if args.files.iter().filter(|f| f.as_os_str() == "-").count() > 1 {
        return Err(CliError::usage("standard input (`-`) can be read only once"));
    }
    if let [one] = args.files.as_slice() {
        return validate_one(one);
    }
    let mut worst = EXIT_OK;
    for file in &args.files {
        let code = validate_one(file).unwrap_or_else(|e| {
            eprintln!("error: {e}");
            e.code
        });
        worst = worst.max(code);
    }
    Ok(worst)
}

/// Reads a file, or standard input for `-`.
fn read_input(path: &Path) -> Result<Vec<u8>, CliError> {
    if path.as_os_str() != "-" {
        return read(path);
    }
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut bytes)
        .map_err(|e| CliError::io("read", Path::new("standard input"), &e))?;
    Ok(bytes)
}

fn validate_one(file: &Path) -> CliResult {
    let shown = if file.as_os_str() == "-" { Path::new("(standard input)") } else { file };
    let bytes = read_input(file)?;
    let path = shown;
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
        Kind::EftiXml => "eFTI dataset",
    }
}

/// The findings of a file, one line each, starting with `error` or `warning`. A JSON note that does not read
/// still gets every finding (its missing and mistyped members, then the content checks on the rest); text that
/// is not a note at all is one `error` line.
pub(crate) fn validation_lines(path: &Path, bytes: &[u8], kind: Kind) -> Result<Vec<String>, CliError> {
    let mut lines = Vec::new();
    match kind {
        Kind::JsonDocument => {
            let report = ecmr::verify::check(bytes, None);
            for f in &report.failures {
                let at = f.seq.map(|s| format!("/events/{s}")).unwrap_or_else(|| "/".to_owned());
                lines.push(format!("error    {at}  {} ({})", f.kind, f.kind.code()));
            }
            if let Some(note) = &report.note {
                finding_lines(&ecmr::validate::validate_value(note), &mut lines, report.valid);
            }
        }
        Kind::JsonNote => {
            let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
            match std::str::from_utf8(body).ok().map(ecmr::validate::validate_json) {
                Some(Ok(report)) => finding_lines(&report, &mut lines, false),
                _ => return parse_error_lines(path, bytes, kind),
            }
        }
        Kind::Xml => match parse_note(path, bytes, kind) {
            Ok(note) => finding_lines(&ecmr::validate::validate(&note), &mut lines, false),
            Err(_) => return parse_error_lines(path, bytes, kind),
        },
        Kind::EftiXml => return Ok(dataset_lines(path, bytes)),
    }
    Ok(lines)
}

/// The findings of an eFTI dataset: what breaks `consignment-common.xsd` (errors) and what a subset may leave out
/// (warnings), each with its element path, line and column.
fn dataset_lines(path: &Path, bytes: &[u8]) -> Vec<String> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let Ok(text) = std::str::from_utf8(body) else {
        return vec![format!("error    {} is not UTF-8", path.display())];
    };
    match read_dataset(path, text) {
        Ok(r) => r
            .findings
            .iter()
            .map(|f| {
                let sev = if f.severity == Severity::Error { "error  " } else { "warning" };
                format!(
                    "{sev}  {}  {} (line {}, column {})",
                    f.path,
                    crate::error::one_line(&f.message),
                    f.line,
                    f.column
                )
            })
            .collect(),
        Err(e) => vec![format!("error    {}", e.message)],
    }
}

/// Reads an eFTI dataset; what does not read at all is invalid input naming line, column and element.
pub(crate) fn read_dataset(path: &Path, text: &str) -> Result<ecmr::efti::Received, CliError> {
    ecmr::efti::Received::from_xml(text).map_err(|e| {
        let at = if e.path.is_empty() { String::new() } else { format!(" {}", e.path) };
        CliError::invalid(format!(
            "{}:{}:{}:{at} {}",
            path.display(),
            e.line,
            e.column,
            crate::error::one_line(&e.message)
        ))
    })
}

/// The one `error` line of a file that cannot be read as a note at all.
fn parse_error_lines(path: &Path, bytes: &[u8], kind: Kind) -> Result<Vec<String>, CliError> {
    match parse_note(path, bytes, kind) {
        Err(e) if e.code == EXIT_INVALID => Ok(vec![format!("error    {}", e.message)]),
        Err(e) => Err(e),
        Ok(_) => Ok(Vec::new()),
    }
}

fn finding_lines(report: &ecmr::validate::Report, lines: &mut Vec<String>, warnings_only: bool) {
    for f in &report.findings {
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
            let doc = crate::io::verify_bytes(path, &bytes)?;
            doc.current_note_typed().map_err(|e| CliError::invalid(format!("{}: {e}", path.display())))
        }
        kind => parse_note(path, &bytes, kind),
    }
}

/// Converts a note (or a document's current note) to JSON or XML.
pub(crate) fn convert(args: &ConvertArgs) -> CliResult {
    let note = note_of(&args.file)?;
    let text = encode(&note, args.to)?;
    match &args.output {
        Some(o) => write_atomic(o, text.as_bytes(), args.force, false)?,
        None => crate::io::out(text.as_bytes()),
    }
    Ok(EXIT_OK)
}
