//! Parse arbitrary text as a scanned QR payload: must never panic, and whatever parses must be written and read
//! back as the same payload.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(p) = ecmr::qr::QrPayload::parse(text)
    {
        assert_eq!(ecmr::qr::QrPayload::parse(&p.to_string()).as_ref(), Ok(&p));
        let _ = p.check(&p.dataset_id, &[p.digest.clone()]);
    }
});
