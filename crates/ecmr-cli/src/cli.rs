//! The top-level parser: every command's arguments, composed, and the dispatch to the command that runs them.
//!
//! Each command module owns its arguments; this module only puts them together.

use clap::{Parser, Subcommand};

use crate::error::CliResult;
use crate::{control, import, keycmd, notecmd, profile, remote, render, steps, trustcmd, verifycmd};

/// Electronic CMR consignment notes: keys, validation, conversion, signed lifecycle steps, offline verification
/// and renderings for the roadside.
///
/// Exit codes: 0 success, 1 invalid input / does not verify / step refused / refused by the gateway, 2 usage,
/// I/O or network error.
#[derive(Debug, Parser)]
#[command(name = "ecmr", version, propagate_version = true, max_term_width = 110)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Every command.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Create or inspect Ed25519 signing keys (PKCS#8 PEM).
    #[command(subcommand)]
    Key(keycmd::KeyCommand),
    /// Keep a trust file: the keys you trust for which roles, and the gateways whose attestations and receipts
    /// you accept. `ecmr verify --trust FILE` uses it.
    #[command(subcommand)]
    Trust(trustcmd::TrustCommand),
    /// Check a note or signed document (JSON or XML, told from the content) and print every finding with its
    /// path. Exit 0 valid, 1 invalid.
    Validate(notecmd::ValidateArgs),
    /// Convert a note between JSON and UN/CEFACT eCMR XML (a signed document gives its current note).
    Convert(notecmd::ConvertArgs),
    /// Sign a note as its sender: makes a new signed document whose first event is `issued` (box 22).
    Issue(steps::IssueArgs),
    /// The carrier takes over goods and note (Art. 8; boxes 18 and 23). Needs an issued document.
    TakeOver(steps::TakeOverArgs),
    /// The sender accepts the carrier's reservations so that they bind the sender (Art. 8.2).
    AcceptReservations(steps::AcceptReservationsArgs),
    /// The holder of the right of disposal amends the note with an RFC 7396 merge patch (Art. 12).
    Amend(steps::AmendArgs),
    /// A successive carrier takes over goods and note (Art. 34).
    HandOver(steps::HandOverArgs),
    /// The consignee receives the goods (Art. 13, 30; box 24). Final.
    Deliver(steps::DeliverArgs),
    /// The consignee refuses the goods, giving a reason. Final.
    Refuse(steps::RefuseArgs),
    /// The sender cancels the note before take-over. Final.
    Cancel(steps::CancelArgs),
    /// Verify a signed document (or a gateway bundle) offline: every signature, the hash chain, the note digests,
    /// the lifecycle, pinned keys and key continuity; with --trust or --gateway-key also who signed. Exit 0 only
    /// when everything verifies (and, with --trust or --gateway-key, every signer is anchored or delegated).
    Verify(verifycmd::VerifyArgs),
    /// Render a note or signed document in the 24-box layout of the paper CMR, with the state, every signature
    /// event and a QR code (document id and digest of the last event).
    Render(render::RenderArgs),
    /// Validate many notes and documents and write each valid note, converted, into a directory. Shows a progress
    /// bar when standard output is a terminal and ends with a summary line. Exit 0 when every file is valid.
    Import(import::ImportArgs),
    /// Save a gateway profile: the gateway's URL and a bearer token (from a file), kept readable by you alone.
    Login(profile::LoginArgs),
    /// Show the profile's gateway and what kind of principal its token is.
    Whoami(remote::WhoamiArgs),
    /// Store or sync signed documents at the gateway (it appends the events it does not have yet): one line per
    /// file. Exit 1 when any was refused.
    Submit(remote::SubmitArgs),
    /// Download a signed document from the gateway and verify it. Exit 1 when there is none you may see.
    Fetch(remote::FetchArgs),
    /// List your documents at the gateway (signed by or pinning one of your keys).
    List(remote::ListArgs),
    /// Who did what with one of your documents, when and why.
    Audit(remote::DocumentIdArgs),
    /// The follow-up messages control authorities sent about one of your documents.
    FollowUps(remote::DocumentIdArgs),
    /// Give another party principal access to one of your documents at the gateway, e.g. a carrier that will sign
    /// a step but is not named by a key the note pins. Audited; exit 1 when the gateway refuses.
    Grant(remote::GrantArgs),
    /// Poll your documents for new events and follow-up messages until interrupted, keeping a cursor.
    Watch(remote::WatchArgs),
    /// A control authority's requests: datasets by UIL, identifier searches, follow-up messages.
    #[command(subcommand)]
    Control(control::ControlCommand),
}

/// Runs a command and returns the exit code.
pub(crate) fn run(cli: Cli) -> CliResult {
    match cli.command {
        Command::Key(args) => keycmd::run(args),
        Command::Trust(args) => trustcmd::run(args),
        Command::Validate(args) => notecmd::validate(&args),
        Command::Convert(args) => notecmd::convert(&args),
        Command::Issue(args) => steps::issue(args),
        Command::TakeOver(args) => steps::take_over(args),
        Command::AcceptReservations(args) => steps::accept_reservations(args),
        Command::Amend(args) => steps::amend(args),
        Command::HandOver(args) => steps::hand_over(args),
        Command::Deliver(args) => steps::deliver(args),
        Command::Refuse(args) => steps::refuse(args),
        Command::Cancel(args) => steps::cancel(args),
        Command::Verify(args) => verifycmd::verify(&args),
        Command::Render(args) => render::run(&args),
        Command::Import(args) => import::run(&args),
        Command::Login(args) => profile::login(&args),
        Command::Whoami(args) => remote::whoami(&args),
        Command::Submit(args) => remote::submit(&args),
        Command::Fetch(args) => remote::fetch(&args),
        Command::List(args) => remote::list(&args),
        Command::Audit(args) => remote::audit(&args),
        Command::FollowUps(args) => remote::follow_ups(&args),
        Command::Grant(args) => remote::grant(&args),
        Command::Watch(args) => remote::watch(&args),
        Command::Control(cmd) => control::run(&cmd),
    }
}
