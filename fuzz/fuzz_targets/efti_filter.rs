//! Subsets taken from a stored full common dataset text by `ecmr::efti::filter_xml`: never a panic, and for a text
//! the projection could have written (it reads back and is written again the same, and has only characters XML
//! allows, which the projection ensures and `filter_xml` checks), exactly the XML the dataset read from it writes
//! for those subsets.
//!
//! The first four bytes choose the subsets, the rest is the text: byte 0 modulo 8 is 0 for `full`, 1 for
//! `identifier`, otherwise 1 + byte 0 modulo 3 subset ids are taken from bytes 1–3, each an index (modulo their
//! number) into the subset ids the XSD defines.
#![no_main]

use ecmr::efti::{Consignment, Subsets, filter_xml, table};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&[mode, a, b, c], rest)) = data.split_first_chunk::<4>() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let subsets = match mode % 8 {
        0 => Subsets::Full,
        1 => Subsets::Identifier,
        _ => {
            let count = 1 + usize::from(mode % 3);
            let ids =
                [a, b, c].into_iter().take(count).map(|i| table::SUBSET_IDS[usize::from(i) % table::SUBSET_IDS.len()]);
            match Subsets::parse(ids) {
                Ok(s) => s,
                Err(e) => panic!("ids taken from the table are known: {e}"),
            }
        }
    };
    let filtered = filter_xml(text, &subsets);
    if let Ok(dataset) = Consignment::from_xml(text)
        && text == dataset.to_xml(&Subsets::Full)
        && text.chars().all(xml_char)
    {
        assert_eq!(filtered.as_deref(), Ok(dataset.to_xml(&subsets).as_str()), "filtered text differs for {subsets:?}");
    }
});

/// Whether XML 1.0 allows character `c`.
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}
