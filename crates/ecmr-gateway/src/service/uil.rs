//! The Unique Information Locator of an eFTI dataset: `gateId` + `platformId` + `datasetId`, and the character
//! rules of its parts.

pub use ecmr_wire::party::Uil;

/// Longest gate, platform or dataset id (as the reference implementation's `UIL_*_TOO_LONG` checks).
pub const ID_MAX_CHARS: usize = 255;

/// Whether `s` has only the characters the reference implementation allows in gate and platform ids
/// (`^[-@./#&+\w\s]*$`).
pub fn id_chars_ok(s: &str) -> bool {
    s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c.is_whitespace() || "-@./#&+".contains(c))
}

/// Whether `s` is an id this gateway hands out or registers (a platform's id, a registered dataset's id): 1 to
/// [`ID_MAX_CHARS`] of `A-Z a-z 0-9 . _ - @ # & +`, no `..`. Narrower than the reference implementation's pattern
/// (which also allows spaces and `/`), so that a UIL written as a path (`gate/platform/dataset`) stays unambiguous
/// and ids that differ only in spaces cannot both exist.
pub fn is_id(s: &str) -> bool {
    !s.is_empty()
        && s.chars().count() <= ID_MAX_CHARS
        && s.chars().all(|c| c.is_ascii_alphanumeric() || "._-@#&+".contains(c))
        && !s.contains("..")
}

/// The form in which platform ids are compared for uniqueness: ASCII lower case.
pub fn normalise_id(s: &str) -> String {
    s.trim().to_ascii_lowercase()
}
