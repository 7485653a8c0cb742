//! Arbitrary bytes as key ‖ signature ‖ message: `PublicKey::verify_strict` must answer what ed25519-dalek's
//! `verify_strict` answers. With a seed prefix (`0x00`), the signature is an honest one damaged by the fuzzer's
//! bytes, so that both answers are exercised.
#![no_main]

use ecmr::keys::{FileKey, PublicKey, Signer as _};
use libfuzzer_sys::fuzz_target;

fn check(key: &[u8; 32], sig: &[u8; 64], msg: &[u8]) {
    let dalek = ed25519_dalek::VerifyingKey::from_bytes(key)
        .is_ok_and(|k| k.verify_strict(msg, &ed25519_dalek::Signature::from_bytes(sig)).is_ok());
    let ours = PublicKey::from_bytes(key).is_ok_and(|k| k.verify_strict(msg, sig));
    assert_eq!(ours, dalek);
}

fuzz_target!(|data: &[u8]| {
    match data.split_first() {
        Some((0, rest)) if rest.len() >= 34 => {
            // seed (32) ‖ index ‖ xor mask ‖ message
            let seed: [u8; 32] = rest[..32].try_into().expect("32");
            let (i, mask, msg) = (rest[32] as usize % 64, rest[33], &rest[34..]);
            let key = FileKey::from_seed(&seed);
            let mut sig = key.sign(msg).expect("sign");
            sig[i] ^= mask;
            check(&key.public_key().to_bytes(), &sig, msg);
        }
        Some((_, rest)) if rest.len() >= 96 => {
            let key: [u8; 32] = rest[..32].try_into().expect("32");
            let sig: [u8; 64] = rest[32..96].try_into().expect("64");
            check(&key, &sig, &rest[96..]);
        }
        _ => {}
    }
});
