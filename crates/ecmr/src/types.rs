//! Small value types shared by the note model: exact decimals, codes and timestamps.
//!
//! None of them carries floating point. Code types (`CountryCode`, `CurrencyCode`, `UnLocode`) accept any string
//! when parsed so that [`crate::validate`] can report every malformed code at once; their `is_well_formed`
//! methods say whether the shape is right.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, FixedOffset, SecondsFormat};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An exact decimal number such as a weight (`"1250.500"`), a volume or an amount of money.
///
/// Written as a JSON string in plain notation: an optional `-`, digits without leading zeros, and an optional
/// fraction. The scale is kept, so `"1250.500"` reads back as `"1250.500"`. At most 28 significant digits.
///
/// ```
/// use ecmr::Decimal;
/// let d: Decimal = "1250.500".parse().unwrap();
/// assert_eq!(d.to_string(), "1250.500");
/// assert!("1e3".parse::<Decimal>().is_err());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Decimal(rust_decimal::Decimal);

/// Why a string is not an exact decimal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecimalError {
    /// The text is not in plain decimal notation.
    #[error(
        "`{0}` is not a plain decimal number (expected digits with an optional `-` and `.fraction`, e.g. \"1250.500\")"
    )]
    Syntax(String),
    /// The number has more digits than can be held exactly.
    #[error("`{0}` has more than 28 significant digits")]
    TooLong(String),
}

impl Decimal {
    /// Zero, with no fraction digits.
    pub const ZERO: Decimal = Decimal(rust_decimal::Decimal::ZERO);

    /// The underlying exact value, for arithmetic.
    pub fn value(&self) -> rust_decimal::Decimal {
        self.0
    }

    /// Whether the number is greater than zero.
    pub fn is_positive(&self) -> bool {
        self.0 > rust_decimal::Decimal::ZERO
    }

    /// Whether the number is below zero.
    pub fn is_negative(&self) -> bool {
        self.0 < rust_decimal::Decimal::ZERO
    }

    /// Number of digits after the decimal point.
    pub fn scale(&self) -> u32 {
        self.0.scale()
    }
}

impl From<rust_decimal::Decimal> for Decimal {
    fn from(value: rust_decimal::Decimal) -> Self {
        Decimal(value)
    }
}

impl From<u32> for Decimal {
    fn from(value: u32) -> Self {
        Decimal(rust_decimal::Decimal::from(value))
    }
}

impl FromStr for Decimal {
    type Err = DecimalError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let syntax = || DecimalError::Syntax(s.to_owned());
        let unsigned = s.strip_prefix('-').unwrap_or(s);
        let (int, frac) = match unsigned.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (unsigned, None),
        };
        let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
        if !digits(int) || (int.len() > 1 && int.starts_with('0')) {
            return Err(syntax());
        }
        if let Some(f) = frac
            && !digits(f)
        {
            return Err(syntax());
        }
        // "-0" and "-0.00" would read back without the sign; refuse them so every accepted text round-trips.
        if s.starts_with('-') && unsigned.bytes().all(|b| b == b'0' || b == b'.') {
            return Err(syntax());
        }
        let significant = int.trim_start_matches('0').len() + frac.map_or(0, str::len);
        if significant > 28 || int.len() + frac.map_or(0, str::len) > 29 {
            return Err(DecimalError::TooLong(s.to_owned()));
        }
        rust_decimal::Decimal::from_str_exact(s).map(Decimal).map_err(|_| DecimalError::TooLong(s.to_owned()))
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Decimal({})", self.0)
    }
}

impl Serialize for Decimal {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Decimal {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Decimal;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a decimal number written as a string, e.g. \"1250.500\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Decimal, E> {
                v.parse().map_err(E::custom)
            }
        }
        d.deserialize_str(V)
    }
}

impl JsonSchema for Decimal {
    fn schema_name() -> Cow<'static, str> {
        "Decimal".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Exact decimal number in plain notation, written as a string (no floating point).",
            "type": "string",
            "pattern": "^-?(0|[1-9][0-9]*)(\\.[0-9]+)?$",
            "examples": ["1250.500"]
        })
    }
}

macro_rules! code_type {
    ($(#[$doc:meta])* $name:ident, $schema_desc:literal, $pattern:literal, $check:expr) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            /// Makes the code from any text; see `is_well_formed` for whether it has the right shape.
            pub fn new(code: impl Into<String>) -> Self {
                $name(code.into())
            }

            /// The code as written.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Whether the code has the shape the standard prescribes.
            pub fn is_well_formed(&self) -> bool {
                let check: fn(&str) -> bool = $check;
                check(&self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                $name(s.to_owned())
            }
        }

        impl JsonSchema for $name {
            fn schema_name() -> Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                json_schema!({ "description": $schema_desc, "type": "string", "pattern": $pattern })
            }
        }
    };
}

fn upper_letters(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_uppercase())
}

code_type!(
    /// ISO 3166-1 alpha-2 country code, e.g. `NL`.
    CountryCode,
    "ISO 3166-1 alpha-2 country code",
    "^[A-Z]{2}$",
    |s| upper_letters(s, 2)
);

code_type!(
    /// ISO 4217 alphabetic currency code, e.g. `EUR`.
    CurrencyCode,
    "ISO 4217 alphabetic currency code",
    "^[A-Z]{3}$",
    |s| upper_letters(s, 3)
);

code_type!(
    /// UN/LOCODE: two-letter country code followed by three letters or digits 2–9, e.g. `NLRTM`.
    UnLocode,
    "UN/LOCODE (country code + 3 characters, A-Z or 2-9)",
    "^[A-Z]{2}[A-Z2-9]{3}$",
    |s| s.len() == 5
        && s.get(..2).is_some_and(|c| upper_letters(c, 2))
        && s.bytes().skip(2).all(|b| b.is_ascii_uppercase() || (b'2'..=b'9').contains(&b))
);

/// A point in time, written in RFC 3339 (`2026-11-28T08:30:00+01:00`), with the offset the writer used.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timestamp(pub DateTime<FixedOffset>);

impl Timestamp {
    /// Parses an RFC 3339 date-time.
    ///
    /// # Errors
    /// When the text is not an RFC 3339 date-time with an offset.
    pub fn parse(s: &str) -> Result<Self, chrono::ParseError> {
        DateTime::parse_from_rfc3339(s).map(Timestamp)
    }

    /// The underlying chrono value.
    pub fn value(&self) -> DateTime<FixedOffset> {
        self.0
    }
}

impl FromStr for Timestamp {
    type Err = chrono::ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Timestamp::parse(s)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_rfc3339_opts(SecondsFormat::AutoSi, true))
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({self})")
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Timestamp;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an RFC 3339 date-time such as \"2026-11-28T08:30:00+01:00\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Timestamp, E> {
                Timestamp::parse(v)
                    .map_err(|e| E::custom(format_args!("`{v}` is not an RFC 3339 date-time with offset: {e}")))
            }
        }
        d.deserialize_str(V)
    }
}

impl JsonSchema for Timestamp {
    fn schema_name() -> Cow<'static, str> {
        "Timestamp".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "description": "RFC 3339 date-time with offset", "type": "string", "format": "date-time" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_accepts_plain_notation_and_keeps_scale() {
        for s in ["0", "1", "1250.500", "-3.25", "0.001", "9999999999999999999999999999"] {
            assert_eq!(s.parse::<Decimal>().unwrap().to_string(), s);
        }
    }

    #[test]
    fn decimal_refuses_other_notations() {
        for s in ["", "-", ".5", "5.", "01", "+1", "1e3", "1,5", " 1", "NaN", "-0", "-0.00", "0x10", "1.2.3"] {
            assert!(s.parse::<Decimal>().is_err(), "{s:?} accepted");
        }
        assert!(matches!("12345678901234567890123456789".parse::<Decimal>(), Err(DecimalError::TooLong(_))));
    }

    #[test]
    fn decimal_json_is_a_string_only() {
        let d: Decimal = serde_json::from_str("\"12.50\"").unwrap();
        assert_eq!(serde_json::to_string(&d).unwrap(), "\"12.50\"");
        assert!(serde_json::from_str::<Decimal>("12.5").is_err());
    }

    #[test]
    fn codes_check_shape() {
        assert!(CountryCode::from("NL").is_well_formed());
        assert!(!CountryCode::from("nl").is_well_formed());
        assert!(!CountryCode::from("NLD").is_well_formed());
        assert!(CurrencyCode::from("EUR").is_well_formed());
        assert!(!CurrencyCode::from("EU").is_well_formed());
        assert!(UnLocode::from("NLRTM").is_well_formed());
        assert!(UnLocode::from("BEAN2").is_well_formed());
        assert!(!UnLocode::from("BEAN1").is_well_formed());
        assert!(!UnLocode::from("NL RTM").is_well_formed());
    }

    #[test]
    fn timestamp_round_trips_rfc3339() {
        for s in ["2026-11-28T08:30:00+01:00", "2026-11-28T07:30:00Z", "2026-11-28T07:30:00.250Z"] {
            let t: Timestamp = s.parse().unwrap();
            assert_eq!(t.to_string(), s);
        }
        assert!("2026-11-28 08:30".parse::<Timestamp>().is_err());
        assert!(serde_json::from_str::<Timestamp>("\"28/11/2026\"").is_err());
    }
}
