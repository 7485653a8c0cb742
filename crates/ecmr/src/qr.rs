//! The payload of the QR code printed on a consignment note: which document (its eFTI UIL), which event was the
//! last when the paper was printed, and that event's digest, so that an inspector at the roadside can find the
//! electronic original and tell whether the paper in the cab still shows it.
//!
//! Two forms, both read by [`QrPayload::parse`]:
//!
//! - a **link** to a gateway's inspector page, when the note was rendered for a gateway:
//!   `<gateway URL>/inspect/#uil=<gateId>/<platformId>/<datasetId>&seq=<seq>&digest=sha256:<hex>`;
//! - a **text** form otherwise: `ecmr:uil=<gateId>/<platformId>/<datasetId>;seq=<seq>;digest=sha256:<hex>`.
//!
//! The three ids are percent-encoded: every byte of their UTF-8 form other than `A–Z a–z 0–9 - . _ ~ : @` is
//! written `%XX` (upper-case hex), so that `/`, `&`, `;`, `#`, `+`, `%` and spaces in an id cannot be mistaken for
//! separators. The dataset id of a signed document is its document id. `seq` is a decimal integer without leading
//! zeros; the digest is `sha256:` and 64 lower-case hex digits (the digest of the event, see
//! `docs/signed-document.md`).
//!
//! ```
//! use ecmr::qr::QrPayload;
//!
//! let digest = format!("sha256:{}", "ab".repeat(32));
//! let p = QrPayload::new("ecmr-gate", "ecmr-platform", "1570df58-b580-4b6c-9611-c56b1247bea6", 3, &digest)?;
//! assert_eq!(
//!     p.to_string(),
//!     format!("ecmr:uil=ecmr-gate/ecmr-platform/1570df58-b580-4b6c-9611-c56b1247bea6;seq=3;digest={digest}")
//! );
//! let link = p.clone().with_gateway_url("https://gate.example.eu/")?;
//! assert!(link.to_string().starts_with("https://gate.example.eu/inspect/#uil=ecmr-gate/ecmr-platform/"));
//! assert_eq!(QrPayload::parse(&link.to_string())?, link);
//! assert_eq!(QrPayload::parse(&p.to_string())?, p);
//! assert!(QrPayload::parse("ecmr:uil=a/b/c;seq=01;digest=sha256:00").is_err());
//! # Ok::<(), ecmr::qr::QrError>(())
//! ```

use std::fmt;

/// The gate id a rendering uses when none is given: the gateway's own default (`gate_id` in its configuration).
pub const DEFAULT_GATE_ID: &str = "ecmr-gate";
/// The platform id a rendering uses when none is given: the gateway's own default (`platform_id`).
pub const DEFAULT_PLATFORM_ID: &str = "ecmr-platform";
/// Longest gate, platform or dataset id, in characters (as the eFTI reference implementation's UIL checks).
pub const ID_MAX_CHARS: usize = 255;
/// Longest gateway URL accepted, in bytes: a QR code stays small enough to scan from paper.
pub const URL_MAX_BYTES: usize = 512;
/// The start of the text form.
pub const TEXT_PREFIX: &str = "ecmr:";
/// The path of the inspector page below a gateway URL.
pub const INSPECT_PATH: &str = "/inspect/";

/// What a scanned or generated QR payload says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrPayload {
    /// The gate the document is registered with.
    pub gate_id: String,
    /// The platform that holds the document.
    pub platform_id: String,
    /// The dataset id: for a signed document, its document id.
    pub dataset_id: String,
    /// `seq` of the last event when the note was rendered.
    pub seq: u64,
    /// `sha256:<hex>` digest of that event.
    pub digest: String,
    /// The gateway URL of the link form (without the trailing `/`), or `None` for the text form.
    pub gateway_url: Option<String>,
}

/// Why a payload or one of its parts was refused: what is wrong and in which part.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{part}: {message}")]
pub struct QrError {
    /// The part concerned: `gateId`, `platformId`, `datasetId`, `uil`, `seq`, `digest`, `url` or `payload`.
    pub part: &'static str,
    /// What is wrong.
    pub message: String,
}

fn err(part: &'static str, message: impl Into<String>) -> QrError {
    QrError { part, message: message.into() }
}

/// Checks a gate, platform or dataset id: 1 to [`ID_MAX_CHARS`] characters of the eFTI reference
/// implementation's id pattern (`A–Z a–z 0–9 _`, spaces and `- @ . / # & +`), not only spaces.
fn check_id(part: &'static str, id: &str) -> Result<(), QrError> {
    if id.trim().is_empty() {
        return Err(err(part, "is empty"));
    }
    if id.chars().count() > ID_MAX_CHARS {
        return Err(err(part, format!("is longer than {ID_MAX_CHARS} characters")));
    }
    if let Some(c) =
        id.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == ' ' || "-@./#&+".contains(*c)))
    {
        return Err(err(part, format!("has the character {c:?}; ids have A-Z a-z 0-9 _ space - @ . / # & + only")));
    }
    Ok(())
}

fn check_digest(digest: &str) -> Result<(), QrError> {
    let hex = digest
        .strip_prefix("sha256:")
        .ok_or_else(|| err("digest", format!("{digest:?} does not start with \"sha256:\"")))?;
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return Err(err("digest", "is not \"sha256:\" and 64 lower-case hex digits"));
    }
    Ok(())
}

fn parse_seq(s: &str) -> Result<u64, QrError> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0')) {
        return Err(err("seq", format!("{s:?} is not a decimal number without leading zeros")));
    }
    s.parse().map_err(|_| err("seq", format!("{s:?} is too large")))
}

/// Checks a gateway URL and returns it without trailing `/`.
fn check_url(url: &str) -> Result<String, QrError> {
    let trimmed = url.trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"))
        .ok_or_else(|| err("url", format!("{url:?} does not start with https:// or http://")))?;
    if url.len() > URL_MAX_BYTES {
        return Err(err("url", format!("is longer than {URL_MAX_BYTES} bytes")));
    }
    if rest.is_empty() || rest.starts_with('/') {
        return Err(err("url", format!("{url:?} has no host")));
    }
    if let Some(c) = rest.chars().find(|c| !c.is_ascii_graphic() || matches!(c, '?' | '#' | '"' | '<' | '>' | '\\')) {
        return Err(err("url", format!("{url:?} has the character {c:?} (no query, fragment, spaces or non-ASCII)")));
    }
    Ok(trimmed.to_owned())
}

/// Percent-encodes every byte other than `A–Z a–z 0–9 - . _ ~ : @`.
fn encode(s: &str, out: &mut String) {
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~:@".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

/// Decodes `%XX` escapes (either case); every other character stands for itself.
fn decode(part: &'static str, s: &str) -> Result<String, QrError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
            let v = hex
                .filter(|h| h.bytes().all(|c| c.is_ascii_hexdigit()))
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| err(part, format!("bad percent escape at byte {i}")))?;
            out.push(v);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| err(part, "percent escapes do not decode to UTF-8"))
}

impl QrPayload {
    /// The text-form payload of a document, its parts checked: ids as the eFTI UIL allows them, the digest as
    /// `sha256:` and 64 lower-case hex digits.
    ///
    /// # Errors
    /// [`QrError`] naming the part that is not allowed.
    pub fn new(gate_id: &str, platform_id: &str, dataset_id: &str, seq: u64, digest: &str) -> Result<Self, QrError> {
        check_id("gateId", gate_id)?;
        check_id("platformId", platform_id)?;
        check_id("datasetId", dataset_id)?;
        check_digest(digest)?;
        Ok(QrPayload {
            gate_id: gate_id.to_owned(),
            platform_id: platform_id.to_owned(),
            dataset_id: dataset_id.to_owned(),
            seq,
            digest: digest.to_owned(),
            gateway_url: None,
        })
    }

    /// The link form: the payload opens `url` + [`INSPECT_PATH`] on this document. `url` is `http://` or
    /// `https://`, a host and optionally a path, without query or fragment; trailing `/` are dropped.
    ///
    /// # Errors
    /// [`QrError`] (part `url`) for any other URL.
    pub fn with_gateway_url(mut self, url: &str) -> Result<Self, QrError> {
        self.gateway_url = Some(check_url(url)?);
        Ok(self)
    }

    /// The UIL as one path, `gateId/platformId/datasetId`, each part percent-encoded.
    pub fn uil_path(&self) -> String {
        let mut s = String::new();
        encode(&self.gate_id, &mut s);
        s.push('/');
        encode(&self.platform_id, &mut s);
        s.push('/');
        encode(&self.dataset_id, &mut s);
        s
    }

    /// Reads either form: a link `http(s)://…/inspect/#uil=…&seq=…&digest=…` (the three parameters in any order,
    /// each once) or the text `ecmr:uil=…;seq=…;digest=…` (in this order). Surrounding white space is ignored.
    ///
    /// # Errors
    /// [`QrError`] naming the part at fault: an unknown form, a missing, repeated or unknown parameter, a UIL
    /// that is not three ids, an id, `seq` or digest that is not allowed, a bad URL or percent escape.
    pub fn parse(text: &str) -> Result<QrPayload, QrError> {
        let text = text.trim();
        if let Some(rest) = text.strip_prefix(TEXT_PREFIX) {
            let mut fields = rest.split(';');
            let mut take = |name: &'static str| -> Result<&str, QrError> {
                let field = fields.next().ok_or_else(|| err(name, "is missing"))?;
                field
                    .strip_prefix(name)
                    .and_then(|f| f.strip_prefix('='))
                    .ok_or_else(|| err(name, format!("expected `{name}=` where {field:?} stands")))
            };
            let (uil, seq, digest) = (take("uil")?, take("seq")?, take("digest")?);
            if let Some(extra) = fields.next() {
                return Err(err("payload", format!("unexpected {extra:?} after the digest")));
            }
            return Self::from_parts(uil, seq, digest, None);
        }
        if text.starts_with("https://") || text.starts_with("http://") {
            let (base, fragment) =
                text.split_once('#').ok_or_else(|| err("url", "the link has no `#uil=…` fragment"))?;
            let url = base
                .strip_suffix(INSPECT_PATH)
                .ok_or_else(|| err("url", format!("the link does not end in {INSPECT_PATH} before `#`")))?;
            let url = check_url(url)?;
            let (mut uil, mut seq, mut digest) = (None, None, None);
            for param in fragment.split('&') {
                let (k, v) = param.split_once('=').unwrap_or((param, ""));
                let slot = match k {
                    "uil" => &mut uil,
                    "seq" => &mut seq,
                    "digest" => &mut digest,
                    _ => return Err(err("payload", format!("unknown parameter {k:?} in the link"))),
                };
                if slot.replace(v).is_some() {
                    return Err(err("payload", format!("parameter {k:?} appears twice in the link")));
                }
            }
            let uil = uil.ok_or_else(|| err("uil", "is missing"))?;
            let seq = seq.ok_or_else(|| err("seq", "is missing"))?;
            let digest = digest.ok_or_else(|| err("digest", "is missing"))?;
            return Self::from_parts(uil, seq, digest, Some(url));
        }
        Err(err("payload", format!("neither a link (https://…/inspect/#uil=…) nor {TEXT_PREFIX}uil=…")))
    }

    fn from_parts(uil: &str, seq: &str, digest: &str, url: Option<String>) -> Result<QrPayload, QrError> {
        let mut parts = uil.split('/');
        let (Some(g), Some(p), Some(d), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return Err(err("uil", format!("{uil:?} is not gateId/platformId/datasetId")));
        };
        let mut payload = QrPayload::new(
            &decode("gateId", g)?,
            &decode("platformId", p)?,
            &decode("datasetId", d)?,
            parse_seq(seq)?,
            &decode("digest", digest)?,
        )?;
        payload.gateway_url = url;
        Ok(payload)
    }
}

/// How a scanned payload compares with a signed document.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum QrCheck {
    /// The payload shows the document as it stands: its dataset id is the document id and its seq and digest are
    /// those of the last event.
    Current,
    /// The payload shows an earlier event of this document (right digest, but later events exist): the document
    /// has moved on since the note was printed.
    MovedOn {
        /// `seq` of the document's last event.
        last_seq: u64,
    },
    /// The payload is of another document.
    OtherDocument {
        /// The document's id.
        document_id: String,
    },
    /// The document has no event with the payload's seq.
    NoSuchEvent {
        /// How many events the document has.
        events: u64,
    },
    /// The document's event at that seq has another digest: the paper does not show this document.
    DigestMismatch {
        /// The digest of the document's event at that seq.
        event_digest: String,
    },
}

impl QrCheck {
    /// A stable name for reports: `current`, `moved_on`, `other_document`, `no_such_event`, `digest_mismatch`.
    pub fn code(&self) -> &'static str {
        match self {
            QrCheck::Current => "current",
            QrCheck::MovedOn { .. } => "moved_on",
            QrCheck::OtherDocument { .. } => "other_document",
            QrCheck::NoSuchEvent { .. } => "no_such_event",
            QrCheck::DigestMismatch { .. } => "digest_mismatch",
        }
    }

    /// Whether the payload shows the document as it stands.
    pub fn is_current(&self) -> bool {
        *self == QrCheck::Current
    }
}

impl QrPayload {
    /// Compares the payload with a document: its id and the digests of its events in order (event `i` at
    /// position `i`, as `seq` is in a valid document). Gate and platform ids are not part of a document and are
    /// not compared.
    ///
    /// ```
    /// use ecmr::qr::{QrCheck, QrPayload};
    /// let (d0, d1) = (format!("sha256:{}", "0".repeat(64)), format!("sha256:{}", "1".repeat(64)));
    /// let id = "1570df58-b580-4b6c-9611-c56b1247bea6";
    /// let p = QrPayload::new("g", "p", id, 0, &d0)?;
    /// assert_eq!(p.check(id, &[d0.clone()]), QrCheck::Current);
    /// assert_eq!(p.check(id, &[d0.clone(), d1.clone()]), QrCheck::MovedOn { last_seq: 1 });
    /// assert_eq!(p.check(id, &[d1.clone()]).code(), "digest_mismatch");
    /// # Ok::<(), ecmr::qr::QrError>(())
    /// ```
    pub fn check(&self, document_id: &str, event_digests: &[String]) -> QrCheck {
        if self.dataset_id != document_id {
            return QrCheck::OtherDocument { document_id: document_id.to_owned() };
        }
        let found = usize::try_from(self.seq).ok().and_then(|i| event_digests.get(i));
        let Some(digest) = found else {
            return QrCheck::NoSuchEvent { events: event_digests.len() as u64 };
        };
        if *digest != self.digest {
            return QrCheck::DigestMismatch { event_digest: digest.clone() };
        }
        let last_seq = event_digests.len().saturating_sub(1) as u64;
        if self.seq == last_seq { QrCheck::Current } else { QrCheck::MovedOn { last_seq } }
    }

    /// One line saying how the payload compares with a document (see [`QrPayload::check`]).
    pub fn describe(&self, check: &QrCheck) -> String {
        match check {
            QrCheck::Current => format!("the QR shows the document as it stands (event {}, the last)", self.seq),
            QrCheck::MovedOn { last_seq } => format!(
                "the document has moved on since this QR: the QR shows event {}, the document's last event is {last_seq}",
                self.seq
            ),
            QrCheck::OtherDocument { document_id } => {
                format!("the QR is of another document: dataset id {} is not {document_id}", self.dataset_id)
            }
            QrCheck::NoSuchEvent { events } => format!(
                "the document has no event {}: it has {events} event{}",
                self.seq,
                if *events == 1 { "" } else { "s" }
            ),
            QrCheck::DigestMismatch { event_digest } => format!(
                "the QR's digest is not that of event {}: the QR says {}, the document {event_digest}",
                self.seq, self.digest
            ),
        }
    }
}

/// The payload as the QR code carries it: the link when a gateway URL is set, else the text form.
impl fmt::Display for QrPayload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut digest = String::new();
        encode(&self.digest, &mut digest);
        match &self.gateway_url {
            Some(url) => {
                write!(f, "{url}{INSPECT_PATH}#uil={}&seq={}&digest={digest}", self.uil_path(), self.seq)
            }
            None => write!(f, "{TEXT_PREFIX}uil={};seq={};digest={digest}", self.uil_path(), self.seq),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest() -> String {
        format!("sha256:{}", "0123456789abcdef".repeat(4))
    }

    #[test]
    fn ids_with_separators_are_escaped() {
        let p = QrPayload::new("gate #1", "a/b&c+d", "x.y&z", 7, &digest()).unwrap();
        assert_eq!(p.uil_path(), "gate%20%231/a%2Fb%26c%2Bd/x.y%26z");
        assert_eq!(QrPayload::parse(&p.to_string()).unwrap(), p);
        let l = p.with_gateway_url("http://127.0.0.1:8080/ecmr/").unwrap();
        assert!(l.to_string().starts_with("http://127.0.0.1:8080/ecmr/inspect/#uil=gate%20%231/"), "{l}");
        assert_eq!(QrPayload::parse(&l.to_string()).unwrap(), l);
    }

    #[test]
    fn link_parameters_in_any_order() {
        let d = digest();
        let p = QrPayload::parse(&format!("https://g.example/inspect/#digest={d}&seq=12&uil=g/p/d")).unwrap();
        assert_eq!((p.seq, p.gateway_url.as_deref(), p.dataset_id.as_str()), (12, Some("https://g.example"), "d"));
    }
}
