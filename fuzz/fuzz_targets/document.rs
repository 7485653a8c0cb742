//! Parse and verify arbitrary bytes as a signed document: must never panic, and whatever verifies must verify
//! again from its own bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(verified) = ecmr::verify::verify(data, None) {
        assert!(ecmr::verify::verify(verified.bytes(), None).is_ok());
        let _ = verified.current_note_typed();
    }
    let _ = ecmr::document::Document::from_slice(data);
    let _ = ecmr::canonical::parse_strict(data, ecmr::canonical::MAX_DOCUMENT_BYTES);
});
