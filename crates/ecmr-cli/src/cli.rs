//! The commands and their options.

use std::path::PathBuf;

use chrono::{DateTime, Timelike as _, Utc};
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::error::CliResult;

/// Electronic CMR consignment notes: keys, validation, conversion, signed lifecycle steps, offline verification
/// and renderings for the roadside.
///
/// Exit codes: 0 success, 1 invalid input / does not verify / step refused, 2 usage or I/O error.
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
    Key(KeyCommand),
    /// Check a note or signed document (JSON or XML, told from the content) and print every finding with its
    /// path. Exit 0 valid, 1 invalid.
    Validate {
        /// The note (JSON or UN/CEFACT XML) or signed document to check.
        file: PathBuf,
    },
    /// Convert a note between JSON and UN/CEFACT eCMR XML (a signed document gives its current note).
    Convert {
        /// The note (JSON or XML) or signed document.
        file: PathBuf,
        /// The format to write.
        #[arg(long, value_enum)]
        to: NoteFormat,
        /// Where to write (default: standard output).
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Replace OUTPUT if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Sign a note as its sender: makes a new signed document whose first event is `issued` (box 22).
    Issue {
        /// The note (JSON or XML); it must be valid.
        note: PathBuf,
        /// The sender's private key (PKCS#8 PEM).
        #[arg(long)]
        key: PathBuf,
        /// Where to write the signed document (default: NOTE with extension `.ecmr.json`).
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// The document id, a UUID (default: a new random one).
        #[arg(long)]
        id: Option<uuid::Uuid>,
        /// Replace OUTPUT if it exists.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        at: AtArg,
    },
    /// The carrier takes over goods and note (Art. 8; boxes 18 and 23). Needs an issued document.
    TakeOver {
        #[command(flatten)]
        step: StepArgs,
        /// Where the goods were taken over: `CITY,CC` or a JSON location object (default: box 4 of the note).
        #[arg(long)]
        place: Option<String>,
        /// When the goods were taken over, RFC 3339 (default: the signing time).
        #[arg(long)]
        time: Option<String>,
        /// A reservation with its grounds, `[SUBJECT=]TEXT:GROUNDS` (repeatable). SUBJECT is one of
        /// number_of_packages, marks_and_numbers, apparent_condition, packaging, loss_or_damage, other (default).
        #[arg(long = "reservation", value_name = "TEXT:GROUNDS")]
        reservations: Vec<String>,
        /// Result of a check the sender required (Art. 8.3), `SUBJECT=RESULT` with SUBJECT one of gross_weight,
        /// quantity, contents (repeatable).
        #[arg(long = "check", value_name = "SUBJECT=RESULT")]
        checks: Vec<String>,
    },
    /// The sender accepts the carrier's reservations so that they bind the sender (Art. 8.2).
    AcceptReservations {
        #[command(flatten)]
        step: StepArgs,
        /// The seq of an event whose reservations are accepted (repeatable; default: every open one).
        #[arg(long = "event", value_name = "SEQ")]
        events: Vec<u64>,
    },
    /// The holder of the right of disposal amends the note with an RFC 7396 merge patch (Art. 12).
    Amend {
        #[command(flatten)]
        step: StepArgs,
        /// A JSON file holding the merge patch (an object).
        #[arg(long)]
        patch: PathBuf,
        /// Why the note is amended.
        #[arg(long)]
        reason: String,
    },
    /// A successive carrier takes over goods and note (Art. 34).
    HandOver {
        #[command(flatten)]
        step: StepArgs,
        /// Where: `CITY,CC` or a JSON location object.
        #[arg(long)]
        place: String,
        /// When, RFC 3339 (default: the signing time).
        #[arg(long)]
        time: Option<String>,
        /// A reservation with its grounds, `[SUBJECT=]TEXT:GROUNDS` (repeatable).
        #[arg(long = "reservation", value_name = "TEXT:GROUNDS")]
        reservations: Vec<String>,
    },
    /// The consignee receives the goods (Art. 13, 30; box 24). Final.
    Deliver {
        #[command(flatten)]
        step: StepArgs,
        /// Where: `CITY,CC` or a JSON location object (default: box 3 of the note).
        #[arg(long)]
        place: Option<String>,
        /// When, RFC 3339 (default: the signing time).
        #[arg(long)]
        time: Option<String>,
        /// A reservation with its grounds, `[SUBJECT=]TEXT:GROUNDS` (repeatable; Art. 30).
        #[arg(long = "reservation", value_name = "TEXT:GROUNDS")]
        reservations: Vec<String>,
    },
    /// The consignee refuses the goods, giving a reason. Final.
    Refuse {
        #[command(flatten)]
        step: StepArgs,
        /// Why the goods are refused.
        #[arg(long)]
        reason: String,
        /// When, RFC 3339 (default: not stated).
        #[arg(long)]
        time: Option<String>,
    },
    /// The sender cancels the note before take-over. Final.
    Cancel {
        #[command(flatten)]
        step: StepArgs,
        /// Why the note is cancelled.
        #[arg(long)]
        reason: String,
    },
    /// Verify a signed document offline: every signature, the hash chain, the note digests, the lifecycle and the
    /// pinned keys. Exit 0 only when everything verifies (and, with --trust, every signer is trusted).
    Verify {
        /// The signed document.
        doc: PathBuf,
        /// A trust file, `{"keys": [{"public_key": "...", "name": "...", "roles": ["carrier"]}]}` (an entry may
        /// give `"key_id"` instead of `"public_key"`; no roles: any role). Keys the note does not pin must be in it.
        #[arg(long)]
        trust: Option<PathBuf>,
        /// Print the structured report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Render a note or signed document in the 24-box layout of the paper CMR, with the state, every signature
    /// event and a QR code (document id and digest of the last event).
    Render {
        /// The signed document (or a bare note, rendered without state, events or QR code).
        doc: PathBuf,
        /// The output format.
        #[arg(long, value_enum, default_value = "text")]
        format: RenderFormat,
        /// The language of the labels.
        #[arg(long, value_enum, default_value = "en")]
        lang: Lang,
        /// Where to write (default: standard output; required for pdf).
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Replace OUTPUT if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Validate many notes and documents and write each valid note, converted, into a directory. Shows a progress
    /// bar when standard output is a terminal and ends with a summary line. Exit 0 when every file is valid.
    Import {
        /// Files, or directories whose `.json` and `.xml` files are taken.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// The directory to write into (created if missing).
        #[arg(long)]
        to: PathBuf,
        /// The format of the written notes (signed documents are copied as they are).
        #[arg(long, value_enum, default_value = "json")]
        format: NoteFormat,
        /// Replace files that exist in the target directory.
        #[arg(long)]
        force: bool,
    },
}

/// Key sub-commands.
#[derive(Debug, Subcommand)]
pub(crate) enum KeyCommand {
    /// Generate an Ed25519 key (PKCS#8 PEM, file mode 0600) and print its public key and key id.
    Generate {
        /// Where to write the private key (default: the PEM goes to standard output, the public key and key id
        /// to standard error).
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Replace OUTPUT if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Print the public key (base64url) and key id (SHA-256 hex) of a private key file.
    Show {
        /// The private key (PKCS#8 PEM).
        file: PathBuf,
        /// Print a trust-file entry for this key instead, naming the party.
        #[arg(long, value_name = "NAME")]
        trust_entry: Option<String>,
        /// With --trust-entry: a role the key is trusted for (repeatable; default: any role). One of sender,
        /// carrier, successive_carrier, consignee.
        #[arg(long = "role", value_name = "ROLE", requires = "trust_entry")]
        roles: Vec<RoleArg>,
    },
}

/// The options every lifecycle step shares.
#[derive(Debug, Args)]
pub(crate) struct StepArgs {
    /// The signed document; it is verified, extended by one signed event and rewritten atomically.
    pub(crate) doc: PathBuf,
    /// The signer's private key (PKCS#8 PEM).
    #[arg(long)]
    pub(crate) key: PathBuf,
    /// Write the new document here instead of replacing DOC.
    #[arg(short, long)]
    pub(crate) output: Option<PathBuf>,
    /// Replace OUTPUT if it exists (DOC itself is always replaced).
    #[arg(long)]
    pub(crate) force: bool,
    #[command(flatten)]
    pub(crate) at: AtArg,
}

/// The signing time.
#[derive(Debug, Args)]
pub(crate) struct AtArg {
    /// The signing time, RFC 3339 (default: now).
    #[arg(long)]
    pub(crate) at: Option<DateTime<Utc>>,
}

impl AtArg {
    /// The time given, or now.
    pub(crate) fn get(&self) -> DateTime<Utc> {
        self.at.unwrap_or_else(|| {
            let now = Utc::now();
            now.with_nanosecond(0).unwrap_or(now)
        })
    }
}

/// Roles a trusted key may sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "snake_case")]
pub(crate) enum RoleArg {
    /// The sender.
    Sender,
    /// The (first) carrier.
    Carrier,
    /// A successive carrier.
    SuccessiveCarrier,
    /// The consignee.
    Consignee,
}

impl RoleArg {
    /// The library's role.
    pub(crate) fn role(self) -> ecmr::document::Role {
        use ecmr::document::Role;
        match self {
            RoleArg::Sender => Role::Sender,
            RoleArg::Carrier => Role::Carrier,
            RoleArg::SuccessiveCarrier => Role::SuccessiveCarrier,
            RoleArg::Consignee => Role::Consignee,
        }
    }
}

/// Note formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum NoteFormat {
    /// JSON.
    Json,
    /// UN/CEFACT eCMR XML.
    Xml,
}

/// Rendering formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum RenderFormat {
    /// Plain text.
    Text,
    /// A self-contained HTML page.
    Html,
    /// An A4 PDF.
    Pdf,
}

/// Label languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Lang {
    /// English.
    En,
    /// Dutch.
    Nl,
    /// French.
    Fr,
    /// German.
    De,
}

impl Lang {
    /// The language tag.
    pub(crate) fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Nl => "nl",
            Lang::Fr => "fr",
            Lang::De => "de",
        }
    }
}

/// Runs a command and returns the exit code.
pub(crate) fn run(cli: Cli) -> CliResult {
    match cli.command {
        Command::Key(KeyCommand::Generate { output, force }) => crate::keycmd::generate(output.as_deref(), force),
        Command::Key(KeyCommand::Show { file, trust_entry, roles }) => {
            crate::keycmd::show(&file, trust_entry.as_deref(), &roles)
        }
        Command::Validate { file } => crate::notecmd::validate(&file),
        Command::Convert { file, to, output, force } => crate::notecmd::convert(&file, to, output.as_deref(), force),
        Command::Verify { doc, trust, json } => crate::verifycmd::verify(&doc, trust.as_deref(), json),
        Command::Render { doc, format, lang, output, force } => {
            crate::render::run(&doc, format, lang, output.as_deref(), force)
        }
        Command::Import { inputs, to, format, force } => crate::import::run(&inputs, &to, format, force),
        step => crate::steps::run(step),
    }
}
