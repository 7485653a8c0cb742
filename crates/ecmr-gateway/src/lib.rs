//! # ecmr-gateway — the e-CMR Access Point
//!
//! Carriers, senders and consignees post signed consignment notes here and append signed events to them; every
//! document is verified completely with the `ecmr` library before it is stored. Storage is SQLite (embedded, the
//! default) or PostgreSQL behind one trait per concern ([`store`]).

pub mod store;
