//! Shared test support: proptest strategies for notes, and the repository's test data.

#![allow(dead_code, unreachable_pub)]

pub mod strategies;
pub mod vectors;

/// The characters XML 1.0 does not allow, literally or as references: each is refused with its name and place.
pub const NOT_XML: [(&str, &str); 9] = [
    ("\u{0}", "U+0000"),
    ("\u{1}", "U+0001"),
    ("\u{8}", "U+0008"),
    ("\u{B}", "U+000B"),
    ("\u{1B}", "U+001B"),
    ("\u{FFFE}", "U+FFFE"),
    ("\u{FFFF}", "U+FFFF"),
    ("&#0;", "U+0000"),
    ("&#x1B;", "U+001B"),
];
