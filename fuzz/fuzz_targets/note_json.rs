//! Any bytes given to the JSON note parser give a note or an error, never a panic; a note it reads validates,
//! renders and round-trips through JSON without a panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(note) = ecmr::json::from_slice(data) {
        let _ = ecmr::validate::validate(&note);
        let _ = ecmr::render::text(&note);
        let again = ecmr::json::from_str(&ecmr::json::to_string(&note));
        assert_eq!(again.as_ref(), Ok(&note), "JSON written from a parsed note does not read back the same");
    }
});
