//! Reading inputs (with content detection), writing outputs atomically, and printing.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use ecmr::ConsignmentNote;
use ecmr::keys::FileKey;

use crate::error::CliError;

/// Largest input file read (the signed document's own cap).
pub(crate) const MAX_INPUT_BYTES: u64 = ecmr::canonical::MAX_DOCUMENT_BYTES as u64;

/// What a file holds, told from its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A consignment note as JSON.
    JsonNote,
    /// A signed document (`"format": "ecmr-document/1"`, or any JSON object with a `format` member).
    JsonDocument,
    /// A consignment note as UN/CEFACT eCMR XML.
    Xml,
    /// An eFTI common dataset as a gate sends it to an authority (`consignment`, bare or in a `uilResponse`).
    EftiXml,
}

/// Reads a whole file, refusing files larger than [`MAX_INPUT_BYTES`].
pub(crate) fn read(path: &Path) -> Result<Vec<u8>, CliError> {
    let meta = std::fs::metadata(path).map_err(|e| CliError::io("read", path, &e))?;
    if meta.is_dir() {
        return Err(CliError::usage(format!("{} is a directory, not a file", path.display())));
    }
    if meta.len() > MAX_INPUT_BYTES {
        return Err(CliError::invalid(format!(
            "{} is {} bytes, more than the {} bytes allowed",
            path.display(),
            meta.len(),
            MAX_INPUT_BYTES
        )));
    }
    std::fs::read(path).map_err(|e| CliError::io("read", path, &e))
}

/// Tells what the bytes hold: XML when they start with `<` (an eFTI dataset when its root is an eFTI
/// `consignment` or `uilResponse`, else a UN/CEFACT note), a signed document when they are a JSON object with a
/// `format` member, else a JSON note. Leading whitespace and a UTF-8 byte order mark are skipped.
pub(crate) fn detect(path: &Path, bytes: &[u8]) -> Result<Kind, CliError> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'<') if std::str::from_utf8(body).is_ok_and(ecmr::efti::is_dataset_xml) => Ok(Kind::EftiXml),
        Some(b'<') => Ok(Kind::Xml),
        Some(b'{') => {
            let is_doc =
                serde_json::from_slice::<serde_json::Value>(body).ok().is_some_and(|v| v.get("format").is_some());
            Ok(if is_doc { Kind::JsonDocument } else { Kind::JsonNote })
        }
        _ => Err(CliError::invalid(format!("{} is neither JSON nor XML", path.display()))
            .hint("give a consignment note (JSON or UN/CEFACT XML) or a signed document")),
    }
}

/// Parses a note of the given kind.
pub(crate) fn parse_note(path: &Path, bytes: &[u8], kind: Kind) -> Result<ConsignmentNote, CliError> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match kind {
        Kind::Xml => {
            let text =
                std::str::from_utf8(body).map_err(|_| CliError::invalid(format!("{} is not UTF-8", path.display())))?;
            ecmr::xml::from_str(text).map_err(|e| CliError::invalid(format!("{}: {e}", path.display())))
        }
        Kind::JsonNote => ecmr::json::from_slice(body)
            .map_err(|e| CliError::invalid(format!("{}: not a consignment note: {e}", path.display()))),
        Kind::JsonDocument => Err(CliError::invalid(format!("{} is a signed document, not a note", path.display()))
            .hint("give the note itself (JSON or XML)")),
        Kind::EftiXml => {
            Err(CliError::invalid(format!("{} is an eFTI dataset, not a consignment note", path.display())).hint(
                "`ecmr validate` and `ecmr render` read it; it holds only part of a note, so it does not convert",
            ))
        }
    }
}

/// Reads and parses a note, JSON or XML.
pub(crate) fn read_note(path: &Path) -> Result<ConsignmentNote, CliError> {
    let bytes = read(path)?;
    let kind = detect(path, &bytes)?;
    parse_note(path, &bytes, kind)
}

/// Reads a signed document and verifies it (no trust store): lifecycle steps only extend documents that verify.
pub(crate) fn read_verified(path: &Path) -> Result<ecmr::verify::Verified<ecmr::document::Document>, CliError> {
    verify_bytes(path, &read(path)?)
}

/// Verifies a signed document already read from `path` (no trust store). A caller that keeps the bytes verifies
/// these and not a second read of the file, which may have changed in between.
pub(crate) fn verify_bytes(
    path: &Path,
    bytes: &[u8],
) -> Result<ecmr::verify::Verified<ecmr::document::Document>, CliError> {
    if detect(path, bytes)? != Kind::JsonDocument {
        return Err(CliError::invalid(format!("{} is a note, not a signed document", path.display()))
            .hint("sign it first with `ecmr issue NOTE --key KEY -o DOC`"));
    }
    ecmr::verify::verify(bytes, None).map_err(|e| {
        let first = e.report.failures.first().map(ToString::to_string).unwrap_or_default();
        CliError::invalid(format!("{} does not verify: {first}", path.display()))
            .hint(format!("see the full report with `ecmr verify {}`", path.display()))
    })
}

/// Reads a private key file (PKCS#8 PEM) with errors that say what to do.
pub(crate) fn load_key(path: &Path) -> Result<FileKey, CliError> {
    let bytes = std::fs::read(path).map_err(|e| CliError::io("read key", path, &e))?;
    std::str::from_utf8(&bytes).ok().and_then(|text| FileKey::from_pkcs8_pem(text).ok()).ok_or_else(|| {
        CliError::invalid(format!("{} is not a PKCS#8 Ed25519 key", path.display()))
            .hint("create one with `ecmr key generate -o KEY.pem`")
    })
}

/// Writes `bytes` to `path` atomically: a temporary file in the same directory, written and flushed to disk, then
/// renamed over `path`, and the directory flushed. Readers see the old file or the new one, never a mix. When
/// `overwrite` is false an existing `path` is left alone and an error returned. The file gets mode 0600 on Unix
/// when `private`.
///
/// A `path` that names something other than a file — a device such as `/dev/null` or `/dev/stdout`, a named pipe —
/// is written to as it stands: renaming a file over it would replace the device or pipe for every other program.
/// A directory is refused.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8], overwrite: bool, private: bool) -> Result<(), CliError> {
    if let Ok(meta) = std::fs::metadata(path) {
        if meta.is_dir() {
            return Err(CliError::usage(format!("{} is a directory", path.display()))
                .hint("name a file to write, for example `-o note.json`"));
        }
        if !meta.is_file() {
            let mut target =
                std::fs::OpenOptions::new().write(true).open(path).map_err(|e| CliError::io("open", path, &e))?;
            return target.write_all(bytes).map_err(|e| CliError::io("write", path, &e));
        }
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".ecmr-")
        .suffix(".tmp")
        .tempfile_in(&dir)
        .map_err(|e| CliError::io("create a temporary file in", &dir, &e))?;
    if !private {
        set_public(tmp.as_file());
    }
    tmp.write_all(bytes).map_err(|e| CliError::io("write", tmp.path(), &e))?;
    tmp.as_file().sync_all().map_err(|e| CliError::io("flush", tmp.path(), &e))?;
    if overwrite {
        tmp.persist(path).map_err(|e| CliError::io("write", path, &e.error))?;
    } else {
        tmp.persist_noclobber(path).map_err(|e| {
            if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                CliError::usage(format!("{} already exists", path.display())).hint("pass --force to replace it")
            } else {
                CliError::io("write", path, &e.error)
            }
        })?;
    }
    if let Ok(d) = std::fs::File::open(&dir) {
        // Flushing the directory makes the rename durable; not every platform allows it.
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(unix)]
fn set_public(file: &std::fs::File) {
    use std::os::unix::fs::PermissionsExt as _;
    let _ = file.set_permissions(std::fs::Permissions::from_mode(0o644));
}

#[cfg(not(unix))]
fn set_public(_file: &std::fs::File) {}

/// Writes to standard output; a closed pipe ends the program quietly.
pub(crate) fn out(bytes: &[u8]) {
    let mut stdout = std::io::stdout().lock();
    if stdout.write_all(bytes).and_then(|()| stdout.flush()).is_err() {
        std::process::exit(0);
    }
}

/// Writes a line to standard output.
pub(crate) fn outln(line: &str) {
    let mut s = String::with_capacity(line.len() + 1);
    s.push_str(line);
    s.push('\n');
    out(s.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_content() {
        let p = Path::new("x");
        assert_eq!(detect(p, b"  <?xml version=\"1.0\"?><a/>").unwrap(), Kind::Xml);
        let common = b"<consignment xmlns=\"http://efti.eu/v1/consignment/common\"/>";
        assert_eq!(detect(p, common).unwrap(), Kind::EftiXml);
        let wrapped = b"<!-- x --><ed:uilResponse xmlns:ed=\"http://efti.eu/v1/edelivery\"/>";
        assert_eq!(detect(p, wrapped).unwrap(), Kind::EftiXml);
        assert_eq!(detect(p, b"<consignment/>").unwrap(), Kind::Xml);
        assert_eq!(detect(p, b"\xEF\xBB\xBF{\"number\": \"1\"}").unwrap(), Kind::JsonNote);
        assert_eq!(detect(p, b"{\"format\": \"ecmr-document/1\"}").unwrap(), Kind::JsonDocument);
        assert_eq!(detect(p, b"{ broken").unwrap(), Kind::JsonNote);
        assert!(detect(p, b"hello").is_err());
        assert!(detect(p, b"").is_err());
    }

    #[test]
    fn atomic_write_replaces_or_refuses() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.json");
        write_atomic(&p, b"one", false, false).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"one");
        let e = write_atomic(&p, b"two", false, false).unwrap_err();
        assert_eq!(e.code, crate::error::EXIT_USAGE);
        assert_eq!(std::fs::read(&p).unwrap(), b"one");
        write_atomic(&p, b"two", true, false).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        // No temporary files are left behind.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
