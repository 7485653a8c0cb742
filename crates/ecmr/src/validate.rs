//! Content checks of a note, as a careful clerk would make them.
//!
//! (The rules are being filled in; the types below are the stable interface.)

use serde::{Deserialize, Serialize};

use crate::model::ConsignmentNote;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Suspicious but allowed.
    Warning,
    /// The note is not a valid CMR consignment note.
    Error,
}

/// One problem found in a note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Error or warning.
    pub severity: Severity,
    /// JSON pointer (RFC 6901) of the value concerned, e.g. `/goods/0/gross_weight_kg`.
    pub path: String,
    /// Stable machine-readable code, e.g. `country.format`.
    pub code: String,
    /// What is wrong, for people.
    pub message: String,
}

/// Every finding for one note.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// All findings, errors and warnings, in document order.
    pub findings: Vec<Finding>,
}

impl Report {
    /// Whether the note is valid (it may still carry warnings).
    pub fn is_valid(&self) -> bool {
        !self.findings.iter().any(|f| f.severity == Severity::Error)
    }

    /// The errors only.
    pub fn errors(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.severity == Severity::Error)
    }

    /// The warnings only.
    pub fn warnings(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.severity == Severity::Warning)
    }
}

/// Checks a note and returns every finding at once.
pub fn validate(note: &ConsignmentNote) -> Report {
    let _ = note;
    Report::default()
}
