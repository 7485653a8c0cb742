//! Human-readable renderings of a note.
//!
//! (Being built; the signature below is the stable interface.)

use crate::model::ConsignmentNote;

/// The note as plain text in the order of the 24 boxes of the paper CMR form.
pub fn text(note: &ConsignmentNote) -> String {
    note.number.clone()
}
