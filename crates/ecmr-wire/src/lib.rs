//! The bodies the `ecmr-gateway` HTTP API takes and answers with, in one place: the gateway serves them and the
//! `ecmr-client` crate reads them, so that the two cannot drift apart.
//!
//! - [`party`]: the party API (`/v1/documents…`): receipts, pages, audit entries, follow-up messages.
//! - [`control`]: the eFTI authority API, shaped as the EU reference implementation's DTOs.
//! - [`admin`]: principals and tokens.
//! - [`inspect`]: share links, the driver view, the inspector's session and notes laid out in boxes.
//! - [`problem`]: the RFC 9457 problem document every JSON route answers errors with.
//!
//! With the `openapi` feature every type also describes itself as an OpenAPI schema (utoipa).
//!
//! ```
//! use ecmr_wire::party::DocumentReceipt;
//!
//! let body = r#"{"id": "0b0e8f57-3b1c-4c3e-9f35-2a4f6c1b8d10",
//!   "uil": {"gateId": "ecmr-gate", "platformId": "ecmr-platform", "datasetId": "0b0e8f57-3b1c-4c3e-9f35-2a4f6c1b8d10"},
//!   "note_number": "NL-1", "state": "in_transit", "last_seq": 1, "last_event_digest": "sha256:00",
//!   "received_at": "2026-11-27T15:00:00Z", "updated_at": "2026-11-28T05:10:00Z", "appended_seqs": [1]}"#;
//! let receipt: DocumentReceipt = serde_json::from_str(body)?;
//! assert_eq!((receipt.last_seq, receipt.appended_seqs), (1, vec![1]));
//! # Ok::<(), serde_json::Error>(())
//! ```

pub mod admin;
pub mod control;
pub mod inspect;
pub mod party;
pub mod problem;

pub use problem::Problem;

/// The OpenAPI schema of a free-form JSON value the gateway takes (a principal's `details`, say): any JSON
/// without fractional numbers, whole numbers within ±(2⁵³−1), at any depth — the values may end up in signed
/// statements, whose canonical JSON has no floats. A whole number written `880.0` is taken as 880.
#[cfg(feature = "openapi")]
#[derive(Debug, Clone, Copy)]
pub struct StrictJson;

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for StrictJson {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{AnyOfBuilder, ArrayBuilder, ObjectBuilder, SchemaType, Type};
        use utoipa::openapi::{Ref, RefOr};
        let itself = || RefOr::Ref(Ref::from_schema_name("StrictJson"));
        let max = 9_007_199_254_740_991_i64;
        AnyOfBuilder::new()
            .item(ObjectBuilder::new().schema_type(Type::Object).additional_properties(Some(itself())))
            .item(ArrayBuilder::new().items(itself()))
            .item(ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(-max)).maximum(Some(max)))
            .item(ObjectBuilder::new().schema_type(SchemaType::from_iter([Type::String, Type::Boolean, Type::Null])))
            .description(Some("Any JSON value without fractional numbers; whole numbers within ±(2^53−1)"))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for StrictJson {}
