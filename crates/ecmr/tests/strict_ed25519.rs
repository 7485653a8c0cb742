//! `PublicKey::verify_strict` accepts exactly what `ed25519_dalek::VerifyingKey::verify_strict` accepts.
//!
//! The edge cases (small-order `R` and `A`, non-canonical `R` and `S`, mixed-order `R`) are in
//! `tests/vectors/ed25519-strict.json`, built here from fixed seeds: `ECMR_BLESS=1 cargo test -p ecmr --test
//! strict_ed25519` rewrites the file, a plain run checks it is current. Each case must be answered as its `strict`
//! says, by both verifiers; a property test compares them on signatures mutated at random.

use curve25519_dalek::constants::{ED25519_BASEPOINT_POINT as B, EIGHT_TORSION};
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use ecmr::keys::{FileKey, PublicKey, Signer as _};
use proptest::prelude::*;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha512};
use std::path::Path;

const FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/vectors/ed25519-strict.json");

/// The group order L, little-endian.
const L: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex")).collect()
}

/// `k = SHA-512(R ‖ A ‖ M) mod L`.
fn challenge(r: &[u8; 32], a: &[u8; 32], msg: &[u8]) -> Scalar {
    let mut h = Sha512::new();
    h.update(r);
    h.update(a);
    h.update(msg);
    Scalar::from_bytes_mod_order_wide(&h.finalize().into())
}

/// The secret scalar of a seed (RFC 8032 §5.1.5).
fn secret_scalar(seed: &[u8; 32]) -> Scalar {
    let h = Sha512::digest(seed);
    let mut a: [u8; 32] = h[..32].try_into().expect("32");
    a[0] &= 248;
    a[31] &= 127;
    a[31] |= 64;
    Scalar::from_bytes_mod_order(a)
}

fn signature(r: &[u8; 32], s: &[u8; 32]) -> [u8; 64] {
    let mut sig = [0; 64];
    sig[..32].copy_from_slice(r);
    sig[32..].copy_from_slice(s);
    sig
}

/// `s + L` as 32 bytes (no overflow for the scalars used here, which are below 2^253).
fn plus_l(s: &[u8; 32]) -> [u8; 32] {
    let mut out = [0; 32];
    let mut carry = 0u16;
    for i in 0..32 {
        let v = u16::from(s[i]) + u16::from(L[i]) + carry;
        out[i] = v as u8;
        carry = v >> 8;
    }
    out
}

struct Case {
    name: &'static str,
    why: &'static str,
    key: [u8; 32],
    msg: Vec<u8>,
    sig: [u8; 64],
}

fn cases() -> Vec<Case> {
    let seed = [0x11; 32];
    let key = FileKey::from_seed(&seed);
    let a_bytes = key.public_key().to_bytes();
    let a = secret_scalar(&seed);
    let msg = b"ecmr-event/1\n{\"seq\":0}".to_vec();
    let good = key.sign(&msg).expect("sign");
    let r_good: [u8; 32] = good[..32].try_into().expect("32");
    let s_good: [u8; 32] = good[32..].try_into().expect("32");
    let identity = EdwardsPoint::default().compress().to_bytes();
    // S = k·a makes [S]B − [k]A the identity, so R = identity satisfies the cofactorless equation.
    let s_for = |r: &[u8; 32]| (challenge(r, &a_bytes, &msg) * a).to_bytes();
    // p + 1 = 2^255 − 18: a non-canonical encoding of y = 1, the identity.
    let mut identity_noncanonical = [0xff; 32];
    identity_noncanonical[0] = 0xee;
    identity_noncanonical[31] = 0x7f;
    // y = 1 with the sign bit of x set: x = 0 has no negative, so this is another encoding of the identity.
    let mut identity_negative_zero = identity;
    identity_negative_zero[31] |= 0x80;
    // A weak key (the identity): any R = [S]B satisfies the equation, since [k]A is the identity.
    let s_weak = Scalar::from_bytes_mod_order([0x22; 32]);
    let r_weak = (s_weak * B).compress().to_bytes();
    // A weak key of order 2, (0, −1): R = [S]B − T satisfies the equation when k is odd; S is searched for.
    let t2 = EIGHT_TORSION[4];
    assert_eq!(t2.compress().to_bytes()[0], 0xec, "EIGHT_TORSION[4] is (0, -1)");
    let a_t2 = t2.compress().to_bytes();
    let (r_t2, s_t2) = (1u8..)
        .map(|i| {
            let s = Scalar::from_bytes_mod_order([i; 32]);
            let r = (s * B - t2).compress().to_bytes();
            (r, s)
        })
        .find(|(r, _)| challenge(r, &a_t2, &msg).to_bytes()[0] & 1 == 1)
        .expect("an odd challenge");
    // Mixed-order R: R = [r]B + T, S = r + k·a. Only the cofactored equation holds.
    let r_scalar = Scalar::from_bytes_mod_order([0x33; 32]);
    let r_mixed = (r_scalar * B + t2).compress().to_bytes();
    let s_mixed = (r_scalar + challenge(&r_mixed, &a_bytes, &msg) * a).to_bytes();
    let mut other = msg.clone();
    other.push(b' ');

    let mut out = vec![
        Case { name: "valid", why: "an honest signature", key: a_bytes, msg: msg.clone(), sig: good },
        Case { name: "other-message", why: "the message changed", key: a_bytes, msg: other, sig: good },
        Case {
            name: "s-plus-l",
            why: "S + L: the same scalar, not below the group order",
            key: a_bytes,
            msg: msg.clone(),
            sig: signature(&r_good, &plus_l(&s_good)),
        },
        Case {
            name: "r-identity",
            why: "R is the identity (small order) and the cofactorless equation holds",
            key: a_bytes,
            msg: msg.clone(),
            sig: signature(&identity, &s_for(&identity)),
        },
        Case {
            name: "r-identity-non-canonical",
            why: "R encodes the identity as y = p + 1 and the equation holds for the decoded point",
            key: a_bytes,
            msg: msg.clone(),
            sig: signature(&identity_noncanonical, &s_for(&identity_noncanonical)),
        },
        Case {
            name: "r-identity-negative-zero",
            why: "R encodes the identity with the sign bit set and the equation holds for the decoded point",
            key: a_bytes,
            msg: msg.clone(),
            sig: signature(&identity_negative_zero, &s_for(&identity_negative_zero)),
        },
        Case {
            name: "a-identity",
            why: "the key is the identity (small order) and the equation holds",
            key: identity,
            msg: msg.clone(),
            sig: signature(&r_weak, &s_weak.to_bytes()),
        },
        Case {
            name: "a-order-2",
            why: "the key has order 2 and the equation holds",
            key: a_t2,
            msg: msg.clone(),
            sig: signature(&r_t2, &s_t2.to_bytes()),
        },
        Case {
            name: "r-mixed-order",
            why: "R has a torsion component: only the cofactored equation holds",
            key: a_bytes,
            msg: msg.clone(),
            sig: signature(&r_mixed, &s_mixed),
        },
    ];
    // Every small-order point as R, each with the S that would satisfy the equation if R were the identity.
    for (i, t) in EIGHT_TORSION.iter().enumerate() {
        let r = t.compress().to_bytes();
        let name: &'static str = Box::leak(format!("r-torsion-{i}").into_boxed_str());
        out.push(Case {
            name,
            why: "R is a point of small order",
            key: a_bytes,
            msg: msg.clone(),
            sig: signature(&r, &s_for(&r)),
        });
    }
    out
}

fn dalek(key: &[u8; 32], msg: &[u8], sig: &[u8; 64]) -> bool {
    ed25519_dalek::VerifyingKey::from_bytes(key)
        .is_ok_and(|k| k.verify_strict(msg, &ed25519_dalek::Signature::from_bytes(sig)).is_ok())
}

fn ours(key: &[u8; 32], msg: &[u8], sig: &[u8; 64]) -> bool {
    PublicKey::from_bytes(key).is_ok_and(|k| k.verify_strict(msg, sig))
}

#[test]
fn edge_cases_are_answered_as_verify_strict_answers() {
    let built: Vec<Value> = cases()
        .iter()
        .map(|c| {
            json!({
                "name": c.name,
                "why": c.why,
                "public_key": hex(&c.key),
                "message": hex(&c.msg),
                "signature": hex(&c.sig),
                "strict": dalek(&c.key, &c.msg, &c.sig),
            })
        })
        .collect();
    let text = serde_json::to_string_pretty(&json!({
        "description": "Strict Ed25519 edge cases: `strict` is what ed25519-dalek's verify_strict answers.",
        "cases": built,
    }))
    .expect("json")
        + "\n";
    if std::env::var_os("ECMR_BLESS").is_some() {
        std::fs::write(FILE, &text).expect("write vectors");
    }
    let stored = std::fs::read_to_string(Path::new(FILE)).expect("read tests/vectors/ed25519-strict.json");
    assert_eq!(stored, text, "tests/vectors/ed25519-strict.json is stale: run with ECMR_BLESS=1");

    let v: Value = serde_json::from_str(&stored).expect("json");
    let cases = v["cases"].as_array().expect("cases");
    let mut accepted = 0;
    for c in cases {
        let field = |k: &str| unhex(c[k].as_str().expect("hex field"));
        let key: [u8; 32] = field("public_key").try_into().expect("32-byte key");
        let sig: [u8; 64] = field("signature").try_into().expect("64-byte signature");
        let msg = field("message");
        let strict = c["strict"].as_bool().expect("strict");
        assert_eq!(ours(&key, &msg, &sig), strict, "{}", c["name"]);
        assert_eq!(dalek(&key, &msg, &sig), strict, "{}", c["name"]);
        accepted += usize::from(strict);
    }
    // Only the honest signature passes; every constructed edge case is refused.
    assert_eq!(accepted, 1);
    assert_eq!(cases.len(), 17);
    // The cases that hold under the cofactorless equation for a decoded R are refused for R's or A's order
    // alone: a plain (non-strict) verification accepts them.
    for name in ["r-identity", "a-identity", "a-order-2"] {
        let c = cases.iter().find(|c| c["name"] == name).expect("case");
        let field = |k: &str| unhex(c[k].as_str().expect("hex field"));
        let key = ed25519_dalek::VerifyingKey::from_bytes(&field("public_key").try_into().expect("32")).expect("key");
        let sig = ed25519_dalek::Signature::from_slice(&field("signature")).expect("sig");
        assert!(ed25519_dalek::Verifier::verify(&key, &field("message"), &sig).is_ok(), "{name}");
    }
}

#[test]
fn small_order_points_decode_as_such() {
    for t in EIGHT_TORSION {
        let bytes = t.compress();
        assert_eq!(CompressedEdwardsY(bytes.to_bytes()).decompress(), Some(t));
        assert!(t.is_small_order());
    }
}

/// How a signature is damaged before both verifiers see it.
#[derive(Debug, Clone)]
enum Damage {
    None,
    Flip(usize, u8),
    TorsionR(usize),
    AddTorsionToR(usize),
    SPlusL,
    Message(u8),
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        Just(Damage::None),
        (0usize..64, 1u8..=255).prop_map(|(i, m)| Damage::Flip(i, m)),
        (0usize..8).prop_map(Damage::TorsionR),
        (1usize..8).prop_map(Damage::AddTorsionToR),
        Just(Damage::SPlusL),
        any::<u8>().prop_map(Damage::Message),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn agrees_with_dalek_on_damaged_signatures(
        seed in any::<[u8; 32]>(),
        msg in proptest::collection::vec(any::<u8>(), 0..300),
        damage in damage(),
    ) {
        let key = FileKey::from_seed(&seed);
        let pk = key.public_key().to_bytes();
        let mut sig = key.sign(&msg).expect("sign");
        let mut msg = msg;
        match damage {
            Damage::None => {}
            Damage::Flip(i, m) => sig[i] ^= m,
            Damage::TorsionR(i) => sig[..32].copy_from_slice(&EIGHT_TORSION[i].compress().to_bytes()),
            Damage::AddTorsionToR(i) => {
                let r = CompressedEdwardsY(sig[..32].try_into().expect("32")).decompress().expect("R decodes");
                sig[..32].copy_from_slice(&(r + EIGHT_TORSION[i]).compress().to_bytes());
            }
            Damage::SPlusL => {
                let s: [u8; 32] = sig[32..].try_into().expect("32");
                sig[32..].copy_from_slice(&plus_l(&s));
            }
            Damage::Message(b) => msg.push(b),
        }
        let expected = dalek(&pk, &msg, &sig);
        prop_assert_eq!(ours(&pk, &msg, &sig), expected);
        if matches!(damage, Damage::None) {
            prop_assert!(expected);
        }
    }

    /// Arbitrary bytes as key and signature: the two verifiers agree (almost always on a refusal).
    #[test]
    fn agrees_with_dalek_on_arbitrary_bytes(
        key in any::<[u8; 32]>(),
        sig in proptest::collection::vec(any::<u8>(), 64),
        msg in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        let sig: [u8; 64] = sig.try_into().expect("64");
        prop_assert_eq!(ours(&key, &msg, &sig), dalek(&key, &msg, &sig));
    }
}
