//! `ecmr verify`: a readable report with ✔/✘ per event, or the structured report as JSON.

use std::path::Path;

use ecmr::document::{Document, EventKind, Role};
use ecmr::keys::{KeyId, PublicKey, TrustStore, TrustedKey};
use ecmr::verify::{Report, Trust};
use serde::Deserialize;
use serde_json::Value;

use crate::error::{CliError, CliResult, EXIT_INVALID, EXIT_OK};
use crate::io::{outln, read};

/// The keys a trust file vouches for: by public key (checked by the library) or by key id alone.
#[derive(Debug, Default)]
pub(crate) struct TrustFile {
    store: TrustStore,
    by_id: Vec<(KeyId, String, Vec<Role>)>,
}

/// One entry of a trust file: a public key or a key id (or both, which must agree), the party's name and the
/// roles the key is trusted for (none: any role).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    #[serde(default)]
    public_key: Option<PublicKey>,
    #[serde(default)]
    key_id: Option<KeyId>,
    name: String,
    #[serde(default)]
    roles: Vec<Role>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryList {
    keys: Vec<Entry>,
}

impl TrustFile {
    /// Parses the JSON form `{"keys": [{"public_key" | "key_id": "...", "name": "...", "roles": [...]}]}`.
    pub(crate) fn from_json(text: &str) -> Result<TrustFile, String> {
        let list: EntryList =
            ecmr::json::from_str_limited(text, ecmr::canonical::MAX_DOCUMENT_BYTES).map_err(|e| e.to_string())?;
        let mut out = TrustFile::default();
        for (i, e) in list.keys.into_iter().enumerate() {
            if e.name.trim().is_empty() {
                return Err(format!("entry {i} has no name at /keys/{i}/name"));
            }
            match (e.public_key, e.key_id) {
                (Some(pk), id) => {
                    if id.is_some_and(|id| id != pk.key_id()) {
                        return Err(format!("entry {i}: key_id is not the id of public_key at /keys/{i}/key_id"));
                    }
                    out.store.insert(TrustedKey { public_key: pk, name: e.name, roles: e.roles });
                }
                (None, Some(id)) => out.by_id.push((id, e.name, e.roles)),
                (None, None) => return Err(format!("entry {i} has neither public_key nor key_id at /keys/{i}")),
            }
        }
        Ok(out)
    }

    /// Marks the events whose key the file names by key id alone as vouched for.
    fn vouch_by_id(&self, report: &mut Report) {
        for ev in report.events.iter_mut().filter(|e| e.trust == Trust::NotVouched) {
            let found = ev.key_id.and_then(|k| {
                self.by_id.iter().find(|(id, _, roles)| *id == k && (roles.is_empty() || roles.contains(&ev.role)))
            });
            if let Some((_, name, _)) = found {
                ev.trust = Trust::TrustStore { party: name.clone() };
            }
        }
    }
}

/// Loads a trust file.
pub(crate) fn load_trust(path: &Path) -> Result<TrustFile, CliError> {
    let bytes = read(path)?;
    let text =
        std::str::from_utf8(&bytes).map_err(|_| CliError::invalid(format!("{} is not UTF-8", path.display())))?;
    TrustFile::from_json(text).map_err(|e| {
        CliError::invalid(format!("{} is not a trust file: {e}", path.display())).hint(
            "write {\"keys\": [{\"public_key\": \"<base64url>\" or \"key_id\": \"<hex>\", \"name\": \"...\", \
             \"roles\": [\"carrier\"]}]}; `ecmr key show KEY --trust-entry NAME` prints an entry",
        )
    })
}

/// Verifies a document and prints the report.
pub(crate) fn verify(path: &Path, trust: Option<&Path>, json: bool) -> CliResult {
    let store = trust.map(load_trust).transpose()?;
    let bytes = read(path)?;
    let mut report = ecmr::verify::check(&bytes, store.as_ref().map(|t| &t.store));
    if let Some(t) = &store {
        t.vouch_by_id(&mut report);
    }
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
    fn trust_files_by_public_key_or_key_id() {
        let pk = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
        let id = pk.parse::<PublicKey>().unwrap().key_id().to_string();
        let t = TrustFile::from_json(&format!(
            r#"{{"keys": [{{"public_key": "{pk}", "key_id": "{id}", "name": "A", "roles": ["sender"]}},
                          {{"key_id": "{id}", "name": "B"}}]}}"#
        ))
        .unwrap();
        assert_eq!(t.store.len(), 1);
        assert_eq!(t.by_id.len(), 1);
        let other = "0".repeat(64);
        for bad in [
            format!(r#"{{"keys": [{{"public_key": "{pk}", "key_id": "{other}", "name": "A"}}]}}"#),
            r#"{"keys": [{"name": "A"}]}"#.to_owned(),
            format!(r#"{{"keys": [{{"key_id": "{id}", "name": " "}}]}}"#),
            format!(r#"{{"keys": [{{"key_id": "{id}", "name": "A", "colour": "red"}}]}}"#),
            format!(r#"{{"keys": [{{"key_id": "{}", "name": "A"}}]}}"#, id.to_uppercase()),
            r#"{"keys": [{"public_key": "AAAA", "name": "A"}]}"#.to_owned(),
        ] {
            assert!(TrustFile::from_json(&bad).is_err(), "{bad}");
        }
    }

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
