//! JSON Schema of the note, generated from the types.
//!
//! The schema follows draft 2020-12 and says what [`crate::json::from_str`] accepts: every object refuses unknown
//! fields, decimals are strings in plain notation, dates are RFC 3339 date-times. Content rules that need more
//! than one field (totals, codes that must exist) are left to [`crate::validate`].
//!
//! The repository keeps a copy in `schemas/consignment-note.schema.json`; a test fails when it drifts.
//!
//! ```
//! let schema = ecmr::schema::note_schema();
//! assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
//! assert_eq!(schema["additionalProperties"], false);
//! ```

use schemars::generate::SchemaSettings;

use crate::model::ConsignmentNote;

/// The `$id` of the note schema.
pub const NOTE_SCHEMA_ID: &str = "https://example.invalid/ecmr/schemas/consignment-note.schema.json";

/// The JSON Schema (draft 2020-12) of a [`ConsignmentNote`] in its JSON form.
pub fn note_schema() -> serde_json::Value {
    let generator = SchemaSettings::draft2020_12().into_generator();
    let mut schema = generator.into_root_schema_for::<ConsignmentNote>();
    schema.insert("$id".to_owned(), NOTE_SCHEMA_ID.into());
    schema.to_value()
}
