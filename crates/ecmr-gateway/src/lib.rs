//! # ecmr-gateway — the e-CMR Access Point
//!
//! Carriers, senders and consignees post signed consignment notes here and append signed events to them; every
//! document is verified completely with the `ecmr` library before it is stored. Storage is SQLite (embedded, the
//! default) or PostgreSQL behind one trait per concern ([`store`]). The HTTP application is built by
//! [`app::router`]; [`server::serve`] runs it.

pub mod api;
pub mod app;
pub mod config;
pub mod error;
pub mod metrics;
pub mod server;
pub mod service;
pub mod state;
pub mod store;
