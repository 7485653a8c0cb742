//! The shape of a note given as a JSON value: what keeps it from being read as a [`ConsignmentNote`].
//!
//! Typed parsing stops at the first fault. To name every fault at once, the value is read again and again; after
//! each fault the offending place is repaired with a stand-in taken from the note's JSON Schema (the smallest
//! value of the right type: `""`, `[]`, `null` for optional members, the first code of a code list, an object
//! with its required members) or, for a member the note does not have, removed, until the value reads. The
//! content checks then run on what was read, and findings about stand-ins are dropped (see [`Repaired`]). The
//! faults are listed in the order they are met: members present in the order of the value, a missing member once
//! the object holding it has been read.

use std::sync::OnceLock;

use serde_json::{Map, Value};

use super::{Finding, Severity};
use crate::canonical::escape_segment;
use crate::model::ConsignmentNote;

/// Code of a finding for a required member that is absent.
pub(super) const MISSING: &str = "structure.missing";
/// Code of a finding for a member the note (or the object holding it) does not have.
pub(super) const UNKNOWN: &str = "structure.unknown_member";
/// Code of a finding for a value of the wrong type or form: a number where a decimal string belongs, a date that
/// is not RFC 3339, a code outside its list.
pub(super) const INVALID: &str = "structure.invalid";

/// More faults than this in one note are not worth listing one by one: the rest of the value is left unread.
const MAX_REPAIRS: usize = 1000;

/// The places of a value that were replaced or removed before it could be read: nothing at, above or below such
/// a place is the sender's own data.
#[derive(Debug, Default)]
pub(super) struct Repaired(Vec<String>);

impl Repaired {
    /// Whether `pointer` lies at or below a repaired place, so a finding there is about a stand-in.
    pub(super) fn covers(&self, pointer: &str) -> bool {
        self.0.iter().any(|r| under(pointer, r))
    }

    /// Whether everything at and below `pointer` was read as written (no repair above, at or below it).
    pub(super) fn intact(&self, pointer: &str) -> bool {
        !self.0.iter().any(|r| under(pointer, r) || under(r, pointer))
    }
}

/// Whether `pointer` is `base` or lies below it.
fn under(pointer: &str, base: &str) -> bool {
    pointer.strip_prefix(base).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// Reads `value` as a note, repairing every fault found on the way: the note read (`None` only when the value
/// has more faults than are listed), one finding per fault, and the places repaired.
pub(super) fn read(value: &Value) -> (Option<ConsignmentNote>, Vec<Finding>, Repaired) {
    let mut work = value.clone();
    let mut findings = Vec::new();
    let mut repaired = Repaired::default();
    let mut seen: Vec<String> = Vec::new();
    for _ in 0..MAX_REPAIRS {
        let err = match serde_path_to_error::deserialize::<_, ConsignmentNote>(&work) {
            Ok(note) => return (Some(note), findings, repaired),
            Err(e) => e,
        };
        let at = crate::json::path_pointer(err.path());
        let message = err.inner().to_string();
        let (target, code, message) = if let Some(member) = quoted_after(&message, "missing field ") {
            (format!("{at}/{}", escape_segment(member)), MISSING, format!("the required member `{member}` is missing"))
        } else if let Some(member) = quoted_after(&message, "unknown field ") {
            let target = if at.ends_with(&format!("/{}", escape_segment(member))) {
                at
            } else {
                format!("{at}/{}", escape_segment(member))
            };
            (target, UNKNOWN, format!("`{member}` is not a member of this object"))
        } else {
            (at, INVALID, message)
        };
        // A stand-in that does not read either would be repaired forever.
        if seen.contains(&target) || !repair(&mut work, &target, code == UNKNOWN) {
            return (None, findings, repaired);
        }
        // Faults inside a stand-in are the stand-in's, not the sender's.
        if !repaired.covers(&target) {
            findings.push(Finding { severity: Severity::Error, path: target.clone(), code: code.to_owned(), message });
        }
        // A removed unknown member leaves the rest as written; a stand-in is not the sender's data.
        if code != UNKNOWN {
            repaired.0.push(target.clone());
        }
        seen.push(target);
    }
    (None, findings, repaired)
}

/// The finding for the first fault the text parser met, at the place [`read`] would name: a missing or
/// repeated member by its own pointer.
pub(super) fn from_text_error(e: crate::json::JsonError) -> Finding {
    let member = |prefix| quoted_after(&e.message, prefix).map(|m| format!("{}/{}", e.pointer, escape_segment(m)));
    let path = member("missing field ").or_else(|| member("duplicate field ")).unwrap_or_else(|| e.pointer.clone());
    Finding { severity: Severity::Error, path, code: INVALID.to_owned(), message: e.message }
}

/// Replaces the value at `pointer` by a stand-in (or, with `remove`, removes the member). False when the
/// pointer leads nowhere.
fn repair(root: &mut Value, pointer: &str, remove: bool) -> bool {
    let stand_in = if remove { None } else { Some(stand_in(pointer)) };
    let Some((parent, last)) = pointer.rsplit_once('/') else {
        // The whole note.
        return match stand_in {
            Some(v) => {
                *root = v;
                true
            }
            None => false,
        };
    };
    let last = unescape(last);
    match (root.pointer_mut(parent), stand_in) {
        (Some(Value::Object(m)), None) => m.remove(&last).is_some(),
        (Some(Value::Object(m)), Some(v)) => {
            m.insert(last, v);
            true
        }
        (Some(Value::Array(a)), Some(v)) => match last.parse::<usize>().ok().and_then(|i| a.get_mut(i)) {
            Some(slot) => {
                *slot = v;
                true
            }
            None => false,
        },
        _ => false,
    }
}

/// The smallest value the note's schema allows at `pointer` (array indices name the items' schema): `null` for
/// an optional member.
fn stand_in(pointer: &str) -> Value {
    let root = schema();
    let mut at = root;
    for segment in pointer.split('/').skip(1) {
        let container = non_null(root, at);
        let segment = unescape(segment);
        let next = match container.get("properties").and_then(|p| p.get(&segment)) {
            Some(s) => Some(s),
            None if segment.parse::<usize>().is_ok() => container.get("items"),
            None => None,
        };
        let Some(next) = next else { return Value::Null };
        at = next;
    }
    smallest(root, at)
}

/// The note's JSON Schema, made once.
fn schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(crate::schema::note_schema)
}

/// Follows a `$ref` into `$defs`.
fn resolve<'a>(root: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix("#/$defs/")) {
        Some(name) => root.get("$defs").and_then(|d| d.get(name)).unwrap_or(schema),
        None => schema,
    }
}

/// The schema of an optional member's value: the branch of `anyOf` that is not `null`.
fn non_null<'a>(root: &'a Value, schema: &'a Value) -> &'a Value {
    let schema = resolve(root, schema);
    match schema.get("anyOf").and_then(Value::as_array) {
        Some(branches) => {
            let branch = branches.iter().find(|b| b.get("type").and_then(Value::as_str) != Some("null"));
            resolve(root, branch.unwrap_or(schema))
        }
        None => schema,
    }
}

/// The smallest value of a schema: `null` where allowed, the first constant of a code list, the first example,
/// an object of its required members.
fn smallest(root: &Value, schema: &Value) -> Value {
    let schema = resolve(root, schema);
    let allows_null = |s: &Value| match s.get("type") {
        Some(Value::String(t)) => t == "null",
        Some(Value::Array(ts)) => ts.iter().any(|t| t == "null"),
        _ => false,
    };
    if let Some(branches) = schema.get("anyOf").and_then(Value::as_array) {
        if branches.iter().any(allows_null) {
            return Value::Null;
        }
        return branches.first().map_or(Value::Null, |b| smallest(root, b));
    }
    if let Some(first) = schema.get("oneOf").and_then(Value::as_array).and_then(|b| b.first()) {
        return smallest(root, first);
    }
    if let Some(c) = schema.get("const") {
        return c.clone();
    }
    if let Some(e) = schema.get("enum").and_then(Value::as_array).and_then(|e| e.first()) {
        return e.clone();
    }
    if allows_null(schema) {
        return Value::Null;
    }
    let kind = match schema.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(Value::Array(ts)) => ts.first().and_then(Value::as_str).unwrap_or_default(),
        _ => "",
    };
    match kind {
        "object" => {
            let mut m = Map::new();
            let required = schema.get("required").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
            for name in required.iter().filter_map(Value::as_str) {
                let member = schema.get("properties").and_then(|p| p.get(name)).unwrap_or(&Value::Null);
                m.insert(name.to_owned(), smallest(root, member));
            }
            Value::Object(m)
        }
        "array" => Value::Array(Vec::new()),
        "boolean" => Value::Bool(false),
        "integer" | "number" => schema.get("minimum").cloned().unwrap_or(Value::from(0)),
        "string" => match (schema.get("examples").and_then(|e| e.get(0)), schema.get("format")) {
            (Some(example), _) => example.clone(),
            (None, Some(f)) if f == "date-time" => Value::from("1970-01-01T00:00:00Z"),
            _ => Value::from(""),
        },
        _ => Value::Null,
    }
}

/// The text between the backticks that follow `prefix` in a serde message: "missing field `x`" gives `x`.
fn quoted_after<'m>(message: &'m str, prefix: &str) -> Option<&'m str> {
    let rest = message.strip_prefix(prefix)?.strip_prefix('`')?;
    rest.split_once('`').map(|(name, _)| name)
}

/// A JSON pointer segment as the member name it stands for (RFC 6901: `~1` is `/`, `~0` is `~`).
fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stand_ins_read_as_their_type() {
        assert_eq!(stand_in("/number"), Value::from(""));
        assert_eq!(stand_in("/goods/3/gross_weight_kg"), Value::Null);
        assert_eq!(stand_in("/goods/3/dangerous_goods/packing_group"), Value::Null);
        assert_eq!(stand_in("/charges/0/kind"), Value::from("carriage"));
        assert_eq!(stand_in("/charges/0/amount/amount"), Value::from("1250.500"));
        assert_eq!(stand_in("/taking_over/date"), Value::from("1970-01-01T00:00:00Z"));
        assert_eq!(stand_in("/goods"), Value::Array(Vec::new()));
        let party = stand_in("/consignee");
        assert!(serde_json::from_value::<crate::model::Party>(party).is_ok());
        assert!(serde_json::from_value::<ConsignmentNote>(stand_in("")).is_ok(), "the smallest note reads");
    }

    #[test]
    fn repaired_places_cover_what_is_below_them() {
        let r = Repaired(vec!["/goods/0/quantity".to_owned()]);
        assert!(r.covers("/goods/0/quantity") && r.covers("/goods/0/quantity/unit"));
        assert!(!r.covers("/goods/0") && !r.covers("/goods/0/quantity_x"));
        assert!(!r.intact("/goods/0") && !r.intact("/goods/0/quantity/unit"));
        assert!(r.intact("/goods/1") && r.intact("/goods/0/gross_weight_kg"));
    }
}
