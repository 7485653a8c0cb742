//! Any bytes given to the JSON note parser give a note or an error, never a panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = ecmr::json::from_slice(data);
});
