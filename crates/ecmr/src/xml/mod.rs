//! UN/CEFACT eCMR XML (`rsm:eCMR`), read and written with quick-xml.
//!
//! The message follows the UN/CEFACT eCMR structure: `rsm:ExchangedDocumentContext`, `rsm:ExchangedDocument`
//! (number, date and place made out, free texts as `ram:IncludedNote`) and `rsm:SpecifiedSupplyChainConsignment`
//! (parties, places, goods items, charges, transport means and equipment, documents and references). Where the
//! standard has no element for a particular of the model, it is carried in a documented place; the complete
//! mapping from every model field to its XML path is in `schemas/ecmr-xml-mapping.md`.
//!
//! Conversion is lossless: [`from_str`] of [`to_string`] gives back the same note, including white space,
//! markup characters and the scale of decimals. Characters a parser would normalise (carriage return; tab and line
//! feed in attributes) and U+007F are written as numeric character references, which [`from_str`] reads back.
//! Characters XML 1.0 does not allow at all ([`is_xml_char`]: NUL and the other C0 controls but tab, line feed and
//! carriage return, U+FFFE, U+FFFF) cannot be written in any form: [`try_to_string`] refuses a note holding one,
//! naming its JSON pointer, and note validation reports it (`text.xml_char`) before the note is signed.
//!
//! Reading is strict and bounded. Refused, with the line and column of the fault:
//! input over [`MAX_XML_BYTES`]; a character XML 1.0 does not allow, literal or as a character reference (named as
//! `U+001B`); any `DOCTYPE` (hence no entity definitions); entity references other than the
//! five predefined ones and character references; processing instructions other than the XML declaration;
//! nesting deeper than [`MAX_DEPTH`]; more than [`MAX_ELEMENTS`] elements; a root other than `rsm:eCMR`; elements outside the four namespaces of the
//! message; unknown, repeated or misplaced elements and attributes; text where only elements belong; values that
//! are not decimals, RFC 3339 date-times or known codes. Comments are ignored.

mod codes;
mod read;
pub(crate) mod tree;
mod write;

use crate::model::ConsignmentNote;
use tree::{Namespace, Vocabulary};

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

/// The message root's namespace.
pub(crate) const RSM: Namespace = Namespace { uri: NS_RSM, prefix: "rsm" };
/// The aggregates' namespace.
pub(crate) const RAM: Namespace = Namespace { uri: NS_RAM, prefix: "ram" };
/// The unqualified data types' namespace.
pub(crate) const UDT: Namespace = Namespace { uri: NS_UDT, prefix: "udt" };
/// The qualified data types' namespace.
const QDT: Namespace = Namespace { uri: NS_QDT, prefix: "qdt" };

/// The UN/CEFACT eCMR message: its four namespaces and the root `rsm:eCMR`.
const ECMR: Vocabulary = Vocabulary { namespaces: &[RSM, RAM, UDT, QDT], root: (RSM, "eCMR"), schema_location: false };

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
    let root = tree::parse(text, &ECMR)?;
    read::tree_to_note(text, &root)
}

/// Writes a note as UN/CEFACT eCMR XML: XML declaration, 2-space indentation, deterministic.
///
/// A note holding a character XML 1.0 does not allow (which validation reports as `text.xml_char`) gives text no
/// XML reader accepts; [`try_to_string`] refuses such a note instead.
pub fn to_string(note: &ConsignmentNote) -> String {
    tree::write(&write::note_to_tree(note), &ECMR)
}

/// Writes a note as [`to_string`] does, refusing a note with a text XML 1.0 cannot carry.
///
/// # Errors
/// [`NotXmlText`] for the first such text, in the note's field order.
///
/// ```
/// let mut note: ecmr::ConsignmentNote =
///     ecmr::json::from_str(include_str!("../../../../examples/domestic-pallets.json")).unwrap();
/// assert!(ecmr::xml::try_to_string(&note).is_ok());
/// note.number = "CMR\u{1b}1".into();
/// let err = ecmr::xml::try_to_string(&note).unwrap_err();
/// assert_eq!((err.path.as_str(), err.character), ("/number", '\u{1b}'));
/// assert_eq!(err.to_string(), "/number: character U+001B is not allowed in XML 1.0");
/// ```
pub fn try_to_string(note: &ConsignmentNote) -> Result<String, NotXmlText> {
    match non_xml_texts(note).into_iter().next() {
        Some(e) => Err(e),
        None => Ok(to_string(note)),
    }
}

/// A text of a note that XML 1.0 cannot carry: where, and the first character it does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: character {} is not allowed in XML 1.0", char_name(*character))]
pub struct NotXmlText {
    /// JSON pointer (RFC 6901) of the text in the note's JSON form, e.g. `/goods/0/nature`.
    pub path: String,
    /// The first character XML 1.0 does not allow.
    pub character: char,
}

/// Whether XML 1.0 allows the character (production `Char`: tab, line feed, carriage return, U+0020–U+D7FF,
/// U+E000–U+FFFD, U+10000–U+10FFFF), literally or as a character reference.
///
/// ```
/// assert!(ecmr::xml::is_xml_char('\t') && ecmr::xml::is_xml_char('é'));
/// assert!(!ecmr::xml::is_xml_char('\0') && !ecmr::xml::is_xml_char('\u{1b}') && !ecmr::xml::is_xml_char('\u{ffff}'));
/// ```
pub fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// The character an entity or character reference names (the text between `&` and `;`): one of XML's five
/// predefined entities, or a decimal or hexadecimal character reference to a character XML 1.0 allows; `None`
/// for anything else (`&#0;`, `&#x1B;`, an unknown entity).
///
/// ```
/// assert_eq!((ecmr::xml::resolve_reference("amp"), ecmr::xml::resolve_reference("#x41")), (Some('&'), Some('A')));
/// assert_eq!((ecmr::xml::resolve_reference("#x1B"), ecmr::xml::resolve_reference("nbsp")), (None, None));
/// ```
pub fn resolve_reference(name: &str) -> Option<char> {
    tree::resolve_ref(name)
}

/// The byte offset and character of the first character of `s` XML 1.0 does not allow.
pub fn first_non_xml_char(s: &str) -> Option<(usize, char)> {
    s.char_indices().find(|&(_, c)| !is_xml_char(c))
}

/// A character as Unicode writes it: `U+001B`.
pub fn char_name(c: char) -> String {
    format!("U+{:04X}", u32::from(c))
}

/// Every text of the note (in its JSON form, in field order) holding a character XML 1.0 does not allow, with
/// the first such character of each.
pub fn non_xml_texts(note: &ConsignmentNote) -> Vec<NotXmlText> {
    let mut out = Vec::new();
    // A note always serialises; walking its JSON text keeps the field order.
    if let Ok(json) = serde_json::to_string(note) {
        let mut de = serde_json::Deserializer::from_str(&json);
        let _ = serde::de::DeserializeSeed::deserialize(TextWalk { path: String::new(), out: &mut out }, &mut de);
    }
    out
}

/// Walks a JSON value in text order, collecting the strings XML 1.0 cannot carry with their JSON pointers.
struct TextWalk<'a> {
    path: String,
    out: &'a mut Vec<NotXmlText>,
}

impl TextWalk<'_> {
    fn child(&mut self, key: &str) -> TextWalk<'_> {
        TextWalk { path: format!("{}/{}", self.path, crate::canonical::escape_segment(key)), out: self.out }
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for TextWalk<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for TextWalk<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        if let Some((_, character)) = first_non_xml_char(v) {
            self.out.push(NotXmlText { path: self.path, character });
        }
        Ok(())
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0usize;
        while seq.next_element_seed(self.child(&i.to_string()))?.is_some() {
            i += 1;
        }
        Ok(())
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            map.next_value_seed(self.child(&key))?;
        }
        Ok(())
    }
}
