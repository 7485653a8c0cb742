//! Parse and check arbitrary bytes as a gateway attestation, receipt and bundle, against a store that trusts
//! one gateway key: must never panic, and an accepted attestation must be accepted again from its own JSON.
#![no_main]

use std::sync::LazyLock;

use ecmr::attest::{Attestation, Bundle, Receipt};
use ecmr::keys::{FileKey, Signer as _};
use ecmr::trust::{GatewayKey, TrustStore};
use libfuzzer_sys::fuzz_target;

static STORE: LazyLock<TrustStore> = LazyLock::new(|| {
    let mut store = TrustStore::new();
    store.add_gateway_key(GatewayKey::new("gate-nl", FileKey::from_seed(&[0x47; 32]).public_key()));
    store
});

fuzz_target!(|data: &[u8]| {
    if let Ok(a) = Attestation::verify(data, &STORE) {
        let again = serde_json::to_vec(&a).expect("json");
        assert!(Attestation::verify(&again, &STORE).is_ok());
    }
    let _ = Receipt::verify(data, &STORE);
    if let Ok(bundle) = Bundle::from_slice(data) {
        let _ = ecmr::verify::verify(&bundle.document_bytes(), Some(&STORE));
        for r in &bundle.receipts {
            let _ = Receipt::verify_value(r, &STORE);
        }
    }
});
