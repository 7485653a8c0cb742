//! Shared test support: proptest strategies for notes.

#![allow(dead_code, unreachable_pub)]

pub mod strategies;
