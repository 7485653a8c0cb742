//! The problem document (RFC 9457) the gateway answers errors with on its JSON routes.

use serde::{Deserialize, Serialize};

/// Media type of problem documents.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// The problem document with the gateway's extension members.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Problem {
    /// Stable URI naming the kind of problem, `urn:ecmr:problem:<slug>`.
    #[serde(rename = "type")]
    pub type_: String,
    /// Short summary of the kind.
    pub title: String,
    /// HTTP status.
    pub status: u16,
    /// What went wrong in this case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The request id (also in the `x-request-id` header), to find the log lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Verification failures, each with the event's `seq` and a named `failure`.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub failures: Vec<serde_json::Value>,
    /// Validation findings of the note (`severity`, `path`, `code`, `message`).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub findings: Vec<serde_json::Value>,
    /// Where in the body the problem is (JSON pointer), for malformed JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    /// The first seq at which a submitted chain differs from the stored one (`document-id-taken`,
    /// `chain-diverged`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    /// Digest of the stored event at `seq`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stored_digest: Option<String>,
    /// Digest of the submitted event at `seq`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submitted_digest: Option<String>,
}

impl Problem {
    /// The slug of the `type` URI (`not-found` of `urn:ecmr:problem:not-found`); the whole `type` when it is not
    /// one of the gateway's.
    pub fn slug(&self) -> &str {
        self.type_.strip_prefix("urn:ecmr:problem:").unwrap_or(&self.type_)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_slug_is_the_end_of_the_gateways_type_uri() {
        let p: Problem = serde_json::from_str(
            r#"{"type":"urn:ecmr:problem:chain-diverged","title":"Conflict","status":409,"seq":2}"#,
        )
        .unwrap();
        assert_eq!((p.slug(), p.seq, p.failures.len()), ("chain-diverged", Some(2), 0));
        let other = Problem { type_: "about:blank".into(), ..p };
        assert_eq!(other.slug(), "about:blank");
        // Members that are empty are left out.
        let v = serde_json::to_value(&other).unwrap();
        assert!(v.get("failures").is_none() && v.get("detail").is_none());
    }
}
