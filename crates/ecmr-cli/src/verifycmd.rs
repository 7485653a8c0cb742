//! `ecmr verify`: a readable report with ✔/✘ per event, or the structured report as JSON.

use std::path::Path;

use ecmr::document::{Document, EventKind, Role};
use ecmr::keys::TrustStore;
use ecmr::verify::{Report, Trust};
use serde_json::Value;

use crate::error::{CliError, CliResult, EXIT_INVALID, EXIT_OK};
use crate::io::{outln, read};

/// Loads a trust file.
pub(crate) fn load_trust(path: &Path) -> Result<TrustStore, CliError> {
    let bytes = read(path)?;
    let text =
        std::str::from_utf8(&bytes).map_err(|_| CliError::invalid(format!("{} is not UTF-8", path.display())))?;
    TrustStore::from_json(text).map_err(|e| {
        CliError::invalid(format!("{} is not a trust file: {e}", path.display())).hint(
            "write {\"keys\": [{\"public_key\": \"<base64url>\", \"name\": \"...\", \"roles\": [\"carrier\"]}]}; \
             `ecmr key show KEY --trust-entry NAME` prints an entry",
        )
    })
}

/// Verifies a document and prints the report.
pub(crate) fn verify(path: &Path, trust: Option<&Path>, json: bool) -> CliResult {
    let store = trust.map(load_trust).transpose()?;
    let bytes = read(path)?;
    let report = ecmr::verify::check(&bytes, store.as_ref());
    let doc = ecmr::document::Document::from_slice(&bytes).ok();
    let trusted = store.is_none() || report.all_trusted();
    let ok = report.valid && trusted;
    if json {
        let mut v = serde_json::to_value(&report).unwrap_or(Value::Null);
        if let Value::Object(m) = &mut v {
            m.insert("all_trusted".to_owned(), Value::Bool(report.all_trusted()));
            m.insert("trust_required".to_owned(), Value::Bool(store.is_some()));
            m.insert("ok".to_owned(), Value::Bool(ok));
        }
        outln(&serde_json::to_string_pretty(&v).unwrap_or_default());
    } else {
        for line in human(&report, doc.as_ref(), store.is_some()) {
            outln(&line);
        }
    }
    Ok(if ok { EXIT_OK } else { EXIT_INVALID })
}

/// The name of the party that signed an event, as the note gives it: the sender, carrier or consignee for their
/// roles; for a successive carrier, the one whose pinned keys hold `public_key`, else the `handover`-th (the
/// count of hand-overs before this one), else the last.
pub(crate) fn signer_name(note: Option<&Value>, role: Role, public_key: &str, handover: usize) -> String {
    let party = note.and_then(|n| match role {
        Role::Sender => n.get("sender"),
        Role::Carrier => n.get("carrier"),
        Role::Consignee => n.get("consignee"),
        Role::SuccessiveCarrier => {
            let carriers = n.get("successive_carriers").and_then(Value::as_array)?;
            let pinned = carriers.iter().find(|c| {
                c.get("public_keys")
                    .and_then(Value::as_array)
                    .is_some_and(|keys| keys.iter().any(|k| k.as_str() == Some(public_key)))
            });
            pinned.or_else(|| carriers.get(handover)).or_else(|| carriers.last())
        }
    });
    party.and_then(|p| p.get("name")).and_then(Value::as_str).map(crate::error::one_line).unwrap_or_default()
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
        let untrusted = trust_required && ev.trust == Trust::NotVouched;
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
        let mut line = format!(
            "{mark} event {} {} by the {} ({who}), key {}…, {}",
            ev.seq,
            ev.kind,
            ev.role,
            key.get(..16).unwrap_or(&key),
            ev.trust
        );
        if let Some(e) = doc.and_then(|d| d.events.get(ev.seq as usize)) {
            line = format!("{line}, at {}", crate::error::one_line(&e.at));
        }
        lines.push(line);
        for f in failures {
            lines.push(format!("    ✘ {}", crate::error::one_line(&f)));
        }
        if untrusted {
            lines.push("    ✘ signer is neither pinned by the note nor in the trust file".to_owned());
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn successive_carriers_are_named_by_pinned_key_then_by_order() {
        let note = serde_json::json!({
            "sender": {"name": "S"},
            "successive_carriers": [
                {"name": "First"},
                {"name": "Second", "public_keys": ["KEY2"]},
                {"name": "Third"}
            ]
        });
        let n = Some(&note);
        assert_eq!(signer_name(n, Role::Sender, "x", 0), "S");
        assert_eq!(signer_name(n, Role::SuccessiveCarrier, "KEY2", 0), "Second");
        assert_eq!(signer_name(n, Role::SuccessiveCarrier, "other", 0), "First");
        assert_eq!(signer_name(n, Role::SuccessiveCarrier, "other", 2), "Third");
        assert_eq!(signer_name(n, Role::SuccessiveCarrier, "other", 9), "Third");
        assert_eq!(signer_name(n, Role::Consignee, "x", 0), "");
        assert_eq!(signer_name(None, Role::Carrier, "x", 0), "");
    }
}
