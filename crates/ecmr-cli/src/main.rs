//! `ecmr`: the command line for electronic CMR consignment notes.
//!
//! Keys, validation, conversion between JSON and UN/CEFACT XML, every signed step of a note's life, offline
//! verification, renderings (text, HTML, PDF with a QR code) in the 24-box layout of the paper form, and the
//! gateway: profiles, submitting and syncing documents, reading them back, and a control authority's requests.
//!
//! Exit codes, for every command: 0 success (valid, verified), 1 invalid input, failed verification, a refused
//! step or a refusal of the gateway, 2 usage, I/O or network error. Errors are one line with a hint.

mod attached;
mod cli;
mod control;
mod error;
mod format;
mod import;
mod io;
mod keycmd;
mod notecmd;
mod profile;
mod remote;
mod render;
mod signers;
mod steps;
mod trustcmd;
mod verifycmd;

use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        eprintln!("error: internal error: {} — please report this as a bug", error::one_line(&msg));
    }));
    let args = match cli::Cli::try_parse() {
        Ok(a) => a,
        Err(e) => {
            let code = if e.use_stderr() { error::EXIT_USAGE } else { error::EXIT_OK };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let result = std::panic::catch_unwind(|| cli::run(args)).unwrap_or(Ok(error::EXIT_USAGE));
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.code)
        }
    }
}
