//! `ecmr import`: validate many notes and documents at once and write the good ones into a directory.
//!
//! Notes (JSON or XML) are validated and written in the chosen format as `<stem>.json` / `<stem>.xml`; signed
//! documents are verified and copied byte for byte. A progress bar is drawn when standard output is a terminal;
//! each file that fails is named with its reason on standard error, and a summary line ends the run. An input
//! holding what an earlier one already brought in — the same note (by its digest, so as JSON or XML, in any
//! layout and under any file name) or the same signed document bytes — is a duplicate: named with the file it
//! repeats, counted apart, not written, and not a failure.

use std::collections::BTreeMap;
use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use crate::error::{CliError, CliResult, EXIT_INVALID, EXIT_OK, one_line};
use crate::format::{NoteFormat, encode};
use crate::io::{Kind, detect, outln, parse_note, read, write_atomic};

/// The arguments of `ecmr import`.
#[derive(Debug, Args)]
pub(crate) struct ImportArgs {
    /// Files, or directories whose `.json` and `.xml` files are taken.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// The directory to write into (created if missing).
    #[arg(long)]
    to: PathBuf,
    /// The format of the written notes (signed documents are copied as they are).
    #[arg(long, value_enum, default_value = "json")]
    format: NoteFormat,
    /// Replace files that exist in the target directory.
    #[arg(long)]
    force: bool,
}

/// What became of one file.
enum Outcome {
    Note,
    Document,
    /// The same note or document was already brought in by an earlier input, named here.
    DuplicateOf(PathBuf),
}

/// What was written in this run.
#[derive(Default)]
struct Written {
    /// Each file written, with the input it came from.
    targets: BTreeMap<PathBuf, PathBuf>,
    /// The content each input brought in (a note's digest, or a signed document's bytes' digest), with the first
    /// input that held it.
    contents: BTreeMap<String, PathBuf>,
}

/// Runs `ecmr import`.
pub(crate) fn run(args: &ImportArgs) -> CliResult {
    let (to, format, force) = (args.to.as_path(), args.format, args.force);
    let files = collect(&args.inputs)?;
    if files.is_empty() {
        return Err(CliError::usage("no .json or .xml files found in the inputs").hint("name files or directories"));
    }
    std::fs::create_dir_all(to).map_err(|e| CliError::io("create", to, &e))?;
    if !to.is_dir() {
        return Err(CliError::usage(format!("{} is not a directory", to.display())));
    }
    let bar = if std::io::stdout().is_terminal() {
        let bar = ProgressBar::new(files.len() as u64);
        if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} {wide_msg}") {
            bar.set_style(style);
        }
        bar
    } else {
        ProgressBar::hidden()
    };
    let (mut notes, mut documents, mut duplicates, mut failed) = (0usize, 0usize, 0usize, 0usize);
    let mut written = Written::default();
    for file in &files {
        bar.set_message(file.display().to_string());
        match import_one(file, to, format, force, &mut written) {
            Ok(Outcome::Note) => notes += 1,
            Ok(Outcome::Document) => documents += 1,
            Ok(Outcome::DuplicateOf(first)) => {
                duplicates += 1;
                bar.suspend(|| eprintln!("= {}: duplicate of {}", file.display(), first.display()));
            }
            Err(e) => {
                failed += 1;
                bar.suspend(|| eprintln!("✘ {}: {}", file.display(), one_line(&e.to_string())));
            }
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let duplicates = if duplicates == 0 { String::new() } else { format!("; {}", plural(duplicates, "duplicate")) };
    outln(&format!(
        "imported {} of {} into {}: {}, {}{duplicates}; {} failed",
        notes + documents,
        plural(files.len(), "file"),
        to.display(),
        plural(notes, "note"),
        plural(documents, "signed document"),
        failed
    ));
    Ok(if failed == 0 { EXIT_OK } else { EXIT_INVALID })
}

/// The files named, and the `.json` and `.xml` files under the directories named (recursively, sorted).
fn collect(inputs: &[PathBuf]) -> Result<Vec<PathBuf>, CliError> {
    let mut files = Vec::new();
    for input in inputs {
        let meta = std::fs::metadata(input).map_err(|e| CliError::io("read", input, &e))?;
        if meta.is_dir() {
            walk(input, &mut files)?;
        } else {
            files.push(input.clone());
        }
    }
    Ok(files)
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), CliError> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| CliError::io("read directory", dir, &e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, files)?;
        } else if p.extension().is_some_and(|x| x.eq_ignore_ascii_case("json") || x.eq_ignore_ascii_case("xml")) {
            files.push(p);
        }
    }
    Ok(())
}

fn import_one(
    file: &Path,
    to: &Path,
    format: NoteFormat,
    force: bool,
    written: &mut Written,
) -> Result<Outcome, CliError> {
    let bytes = read(file)?;
    let kind = detect(file, &bytes)?;
    let stem = file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "note".to_owned());
    let (target, out, content, outcome) = match kind {
        Kind::JsonDocument => {
            if let Err(e) = ecmr::verify::verify(&bytes, None) {
                let first = e.report.failures.first().map(ToString::to_string).unwrap_or_default();
                return Err(CliError::invalid(format!("does not verify: {first}")));
            }
            let name = file.file_name().map(|n| n.to_os_string()).unwrap_or_default();
            let content = format!("document {}", ecmr::canonical::sha256_tagged(&bytes));
            (to.join(name), bytes, content, Outcome::Document)
        }
        _ => {
            let note = parse_note(file, &bytes, kind)?;
            let report = ecmr::validate::validate(&note);
            if let Some(f) = report.errors().next() {
                let n = report.errors().count();
                return Err(CliError::invalid(format!(
                    "invalid, {n} error{}: {} at {}",
                    if n == 1 { "" } else { "s" },
                    f.message,
                    f.path
                )));
            }
            // The digest a signature would cover: the same for the note read from JSON or XML, in any layout.
            let value = serde_json::to_value(&note)
                .map_err(|e| CliError::invalid(format!("the note cannot be written as JSON: {e}")))?;
            let content = format!("note {}", ecmr::canonical::digest_value(&value));
            let text = encode(&note, format)?;
            (to.join(format!("{stem}.{}", format.extension())), text.into_bytes(), content, Outcome::Note)
        }
    };
    if let Some(first) = written.contents.get(&content) {
        return Ok(Outcome::DuplicateOf(first.clone()));
    }
    if let Some(first) = written.targets.get(&target) {
        return Err(CliError::usage(format!(
            "{} was already written from {} in this run",
            target.display(),
            first.display()
        ))
        .hint("rename one of the inputs"));
    }
    write_atomic(&target, &out, force, false)?;
    written.targets.insert(target, file.to_path_buf());
    written.contents.insert(content, file.to_path_buf());
    Ok(outcome)
}
