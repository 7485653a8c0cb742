//! Property tests: JSON ↔ model and model ↔ XML round trips over generated notes.

mod support;

use ecmr::{json, xml};
use proptest::prelude::*;
use support::strategies;

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Writing JSON and reading it back gives the same note, with the same offsets and decimal scales.
    #[test]
    fn json_round_trip(note in strategies::note()) {
        let text = json::to_string(&note);
        let back = json::from_str(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(json::to_string(&back), text);
        prop_assert_eq!(back, note);
    }

    /// Writing XML and reading it back gives the same note; writing again gives the same text. A note with a
    /// text XML 1.0 cannot carry is refused by the writer, reported by validation at the same place, and what
    /// the unchecked writer makes of it is refused by the reader.
    #[test]
    fn xml_round_trip(note in strategies::note()) {
        let text = match xml::try_to_string(&note) {
            Ok(text) => text,
            Err(e) => {
                let report = ecmr::validate::validate(&note);
                prop_assert!(report.errors().any(|f| f.code == "text.xml_char" && f.path == e.path), "{e}");
                prop_assert!(xml::from_str(&xml::to_string(&note)).is_err());
                return Ok(());
            }
        };
        prop_assert!(!ecmr::validate::validate(&note).findings.iter().any(|f| f.code == "text.xml_char"));
        let back = xml::from_str(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        // Compare the JSON forms too: `Timestamp` equality ignores the offset, JSON keeps it.
        prop_assert_eq!(json::to_string(&back), json::to_string(&note));
        prop_assert_eq!(&back, &note);
        prop_assert_eq!(xml::to_string(&back), text);
    }

    /// JSON → model → XML → model → JSON gives back the JSON text.
    #[test]
    fn json_through_xml_and_back(note in strategies::note()) {
        let json_text = json::to_string(&note);
        let parsed = json::from_str(&json_text).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let Ok(written) = xml::try_to_string(&parsed) else { return Ok(()) };
        let via_xml = xml::from_str(&written).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(json::to_string(&via_xml), json_text);
    }

    /// Arbitrary text and mangled notes never make the reader panic.
    #[test]
    fn reader_never_panics(note in strategies::note(), cut in any::<prop::sample::Index>(), junk in "\\PC{0,8}") {
        let text = xml::to_string(&note);
        let at = cut.index(text.len() + 1);
        let at = (0..=at).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
        let _ = xml::from_str(&text[..at]);
        let _ = xml::from_str(&format!("{}{junk}{}", &text[..at], &text[at..]));
        let _ = xml::from_str(&junk);
    }
}
