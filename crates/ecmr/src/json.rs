//! Reading and writing notes as JSON.
//!
//! Parsing is strict: unknown fields, repeated fields, numbers where decimal strings belong and malformed dates
//! are refused, and the error names the place by JSON pointer, line and column.

use serde::de::DeserializeOwned;

use crate::model::ConsignmentNote;

/// Largest JSON text accepted for a single note (4 MiB); larger input is refused before parsing.
pub const MAX_NOTE_JSON_BYTES: usize = 4 * 1024 * 1024;

/// Why a JSON text is not a note.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at {}", Location(pointer, *line, *column))]
pub struct JsonError {
    /// JSON pointer (RFC 6901) of the value at fault; empty for the whole document.
    pub pointer: String,
    /// 1-based line of the error.
    pub line: usize,
    /// 1-based column of the error.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

/// Where in a JSON text something is: `/pointer (line L column C)`, or `line L column C` for the whole text.
pub(crate) struct Location<'a>(pub(crate) &'a str, pub(crate) usize, pub(crate) usize);

impl std::fmt::Display for Location<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location("", line, column) => write!(f, "line {line} column {column}"),
            Location(pointer, line, column) => write!(f, "{pointer} (line {line} column {column})"),
        }
    }
}

/// A JSON pointer as people read it: the pointer, or "the top level" for the empty pointer (the whole value).
pub(crate) struct Pointer<'a>(pub(crate) &'a str);

impl std::fmt::Display for Pointer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            "" => f.write_str("the top level"),
            pointer => f.write_str(pointer),
        }
    }
}

impl JsonError {
    fn too_large(len: usize, max: usize) -> Self {
        JsonError {
            pointer: String::new(),
            line: 1,
            column: 1,
            message: format!("input is {len} bytes, more than the {max} bytes allowed"),
        }
    }
}

/// Parses a note from JSON text.
///
/// # Errors
/// [`JsonError`] naming the first problem: syntax, an unknown or repeated field, a missing particular, a value of
/// the wrong type. Use [`crate::validate`] on the result for the content checks.
///
/// ```
/// let err = ecmr::json::from_str(r#"{"number": 5}"#).unwrap_err();
/// assert_eq!(err.pointer, "/number");
/// ```
pub fn from_str(text: &str) -> Result<ConsignmentNote, JsonError> {
    from_str_limited(text, MAX_NOTE_JSON_BYTES)
}

/// Parses a note from JSON bytes (UTF-8).
///
/// # Errors
/// As [`from_str`], and when the bytes are not UTF-8.
pub fn from_slice(bytes: &[u8]) -> Result<ConsignmentNote, JsonError> {
    if bytes.len() > MAX_NOTE_JSON_BYTES {
        return Err(JsonError::too_large(bytes.len(), MAX_NOTE_JSON_BYTES));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let (line, column) = line_col(&bytes[..e.valid_up_to()]);
        JsonError { pointer: String::new(), line, column, message: "input is not UTF-8".into() }
    })?;
    from_str(text)
}

/// Parses any strict type from JSON text no longer than `max` bytes, with a JSON-pointer in the error.
///
/// # Errors
/// As [`from_str`].
pub fn from_str_limited<T: DeserializeOwned>(text: &str, max: usize) -> Result<T, JsonError> {
    if text.len() > max {
        return Err(JsonError::too_large(text.len(), max));
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| convert(text, e))?;
    de.end().map_err(|e| JsonError {
        pointer: String::new(),
        line: e.line(),
        column: e.column(),
        message: strip_position(&e.to_string()),
    })?;
    Ok(value)
}

/// Writes a note as pretty-printed JSON.
pub fn to_string_pretty(note: &ConsignmentNote) -> String {
    // Serialising plain data with string keys cannot fail.
    serde_json::to_string_pretty(note).unwrap_or_default()
}

/// Writes a note as compact JSON.
pub fn to_string(note: &ConsignmentNote) -> String {
    serde_json::to_string(note).unwrap_or_default()
}

/// The JSON pointer (RFC 6901) of the place a typed parse stopped.
pub(crate) fn path_pointer(path: &serde_path_to_error::Path) -> String {
    let mut pointer = String::new();
    for seg in path.iter() {
        use serde_path_to_error::Segment;
        match seg {
            Segment::Seq { index } => pointer.push_str(&format!("/{index}")),
            Segment::Map { key } => {
                pointer.push('/');
                pointer.push_str(&crate::canonical::escape_segment(key));
            }
            Segment::Enum { .. } | Segment::Unknown => {}
        }
    }
    pointer
}

fn convert(text: &str, e: serde_path_to_error::Error<serde_json::Error>) -> JsonError {
    let pointer = path_pointer(e.path());
    let inner = e.inner();
    let (mut line, mut column) = (inner.line(), inner.column());
    if line == 0 {
        (line, column) = line_col(text.as_bytes());
    }
    JsonError { pointer, line, column, message: strip_position(&inner.to_string()) }
}

fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_owned(),
        None => msg.to_owned(),
    }
}

fn line_col(bytes: &[u8]) -> (usize, usize) {
    let line = 1 + bytes.iter().filter(|&&b| b == b'\n').count();
    let column = 1 + bytes.iter().rev().take_while(|&&b| b != b'\n').count();
    (line, column)
}
