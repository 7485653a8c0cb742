//! `ecmr render`.
use std::path::Path;

use crate::cli::{Lang, RenderFormat};
use crate::error::{CliError, CliResult};

/// Renders a document.
pub(crate) fn run(_doc: &Path, _format: RenderFormat, lang: Lang, _output: Option<&Path>, _force: bool) -> CliResult {
    let _ = lang.tag();
    Err(CliError::usage("render: in progress"))
}
