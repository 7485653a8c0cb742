//! `ecmr verify`: a readable report with ✔/✘ per event, or the structured report as JSON.

use std::path::{Path, PathBuf};

use clap::Args;
use ecmr::document::{Document, EventKind};
use ecmr::trust::{Trust, TrustStore, Unvouched};
use ecmr::verify::Report;
use serde::Serialize;
use serde_json::Value;

use crate::attached::Attachment;
use crate::error::{CliError, CliResult, EXIT_INVALID, EXIT_OK, one_line};
use crate::io::{Kind, detect, outln, read};
use crate::signers::signer_name;
use crate::trustcmd::{load_trust, parse_gateway_key};
use ecmr::qr::{QrCheck, QrPayload};

/// The arguments of `ecmr verify`.
#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// The signed document, a bundle (`ecmr-bundle/1`: the document with a gateway's receipts and attestations,
    /// as `GET /v1/documents/{id}` gives it for `Accept: application/vnd.ecmr.bundle+json`), or a PDF made by
    /// `ecmr render` (the signed document attached to it is verified).
    doc: PathBuf,
    /// A trust file (`ecmr trust add` writes one): keys trusted for roles, and gateway keys. With it, every
    /// signer must be anchored (in the file, or attested by a trusted gateway) or delegated (pinned by a trusted
    /// signer), or the command exits 1.
    #[arg(long)]
    trust: Option<PathBuf>,
    /// A gateway's public key, `[GATE=]KEY` with KEY base64url or a PEM file (repeatable): its attestations and
    /// receipts are accepted. Like --trust, it makes every signer's identity required. KEY may begin with `-`.
    #[arg(long = "gateway-key", value_name = "[GATE=]KEY", allow_hyphen_values = true)]
    gateway_keys: Vec<String>,
    /// A file of gateway statements about the document: a JSON array of receipts and attestations, or an object
    /// `{"receipts": [...], "attestations": [...]}`.
    #[arg(long)]
    receipts: Option<PathBuf>,
    /// Print the structured report as JSON.
    #[arg(long)]
    json: bool,
    /// A scanned QR code (link or `ecmr:uil=…` text): check that it shows this document as it stands — same
    /// dataset id, and seq and digest of its last event. Exit 1 on any mismatch, naming it.
    #[arg(long, value_name = "TEXT")]
    qr: Option<String>,
}

/// Gateway statements given with the document: receipts and attestations, as JSON values.
#[derive(Debug, Default)]
struct Statements {
    receipts: Vec<Value>,
    attestations: Vec<Value>,
}

impl Statements {
    /// Sorts a list of statements by their `format`.
    fn add(&mut self, values: Vec<Value>, origin: &Path) -> Result<(), CliError> {
        for (i, v) in values.into_iter().enumerate() {
            match v.get("format").and_then(Value::as_str) {
                Some(ecmr::attest::RECEIPT_FORMAT) => self.receipts.push(v),
                Some(ecmr::attest::ATTESTATION_FORMAT) => self.attestations.push(v),
                other => {
                    return Err(CliError::invalid(format!(
                        "{}: statement {i} has format {}, expected a receipt or an attestation",
                        origin.display(),
                        other.map_or_else(|| "none".to_owned(), |f| format!("`{}`", crate::error::one_line(f)))
                    )));
                }
            }
        }
        Ok(())
    }

    /// Reads a receipts file.
    fn read(path: &Path) -> Result<Statements, CliError> {
        let bytes = read(path)?;
        let value = ecmr::canonical::parse_strict(&bytes, ecmr::canonical::MAX_DOCUMENT_BYTES)
            .map_err(|e| CliError::invalid(format!("{} is not strict JSON: {e}", path.display())))?;
        let mut out = Statements::default();
        match value {
            Value::Array(items) => out.add(items, path)?,
            Value::Object(mut map) => {
                for name in ["receipts", "attestations"] {
                    if let Some(Value::Array(items)) = map.remove(name) {
                        out.add(items, path)?;
                    }
                }
                if let Some(name) = map.keys().next() {
                    return Err(CliError::invalid(format!(
                        "{}: unexpected member `{}`; expected receipts and attestations",
                        path.display(),
                        crate::error::one_line(name)
                    )));
                }
            }
            _ => return Err(CliError::invalid(format!("{} holds neither a list nor an object", path.display()))),
        }
        Ok(out)
    }
}

/// What was found about the gateway statements.
#[derive(Debug, Default, Serialize)]
struct StatementReport {
    /// Per receipt: seq (when readable), gate, and the problem if any.
    receipts: Vec<ReceiptLine>,
    /// Attestations refused, with why.
    refused_attestations: Vec<String>,
    /// Events with no accepted receipt (only when receipts are required: a bundle).
    events_without_receipt: Vec<u64>,
    /// The statements could not be checked: no gateway key.
    unchecked: bool,
}

#[derive(Debug, Serialize)]
struct ReceiptLine {
    seq: Option<u64>,
    gate_id: Option<String>,
    received_at: Option<String>,
    posted_by: Option<String>,
    problem: Option<String>,
}

impl StatementReport {
    fn ok(&self) -> bool {
        !self.unchecked
            && self.refused_attestations.is_empty()
            && self.events_without_receipt.is_empty()
            && self.receipts.iter().all(|r| r.problem.is_none())
    }
}

/// Checks the receipts against the document, after the attestations went into `store`.
fn check_receipts(
    statements: &Statements,
    store: &TrustStore,
    doc: Option<&ecmr::verify::Verified<Document>>,
    require_all: bool,
) -> StatementReport {
    let mut out = StatementReport::default();
    let mut covered = std::collections::BTreeSet::new();
    for value in &statements.receipts {
        let seq = value.get("seq").and_then(Value::as_u64);
        let line = match ecmr::attest::Receipt::verify_value(value, store) {
            Err(e) => {
                ReceiptLine { seq, gate_id: None, received_at: None, posted_by: None, problem: Some(e.to_string()) }
            }
            Ok(r) => {
                let problem = match doc {
                    Some(d) => r.check_against(d).err().map(|e| e.to_string()),
                    None => Some("the document does not verify".to_owned()),
                };
                if problem.is_none() {
                    covered.insert(r.seq);
                }
                ReceiptLine {
                    seq: Some(r.seq),
                    gate_id: Some(r.gate_id),
                    received_at: Some(r.received_at),
                    posted_by: Some(r.posted_by.name),
                    problem,
                }
            }
        };
        out.receipts.push(line);
    }
    if require_all && let Some(d) = doc {
        out.events_without_receipt = (0..d.events.len() as u64).filter(|s| !covered.contains(s)).collect();
    }
    out
}

/// Verifies a document (or a bundle) and prints the report.
pub(crate) fn verify(args: &VerifyArgs) -> CliResult {
    let (path, json) = (args.doc.as_path(), args.json);
    let mut store = args.trust.as_deref().map(load_trust).transpose()?.unwrap_or_default();
    for g in &args.gateway_keys {
        store.add_gateway_key(parse_gateway_key(g)?);
    }
    let identities_checked = args.trust.is_some() || !args.gateway_keys.is_empty();
    let mut statements = match &args.receipts {
        Some(p) => Statements::read(p)?,
        None => Statements::default(),
    };
    let qr = args.qr.as_deref().map(parse_qr).transpose()?;
    let (mut bytes, attachment) = document_bytes(path, read(path)?)?;
    let bundle = ecmr::canonical::parse_strict(&bytes, ecmr::canonical::MAX_DOCUMENT_BYTES)
        .ok()
        .filter(|v| v.get("format").and_then(Value::as_str) == Some(ecmr::attest::BUNDLE_FORMAT));
    let is_bundle = bundle.is_some();
    if let Some(value) = &bundle {
        let b = ecmr::attest::Bundle::from_value(value)
            .map_err(|e| CliError::invalid(format!("{} is not a readable bundle: {e}", path.display())))?;
        bytes = b.document_bytes();
        statements.receipts.extend(b.receipts);
        statements.attestations.extend(b.attestations);
    }
    let has_statements = !statements.receipts.is_empty() || !statements.attestations.is_empty();
    let mut stmt_report = StatementReport {
        unchecked: has_statements && store.gateway_keys().next().is_none(),
        ..StatementReport::default()
    };
    if !stmt_report.unchecked {
        for a in &statements.attestations {
            if let Err(e) = store.add_attestation_value(a) {
                stmt_report.refused_attestations.push(e.to_string());
            }
        }
    }
    let is_note = matches!(detect(path, &bytes), Ok(Kind::JsonNote | Kind::Xml));
    let trust = identities_checked.then_some(&store);
    let verified = ecmr::verify::verify(&bytes, trust);
    let report = match &verified {
        Ok(v) => v.report().clone(),
        Err(e) => e.report.clone(),
    };
    if !stmt_report.unchecked && has_statements {
        let refused = std::mem::take(&mut stmt_report.refused_attestations);
        stmt_report = check_receipts(&statements, &store, verified.as_ref().ok(), is_bundle);
        stmt_report.refused_attestations = refused;
    }
    let doc = ecmr::document::Document::from_slice(&bytes).ok();
    let trusted = !identities_checked || report.all_trusted();
    let statements_ok = !has_statements || stmt_report.ok();
    let qr_check = qr.as_ref().map(|q| check_qr(q, &report, doc.as_ref()));
    let ok = report.valid && trusted && statements_ok && qr_check.as_ref().is_none_or(|(c, _)| c.is_current());
    if json {
        let mut v = serde_json::to_value(&report).unwrap_or(Value::Null);
        if let Value::Object(m) = &mut v {
            m.insert("all_trusted".to_owned(), Value::Bool(report.all_trusted()));
            m.insert("identities_checked".to_owned(), Value::Bool(identities_checked));
            if has_statements {
                m.insert("statements".to_owned(), serde_json::to_value(&stmt_report).unwrap_or(Value::Null));
            }
            m.insert("ok".to_owned(), Value::Bool(ok));
            json_extras(m, doc.as_ref(), qr.as_ref().zip(qr_check.as_ref()), attachment.as_ref());
        }
        outln(&serde_json::to_string_pretty(&v).unwrap_or_default());
    } else {
        if let Some(a) = &attachment {
            outln(&format!("{}: signed document {} attached to the PDF", path.display(), one_line(&a.name)));
        }
        let mut lines = human(&report, doc.as_ref(), identities_checked);
        if let Some((check, line)) = &qr_check {
            lines.push(format!("{} QR: {line}", if check.is_current() { "✔" } else { "✘" }));
        }
        let verdict = lines.pop();
        lines.extend(statement_lines(&stmt_report, has_statements));
        lines.extend(verdict);
        if report.valid && !identities_checked {
            lines.push(
                "! the signers' identities were not checked: give --trust FILE or --gateway-key KEY to check who signed"
                    .to_owned(),
            );
        }
        for line in lines {
            outln(&line);
        }
        if is_note {
            outln(&format!(
                "{} is a consignment note, not a signed document: sign it first with `ecmr issue {} --key KEY -o DOC`",
                path.display(),
                path.display()
            ));
        }
    }
    Ok(if ok { EXIT_OK } else { EXIT_INVALID })
}

/// The bytes to verify: the file's own, or those of the signed document attached to a PDF.
fn document_bytes(path: &Path, bytes: Vec<u8>) -> Result<(Vec<u8>, Option<Attachment>), CliError> {
    if !crate::attached::is_pdf(&bytes) {
        return Ok((bytes, None));
    }
    let a = crate::attached::signed_document(path, &bytes)?;
    Ok((a.bytes.clone(), Some(a)))
}

/// Reads the `--qr` text; a payload that does not read is invalid input naming the part at fault.
fn parse_qr(text: &str) -> Result<QrPayload, CliError> {
    QrPayload::parse(text).map_err(|e| {
        CliError::invalid(format!("--qr is not an ecmr QR payload: {e}"))
            .hint("give the scanned text: https://…/inspect/#uil=…&seq=…&digest=… or ecmr:uil=…;seq=…;digest=…")
    })
}

/// How a scanned QR compares with the document, and a line saying so. A document that does not parse matches no
/// QR.
fn check_qr(qr: &QrPayload, report: &Report, doc: Option<&Document>) -> (QrCheck, String) {
    let id = report.document_id.clone().or_else(|| doc.map(|d| d.id.clone())).unwrap_or_default();
    let digests: Vec<String> = doc.map(|d| d.events.iter().map(|e| e.digest()).collect()).unwrap_or_default();
    let check = qr.check(&id, &digests);
    let line = qr.describe(&check);
    (check, line)
}

/// The top-level members `--json` adds: the document id, the last event's seq and digest (what a QR shows), the
/// outcome of `--qr` and the PDF attachment the document came from.
fn json_extras(
    m: &mut serde_json::Map<String, Value>,
    doc: Option<&Document>,
    qr: Option<(&QrPayload, &(QrCheck, String))>,
    attachment: Option<&Attachment>,
) {
    let last = doc.and_then(|d| d.events.last());
    if !m.get("document_id").is_some_and(Value::is_string) {
        m.insert("document_id".to_owned(), doc.map(|d| Value::String(d.id.clone())).unwrap_or(Value::Null));
    }
    m.insert("last_seq".to_owned(), last.map(|e| Value::from(e.seq)).unwrap_or(Value::Null));
    m.insert("last_event_digest".to_owned(), last.map(|e| Value::String(e.digest())).unwrap_or(Value::Null));
    if let Some((payload, (check, line))) = qr {
        m.insert(
            "qr".to_owned(),
            serde_json::json!({
                "outcome": check.code(),
                "current": check.is_current(),
                "message": line,
                "gate_id": payload.gate_id,
                "platform_id": payload.platform_id,
                "dataset_id": payload.dataset_id,
                "seq": payload.seq,
                "digest": payload.digest,
                "gateway_url": payload.gateway_url,
            }),
        );
    }
    if let Some(a) = attachment {
        m.insert("pdf_attachment".to_owned(), Value::String(a.name.clone()));
    }
}

/// The lines about receipts and attestations.
fn statement_lines(r: &StatementReport, has_statements: bool) -> Vec<String> {
    let mut lines = Vec::new();
    if !has_statements {
        return lines;
    }
    if r.unchecked {
        lines.push("✘ the gateway receipts and attestations cannot be checked without --gateway-key (or gateway_keys in --trust)".to_owned());
        return lines;
    }
    for a in &r.refused_attestations {
        lines.push(format!("✘ attestation refused: {}", crate::error::one_line(a)));
    }
    for l in &r.receipts {
        let seq = l.seq.map_or_else(|| "?".to_owned(), |s| s.to_string());
        match &l.problem {
            None => lines.push(format!(
                "✔ receipt for event {seq}: gate {}, received {}, posted by {}",
                crate::error::one_line(l.gate_id.as_deref().unwrap_or("?")),
                l.received_at.as_deref().unwrap_or("?"),
                crate::error::one_line(l.posted_by.as_deref().unwrap_or("?"))
            )),
            Some(p) => lines.push(format!("✘ receipt for event {seq}: {}", crate::error::one_line(p))),
        }
    }
    for seq in &r.events_without_receipt {
        lines.push(format!("✘ event {seq} has no valid gateway receipt"));
    }
    lines
}

/// The readable report, one line per event and a verdict.
pub(crate) fn human(report: &Report, doc: Option<&Document>, trust_required: bool) -> Vec<String> {
    let mut lines = Vec::new();
    let number = report.note.as_ref().and_then(|n| n.get("number")).and_then(Value::as_str).unwrap_or("?");
    match &report.document_id {
        Some(id) => lines.push(format!(
            "document {id}, note {}, state {}",
            crate::error::one_line(number),
            report.state.map(|s| s.as_str()).unwrap_or("none")
        )),
        None => lines.push("not a readable signed document".to_owned()),
    }
    for ev in &report.events {
        let failures: Vec<String> =
            report.failures.iter().filter(|f| f.seq == Some(ev.seq)).map(|f| f.kind.to_string()).collect();
        let untrusted = trust_required && !ev.trust.is_trusted();
        let mark = if failures.is_empty() && !untrusted { "✔" } else { "✘" };
        let (public_key, handover) = doc
            .map(|d| {
                let key = d.events.get(ev.seq as usize).map(|e| e.signer.public_key.as_str()).unwrap_or_default();
                let before = d.events.iter().take(ev.seq as usize).filter(|e| e.kind == EventKind::HandedOver).count();
                (key, before)
            })
            .unwrap_or_default();
        let who = signer_name(report.note.as_ref(), ev.role, public_key, handover);
        let key = ev.key_id.map(|k| k.to_string()).unwrap_or_else(|| "unreadable key".to_owned());
        let trust = match &ev.trust {
            Trust::NotVouched { reason: Unvouched::NoTrustStore } => None,
            Trust::NotVouched { .. } => Some("not vouched for".to_owned()),
            t => Some(t.to_string()),
        };
        let mut line = format!(
            "{mark} event {} {} by the {} ({who}), key {}…{}{}",
            ev.seq,
            ev.kind,
            ev.role,
            key.get(..16).unwrap_or(&key),
            if ev.pinned { ", pinned" } else { "" },
            trust.map(|t| format!(", {t}")).unwrap_or_default()
        );
        if let Some(e) = doc.and_then(|d| d.events.get(ev.seq as usize)) {
            line = format!("{line}, at {}", crate::error::one_line(&e.at));
        }
        lines.push(line);
        for f in failures {
            lines.push(format!("    ✘ {}", crate::error::one_line(&f)));
        }
        if untrusted && let Trust::NotVouched { reason } = &ev.trust {
            lines.push(format!("    ✘ who signed is not established: {}", crate::error::one_line(&reason.to_string())));
        }
    }
    for f in report.failures.iter().filter(|f| f.seq.is_none_or(|s| s as usize >= report.events.len())) {
        let line = match malformed_event(f) {
            Some(seq) => format!("✘ event {seq}: {}", f.kind),
            None => f.to_string(),
        };
        lines.push(format!("✘ {}", crate::error::one_line(&line)).replacen("✘ ✘", "✘", 1));
    }
    let verdict = if !report.valid {
        format!(
            "✘ does not verify: {} failure{}",
            report.failures.len(),
            if report.failures.len() == 1 { "" } else { "s" }
        )
    } else if trust_required && !report.all_trusted() {
        "✘ signatures verify, but not every signer is trusted".to_owned()
    } else {
        format!("✔ verified: {} event{}", report.events.len(), if report.events.len() == 1 { "" } else { "s" })
    };
    lines.push(verdict);
    lines
}

/// The event a malformed-document failure points into (`/events/N/...`), if any.
fn malformed_event(f: &ecmr::verify::Failure) -> Option<u64> {
    match &f.kind {
        ecmr::verify::FailureKind::Malformed { pointer, .. } => {
            pointer.strip_prefix("/events/")?.split('/').next()?.parse().ok()
        }
        _ => None,
    }
}
