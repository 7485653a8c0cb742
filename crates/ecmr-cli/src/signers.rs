//! Who signed an event, named as the note names the party.

use ecmr::document::Role;
use serde_json::Value;

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
