//! The formats a note is written in, shared by the commands that write notes.

use clap::ValueEnum;
use ecmr::ConsignmentNote;

use crate::error::CliError;

/// Note formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum NoteFormat {
    /// JSON.
    Json,
    /// UN/CEFACT eCMR XML.
    Xml,
}

impl NoteFormat {
    /// The file extension of the format.
    pub(crate) fn extension(self) -> &'static str {
        match self {
            NoteFormat::Json => "json",
            NoteFormat::Xml => "xml",
        }
    }
}

/// Serialises a note.
///
/// # Errors
/// A note with a text XML 1.0 cannot carry (a control character, U+FFFE, U+FFFF) is refused for XML, naming the
/// text's JSON pointer and the character, rather than written as XML no reader accepts.
pub(crate) fn encode(note: &ConsignmentNote, to: NoteFormat) -> Result<String, CliError> {
    match to {
        NoteFormat::Json => {
            let mut s = ecmr::json::to_string_pretty(note);
            s.push('\n');
            Ok(s)
        }
        NoteFormat::Xml => ecmr::xml::try_to_string(note)
            .map_err(|e| CliError::invalid(format!("the note cannot be written as XML: {e}"))),
    }
}
