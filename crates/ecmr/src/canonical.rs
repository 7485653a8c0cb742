//! The canonical form of signed JSON: strict parsing, RFC 8785 JCS and SHA-256 digests.
//!
//! Anything that is signed is first parsed by [`parse_strict`], which refuses what JCS cannot represent without
//! ambiguity: floating-point numbers (any number with a fraction or an exponent), integers outside the I-JSON range
//! ±(2⁵³−1), and objects that repeat a key. The error names the place by JSON pointer. A size cap is checked before
//! any parsing.

use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256};

/// Largest signed document accepted (4 MiB); larger input is refused before parsing or canonicalising.
pub const MAX_DOCUMENT_BYTES: usize = 4 * 1024 * 1024;

/// Largest integer magnitude allowed in signed JSON (2⁵³ − 1, the I-JSON limit of RFC 7493).
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// The prefix of every digest string.
pub const DIGEST_PREFIX: &str = "sha256:";

/// What is wrong with a JSON text that is to be signed or verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum StrictJsonErrorKind {
    /// Larger than the size cap.
    TooLarge,
    /// Not UTF-8.
    NotUtf8,
    /// Not JSON, or JSON nested too deeply.
    Syntax,
    /// A number with a fraction or an exponent, or too large to be an integer.
    Float,
    /// An integer outside ±(2⁵³−1).
    IntegerOutOfRange,
    /// An object repeats a key.
    DuplicateKey,
}

/// Why a JSON text is refused by the strict parser.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at {}", crate::json::Location(pointer, *line, *column))]
pub struct StrictJsonError {
    /// What kind of problem.
    pub kind: StrictJsonErrorKind,
    /// JSON pointer (RFC 6901) of the value at fault; empty for the whole text.
    pub pointer: String,
    /// 1-based line (0 when not known).
    pub line: usize,
    /// 1-based column (0 when not known).
    pub column: usize,
    /// What is wrong, for people.
    pub message: String,
}

impl StrictJsonError {
    fn whole(kind: StrictJsonErrorKind, message: String) -> Self {
        StrictJsonError { kind, pointer: String::new(), line: 1, column: 1, message }
    }
}

pub(crate) struct Ctx {
    /// Path segments pushed while an error unwinds, innermost first.
    unwind: RefCell<Vec<String>>,
    /// Our own fault, when the error is one of ours rather than a syntax error.
    fault: RefCell<Option<(StrictJsonErrorKind, String)>>,
    /// Whether a number with a zero fraction (`880.0`) is read as the integer it equals ([`parse_request`]).
    integral_floats: bool,
}

impl Ctx {
    pub(crate) fn new() -> Self {
        Ctx { unwind: RefCell::new(Vec::new()), fault: RefCell::new(None), integral_floats: false }
    }

    fn fail<E: serde::de::Error>(&self, kind: StrictJsonErrorKind, message: String) -> E {
        let err = E::custom(&message);
        *self.fault.borrow_mut() = Some((kind, message));
        err
    }
}

/// Reads one strict JSON value (the rules of [`parse_strict`]) from a deserializer.
#[derive(Clone, Copy)]
pub(crate) struct Seed<'c>(pub(crate) &'c Ctx);

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Value, E> {
        if v > MAX_SAFE_INTEGER {
            return Err(self.0.fail(
                StrictJsonErrorKind::IntegerOutOfRange,
                format!("integer {v} is larger than 2^53-1; write large numbers as decimal strings"),
            ));
        }
        Ok(Value::from(v))
    }
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Value, E> {
        if v.unsigned_abs() > MAX_SAFE_INTEGER {
            return Err(self.0.fail(
                StrictJsonErrorKind::IntegerOutOfRange,
                format!("integer {v} is outside ±(2^53-1); write large numbers as decimal strings"),
            ));
        }
        Ok(Value::from(v))
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Value, E> {
        // Below 2^53 every integer is exact in an f64, so the conversion loses nothing.
        let whole = v.fract() == 0.0 && v.abs() <= MAX_SAFE_INTEGER as f64 && !(v == 0.0 && v.is_sign_negative());
        if self.0.integral_floats && whole {
            return Ok(Value::from(v as i64));
        }
        Err(self.0.fail(
            StrictJsonErrorKind::Float,
            format!(
                "number {v} is not an exact integer (fraction, exponent or -0); signed JSON carries decimals as strings (\"1250.500\")"
            ),
        ))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        loop {
            match seq.next_element_seed(self) {
                Ok(Some(v)) => out.push(v),
                Ok(None) => return Ok(Value::Array(out)),
                Err(e) => {
                    self.0.unwind.borrow_mut().push(out.len().to_string());
                    return Err(e);
                }
            }
        }
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        use serde_json::map::Entry;
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            // One lookup both refuses a repeated key and finds the place to insert.
            match out.entry(key) {
                Entry::Occupied(e) => {
                    let key = e.key().clone();
                    let err = self.0.fail(StrictJsonErrorKind::DuplicateKey, format!("key `{key}` appears twice"));
                    self.0.unwind.borrow_mut().push(key);
                    return Err(err);
                }
                Entry::Vacant(slot) => match map.next_value_seed(self) {
                    Ok(v) => {
                        slot.insert(v);
                    }
                    Err(e) => {
                        self.0.unwind.borrow_mut().push(slot.key().clone());
                        return Err(e);
                    }
                },
            }
        }
        Ok(Value::Object(out))
    }
}

/// Escapes one JSON-pointer segment (RFC 6901).
pub(crate) fn escape_segment(seg: &str) -> String {
    seg.replace('~', "~0").replace('/', "~1")
}

/// Parses JSON bytes for signing or verification: size cap, UTF-8, no floats, integers within ±(2⁵³−1), no
/// repeated keys, at any depth.
///
/// # Errors
/// [`StrictJsonError`] naming the first problem and where it is.
///
/// ```
/// use ecmr::canonical::{parse_strict, StrictJsonErrorKind};
/// let err = parse_strict(br#"{"a": {"b": 1.5}}"#, 1024).unwrap_err();
/// assert_eq!((err.kind, err.pointer.as_str()), (StrictJsonErrorKind::Float, "/a/b"));
/// let err = parse_strict(br#"{"a": 1, "a": 2}"#, 1024).unwrap_err();
/// assert_eq!((err.kind, err.pointer.as_str()), (StrictJsonErrorKind::DuplicateKey, "/a"));
/// ```
pub fn parse_strict(bytes: &[u8], max: usize) -> Result<Value, StrictJsonError> {
    parse_with(bytes, max, Ctx::new())
}

/// Parses a JSON request body that is not itself signed (an API call's options, say) by the rules of
/// [`parse_strict`], except that a number with a zero fraction or a non-negative exponent that makes it whole
/// (`880.0`, `8.8e2`) is read as the integer it equals — JSON Schema's `integer` admits such numbers, and a client
/// generating JSON from a schema may write them. A fraction (`1.5`) is still refused: the values may end up in
/// signed statements.
///
/// # Errors
/// As [`parse_strict`].
///
/// ```
/// use ecmr::canonical::{parse_request, StrictJsonErrorKind};
/// assert_eq!(parse_request(br#"{"expires_in": 880.0}"#, 1024).unwrap()["expires_in"], 880);
/// let err = parse_request(br#"{"a": [1.5]}"#, 1024).unwrap_err();
/// assert_eq!((err.kind, err.pointer.as_str()), (StrictJsonErrorKind::Float, "/a/0"));
/// ```
pub fn parse_request(bytes: &[u8], max: usize) -> Result<Value, StrictJsonError> {
    parse_with(bytes, max, Ctx { integral_floats: true, ..Ctx::new() })
}

/// One strict JSON value by the rules `ctx` sets.
fn parse_with(bytes: &[u8], max: usize, ctx: Ctx) -> Result<Value, StrictJsonError> {
    let text = prelude(bytes, max)?;
    let mut de = serde_json::Deserializer::from_str(text);
    let result = Seed(&ctx).deserialize(&mut de).and_then(|v| de.end().map(|()| v));
    result.map_err(|e| ctx.error(&e))
}

/// Checks JSON bytes by the same rules as [`parse_strict`] without building a value (a fast first pass before a
/// typed parse).
///
/// # Errors
/// As [`parse_strict`].
pub fn check_strict(bytes: &[u8], max: usize) -> Result<(), StrictJsonError> {
    let text = prelude(bytes, max)?;
    let ctx = Ctx::new();
    let mut de = serde_json::Deserializer::from_str(text);
    let result = Check(&ctx).deserialize(&mut de).and_then(|()| de.end());
    result.map_err(|e| ctx.error(&e))
}

pub(crate) fn prelude(bytes: &[u8], max: usize) -> Result<&str, StrictJsonError> {
    if bytes.len() > max {
        return Err(StrictJsonError::whole(
            StrictJsonErrorKind::TooLarge,
            format!("input is {} bytes, more than the {max} bytes allowed", bytes.len()),
        ));
    }
    std::str::from_utf8(bytes)
        .map_err(|e| StrictJsonError::whole(StrictJsonErrorKind::NotUtf8, format!("input is not UTF-8: {e}")))
}

impl Ctx {
    fn error(&self, e: &serde_json::Error) -> StrictJsonError {
        let segments = self.unwind.take();
        let pointer: String = segments.iter().rev().map(|s| format!("/{}", escape_segment(s))).collect();
        let (kind, message) = match self.fault.take() {
            Some((kind, message)) => (kind, message),
            None => (StrictJsonErrorKind::Syntax, strip_position(&e.to_string())),
        };
        StrictJsonError { kind, pointer, line: e.line(), column: e.column(), message }
    }
}

/// The checking-only twin of [`Seed`]: same rules, no value built; member names are borrowed where possible.
#[derive(Clone, Copy)]
struct Check<'c>(&'c Ctx);

impl<'de> DeserializeSeed<'de> for Check<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

/// Reads a member name, borrowed from the text when it has no escapes.
pub(crate) struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Cow<'de, str>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Cow<'de, str>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = Cow<'de, str>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(v.to_owned()))
    }
}

impl<'de> Visitor<'de> for Check<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<(), E> {
        Seed(self.0).visit_u64(v).map(drop)
    }
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<(), E> {
        Seed(self.0).visit_i64(v).map(drop)
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<(), E> {
        Seed(self.0).visit_f64(v).map(drop)
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_none<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0usize;
        loop {
            match seq.next_element_seed(self) {
                Ok(Some(())) => index += 1,
                Ok(None) => return Ok(()),
                Err(e) => {
                    self.0.unwind.borrow_mut().push(index.to_string());
                    return Err(e);
                }
            }
        }
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        // Linear search while the object is small; a hash set beyond, so that huge objects stay linear-time.
        let mut keys: Vec<Cow<'de, str>> = Vec::new();
        let mut set: Option<std::collections::HashSet<Cow<'de, str>>> = None;
        while let Some(key) = map.next_key_seed(Key)? {
            let repeated = match &mut set {
                Some(set) => !set.insert(key.clone()),
                None => keys.contains(&key),
            };
            if repeated {
                let err = self.0.fail(StrictJsonErrorKind::DuplicateKey, format!("key `{key}` appears twice"));
                self.0.unwind.borrow_mut().push(key.into_owned());
                return Err(err);
            }
            if let Err(e) = map.next_value_seed(self) {
                self.0.unwind.borrow_mut().push(key.into_owned());
                return Err(e);
            }
            if set.is_none() {
                keys.push(key);
                if keys.len() > 16 {
                    set = Some(keys.drain(..).collect());
                }
            }
        }
        Ok(())
    }
}

fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg.get(..i).unwrap_or(msg).to_owned(),
        None => msg.to_owned(),
    }
}

/// Checks a JSON value built in memory by the same rules as [`parse_strict`] (a `Value` cannot repeat keys).
///
/// # Errors
/// [`StrictJsonError`] with the pointer of the first float or out-of-range integer.
pub fn check_value(value: &Value) -> Result<(), StrictJsonError> {
    fn walk(v: &Value, path: &mut Vec<String>) -> Result<(), (StrictJsonErrorKind, String)> {
        match v {
            Value::Number(n) => {
                if let Some(u) = n.as_u64() {
                    if u > MAX_SAFE_INTEGER {
                        return Err((
                            StrictJsonErrorKind::IntegerOutOfRange,
                            format!("integer {u} is larger than 2^53-1"),
                        ));
                    }
                } else if let Some(i) = n.as_i64() {
                    if i.unsigned_abs() > MAX_SAFE_INTEGER {
                        return Err((
                            StrictJsonErrorKind::IntegerOutOfRange,
                            format!("integer {i} is outside ±(2^53-1)"),
                        ));
                    }
                } else {
                    return Err((StrictJsonErrorKind::Float, format!("number {n} is not an integer")));
                }
                Ok(())
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    path.push(i.to_string());
                    walk(item, path)?;
                    path.pop();
                }
                Ok(())
            }
            Value::Object(map) => {
                for (k, item) in map {
                    path.push(k.clone());
                    walk(item, path)?;
                    path.pop();
                }
                Ok(())
            }
            Value::Null | Value::Bool(_) | Value::String(_) => Ok(()),
        }
    }
    let mut path = Vec::new();
    walk(value, &mut path).map_err(|(kind, message)| StrictJsonError {
        kind,
        pointer: path.iter().map(|s| format!("/{}", escape_segment(s))).collect(),
        line: 0,
        column: 0,
        message,
    })
}

/// The RFC 8785 (JCS) canonical bytes of a JSON value.
///
/// Signed JSON holds only integers within ±(2⁵³−1), whose JCS form is their plain decimal digits; such values
/// are written directly (members sorted by UTF-16 code units, strings escaped as JCS requires), which is several
/// times faster than the general canonicaliser. Any other value (floats, larger integers) goes through
/// `serde_json_canonicalizer`. Tests check both paths give the same bytes. Should the canonicaliser refuse a value,
/// the result is empty, which matches no digest or signature.
pub fn jcs(value: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    if write_jcs(value, &mut out) { out } else { serde_json_canonicalizer::to_vec(value).unwrap_or_default() }
}

/// Where JCS bytes go: a buffer, or straight into a hash.
pub(crate) trait JcsOut {
    /// Appends bytes.
    fn put(&mut self, bytes: &[u8]);
    /// Appends one byte.
    fn byte(&mut self, b: u8);
}

impl JcsOut for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
    fn byte(&mut self, b: u8) {
        self.push(b);
    }
}

/// Hashes JCS bytes as they are written, through a small buffer, so no copy of the whole form is made.
struct HashOut {
    hasher: Sha256,
    buf: [u8; 512],
    len: usize,
}

impl HashOut {
    fn new() -> Self {
        HashOut { hasher: Sha256::new(), buf: [0; 512], len: 0 }
    }

    fn flush(&mut self) {
        self.hasher.update(self.buf.get(..self.len).unwrap_or_default());
        self.len = 0;
    }

    fn finish(mut self) -> String {
        self.flush();
        tagged_hex(&self.hasher.finalize())
    }
}

impl JcsOut for HashOut {
    fn put(&mut self, bytes: &[u8]) {
        if self.len + bytes.len() > self.buf.len() {
            self.flush();
            if bytes.len() > self.buf.len() {
                self.hasher.update(bytes);
                return;
            }
        }
        if let Some(dst) = self.buf.get_mut(self.len..self.len + bytes.len()) {
            dst.copy_from_slice(bytes);
            self.len += bytes.len();
        }
    }
    fn byte(&mut self, b: u8) {
        if self.len == self.buf.len() {
            self.flush();
        }
        if let Some(slot) = self.buf.get_mut(self.len) {
            *slot = b;
            self.len += 1;
        }
    }
}

/// Appends the JCS form of an integer-only value to `out`; `false` (with `out` in an unspecified state) when the
/// value holds a number that is not a safe integer.
pub(crate) fn write_jcs<O: JcsOut>(value: &Value, out: &mut O) -> bool {
    match value {
        Value::Null => out.put(b"null"),
        Value::Bool(true) => out.put(b"true"),
        Value::Bool(false) => out.put(b"false"),
        Value::Number(n) => {
            if let Some(u) = n.as_u64().filter(|u| *u <= MAX_SAFE_INTEGER) {
                write_u64(u, out);
            } else if let Some(i) = n.as_i64().filter(|i| i.unsigned_abs() <= MAX_SAFE_INTEGER) {
                out.byte(b'-');
                write_u64(i.unsigned_abs(), out);
            } else {
                return false;
            }
        }
        Value::String(s) => write_jcs_str(s, out),
        Value::Array(items) => {
            out.byte(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.byte(b',');
                }
                if !write_jcs(item, out) {
                    return false;
                }
            }
            out.byte(b']');
        }
        Value::Object(map) => {
            // UTF-8 byte order equals UTF-16 order unless a key holds characters from U+E000 up (lead byte 0xEE
            // or above); members are sorted only then, or when the map does not iterate in byte order.
            let mut previous: Option<&str> = None;
            let in_order = map.keys().all(|k| {
                let ok = !k.bytes().any(|b| b >= 0xee) && previous.is_none_or(|p| p.as_bytes() < k.as_bytes());
                previous = Some(k);
                ok
            });
            out.byte(b'{');
            if in_order {
                for (i, (k, v)) in map.iter().enumerate() {
                    if !write_member(i, k, v, out) {
                        return false;
                    }
                }
            } else {
                let mut members: Vec<(&String, &Value)> = map.iter().collect();
                members.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
                for (i, (k, v)) in members.into_iter().enumerate() {
                    if !write_member(i, k, v, out) {
                        return false;
                    }
                }
            }
            out.byte(b'}');
        }
    }
    true
}

/// Writes the `i`-th member of an object (`,` before all but the first).
fn write_member<O: JcsOut>(i: usize, key: &str, value: &Value, out: &mut O) -> bool {
    if i > 0 {
        out.byte(b',');
    }
    write_jcs_str(key, out);
    out.byte(b':');
    write_jcs(value, out)
}

/// Appends the decimal digits of `n` (its JCS form when it is a safe integer).
pub(crate) fn write_u64<O: JcsOut>(mut n: u64, out: &mut O) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        if let Some(d) = digits.get_mut(start) {
            *d = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || start == 0 {
            break;
        }
    }
    out.put(digits.get(start..).unwrap_or_default());
}

/// Appends a JSON string in JCS form: `"`, `\\` and control characters escaped (short forms for \b \t \n \f
/// \r, else `\u00xx` in lowercase hex), everything else as UTF-8.
pub(crate) fn write_jcs_str<O: JcsOut>(s: &str, out: &mut O) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.byte(b'"');
    let bytes = s.as_bytes();
    // Most strings need no escape: copy them whole.
    if !bytes.iter().any(|&b| b < 0x20 || b == b'"' || b == b'\\') {
        out.put(bytes);
        out.byte(b'"');
        return;
    }
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0x00..=0x1f => b"",
            _ => continue,
        };
        out.put(bytes.get(start..i).unwrap_or_default());
        if esc.is_empty() {
            out.put(b"\\u00");
            out.byte(HEX[usize::from(b >> 4)]);
            out.byte(HEX[usize::from(b & 0xf)]);
        } else {
            out.put(esc);
        }
        start = i + 1;
    }
    out.put(bytes.get(start..).unwrap_or_default());
    out.byte(b'"');
}

/// `"sha256:"` followed by the lowercase hex SHA-256 of `bytes`.
pub fn sha256_tagged(bytes: &[u8]) -> String {
    tagged_hex(&Sha256::digest(bytes))
}

/// `"sha256:"` followed by the lowercase hex of a SHA-256 output.
pub(crate) fn tagged_hex(digest: &[u8]) -> String {
    let mut out = String::with_capacity(DIGEST_PREFIX.len() + 64);
    out.push_str(DIGEST_PREFIX);
    out.push_str(&hex(digest));
    out
}

/// The tagged SHA-256 digest of the JCS form of a value: `"sha256:" + hex(SHA-256(JCS(value)))`.
pub fn digest_value(value: &Value) -> String {
    // Hashed while written; a value with a float or a large integer takes the general canonicaliser.
    let mut out = HashOut::new();
    if write_jcs(value, &mut out) { out.finish() } else { sha256_tagged(&jcs(value)) }
}

/// Lowercase hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    s
}

/// Applies an RFC 7396 JSON merge patch to `target` in place.
///
/// A `null` member removes the key, an object merges recursively, anything else replaces.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(members) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(map) = target {
        for (key, value) in members {
            if value.is_null() {
                map.remove(key);
            } else {
                merge_patch(map.entry(key.clone()).or_insert(Value::Null), value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_pointer_and_position() {
        let err = parse_strict(br#"{"a": {"b": 1.5}}"#, 1024).unwrap_err();
        assert_eq!(err.pointer, "/a/b");
        assert!(err.to_string().ends_with("at /a/b (line 1 column 15)"), "{err}");
        let err = parse_strict(b"{", 1024).unwrap_err();
        assert!(err.to_string().contains("at line 1 column 1"), "{err}");
    }
}
