//! The one error type of the command line: a one-line message, an optional hint, and the exit code.

use std::fmt;
use std::path::Path;

/// Exit code when everything is fine (valid, verified, written).
pub(crate) const EXIT_OK: u8 = 0;
/// Exit code when the input is invalid, does not verify, or a step is refused.
pub(crate) const EXIT_INVALID: u8 = 1;
/// Exit code for usage and I/O errors.
pub(crate) const EXIT_USAGE: u8 = 2;

/// What went wrong, said in one line, with what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CliError {
    /// [`EXIT_INVALID`] or [`EXIT_USAGE`].
    pub(crate) code: u8,
    /// What went wrong.
    pub(crate) message: String,
    /// What to do about it.
    pub(crate) hint: Option<String>,
}

impl CliError {
    /// The input is invalid or a step was refused (exit 1).
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        CliError { code: EXIT_INVALID, message: message.into(), hint: None }
    }

    /// A usage error (exit 2).
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        CliError { code: EXIT_USAGE, message: message.into(), hint: None }
    }

    /// Reading or writing `path` failed (exit 2).
    pub(crate) fn io(action: &str, path: &Path, err: &std::io::Error) -> Self {
        let hint = match err.kind() {
            std::io::ErrorKind::NotFound => Some("check the path".to_owned()),
            std::io::ErrorKind::PermissionDenied => Some("check the file's permissions".to_owned()),
            _ => None,
        };
        CliError { code: EXIT_USAGE, message: format!("cannot {action} {}: {}", path.display(), err), hint }
    }

    /// Adds what to do about it.
    pub(crate) fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let message = one_line(&self.message);
        match &self.hint {
            Some(h) => write!(f, "{message} — {}", one_line(h)),
            None => f.write_str(&message),
        }
    }
}

/// Flattens control characters so a message stays on one line.
pub(crate) fn one_line(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

/// Result of a command: the exit code to end with.
pub(crate) type CliResult = Result<u8, CliError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_and_hint_on_one_line() {
        let e = CliError::invalid("bad\nthing").hint("do\tthis");
        assert_eq!(e.to_string(), "bad thing — do this");
        assert_eq!(e.code, EXIT_INVALID);
        assert_eq!(CliError::usage("x").code, EXIT_USAGE);
    }
}
