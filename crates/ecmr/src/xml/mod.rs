//! UN/CEFACT eCMR XML (`rsm:eCMR`), read and written with quick-xml.
//!
//! The message follows the UN/CEFACT eCMR structure: `rsm:ExchangedDocumentContext`, `rsm:ExchangedDocument`
//! (number, date and place made out, free texts as `ram:IncludedNote`) and `rsm:SpecifiedSupplyChainConsignment`
//! (parties, places, goods items, charges, transport means and equipment, documents and references). Where the
//! standard has no element for a particular of the model, it is carried in a documented place; the complete
//! mapping from every model field to its XML path is in `schemas/ecmr-xml-mapping.md`.
//!
//! Conversion is lossless: [`from_str`] of [`to_string`] gives back the same note, including white space,
//! markup characters and the scale of decimals. Characters XML 1.0 cannot carry literally (carriage return,
//! control characters, U+FFFE/U+FFFF) are written as numeric character references, which [`from_str`] reads back.
//!
//! Reading is strict and bounded. Refused, with the line and column of the fault:
//! input over [`MAX_XML_BYTES`]; any `DOCTYPE` (hence no entity definitions); entity references other than the
//! five predefined ones and character references; processing instructions other than the XML declaration;
//! nesting deeper than [`MAX_DEPTH`]; more than [`MAX_ELEMENTS`] elements; a root other than `rsm:eCMR`; elements outside the four namespaces of the
//! message; unknown, repeated or misplaced elements and attributes; text where only elements belong; values that
//! are not decimals, RFC 3339 date-times or known codes. Comments are ignored.

mod codes;
mod read;
pub(crate) mod tree;
mod write;

use crate::model::ConsignmentNote;

/// Largest XML text accepted for a single note (4 MiB); larger input is refused before parsing.
pub const MAX_XML_BYTES: usize = 4 * 1024 * 1024;

/// Deepest element nesting accepted (the message itself needs 6 levels).
pub const MAX_DEPTH: usize = 64;

/// Most elements accepted in one message (a 4 MiB note of realistic content has well under half as many); this
/// bounds the memory the reader uses to a few tens of megabytes whatever the input.
pub const MAX_ELEMENTS: usize = 200_000;

/// Namespace of the eCMR message root (`rsm`).
pub const NS_RSM: &str = "urn:un:unece:uncefact:data:standard:eCMR:100";
/// Namespace of the reusable aggregate business information entities (`ram`).
pub const NS_RAM: &str = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100";
/// Namespace of the unqualified data types (`udt`).
pub const NS_UDT: &str = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100";
/// Namespace of the qualified data types (`qdt`).
pub const NS_QDT: &str = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100";

/// Why an XML text is not a note.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at line {line} column {column}")]
pub struct XmlError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, counted in characters.
    pub column: usize,
    /// What is wrong, naming the element concerned.
    pub message: String,
}

/// Parses a note from UN/CEFACT eCMR XML.
///
/// # Errors
/// [`XmlError`] with line and column of the first problem: malformed or hostile XML, an element or attribute that
/// does not belong where it is, a missing particular, or a value that is not valid for its element.
///
/// ```
/// let err = ecmr::xml::from_str("<!DOCTYPE x><x/>").unwrap_err();
/// assert_eq!((err.line, err.column), (1, 1));
/// ```
pub fn from_str(text: &str) -> Result<ConsignmentNote, XmlError> {
    let root = tree::parse(text)?;
    read::tree_to_note(text, &root)
}

/// Writes a note as UN/CEFACT eCMR XML: XML declaration, 2-space indentation, deterministic.
pub fn to_string(note: &ConsignmentNote) -> String {
    tree::write(&write::note_to_tree(note))
}
