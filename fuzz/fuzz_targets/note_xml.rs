//! Any UTF-8 text given to the XML note parser gives a note or an error, never a panic; a note it reads is
//! written and read back unchanged.
#![no_main]

libfuzzer_sys::fuzz_target!(|text: &str| {
    if let Ok(note) = ecmr::xml::from_str(text) {
        let again = ecmr::xml::from_str(&ecmr::xml::to_string(&note));
        assert_eq!(again.as_ref(), Ok(&note), "XML written from a parsed note does not read back the same");
    }
});
