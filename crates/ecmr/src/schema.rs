//! JSON Schema of the note, generated from the types.
//!
//! (Being built.)
