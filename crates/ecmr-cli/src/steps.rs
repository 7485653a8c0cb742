//! The lifecycle steps: `issue`, `take-over`, `accept-reservations`, `amend`, `hand-over`, `deliver`, `refuse`,
//! `cancel`. Each reads and verifies the document, adds one signed event (refused, with the reason, when the
//! lifecycle does not allow it) and writes the longer document atomically.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Timelike as _, Utc};
use clap::Args;
use ecmr::Location;
use ecmr::document::{
    CheckResult, CheckSubject, Deliver, Document, HandOver, Reservation, ReservationSubject, TakeOver,
};
use ecmr::keys::Signer as _;
use ecmr::sign::BuildError;
use ecmr::types::Timestamp;
use ecmr::verify::Verified;

use crate::error::{CliError, CliResult, EXIT_OK};
use crate::io::{load_key, outln, read_verified, write_atomic};
use crate::profile::ProfileArg;

/// The arguments of `ecmr issue`.
#[derive(Debug, Args)]
pub(crate) struct IssueArgs {
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
    /// Pin a party's key in the note before signing, `ROLE=KEY` (repeatable): ROLE is sender, carrier, consignee
    /// or successive_carrier:N (the Nth successive carrier, from 1); KEY is base64url or a PEM file (public or
    /// private key). Only that key may then sign for the role, and it is trusted when the sender is.
    #[arg(long = "pin", value_name = "ROLE=KEY")]
    pins: Vec<String>,
    /// Replace OUTPUT if it exists.
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    at: AtArg,
    #[command(flatten)]
    sync: SyncArgs,
}

/// The arguments of `ecmr take-over`.
#[derive(Debug, Args)]
pub(crate) struct TakeOverArgs {
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
}

/// The arguments of `ecmr accept-reservations`.
#[derive(Debug, Args)]
pub(crate) struct AcceptReservationsArgs {
    #[command(flatten)]
    step: StepArgs,
    /// The seq of an event whose reservations are accepted (repeatable; default: every open one).
    #[arg(long = "event", value_name = "SEQ")]
    events: Vec<u64>,
}

/// The arguments of `ecmr amend`.
#[derive(Debug, Args)]
pub(crate) struct AmendArgs {
    #[command(flatten)]
    step: StepArgs,
    /// A JSON file holding the merge patch (an object).
    #[arg(long)]
    patch: PathBuf,
    /// Why the note is amended.
    #[arg(long)]
    reason: String,
}

/// The arguments of `ecmr hand-over`.
#[derive(Debug, Args)]
pub(crate) struct HandOverArgs {
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
}

/// The arguments of `ecmr deliver`.
#[derive(Debug, Args)]
pub(crate) struct DeliverArgs {
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
}

/// The arguments of `ecmr refuse`.
#[derive(Debug, Args)]
pub(crate) struct RefuseArgs {
    #[command(flatten)]
    step: StepArgs,
    /// Why the goods are refused.
    #[arg(long)]
    reason: String,
    /// When, RFC 3339 (default: not stated).
    #[arg(long)]
    time: Option<String>,
}

/// The arguments of `ecmr cancel`.
#[derive(Debug, Args)]
pub(crate) struct CancelArgs {
    #[command(flatten)]
    step: StepArgs,
    /// Why the note is cancelled.
    #[arg(long)]
    reason: String,
}

/// The options every lifecycle step shares.
#[derive(Debug, Args)]
pub(crate) struct StepArgs {
    /// The signed document; it is verified, extended by one signed event and rewritten atomically.
    doc: PathBuf,
    /// The signer's private key (PKCS#8 PEM).
    #[arg(long)]
    key: PathBuf,
    /// Write the new document here instead of replacing DOC.
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Replace OUTPUT if it exists (DOC itself is always replaced).
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    at: AtArg,
    #[command(flatten)]
    sync: SyncArgs,
}

/// Syncing the signed document to a gateway.
#[derive(Debug, Args)]
pub(crate) struct SyncArgs {
    /// Once signed and written, submit the document to the profile's gateway (sign and sync in one go). The file
    /// is kept even when the gateway refuses it or cannot be reached; `ecmr submit FILE` tries again.
    #[arg(long)]
    submit: bool,
    #[command(flatten)]
    profile: ProfileArg,
}

impl SyncArgs {
    /// Submits `bytes` (written to `out`) when asked to.
    fn run(&self, out: &Path, bytes: &[u8]) -> CliResult {
        if !self.submit {
            return Ok(EXIT_OK);
        }
        crate::remote::submit_bytes(&self.profile, &out.display().to_string(), bytes)
    }
}

/// The signing time.
#[derive(Debug, Args)]
pub(crate) struct AtArg {
    /// The signing time, RFC 3339 (default: now).
    #[arg(long)]
    at: Option<DateTime<Utc>>,
}

impl AtArg {
    /// The time given, or now.
    fn get(&self) -> DateTime<Utc> {
        self.at.unwrap_or_else(|| {
            let now = Utc::now();
            now.with_nanosecond(0).unwrap_or(now)
        })
    }
}

/// Runs `ecmr issue`.
pub(crate) fn issue(args: IssueArgs) -> CliResult {
    let out = args.output.clone().unwrap_or_else(|| default_document_path(&args.note));
    issue_note(&args, &out)
}

/// Adds `ROLE=KEY` pins to the note.
fn apply_pins(note: &mut ecmr::ConsignmentNote, pins: &[String]) -> Result<(), CliError> {
    let hint = "write `--pin carrier=KEY`, with ROLE sender, carrier, consignee or successive_carrier:N";
    for pin in pins {
        let (role, key) =
            pin.split_once('=').ok_or_else(|| CliError::usage(format!("pin `{pin}` has no `=`")).hint(hint))?;
        let key = crate::trustcmd::parse_public_key(key)?.to_b64url();
        let party = match role {
            "sender" => &mut note.sender,
            "carrier" => &mut note.carrier,
            "consignee" => &mut note.consignee,
            other => {
                let n = other
                    .strip_prefix("successive_carrier:")
                    .and_then(|n| n.parse::<usize>().ok())
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| CliError::usage(format!("pin `{pin}`: unknown role `{other}`")).hint(hint))?;
                let count = note.successive_carriers.len();
                note.successive_carriers.get_mut(n - 1).ok_or_else(|| {
                    CliError::usage(format!("pin `{pin}`: the note names {count} successive carrier(s)"))
                })?
            }
        };
        if !party.public_keys.contains(&key) {
            party.public_keys.push(key);
        }
    }
    Ok(())
}

/// Runs `ecmr take-over`.
pub(crate) fn take_over(args: TakeOverArgs) -> CliResult {
    let TakeOverArgs { step, place, time, reservations, checks } = args;
    step_with(&step, |doc, at, key| {
        let note = doc.current_note_typed().map_err(|e| CliError::invalid(e.to_string()))?;
        let place = match place {
            Some(p) => parse_place(&p)?,
            None => note.taking_over.location.clone(),
        };
        let data = TakeOver {
            place,
            time: time_or(time.as_deref(), at)?,
            reservations: parse_reservations(&reservations)?,
            checks: parse_checks(&checks)?,
        };
        doc.take_over(data, at, key).map_err(refused)
    })
}

/// Runs `ecmr accept-reservations`.
pub(crate) fn accept_reservations(args: AcceptReservationsArgs) -> CliResult {
    let AcceptReservationsArgs { step, events } = args;
    step_with(&step, |doc, at, key| {
        let events = if events.is_empty() { doc.open_reservations().collect() } else { events };
        if events.is_empty() {
            return Err(CliError::invalid("no reservations await acceptance")
                .hint("reservations are entered with `ecmr take-over --reservation` or `ecmr hand-over`"));
        }
        doc.accept_reservations(events, at, key).map_err(refused)
    })
}

/// Runs `ecmr amend`.
pub(crate) fn amend(args: AmendArgs) -> CliResult {
    let AmendArgs { step, patch, reason } = args;
    step_with(&step, |doc, at, key| {
        let bytes = crate::io::read(&patch)?;
        let value = ecmr::canonical::parse_strict(&bytes, ecmr::canonical::MAX_DOCUMENT_BYTES)
            .map_err(|e| CliError::invalid(format!("{}: {e}", patch.display())))?;
        if !value.is_object() {
            return Err(CliError::invalid(format!("{} is not a JSON object", patch.display()))
                .hint("a merge patch (RFC 7396) is an object of the fields to change; null removes a field"));
        }
        doc.amend(value, &reason, at, key).map_err(refused)
    })
}

/// Runs `ecmr hand-over`.
pub(crate) fn hand_over(args: HandOverArgs) -> CliResult {
    let HandOverArgs { step, place, time, reservations } = args;
    step_with(&step, |doc, at, key| {
        let data = HandOver {
            place: parse_place(&place)?,
            time: time_or(time.as_deref(), at)?,
            reservations: parse_reservations(&reservations)?,
        };
        doc.hand_over(data, at, key).map_err(refused)
    })
}

/// Runs `ecmr deliver`.
pub(crate) fn deliver(args: DeliverArgs) -> CliResult {
    let DeliverArgs { step, place, time, reservations } = args;
    step_with(&step, |doc, at, key| {
        let note = doc.current_note_typed().map_err(|e| CliError::invalid(e.to_string()))?;
        let place = match place {
            Some(p) => parse_place(&p)?,
            None => note.delivery.location.clone(),
        };
        let data =
            Deliver { place, time: time_or(time.as_deref(), at)?, reservations: parse_reservations(&reservations)? };
        doc.deliver(data, at, key).map_err(refused)
    })
}

/// Runs `ecmr refuse`.
pub(crate) fn refuse(args: RefuseArgs) -> CliResult {
    let RefuseArgs { step, reason, time } = args;
    step_with(&step, |doc, at, key| {
        let time = time.as_deref().map(parse_time).transpose()?;
        doc.refuse_delivery(&reason, time, at, key).map_err(refused)
    })
}

/// Runs `ecmr cancel`.
pub(crate) fn cancel(args: CancelArgs) -> CliResult {
    let CancelArgs { step, reason } = args;
    step_with(&step, |doc, at, key| doc.cancel(&reason, at, key).map_err(refused))
}

/// `NOTE.json` → `NOTE.ecmr.json`.
fn default_document_path(note: &Path) -> PathBuf {
    let stem = note.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "note".to_owned());
    note.with_file_name(format!("{stem}.ecmr.json"))
}

fn issue_note(args: &IssueArgs, out: &Path) -> CliResult {
    let note_path = args.note.as_path();
    let mut note = crate::io::read_note(note_path)?;
    apply_pins(&mut note, &args.pins)?;
    let report = ecmr::validate::validate(&note);
    if let Some(f) = report.errors().next() {
        return Err(CliError::invalid(format!("{} is not valid: {} at {}", note_path.display(), f.message, f.path))
            .hint(format!("see every finding with `ecmr validate {}`", note_path.display())));
    }
    let key = load_key(&args.key)?;
    let id = args.id.unwrap_or_else(uuid::Uuid::new_v4);
    let doc = ecmr::sign::issue(id, &note, args.at.get(), &key).map_err(refused)?;
    write_atomic(out, doc.bytes(), args.force, false)?;
    outln(&format!("issued {} as document {} → {}", note.number, doc.id(), out.display()));
    outln(&format!("signed by the sender, key id {}", key.public_key().key_id()));
    args.sync.run(out, doc.bytes())
}

/// Reads and verifies the document, loads the key, builds the event with `build`, writes the result atomically.
fn step_with(
    step: &StepArgs,
    build: impl FnOnce(&Verified<Document>, DateTime<Utc>, &ecmr::keys::FileKey) -> Result<Verified<Document>, CliError>,
) -> CliResult {
    let doc = read_verified(&step.doc)?;
    let key = load_key(&step.key)?;
    let new = build(&doc, step.at.get(), &key)?;
    let out = step.output.as_deref().unwrap_or(&step.doc);
    // Another step may have extended the document meanwhile; its event must not be lost.
    if crate::io::read(&step.doc)? != doc.bytes() {
        return Err(CliError::invalid(format!("{} changed while this step was signed", step.doc.display()))
            .hint("run the step again on the new document"));
    }
    let replace = step.force || step.output.is_none() || same_file(out, &step.doc);
    write_atomic(out, new.bytes(), replace, false)?;
    let last = new.events.last();
    let key_id = key.public_key().key_id().to_string();
    outln(&format!(
        "event {} {} signed by the {} (key {}…): {} → {}, written to {}",
        last.map(|e| e.seq).unwrap_or_default(),
        last.map(|e| e.kind.as_str()).unwrap_or_default(),
        last.map(|e| e.role.as_str()).unwrap_or_default(),
        key_id.get(..16).unwrap_or(&key_id),
        doc.state(),
        new.state(),
        out.display()
    ));
    step.sync.run(out, new.bytes())
}

/// Whether two paths name the same existing file.
fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// A refused step, with the reason and what to do.
fn refused(e: BuildError) -> CliError {
    let hint = match e.failure().map(|f| f.kind.code()) {
        Some("disallowed_transition") => "see where the note stands with `ecmr verify DOC`",
        Some("key_not_pinned") => "sign with the key the note pins for this role",
        Some("key_changed") => "sign with the key that signed for this role before (the note pins no other)",
        Some("key_reused_across_roles") => {
            "each party signs with its own key, unless the note pins a key for both roles"
        }
        Some("invalid_note") => "the note would not be valid; check it with `ecmr validate`",
        _ => "see `ecmr verify DOC`",
    };
    CliError::invalid(format!("step refused: {}", e.to_string().trim_start_matches("event refused: "))).hint(hint)
}

fn parse_time(text: &str) -> Result<Timestamp, CliError> {
    Timestamp::parse(text).map_err(|e| {
        CliError::usage(format!("`{text}` is not an RFC 3339 time: {e}")).hint("write e.g. 2026-11-28T06:00:00+01:00")
    })
}

fn time_or(text: Option<&str>, at: DateTime<Utc>) -> Result<Timestamp, CliError> {
    match text {
        Some(t) => parse_time(t),
        None => parse_time(&ecmr::sign::format_at(at)),
    }
}

/// `CITY,CC` or a JSON location object.
pub(crate) fn parse_place(text: &str) -> Result<Location, CliError> {
    let hint = "write `CITY,CC` (e.g. `Antwerpen,BE`) or a JSON location object";
    if text.trim_start().starts_with('{') {
        return ecmr::json::from_str_limited(text, 64 * 1024)
            .map_err(|e| CliError::usage(format!("--place is not a location: {e}")).hint(hint));
    }
    let (city, country) =
        text.rsplit_once(',').ok_or_else(|| CliError::usage(format!("--place `{text}` has no country")).hint(hint))?;
    let country = country.trim().to_ascii_uppercase();
    if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) || city.trim().is_empty() {
        return Err(CliError::usage(format!("--place `{text}` is not `CITY,CC`")).hint(hint));
    }
    let value = serde_json::json!({ "address": { "city": city.trim(), "country": country } });
    serde_json::from_value(value).map_err(|e| CliError::usage(format!("--place `{text}`: {e}")).hint(hint))
}

/// `[SUBJECT=]TEXT:GROUNDS`, split at the first `:`.
pub(crate) fn parse_reservations(items: &[String]) -> Result<Vec<Reservation>, CliError> {
    items
        .iter()
        .map(|item| {
            let hint = "write `[SUBJECT=]TEXT:GROUNDS`, e.g. `packaging=2 pallets wrapping torn:seen at loading`";
            let (head, grounds) = item
                .split_once(':')
                .ok_or_else(|| CliError::usage(format!("reservation `{item}` has no grounds")).hint(hint))?;
            let (subject, text) = match head.split_once('=') {
                Some((s, t)) => {
                    let subject: ReservationSubject = serde_json::from_value(serde_json::Value::String(s.trim().to_owned()))
                        .map_err(|_| CliError::usage(format!("`{}` is not a reservation subject", s.trim())).hint(
                            "use number_of_packages, marks_and_numbers, apparent_condition, packaging, loss_or_damage or other",
                        ))?;
                    (subject, t)
                }
                None => (ReservationSubject::Other, head),
            };
            if text.trim().is_empty() || grounds.trim().is_empty() {
                return Err(CliError::usage(format!("reservation `{item}` needs both a text and grounds")).hint(hint));
            }
            Ok(Reservation { subject, text: text.trim().to_owned(), grounds: grounds.trim().to_owned() })
        })
        .collect()
}

/// `SUBJECT=RESULT`.
fn parse_checks(items: &[String]) -> Result<Vec<CheckResult>, CliError> {
    items
        .iter()
        .map(|item| {
            let hint = "write `SUBJECT=RESULT` with SUBJECT gross_weight, quantity or contents";
            let (s, result) = item
                .split_once('=')
                .ok_or_else(|| CliError::usage(format!("check `{item}` has no subject")).hint(hint))?;
            let subject: CheckSubject = serde_json::from_value(serde_json::Value::String(s.trim().to_owned()))
                .map_err(|_| CliError::usage(format!("`{}` is not a check subject", s.trim())).hint(hint))?;
            if result.trim().is_empty() {
                return Err(CliError::usage(format!("check `{item}` has no result")).hint(hint));
            }
            Ok(CheckResult { subject, result: result.trim().to_owned() })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservations_parse_subject_text_and_grounds() {
        let r =
            parse_reservations(&["packaging=2 pallets torn:seen at 06:00".to_owned(), "wet:rain".to_owned()]).unwrap();
        assert_eq!(r[0].subject, ReservationSubject::Packaging);
        assert_eq!((r[0].text.as_str(), r[0].grounds.as_str()), ("2 pallets torn", "seen at 06:00"));
        assert_eq!(r[1].subject, ReservationSubject::Other);
        assert!(parse_reservations(&["no grounds".to_owned()]).is_err());
        assert!(parse_reservations(&["x:".to_owned()]).is_err());
        assert!(parse_reservations(&["bogus=x:y".to_owned()]).is_err());
    }

    #[test]
    fn places_and_checks() {
        let p = parse_place("Antwerpen, BE").unwrap();
        assert_eq!(p.address.city, "Antwerpen");
        assert!(parse_place("Antwerpen").is_err());
        assert!(parse_place("Antwerpen,Belgium").is_err());
        assert!(parse_place(r#"{"address": {"city": "Gent", "country": "BE"}, "unlocode": "BEGNE"}"#).is_ok());
        assert!(parse_checks(&["gross_weight=12460 kg".to_owned()]).is_ok());
        assert!(parse_checks(&["weight=1".to_owned()]).is_err());
    }
}
