//! Any bytes given to the JSON note parser give a note or an error, never a panic; a note it reads validates,
//! renders and round-trips through JSON without a panic. Any text given to `validate_json` gives a report or an
//! error, never a panic, and a report on text that is not a note is never "valid".
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let parsed = ecmr::json::from_slice(data);
    if let Ok(note) = &parsed {
        let _ = ecmr::validate::validate(note);
        let _ = ecmr::render::text(note);
        let again = ecmr::json::from_str(&ecmr::json::to_string(note));
        assert_eq!(again.as_ref(), Ok(note), "JSON written from a parsed note does not read back the same");
    }
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(report) = ecmr::validate::validate_json(text)
    {
        match &parsed {
            Ok(note) => assert_eq!(report, ecmr::validate::validate(note), "text and note reports differ"),
            Err(_) => assert!(!report.is_valid(), "a text that is not a note is reported valid"),
        }
    }
});
