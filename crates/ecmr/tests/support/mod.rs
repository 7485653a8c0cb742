//! Shared test support: proptest strategies for notes, and the repository's test data.

#![allow(dead_code, unreachable_pub)]

pub mod strategies;
pub mod vectors;
