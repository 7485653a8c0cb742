//! Content checks of a note, as a careful clerk would make them.
//!
//! [`validate`] walks the whole note and returns every finding at once, in document order (the order of the fields
//! in [`ConsignmentNote`]). Each finding carries a JSON pointer to the value concerned, a stable dotted code and a
//! message naming the offending value. Errors mean the note is not a valid CMR consignment note; warnings mark
//! things that are allowed but look wrong.
//!
//! A note that does not even read as a [`ConsignmentNote`] (a required member missing, a number where a decimal
//! string belongs, a member the note does not have) is checked with [`validate_value`] or [`validate_json`]: they
//! list every such fault (codes `structure.*`) first, then the content findings on everything that could be read.
//! Nothing is said about a value that had to be left unread, nor is it compared with other values.
//!
//! ```
//! let mut note: serde_json::Value =
//!     serde_json::from_str(include_str!("../../../examples/domestic-pallets.json")).unwrap();
//! note.as_object_mut().unwrap().remove("consignee");
//! note["goods"][0]["gross_weight_kg"] = "-480".into();
//! note["sender"]["address"]["country"] = "XX".into();
//! let report = ecmr::validate::validate_value(&note);
//! let found: Vec<(&str, &str)> = report.errors().map(|f| (f.code.as_str(), f.path.as_str())).collect();
//! assert_eq!(found, [
//!     ("structure.missing", "/consignee"),
//!     ("country.unknown", "/sender/address/country"),
//!     ("number.not_positive", "/goods/0/gross_weight_kg"),
//! ]);
//! ```
//!
//! ## Codes
//!
//! | code | severity | meaning |
//! |---|---|---|
//! | `structure.missing` | error | a required member is absent, so the note cannot be read ([`validate_value`]) |
//! | `structure.invalid` | error | a value of the wrong type or form: a number where a decimal string belongs, a date that is not RFC 3339, a code outside its list, a repeated member |
//! | `structure.unknown_member` | error | a member the note (or the object holding it) does not have |
//! | `required.empty` | error | a required particular (number, places, party names and cities, nature of goods, paramount statement, proper shipping name, vehicle registration, …) is empty or only whitespace |
//! | `text.blank` | warning | an optional text is present but empty or only whitespace |
//! | `text.xml_char` | error | a text holds a character XML 1.0 does not allow (NUL and the other C0 controls but tab, line feed and carriage return; U+FFFE, U+FFFF), so the note could not be written as XML; reported after the other findings, in field order |
//! | `goods.none` | error | the note has no goods line (Art. 6.1 (f)) |
//! | `goods.weight_or_quantity.missing` | error | a goods line has neither a gross weight nor a quantity (Art. 6.1 (h)) |
//! | `paramount.not_cmr` | warning | the paramount statement (Art. 6.1 (k)) does not mention "CMR" |
//! | `charge.description.missing` | error | a charge of kind `other` has no description |
//! | `country.format` | error | a country code is not two upper-case letters |
//! | `country.unknown` | error | a well-formed country code is not assigned in ISO 3166-1 (`XK`, Kosovo, is accepted as well) |
//! | `currency.format` | error | a currency code is not three upper-case letters |
//! | `currency.unknown` | error | a well-formed currency code is not an active ISO 4217 code |
//! | `unlocode.format` | error | a UN/LOCODE is not two letters followed by three letters or digits 2–9 |
//! | `unlocode.country_unknown` | error | the first two letters of a UN/LOCODE are not an ISO 3166-1 country |
//! | `unlocode.country_mismatch` | warning | the UN/LOCODE's country differs from the country of the address |
//! | `coordinates.range` | error | latitude outside −90…90 or longitude outside −180…180 |
//! | `email.format` | warning | an e-mail address does not look like `local@domain.tld` |
//! | `public_key.format` | error | a pinned public key is not 43 characters of unpadded base64url encoding 32 bytes |
//! | `public_key.duplicate` | warning | the same key is pinned twice for one party |
//! | `parties.sender_is_consignee` | warning | sender and consignee have the same name and address |
//! | `dates.established_after_taking_over` | warning | the note was made out after the planned taking over |
//! | `dates.taking_over_after_time_limit` | error | taking over is after the agreed time limit (Art. 6.2 (f)) |
//! | `dates.delivery_before_taking_over` | error | the expected delivery is before taking over |
//! | `dates.delivery_after_time_limit` | warning | the expected delivery is after the agreed time limit |
//! | `number.not_positive` | error | a gross weight, volume or quantity is not above zero, or a number of packages is 0 |
//! | `number.precision` | warning | a weight, volume or quantity has more than 3 fraction digits |
//! | `unit.format` | warning | a quantity unit is not a UN/ECE Rec. 20 code shape (2–3 upper-case letters or digits) |
//! | `package_code.format` | warning | a packing code is not a UN/ECE Rec. 21 code shape (2 upper-case letters or digits) |
//! | `hs_code.format` | warning | a statistical number is not 4–10 digits (spaces and dots ignored) |
//! | `un_number.format` | error | a UN number is not exactly four digits |
//! | `un_number.range` | error | a UN number is outside 0004–3550 |
//! | `adr.class.unknown` | error | not an ADR class or label model number (see below) |
//! | `adr.subsidiary_risk.unknown` | error | a subsidiary risk is not an ADR class or label model number |
//! | `adr.subsidiary_risk.same_as_class` | error | a subsidiary risk repeats the primary class |
//! | `adr.packing_group.missing` | error | class 3, 6.1 or 8 without a packing group |
//! | `adr.packing_group.expected` | warning | class 4.1, 4.2, 4.3, 5.1 or 9 without a packing group (most entries have one) |
//! | `adr.packing_group.not_applicable` | error | class 1, 2 or 7 with a packing group (these classes have none) |
//! | `adr.packing_group.unexpected` | warning | class 5.2 with a packing group (organic peroxides have none) |
//! | `adr.tunnel_code.unknown` | error | a tunnel restriction code outside ADR 8.6.4 (`B`, `B1000C`, `B/D`, `B/E`, `C`, `C5000D`, `C/D`, `C/E`, `D`, `D/E`, `E`, `-`) |
//! | `adr.proper_shipping_name.case` | warning | the proper shipping name is not written in upper case |
//! | `money.not_positive` | error | cash on delivery, declared value, special interest or a charge (other than `deductions`) is not above zero |
//! | `money.precision` | warning | an amount has more fraction digits than its currency's ISO 4217 minor unit |
//! | `transport_mode.format` | error | the transport mode is not a UN/ECE Rec. 19 code (one digit 0–9) |
//! | `transport_mode.not_road` | warning | the transport mode is not `3` (road) |
//! | `equipment_category.unknown` | warning | an equipment category is not a UN/EDIFACT 8053 code (the eFTI code list) |
//!
//! ## Decisions
//!
//! - **ADR classes.** Accepted as a class: `1.1`–`1.6` with a compatibility group letter allowed for that division
//!   (ADR 2.2.1.1.5, e.g. `1.1D`, `1.4S`), `2`, `3`, `4.1`, `4.2`, `4.3`, `5.1`, `5.2`, `6.1`, `6.2`, `7`, `8`, `9`.
//!   The gas label model numbers `2.1`, `2.2` and `2.3` are accepted as well, because ADR 5.4.1.1.1 (c) writes the
//!   label model number for class 2 on the transport document (`UN 1017 CHLORINE, 2.3 (5.1, 8), (C/D)`); other
//!   `2.x` are refused. A subsidiary risk may also be the plain `1` (explosive subsidiary label); it repeats the
//!   class when it names the same class (`1` on `1.1D`), but `2.1` beside `2.3` is a different label and allowed.
//! - **Packing groups** follow the class, not ADR Table A (which this crate does not carry): 3, 6.1 and 8 always
//!   need one; 4.1–4.3, 5.1 and 9 usually do (self-reactive substances and some articles do not); 6.2 may have one
//!   (UN 3291) or not.
//! - **Countries**: the ISO 3166-1 officially assigned codes (`data/iso3166-1.txt`) plus `XK` for Kosovo.
//!   **Currencies**: ISO 4217 active codes with their minor units (`data/iso4217.txt`); an amount may not have more
//!   fraction digits than the minor unit (`68500.5 JPY` warns), codes without a minor unit (gold, XDR, …) are not
//!   checked for precision. Weights, volumes and quantities warn beyond 3 fraction digits (gram, litre).
//! - **Charges**: deductions may be written with either sign, so their amount is not checked for sign; every other
//!   charge must be above zero.
//! - **Statistical numbers** may group digits with spaces or dots (`0403.90.51 00`).
//! - **Same party**: sender and consignee match when name, street, city (ignoring case and surrounding space) and
//!   country are equal; a shipment between two sites of one company is not flagged.
//! - A **duplicate public key** is only a warning: it changes nothing in verification. The same key pinned for two
//!   roles is allowed (own-account transport).

mod structure;

use std::collections::{HashMap, HashSet};
use std::fmt::Display;
use std::sync::OnceLock;

use rust_decimal::Decimal as Dec;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use structure::Repaired;

use crate::model::{Address, ChargeKind, ConsignmentNote, Contact, DangerousGoods, GoodsItem, Location, Money, Party};
use crate::types::{CountryCode, Decimal, UnLocode};

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Suspicious but allowed.
    Warning,
    /// The note is not a valid CMR consignment note.
    Error,
}

/// One problem found in a note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Error or warning.
    pub severity: Severity,
    /// JSON pointer (RFC 6901) of the value concerned, e.g. `/goods/0/gross_weight_kg`.
    pub path: String,
    /// Stable machine-readable code, e.g. `country.format`.
    pub code: String,
    /// What is wrong, for people.
    pub message: String,
}

/// Every finding for one note.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// All findings, errors and warnings, in document order.
    pub findings: Vec<Finding>,
}

impl Report {
    /// Whether the note is valid (it may still carry warnings).
    pub fn is_valid(&self) -> bool {
        !self.findings.iter().any(|f| f.severity == Severity::Error)
    }

    /// The errors only.
    pub fn errors(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.severity == Severity::Error)
    }

    /// The warnings only.
    pub fn warnings(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.severity == Severity::Warning)
    }
}

/// Checks a note and returns every finding at once.
pub fn validate(note: &ConsignmentNote) -> Report {
    check(note, &Repaired::default())
}

fn check(note: &ConsignmentNote, repaired: &Repaired) -> Report {
    let mut c = Checker { note, repaired, out: Vec::new() };
    c.note();
    for t in crate::xml::non_xml_texts(note) {
        let name = crate::xml::char_name(t.character);
        c.error(
            t.path.as_str(),
            "text.xml_char",
            format!("the text holds the character {name}, which XML 1.0 does not allow, so the note cannot be written as XML"),
        );
    }
    Report { findings: c.out }
}

/// Checks a note given as a JSON value, which need not read as a [`ConsignmentNote`]: every fault of its shape
/// (a required member missing, a value of the wrong type or form, an unknown member; codes `structure.*`) with
/// its JSON pointer, then the content findings of [`validate`] on every part that could be read.
///
/// For a value that reads as a note the report is exactly that of [`validate`].
pub fn validate_value(value: &Value) -> Report {
    let (note, mut findings, repaired) = structure::read(value);
    if let Some(note) = note {
        findings.extend(check(&note, &repaired).findings);
    }
    Report { findings }
}

/// Checks a note given as JSON text, as [`validate_value`] does; a member written twice, which a JSON value
/// cannot hold, is reported too.
///
/// # Errors
/// [`crate::json::JsonError`] when the text is not JSON at all (or is too large), so nothing can be checked.
pub fn validate_json(text: &str) -> Result<Report, crate::json::JsonError> {
    let strict = match crate::json::from_str(text) {
        Ok(note) => return Ok(validate(&note)),
        Err(e) => e,
    };
    if text.len() > crate::json::MAX_NOTE_JSON_BYTES {
        return Err(strict);
    }
    let Ok(value) = serde_json::from_str::<Value>(text) else { return Err(strict) };
    let mut report = validate_value(&value);
    let finding = structure::from_text_error(strict);
    if !report.findings.iter().any(|f| f.code.starts_with("structure.") && f.path == finding.path) {
        report.findings.insert(0, finding);
    }
    Ok(report)
}

const ISO3166: &str = include_str!("../data/iso3166-1.txt");
const ISO4217: &str = include_str!("../data/iso4217.txt");
const UNECE_8053: &str = include_str!("../data/unece-8053.txt");

/// Codes accepted as countries besides ISO 3166-1: `XK` (Kosovo, user-assigned, used by the EU and on vehicles).
const EXTRA_COUNTRIES: &[&str] = &["XK"];

fn data_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#'))
}

fn countries() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| data_lines(ISO3166).chain(EXTRA_COUNTRIES.iter().copied()).collect())
}

/// Active ISO 4217 codes with their minor unit (`None` where the code has none).
fn currencies() -> &'static HashMap<&'static str, Option<u32>> {
    static MAP: OnceLock<HashMap<&'static str, Option<u32>>> = OnceLock::new();
    MAP.get_or_init(|| {
        data_lines(ISO4217)
            .filter_map(|l| {
                let mut parts = l.split_whitespace();
                let code = parts.next()?;
                let minor = parts.next().and_then(|m| m.parse().ok());
                Some((code, minor))
            })
            .collect()
    })
}

/// Whether `code` is an ISO 3166-1 alpha-2 country code this crate knows (see the module docs for `XK`).
pub fn is_known_country(code: &str) -> bool {
    countries().contains(code)
}

fn equipment_categories() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| data_lines(UNECE_8053).collect())
}

/// Whether `code` is a UN/EDIFACT 8053 equipment category code, e.g. `TE` (trailer) or `CN` (container).
pub fn is_known_equipment_category(code: &str) -> bool {
    equipment_categories().contains(code)
}

/// Whether `code` is an active ISO 4217 alphabetic currency code.
pub fn is_known_currency(code: &str) -> bool {
    currencies().contains_key(code)
}

const TUNNEL_CODES: &[&str] = &["B", "B1000C", "B/D", "B/E", "C", "C5000D", "C/D", "C/E", "D", "D/E", "E", "-"];

/// Whether `class` is an ADR class, division or gas label model number as accepted by [`validate`].
pub fn is_adr_class(class: &str) -> bool {
    if let Some(rest) = class.strip_prefix("1.") {
        let mut chars = rest.chars();
        let (Some(div), Some(group), None) = (chars.next(), chars.next(), chars.next()) else {
            return false;
        };
        let groups = match div {
            '1' => "ABCDEFGJL",
            '2' => "BCDEFGHJKL",
            '3' => "CGHJKL",
            '4' => "BCDEFGNS",
            '5' => "D",
            '6' => "N",
            _ => return false,
        };
        return groups.contains(group);
    }
    matches!(
        class,
        "2" | "2.1" | "2.2" | "2.3" | "3" | "4.1" | "4.2" | "4.3" | "5.1" | "5.2" | "6.1" | "6.2" | "7" | "8" | "9"
    )
}

/// The class family used to compare a subsidiary risk with the primary class (`1.1D` and `1` are both `1`).
fn class_family(class: &str) -> &str {
    if class.starts_with("1.") { "1" } else { class }
}

/// Whether `key` is 43 characters of unpadded base64url whose decoding is exactly 32 bytes (canonical: the unused
/// low bits of the last character are zero).
pub fn is_public_key_well_formed(key: &str) -> bool {
    fn sextet(b: u8) -> Option<u8> {
        match b {
            b'A'..=b'Z' => Some(b - b'A'),
            b'a'..=b'z' => Some(b - b'a' + 26),
            b'0'..=b'9' => Some(b - b'0' + 52),
            b'-' => Some(62),
            b'_' => Some(63),
            _ => None,
        }
    }
    let bytes = key.as_bytes();
    if bytes.len() != 43 {
        return false;
    }
    let mut last = 0;
    for &b in bytes {
        match sextet(b) {
            Some(v) => last = v,
            None => return false,
        }
    }
    // 43 × 6 = 258 bits; the last 2 bits are padding and must be zero.
    last & 0b11 == 0
}

fn blank(s: &str) -> bool {
    s.trim().is_empty()
}

fn email_ok(s: &str) -> bool {
    if s.chars().any(char::is_whitespace) {
        return false;
    }
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
}

fn upper_alnum(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// A JSON pointer written out only when a finding needs it: `0` followed by `1`.
#[derive(Clone, Copy)]
struct At<P, T>(P, T);

impl<P: Display, T: Display> Display for At<P, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}", self.0, self.1)
    }
}

/// An array index as a pointer segment: `/i`.
#[derive(Clone, Copy)]
struct Index(usize);

impl Display for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "/{}", self.0)
    }
}

struct Checker<'a> {
    note: &'a ConsignmentNote,
    /// The places that held no readable value and were filled with stand-ins: nothing is said about them.
    repaired: &'a Repaired,
    out: Vec<Finding>,
}

impl Checker<'_> {
    fn push<P: Display + Copy>(&mut self, severity: Severity, path: P, code: &str, message: String) {
        let path = path.to_string();
        if !self.repaired.covers(&path) {
            self.out.push(Finding { severity, path, code: code.to_owned(), message });
        }
    }

    /// Whether the value at `pointer` is the sender's own, so that another value may be compared with it.
    fn read_as_written<P: Display>(&self, pointer: P) -> bool {
        self.repaired.intact(&pointer.to_string())
    }

    fn error<P: Display + Copy>(&mut self, path: P, code: &str, message: String) {
        self.push(Severity::Error, path, code, message);
    }

    fn warn<P: Display + Copy>(&mut self, path: P, code: &str, message: String) {
        self.push(Severity::Warning, path, code, message);
    }

    fn required<P: Display + Copy, W: Display + Copy>(&mut self, path: P, what: W, value: &str) {
        if blank(value) {
            self.error(path, "required.empty", format!("{what} is required but is empty ({value:?})"));
        }
    }

    fn optional_text<P: Display + Copy, W: Display + Copy>(&mut self, path: P, what: W, value: Option<&str>) {
        if let Some(v) = value
            && blank(v)
        {
            self.warn(path, "text.blank", format!("{what} is given but empty ({v:?}); leave it out instead"));
        }
    }

    fn texts<P: Display + Copy, W: Display + Copy>(&mut self, path: P, what: W, values: &[String]) {
        for (i, v) in values.iter().enumerate() {
            self.optional_text(format_args!("{path}/{i}"), what, Some(v));
        }
    }

    fn equipment_category<P: Display + Copy>(&mut self, path: P, code: Option<&str>) {
        let Some(code) = code else { return };
        if blank(code) {
            self.optional_text(path, "the equipment category", Some(code));
        } else if !is_known_equipment_category(code) {
            self.warn(
                path,
                "equipment_category.unknown",
                format!("equipment category {code:?} is not a UN/EDIFACT 8053 code (e.g. TE trailer, CN container)"),
            );
        }
    }

    fn country<P: Display + Copy>(&mut self, path: P, code: &CountryCode) {
        if !code.is_well_formed() {
            self.error(
                path,
                "country.format",
                format!("country code {:?} is not two upper-case letters (ISO 3166-1 alpha-2)", code.as_str()),
            );
        } else if !is_known_country(code.as_str()) {
            self.error(
                path,
                "country.unknown",
                format!("country code {:?} is not assigned in ISO 3166-1", code.as_str()),
            );
        }
    }

    fn money<P: Display + Copy, W: Display + Copy>(&mut self, path: P, what: W, money: &Money, must_be_positive: bool) {
        let amount = &money.amount;
        if must_be_positive && !amount.is_positive() {
            self.error(
                format_args!("{path}/amount"),
                "money.not_positive",
                format!("{what} must be above zero, not {amount}"),
            );
        }
        let cur = money.currency.as_str();
        let cpath = At(path, "/currency");
        if !money.currency.is_well_formed() {
            self.error(
                cpath,
                "currency.format",
                format!("currency code {cur:?} is not three upper-case letters (ISO 4217)"),
            );
        } else {
            match currencies().get(cur) {
                None => self.error(
                    cpath,
                    "currency.unknown",
                    format!("currency code {cur:?} is not an active ISO 4217 code"),
                ),
                Some(Some(minor)) if amount.scale() > *minor => self.warn(
                    format_args!("{path}/amount"),
                    "money.precision",
                    format!("{what} {amount} {cur} has {} fraction digits; {cur} has {minor}", amount.scale()),
                ),
                Some(_) => {}
            }
        }
    }

    fn measure<P: Display + Copy, W: Display + Copy>(&mut self, path: P, what: W, value: &Decimal) {
        if !value.is_positive() {
            self.error(path, "number.not_positive", format!("{what} must be above zero, not {value}"));
        }
        if value.scale() > 3 {
            self.warn(
                path,
                "number.precision",
                format!("{what} {value} has {} fraction digits; 3 are plenty", value.scale()),
            );
        }
    }

    fn note(&mut self) {
        let n = self.note;
        self.required("/number", "the note's number", &n.number);

        self.required("/established/place", "the place where the note is made out", &n.established.place);
        self.country("/established/country", &n.established.country);
        if n.established.date > n.taking_over.date && self.read_as_written("/taking_over/date") {
            self.warn(
                "/established/date",
                "dates.established_after_taking_over",
                format!(
                    "the note is made out on {} after the goods are taken over on {}",
                    n.established.date, n.taking_over.date
                ),
            );
        }

        self.party("/sender", "sender", &n.sender);
        if same_party(&n.sender, &n.consignee) && self.read_as_written("/sender") {
            self.warn(
                "/consignee",
                "parties.sender_is_consignee",
                format!(
                    "sender and consignee are the same party ({:?}, {})",
                    n.consignee.name, n.consignee.address.city
                ),
            );
        }
        self.party("/consignee", "consignee", &n.consignee);
        self.party("/carrier", "carrier", &n.carrier);
        for (i, p) in n.successive_carriers.iter().enumerate() {
            self.party(format_args!("/successive_carriers/{i}"), "successive carrier", p);
        }

        self.location("/taking_over/location", &n.taking_over.location);
        if let Some(limit) = &n.agreed_time_limit
            && n.taking_over.date > *limit
        {
            self.error(
                "/taking_over/date",
                "dates.taking_over_after_time_limit",
                format!("taking over on {} is after the agreed time limit {limit}", n.taking_over.date),
            );
        }

        self.location("/delivery/location", &n.delivery.location);
        if let Some(expected) = &n.delivery.expected_date {
            if *expected < n.taking_over.date && self.read_as_written("/taking_over/date") {
                self.error(
                    "/delivery/expected_date",
                    "dates.delivery_before_taking_over",
                    format!("expected delivery on {expected} is before taking over on {}", n.taking_over.date),
                );
            }
            if let Some(limit) = &n.agreed_time_limit
                && expected > limit
            {
                self.warn(
                    "/delivery/expected_date",
                    "dates.delivery_after_time_limit",
                    format!("expected delivery on {expected} is after the agreed time limit {limit}"),
                );
            }
        }

        if n.goods.is_empty() {
            self.error("/goods", "goods.none", "the note has no goods line; at least one is required".to_owned());
        }
        for (i, g) in n.goods.iter().enumerate() {
            self.goods(format_args!("/goods/{i}"), g);
        }

        for (i, ch) in n.charges.iter().enumerate() {
            let path = At("/charges", Index(i));
            let kind_known = self.read_as_written(format_args!("{path}/kind"));
            if ch.kind == ChargeKind::Other && ch.description.as_deref().is_none_or(blank) && kind_known {
                self.error(
                    format_args!("{path}/description"),
                    "charge.description.missing",
                    "a charge of kind `other` needs a description saying what it is for".to_owned(),
                );
            } else {
                self.optional_text(
                    format_args!("{path}/description"),
                    "the charge description",
                    ch.description.as_deref(),
                );
            }
            let positive = ch.kind != ChargeKind::Deductions && kind_known;
            self.money(format_args!("{path}/amount"), "the charge", &ch.amount, positive);
        }
        self.optional_text("/payment_instructions", "the payment instructions", n.payment_instructions.as_deref());
        self.texts("/sender_instructions/customs", "a customs instruction", &n.sender_instructions.customs);
        self.texts("/sender_instructions/other", "a sender's instruction", &n.sender_instructions.other);
        if let Some(m) = &n.cash_on_delivery {
            self.money("/cash_on_delivery", "the cash on delivery", m, true);
        }
        if let Some(m) = &n.declared_value {
            self.money("/declared_value", "the declared value", m, true);
        }
        if let Some(m) = &n.special_interest {
            self.money("/special_interest", "the special interest in delivery", m, true);
        }
        self.optional_text(
            "/insurance_instructions",
            "the insurance instructions",
            n.insurance_instructions.as_deref(),
        );
        for (i, d) in n.documents.iter().enumerate() {
            let path = At("/documents", Index(i));
            self.required(format_args!("{path}/name"), "the document's name", &d.name);
            self.optional_text(format_args!("{path}/type_code"), "the document type code", d.type_code.as_deref());
            self.optional_text(format_args!("{path}/reference"), "the document reference", d.reference.as_deref());
        }
        self.texts("/special_agreements", "a special agreement", &n.special_agreements);
        self.texts("/other_particulars", "an other particular", &n.other_particulars);

        if blank(&n.paramount_statement) {
            self.required("/paramount_statement", "the paramount statement (Art. 6.1 (k))", &n.paramount_statement);
        } else if !n.paramount_statement.contains("CMR") {
            self.warn(
                "/paramount_statement",
                "paramount.not_cmr",
                format!(
                    "the paramount statement {:?} does not mention the CMR Convention (\"CMR\")",
                    n.paramount_statement
                ),
            );
        }

        self.transport();
        for (i, r) in n.references.iter().enumerate() {
            self.required(format_args!("/references/{i}/value"), "the reference", &r.value);
        }
    }

    fn party<P: Display + Copy>(&mut self, path: P, role: &str, p: &Party) {
        self.required(format_args!("{path}/name"), format_args!("the {role}'s name"), &p.name);
        self.address(format_args!("{path}/address"), &p.address);
        for (i, id) in p.identifiers.iter().enumerate() {
            self.required(
                format_args!("{path}/identifiers/{i}/value"),
                format_args!("the {role}'s identifier"),
                &id.value,
            );
        }
        if let Some(c) = &p.contact {
            self.contact(format_args!("{path}/contact"), c);
        }
        let mut seen = HashSet::new();
        for (i, key) in p.public_keys.iter().enumerate() {
            let kpath = At(At(path, "/public_keys"), Index(i));
            if !is_public_key_well_formed(key) {
                self.error(
                    kpath,
                    "public_key.format",
                    format!("public key {key:?} is not an Ed25519 key in base64url without padding (43 characters, 32 bytes)"),
                );
            } else if !seen.insert(key.as_str()) {
                self.warn(kpath, "public_key.duplicate", format!("public key {key:?} is pinned twice for the {role}"));
            }
        }
    }

    fn contact<P: Display + Copy>(&mut self, path: P, c: &Contact) {
        self.optional_text(format_args!("{path}/name"), "the contact name", c.name.as_deref());
        self.optional_text(format_args!("{path}/phone"), "the phone number", c.phone.as_deref());
        if let Some(email) = &c.email
            && !email_ok(email)
        {
            self.warn(
                format_args!("{path}/email"),
                "email.format",
                format!("{email:?} does not look like an e-mail address (local@domain.tld)"),
            );
        }
    }

    fn address<P: Display + Copy>(&mut self, path: P, a: &Address) {
        self.optional_text(format_args!("{path}/street"), "the street", a.street.as_deref());
        self.optional_text(format_args!("{path}/postcode"), "the postcode", a.postcode.as_deref());
        self.required(format_args!("{path}/city"), "the city", &a.city);
        self.optional_text(format_args!("{path}/subdivision"), "the subdivision", a.subdivision.as_deref());
        self.country(format_args!("{path}/country"), &a.country);
    }

    fn location<P: Display + Copy>(&mut self, path: P, l: &Location) {
        self.optional_text(format_args!("{path}/name"), "the site name", l.name.as_deref());
        self.address(format_args!("{path}/address"), &l.address);
        if let Some(code) = &l.unlocode {
            let country = self.read_as_written(format_args!("{path}/address/country")).then_some(&l.address.country);
            self.unlocode(format_args!("{path}/unlocode"), code, country);
        }
        if let Some(c) = &l.coordinates {
            let lat = c.latitude.value();
            let lon = c.longitude.value();
            if lat.abs() > Dec::from(90) {
                self.error(
                    format_args!("{path}/coordinates/latitude"),
                    "coordinates.range",
                    format!("latitude {} is outside −90 to 90", c.latitude),
                );
            }
            if lon.abs() > Dec::from(180) {
                self.error(
                    format_args!("{path}/coordinates/longitude"),
                    "coordinates.range",
                    format!("longitude {} is outside −180 to 180", c.longitude),
                );
            }
        }
    }

    /// `address_country` is `None` when the address's country could not be read.
    fn unlocode<P: Display + Copy>(&mut self, path: P, code: &UnLocode, address_country: Option<&CountryCode>) {
        let s = code.as_str();
        if !code.is_well_formed() {
            self.error(
                path,
                "unlocode.format",
                format!("UN/LOCODE {s:?} is not two letters and three letters or digits 2–9 (e.g. NLRTM)"),
            );
            return;
        }
        let country = s.get(..2).unwrap_or_default();
        if !is_known_country(country) {
            self.error(
                path,
                "unlocode.country_unknown",
                format!("UN/LOCODE {s:?} starts with {country:?}, which is not an ISO 3166-1 country"),
            );
        } else if let Some(address_country) = address_country
            && country != address_country.as_str()
            && address_country.is_well_formed()
        {
            self.warn(
                path,
                "unlocode.country_mismatch",
                format!("UN/LOCODE {s:?} is in {country} but the address is in {address_country}"),
            );
        }
    }

    fn goods<P: Display + Copy>(&mut self, path: P, g: &GoodsItem) {
        if g.gross_weight_kg.is_none()
            && g.quantity.is_none()
            && self.read_as_written(format_args!("{path}/gross_weight_kg"))
            && self.read_as_written(format_args!("{path}/quantity"))
        {
            self.error(
                path,
                "goods.weight_or_quantity.missing",
                format!("goods line {:?} has neither a gross weight nor a quantity (Art. 6.1 (h))", g.nature_of_goods),
            );
        }
        self.optional_text(
            format_args!("{path}/marks_and_numbers"),
            "marks and numbers",
            g.marks_and_numbers.as_deref(),
        );
        if g.number_of_packages == Some(0) {
            self.error(
                format_args!("{path}/number_of_packages"),
                "number.not_positive",
                "the number of packages must be at least 1, not 0".to_owned(),
            );
        }
        if let Some(p) = &g.packing {
            self.required(format_args!("{path}/packing/method"), "the method of packing", &p.method);
            if let Some(code) = &p.code
                && !(code.len() == 2 && upper_alnum(code))
            {
                self.warn(
                    format_args!("{path}/packing/code"),
                    "package_code.format",
                    format!(
                        "package code {code:?} is not a UN/ECE Rec. 21 code (2 upper-case letters or digits, e.g. PX)"
                    ),
                );
            }
        }
        self.required(format_args!("{path}/nature_of_goods"), "the nature of the goods", &g.nature_of_goods);
        if let Some(hs) = &g.statistical_number {
            let digits: String = hs.chars().filter(|c| *c != ' ' && *c != '.').collect();
            if !((4..=10).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())) {
                self.warn(
                    format_args!("{path}/statistical_number"),
                    "hs_code.format",
                    format!("statistical number {hs:?} is not an HS/CN code of 4 to 10 digits"),
                );
            }
        }
        if let Some(w) = &g.gross_weight_kg {
            self.measure(format_args!("{path}/gross_weight_kg"), "the gross weight in kg", w);
        }
        if let Some(q) = &g.quantity {
            self.measure(format_args!("{path}/quantity/value"), "the quantity", &q.value);
            let upath = At(path, "/quantity/unit");
            if blank(&q.unit) {
                self.required(upath, "the quantity's unit", &q.unit);
            } else if !((2..=3).contains(&q.unit.len()) && upper_alnum(&q.unit)) {
                self.warn(
                    upath,
                    "unit.format",
                    format!(
                        "unit {:?} is not a UN/ECE Rec. 20 code (2–3 upper-case letters or digits, e.g. LTR)",
                        q.unit
                    ),
                );
            }
        }
        if let Some(v) = &g.volume_m3 {
            self.measure(format_args!("{path}/volume_m3"), "the volume in m³", v);
        }
        if let Some(dg) = &g.dangerous_goods {
            self.dangerous_goods(format_args!("{path}/dangerous_goods"), dg);
        }
    }

    fn dangerous_goods<P: Display + Copy>(&mut self, path: P, dg: &DangerousGoods) {
        let un = &dg.un_number;
        let upath = At(path, "/un_number");
        if !(un.len() == 4 && un.bytes().all(|b| b.is_ascii_digit())) {
            self.error(upath, "un_number.format", format!("UN number {un:?} is not four digits (e.g. 1203)"));
        } else if !matches!(un.parse::<u32>(), Ok(4..=3550)) {
            self.error(upath, "un_number.range", format!("UN number {un:?} is outside 0004–3550"));
        }

        let psn = &dg.proper_shipping_name;
        let ppath = At(path, "/proper_shipping_name");
        if blank(psn) {
            self.required(ppath, "the proper shipping name", psn);
        } else if psn.chars().any(char::is_lowercase) {
            self.warn(
                ppath,
                "adr.proper_shipping_name.case",
                format!("proper shipping name {psn:?} is not in upper case as in ADR Table A"),
            );
        }
        self.optional_text(format_args!("{path}/technical_name"), "the technical name", dg.technical_name.as_deref());

        let class = dg.class.as_str();
        let class_ok = is_adr_class(class);
        if !class_ok {
            self.error(
                format_args!("{path}/class"),
                "adr.class.unknown",
                format!("{class:?} is not an ADR class (e.g. 3, 6.1, 1.1D, 2 or label 2.1)"),
            );
        }
        for (i, sub) in dg.subsidiary_risks.iter().enumerate() {
            let spath = At(At(path, "/subsidiary_risks"), Index(i));
            if !(is_adr_class(sub) || sub == "1") {
                self.error(
                    spath,
                    "adr.subsidiary_risk.unknown",
                    format!("subsidiary risk {sub:?} is not an ADR class"),
                );
            } else if class_ok && class_family(sub) == class_family(class) {
                self.error(
                    spath,
                    "adr.subsidiary_risk.same_as_class",
                    format!("subsidiary risk {sub:?} repeats the primary class {class:?}"),
                );
            }
        }

        let gpath = At(path, "/packing_group");
        let family = if class.starts_with("2.") { "2" } else { class_family(class) };
        match (&dg.packing_group, family) {
            (None, "3" | "6.1" | "8") => self.error(
                gpath,
                "adr.packing_group.missing",
                format!("class {class} needs a packing group (I, II or III)"),
            ),
            (None, "4.1" | "4.2" | "4.3" | "5.1" | "9") => self.warn(
                gpath,
                "adr.packing_group.expected",
                format!("class {class} entries usually have a packing group; check ADR Table A column (4)"),
            ),
            (Some(pg), "1" | "2" | "7") => self.error(
                gpath,
                "adr.packing_group.not_applicable",
                format!("class {class} has no packing groups, but packing group {} is given", pg.as_str()),
            ),
            (Some(pg), "5.2") => self.warn(
                gpath,
                "adr.packing_group.unexpected",
                format!(
                    "class 5.2 (organic peroxides) has no packing groups, but packing group {} is given",
                    pg.as_str()
                ),
            ),
            _ => {}
        }

        if let Some(t) = &dg.tunnel_restriction_code
            && !TUNNEL_CODES.contains(&t.as_str())
        {
            self.error(
                format_args!("{path}/tunnel_restriction_code"),
                "adr.tunnel_code.unknown",
                format!("tunnel restriction code {t:?} is not one of ADR 8.6.4 ({})", TUNNEL_CODES.join(", ")),
            );
        }
    }

    fn transport(&mut self) {
        let t = &self.note.transport;
        if let Some(mode) = &t.mode_code {
            if !(mode.len() == 1 && mode.bytes().all(|b| b.is_ascii_digit())) {
                self.error(
                    "/transport/mode_code",
                    "transport_mode.format",
                    format!("transport mode {mode:?} is not a UN/ECE Rec. 19 code (one digit 0–9; 3 is road)"),
                );
            } else if mode != "3" {
                self.warn(
                    "/transport/mode_code",
                    "transport_mode.not_road",
                    format!("transport mode {mode:?} is not road (3); a CMR note covers carriage by road"),
                );
            }
        }
        for (i, v) in t.vehicles.iter().enumerate() {
            let path = At("/transport/vehicles", Index(i));
            self.required(format_args!("{path}/registration"), "the vehicle registration", &v.registration);
            self.country(format_args!("{path}/country"), &v.country);
        }
        for (i, e) in t.equipment.iter().enumerate() {
            let path = At("/transport/equipment", Index(i));
            self.required(format_args!("{path}/id"), "the equipment identifier", &e.id);
            if let Some(c) = &e.country {
                self.country(format_args!("{path}/country"), c);
            }
            self.equipment_category(format_args!("{path}/category_code"), e.category_code.as_deref());
            for (j, c) in e.carried.iter().enumerate() {
                let cpath = At(At(path, "/carried"), Index(j));
                self.required(format_args!("{cpath}/id"), "the carried equipment identifier", &c.id);
                self.equipment_category(format_args!("{cpath}/category_code"), c.category_code.as_deref());
            }
        }
    }
}

/// Same name (ignoring case and surrounding space) at the same city and country.
fn same_party(a: &Party, b: &Party) -> bool {
    let norm = |s: &str| s.trim().to_lowercase();
    !blank(&a.name)
        && norm(&a.name) == norm(&b.name)
        && norm(&a.address.city) == norm(&b.address.city)
        && a.address.country == b.address.country
        && a.address.street.as_deref().map(norm) == b.address.street.as_deref().map(norm)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adr_classes() {
        for ok in ["1.1D", "1.4S", "1.5D", "1.6N", "2", "2.1", "2.3", "3", "4.1", "5.2", "6.2", "7", "8", "9"] {
            assert!(is_adr_class(ok), "{ok}");
        }
        for bad in ["1", "1.1", "1.5A", "1.4A", "1.7A", "2.4", "4", "6", "10", "", "3 ", "1.1DD", "6.1 "] {
            assert!(!is_adr_class(bad), "{bad}");
        }
    }

    #[test]
    fn public_keys() {
        assert!(is_public_key_well_formed("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"));
        assert!(is_public_key_well_formed(&"A".repeat(43)));
        assert!(!is_public_key_well_formed(&"A".repeat(42)), "too short");
        assert!(!is_public_key_well_formed(&format!("{}=", "A".repeat(43))), "padding");
        assert!(!is_public_key_well_formed(&format!("{}B", "A".repeat(42))), "non-zero trailing bits");
        assert!(!is_public_key_well_formed(&format!("{}+", "A".repeat(42))), "standard alphabet");
        assert!(!is_public_key_well_formed(&format!("{}é", "A".repeat(41))), "non-ASCII");
    }

    #[test]
    fn code_lists_load() {
        assert!(is_known_country("NL") && is_known_country("XK") && !is_known_country("XX"));
        assert!(is_known_currency("EUR") && !is_known_currency("NLG"));
        assert_eq!(currencies().get("JPY"), Some(&Some(0)));
        assert_eq!(currencies().get("KWD"), Some(&Some(3)));
        assert_eq!(currencies().get("XAU"), Some(&None));
    }
}
