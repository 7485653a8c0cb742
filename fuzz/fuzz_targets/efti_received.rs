//! Read arbitrary text as a received eFTI dataset and lay it out in boxes: must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = ecmr::efti::is_dataset_xml(text);
        if let Ok(r) = ecmr::efti::Received::from_xml(text) {
            let _ = r.boxes(&ecmr::render::Labels::GERMAN);
        }
    }
});
