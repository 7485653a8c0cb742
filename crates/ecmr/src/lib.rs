//! # ecmr — electronic CMR consignment notes
//!
//! The model of a CMR consignment note ([`ConsignmentNote`]), its validation, its JSON and UN/CEFACT eCMR XML
//! forms and a plain-text rendering in the familiar 24-box order.
//!
//! This crate does no I/O of its own: no network, no database, no async runtime.

pub mod canonical;
pub mod document;
pub mod json;
pub mod keys;
pub mod lifecycle;
pub mod model;
pub mod render;
pub mod schema;
pub mod sign;
pub mod types;
pub mod validate;
pub mod verify;
pub mod xml;

pub use model::*;
pub use types::{CountryCode, CurrencyCode, Decimal, DecimalError, Timestamp, UnLocode};
