//! `ecmr import`.
use std::path::{Path, PathBuf};

use crate::cli::NoteFormat;
use crate::error::{CliError, CliResult};

/// Imports files.
pub(crate) fn run(_inputs: &[PathBuf], _to: &Path, _format: NoteFormat, _force: bool) -> CliResult {
    Err(CliError::usage("import: in progress"))
}
