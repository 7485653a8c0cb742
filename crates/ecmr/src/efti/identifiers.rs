//! The eFTI identifier dataset (`consignment-identifier.xsd` v0.6): a typed model ([`IdentifierConsignment`]),
//! a strict reader for the datasets external platforms send ([`parse`]) and the dataset of our own documents
//! ([`from_projection`]), so that both are searched the same way (see [`super::search`]).
//!
//! The reader is the bounded tree reader of [`crate::xml`] (no DOCTYPE, no entities beyond the predefined ones,
//! no processing instructions, limited size, depth and element count) with the identifier namespace as its
//! only namespace and `consignment` as its root. On top of it every element must be one the XSD defines, in
//! the XSD's order and number; the constraints that matter are checked: required elements, `maxLength` of
//! identifiers, the code lists of countries, transport modes and equipment categories (the generated
//! [`table`] lists), `xsd:boolean`, `types:Integer16`, and the `types:DateTime` value and its `formatId`.
//! An `xsi:schemaLocation` hint on the root is accepted (the reference examples have one); any other
//! attribute the XSD does not define is refused.
//!
//! A `types:DateTime` value is checked against the XSD (8 to 20 characters of digits, `+` and `-`) but not
//! against its `formatId`: the reference examples themselves write `202410220000` with `formatId` 205.
//!
//! ```
//! let xml = r#"<consignment xmlns="http://efti.eu/v1/consignment/identifier">
//!   <mainCarriageTransportMovement>
//!     <dangerousGoodsIndicator>false</dangerousGoodsIndicator>
//!     <modeCode>3</modeCode>
//!     <usedTransportMeans><id>AB123</id><registrationCountry><code>FI</code></registrationCountry></usedTransportMeans>
//!   </mainCarriageTransportMovement>
//! </consignment>"#;
//! let c = ecmr::efti::identifiers::parse(xml)?;
//! assert_eq!(c.main_carriage_transport_movements[0].mode_code, "3");
//! let err = ecmr::efti::identifiers::parse(&xml.replace(">FI<", ">XX<")).unwrap_err();
//! assert_eq!(err.path, "/consignment/mainCarriageTransportMovement[1]/usedTransportMeans/registrationCountry/code");
//! # Ok::<(), ecmr::efti::identifiers::IdentifierError>(())
//! ```

use super::{Consignment, Element, ProjectionError, Subsets, table};
use crate::document::Document;
use crate::verify::Verified;
use crate::xml::tree::{self, Element as XmlElement, Namespace, Vocabulary, line_col};

/// The identifier dataset's one namespace.
const IDENTIFIER: Namespace = Namespace { uri: super::IDENTIFIER_NAMESPACE, prefix: "efti" };

/// What the tree reader accepts for an identifier dataset: only the identifier namespace, the root
/// `consignment`, and an `xsi:schemaLocation` hint on it (the eFTI reference examples carry one).
const VOCABULARY: Vocabulary =
    Vocabulary { namespaces: &[IDENTIFIER], root: (IDENTIFIER, "consignment"), schema_location: true };

/// Most characters of a `types:Identifier17`.
pub const IDENTIFIER_MAX_CHARS: usize = 17;

/// Most significant digits of a `types:Integer16`.
const INTEGER16_DIGITS: usize = 16;

/// The identifier dataset of one consignment (`SupplyChainConsignment` of `consignment-identifier.xsd`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IdentifierConsignment {
    /// `carrierAcceptanceDateTime` (eFTI39): when the carrier took the goods over.
    pub carrier_acceptance_date_time: Option<DateTime>,
    /// `deliveryEvent`.
    pub delivery_event: Option<TransportEvent>,
    /// `mainCarriageTransportMovement`, in document order.
    pub main_carriage_transport_movements: Vec<TransportMovement>,
    /// `usedTransportEquipment`, in document order.
    pub used_transport_equipment: Vec<TransportEquipment>,
}

/// A `types:DateTime`: the value as written and its format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateTime {
    /// The value, whitespace-collapsed: 8 to 20 characters of digits, `+` and `-`.
    pub value: String,
    /// The `formatId` attribute.
    pub format: DateTimeFormat,
}

/// `formatId` of a `types:DateTime` (UN/EDIFACT 2379).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateTimeFormat {
    /// `102`: `CCYYMMDD`.
    Date,
    /// `203`: `CCYYMMDDHHMM`.
    DateTime,
    /// `205`: `CCYYMMDDHHMMZHHMM`.
    DateTimeOffset,
}

impl DateTimeFormat {
    /// The code written in `formatId`.
    pub fn code(self) -> &'static str {
        match self {
            DateTimeFormat::Date => "102",
            DateTimeFormat::DateTime => "203",
            DateTimeFormat::DateTimeOffset => "205",
        }
    }

    /// The format of a `formatId` code.
    pub fn from_code(code: &str) -> Option<DateTimeFormat> {
        [DateTimeFormat::Date, DateTimeFormat::DateTime, DateTimeFormat::DateTimeOffset]
            .into_iter()
            .find(|f| f.code() == code)
    }
}

/// `deliveryEvent` (`TransportEvent`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TransportEvent {
    /// `actualOccurrenceDateTime` (eFTI188): when the consignment was delivered.
    pub actual_occurrence_date_time: Option<DateTime>,
}

/// `mainCarriageTransportMovement` (`LogisticsTransportMovement`): one leg of the main carriage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportMovement {
    /// `dangerousGoodsIndicator` (eFTI1451).
    pub dangerous_goods_indicator: bool,
    /// `modeCode` (eFTI581): a code of [`table::TRANSPORT_MODE_CODES`].
    pub mode_code: String,
    /// `usedTransportMeans`.
    pub used_transport_means: Option<TransportMeans>,
}

/// `usedTransportMeans` (`LogisticsTransportMeans`): the vehicle of a leg.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportMeans {
    /// `id` (eFTI618).
    pub id: Option<Identifier>,
    /// `registrationCountry/code` (eFTI620): a code of [`table::COUNTRY_CODES`].
    pub registration_country: String,
}

/// `usedTransportEquipment` (`LogisticsTransportEquipment`): a trailer, container, swap body….
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportEquipment {
    /// `carriedTransportEquipment`: equipment carried on this one.
    pub carried_transport_equipment: Vec<CarriedEquipment>,
    /// `categoryCode` (eFTI378): a code of [`table::EQUIPMENT_CATEGORY_CODES`].
    pub category_code: Option<String>,
    /// `id` (eFTI374).
    pub id: Option<Identifier>,
    /// `registrationCountry/code` (eFTI578): a code of [`table::COUNTRY_CODES`].
    pub registration_country: String,
    /// `sequenceNumber` (eFTI987).
    pub sequence_number: Option<i64>,
}

/// `carriedTransportEquipment` (`AssociatedTransportEquipment`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CarriedEquipment {
    /// `id` (eFTI448).
    pub id: Option<Identifier>,
    /// `sequenceNumber` (eFTI1000).
    pub sequence_number: Option<i64>,
}

/// A `types:Identifier17`: at most [`IDENTIFIER_MAX_CHARS`] characters, as written (an `xsd:string`, so
/// whitespace is kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identifier {
    /// The identifier.
    pub value: String,
    /// The `schemeAgencyId` attribute, whitespace-collapsed.
    pub scheme_agency_id: Option<String>,
}

/// Why an identifier dataset was refused: where (line, column and element path) and what.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at {path} (line {line} column {column})", path = if path.is_empty() { "the document" } else { path })]
pub struct IdentifierError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, counted in characters.
    pub column: usize,
    /// Path of the element concerned, e.g. `/consignment/usedTransportEquipment[2]/id`, positions 1-based;
    /// empty when the text is not well-formed or hostile XML.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

type R<T> = Result<T, IdentifierError>;

/// Reads an identifier dataset (the body of `PUT /api/platform/v0/consignments/{datasetId}`).
///
/// # Errors
/// [`IdentifierError`] with the line, column and element path of the first problem (see the module docs for
/// what is checked).
pub fn parse(xml: &str) -> Result<IdentifierConsignment, IdentifierError> {
    let root = tree::parse(xml, &VOCABULARY).map_err(|e| IdentifierError {
        line: e.line,
        column: e.column,
        path: String::new(),
        message: e.message,
    })?;
    consignment(xml, &root)
}

/// The identifier dataset of a projection of our own document: the [`Subsets::Identifier`] part of it, typed.
/// Writing that part as XML ([`Consignment::to_xml`]) and [`parse`]-ing it gives the same value.
pub fn from_projection(c: &Consignment) -> IdentifierConsignment {
    let root = c.filtered(&Subsets::Identifier);
    IdentifierConsignment {
        carrier_acceptance_date_time: root.child("carrierAcceptanceDateTime").map(projected_date_time),
        delivery_event: root.child("deliveryEvent").map(|e| TransportEvent {
            actual_occurrence_date_time: e.child("actualOccurrenceDateTime").map(projected_date_time),
        }),
        main_carriage_transport_movements: root
            .children_named("mainCarriageTransportMovement")
            .map(|m| TransportMovement {
                dangerous_goods_indicator: m.text_at("dangerousGoodsIndicator") == Some("true"),
                mode_code: m.text_at("modeCode").unwrap_or_default().to_owned(),
                used_transport_means: m.child("usedTransportMeans").map(|t| TransportMeans {
                    id: t.child("id").map(projected_identifier),
                    registration_country: t.text_at("registrationCountry/code").unwrap_or_default().to_owned(),
                }),
            })
            .collect(),
        used_transport_equipment: root
            .children_named("usedTransportEquipment")
            .map(|e| TransportEquipment {
                carried_transport_equipment: e
                    .children_named("carriedTransportEquipment")
                    .map(|c| CarriedEquipment {
                        id: c.child("id").map(projected_identifier),
                        sequence_number: c.text_at("sequenceNumber").and_then(|s| s.parse().ok()),
                    })
                    .collect(),
                category_code: e.text_at("categoryCode").map(str::to_owned),
                id: e.child("id").map(projected_identifier),
                registration_country: e.text_at("registrationCountry/code").unwrap_or_default().to_owned(),
                sequence_number: e.text_at("sequenceNumber").and_then(|s| s.parse().ok()),
            })
            .collect(),
    }
}

/// The identifier dataset of a verified document ([`super::project`], then [`from_projection`]).
///
/// # Errors
/// As [`super::project`].
pub fn from_document(doc: &Verified<Document>) -> Result<IdentifierConsignment, ProjectionError> {
    super::project(doc).map(|c| from_projection(&c))
}

impl IdentifierConsignment {
    /// The dataset as an element tree in XSD order (the root `consignment`).
    pub fn to_element(&self) -> Element {
        let mut root = Element::new("consignment");
        push_opt(
            &mut root,
            self.carrier_acceptance_date_time.as_ref().map(|d| d.to_element("carrierAcceptanceDateTime")),
        );
        if let Some(d) = &self.delivery_event {
            let mut e = Element::new("deliveryEvent");
            push_opt(&mut e, d.actual_occurrence_date_time.as_ref().map(|t| t.to_element("actualOccurrenceDateTime")));
            root.children.push(e);
        }
        for m in &self.main_carriage_transport_movements {
            let mut e = Element::new("mainCarriageTransportMovement");
            e.children.push(leaf_element("dangerousGoodsIndicator", m.dangerous_goods_indicator.to_string()));
            e.children.push(leaf_element("modeCode", m.mode_code.clone()));
            if let Some(t) = &m.used_transport_means {
                let mut te = Element::new("usedTransportMeans");
                push_opt(&mut te, t.id.as_ref().map(Identifier::to_element));
                te.children.push(country_element(&t.registration_country));
                e.children.push(te);
            }
            root.children.push(e);
        }
        for q in &self.used_transport_equipment {
            let mut e = Element::new("usedTransportEquipment");
            for c in &q.carried_transport_equipment {
                let mut ce = Element::new("carriedTransportEquipment");
                push_opt(&mut ce, c.id.as_ref().map(Identifier::to_element));
                push_opt(&mut ce, c.sequence_number.map(|n| leaf_element("sequenceNumber", n.to_string())));
                e.children.push(ce);
            }
            push_opt(&mut e, q.category_code.as_ref().map(|c| leaf_element("categoryCode", c.clone())));
            push_opt(&mut e, q.id.as_ref().map(Identifier::to_element));
            e.children.push(country_element(&q.registration_country));
            push_opt(&mut e, q.sequence_number.map(|n| leaf_element("sequenceNumber", n.to_string())));
            root.children.push(e);
        }
        root
    }

    /// The dataset as an XML document in the identifier namespace ([`super::IDENTIFIER_NAMESPACE`]). A dataset
    /// [`parse`] returned is read back unchanged from it.
    pub fn to_xml(&self) -> String {
        super::write_xml(&self.to_element(), super::IDENTIFIER_NAMESPACE)
    }
}

impl DateTime {
    /// The moment as RFC 3339 text (what the RI's JSON DTOs carry as `date-time`), when the value is a real
    /// date or time in its format: `102` becomes midnight UTC, `203` is read as UTC, `205` keeps its offset
    /// (a `205` value without one, as in the reference examples, is read as UTC). A `203` or `205` value with
    /// seconds (`CCYYMMDDHHMMSS`, for `205` with or without the offset) keeps them.
    ///
    /// ```
    /// use ecmr::efti::identifiers::{DateTime, DateTimeFormat};
    /// let t = DateTime { value: "202611281230+0100".into(), format: DateTimeFormat::DateTimeOffset };
    /// assert_eq!(t.to_rfc3339().as_deref(), Some("2026-11-28T12:30:00+01:00"));
    /// let d = DateTime { value: "20261128".into(), format: DateTimeFormat::Date };
    /// assert_eq!(d.to_rfc3339().as_deref(), Some("2026-11-28T00:00:00Z"));
    /// // Seconds, which none of the three formats has a place for, are kept when a value carries them.
    /// let s = DateTime { value: "20260102034327+0000".into(), format: DateTimeFormat::DateTimeOffset };
    /// assert_eq!(s.to_rfc3339().as_deref(), Some("2026-01-02T03:43:27Z"));
    /// let s = DateTime { value: "20260102034327".into(), format: DateTimeFormat::DateTime };
    /// assert_eq!(s.to_rfc3339().as_deref(), Some("2026-01-02T03:43:27Z"));
    /// let bad = DateTime { value: "20261399".into(), format: DateTimeFormat::Date };
    /// assert_eq!(bad.to_rfc3339(), None);
    /// ```
    pub fn to_rfc3339(&self) -> Option<String> {
        use chrono::{NaiveDate, NaiveDateTime, SecondsFormat};
        let utc = |t: NaiveDateTime| t.and_utc().to_rfc3339_opts(SecondsFormat::Secs, true);
        // A value with seconds (`CCYYMMDDHHMMSS`, with or without the offset) is read with them.
        let local = |v: &str| {
            let layout = if v.len() == 14 { "%Y%m%d%H%M%S" } else { "%Y%m%d%H%M" };
            NaiveDateTime::parse_from_str(v, layout).ok().map(utc)
        };
        match self.format {
            DateTimeFormat::Date => {
                NaiveDate::parse_from_str(&self.value, "%Y%m%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0)).map(utc)
            }
            DateTimeFormat::DateTime => local(&self.value),
            DateTimeFormat::DateTimeOffset if matches!(self.value.len(), 12 | 14) => local(&self.value),
            DateTimeFormat::DateTimeOffset => {
                let layout = if self.value.len() == 19 { "%Y%m%d%H%M%S%z" } else { "%Y%m%d%H%M%z" };
                chrono::DateTime::parse_from_str(&self.value, layout)
                    .ok()
                    .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
            }
        }
    }

    fn to_element(&self, name: &'static str) -> Element {
        let mut e = leaf_element(name, self.value.clone());
        e.attributes.push(("formatId", self.format.code().to_owned()));
        e
    }
}

impl Identifier {
    fn to_element(&self) -> Element {
        let mut e = leaf_element("id", self.value.clone());
        if let Some(a) = &self.scheme_agency_id {
            e.attributes.push(("schemeAgencyId", a.clone()));
        }
        e
    }
}

fn leaf_element(name: &'static str, text: String) -> Element {
    Element { name, attributes: Vec::new(), text: Some(text), children: Vec::new() }
}

fn country_element(code: &str) -> Element {
    let mut e = Element::new("registrationCountry");
    e.children.push(leaf_element("code", code.to_owned()));
    e
}

fn push_opt(parent: &mut Element, child: Option<Element>) {
    if let Some(c) = child {
        parent.children.push(c);
    }
}

fn projected_date_time(e: &Element) -> DateTime {
    DateTime {
        value: e.text.clone().unwrap_or_default(),
        format: e.attribute("formatId").and_then(DateTimeFormat::from_code).unwrap_or(DateTimeFormat::DateTimeOffset),
    }
}

fn projected_identifier(e: &Element) -> Identifier {
    Identifier {
        value: e.text.clone().unwrap_or_default(),
        scheme_agency_id: e.attribute("schemeAgencyId").map(collapse),
    }
}

// ---- the strict reader ----

fn error(src: &str, pos: usize, path: &str, message: impl Into<String>) -> IdentifierError {
    let (line, column) = line_col(src, pos);
    IdentifierError { line, column, path: path.to_owned(), message: message.into() }
}

/// Whitespace collapsed as for `xsd:token`: XML whitespace runs become one space, none at either end.
fn collapse(s: &str) -> String {
    s.split([' ', '\t', '\n', '\r']).filter(|p| !p.is_empty()).collect::<Vec<_>>().join(" ")
}

/// The children of a complex element, read in XSD order.
struct Children<'a> {
    src: &'a str,
    el: &'a XmlElement,
    path: &'a str,
    next: usize,
}

/// An element with its path.
type Node<'a> = (&'a XmlElement, String);

impl<'a> Children<'a> {
    /// Opens a complex element: no attributes, no text.
    fn of(src: &'a str, el: &'a XmlElement, path: &'a str) -> R<Self> {
        if let Some((k, _)) = el.attrs.first() {
            return Err(error(src, el.pos, path, format!("attribute `{k}` is not allowed on <{}>", el.local())));
        }
        if let Some(pos) = el.text_pos {
            return Err(error(src, pos, path, format!("text is not allowed in <{}>", el.local())));
        }
        Ok(Children { src, el, path, next: 0 })
    }

    fn opt(&mut self, name: &str) -> Option<Node<'a>> {
        let c = self.el.children.get(self.next).filter(|c| c.local() == name)?;
        self.next += 1;
        Some((c, format!("{}/{name}", self.path)))
    }

    fn req(&mut self, name: &str) -> R<Node<'a>> {
        if let Some(n) = self.opt(name) {
            return Ok(n);
        }
        Err(match self.el.children.get(self.next) {
            Some(found) => error(
                self.src,
                found.pos,
                &format!("{}/{}", self.path, found.local()),
                format!("unexpected element <{}> in <{}>, expected <{name}>", found.local(), self.el.local()),
            ),
            None => {
                error(self.src, self.el.pos, self.path, format!("<{}> lacks the required <{name}>", self.el.local()))
            }
        })
    }

    /// Every consecutive element named `name`, with 1-based positions in their paths.
    fn many(&mut self, name: &str) -> Vec<Node<'a>> {
        let mut out = Vec::new();
        while let Some(c) = self.el.children.get(self.next).filter(|c| c.local() == name) {
            self.next += 1;
            out.push((c, format!("{}/{name}[{}]", self.path, out.len() + 1)));
        }
        out
    }

    /// Refuses whatever child is left: unknown, repeated or out of the XSD's order.
    fn finish(self) -> R<()> {
        match self.el.children.get(self.next) {
            None => Ok(()),
            Some(c) => Err(error(
                self.src,
                c.pos,
                &format!("{}/{}", self.path, c.local()),
                format!(
                    "unexpected element <{}> in <{}> (unknown, repeated or out of XSD order)",
                    c.local(),
                    self.el.local()
                ),
            )),
        }
    }
}

/// The text of a simple element carrying at most the attributes `allowed`.
fn leaf<'a>(src: &str, (el, path): &'a Node<'_>, allowed: &[&str]) -> R<&'a str> {
    if let Some(c) = el.children.first() {
        return Err(error(src, c.pos, path, format!("element <{}> is not allowed in <{}>", c.local(), el.local())));
    }
    if let Some((k, _)) = el.attrs.iter().find(|(k, _)| !allowed.contains(&k.as_str())) {
        return Err(error(src, el.pos, path, format!("attribute `{k}` is not allowed on <{}>", el.local())));
    }
    Ok(&el.text)
}

fn value_pos(el: &XmlElement) -> usize {
    el.text_pos.unwrap_or(el.pos)
}

fn identifier(src: &str, node: &Node<'_>) -> R<Identifier> {
    let value = leaf(src, node, &["schemeAgencyId"])?;
    let (el, path) = node;
    let chars = value.chars().count();
    if chars > IDENTIFIER_MAX_CHARS {
        return Err(error(
            src,
            value_pos(el),
            path,
            format!("<{}> has {chars} characters, more than the {IDENTIFIER_MAX_CHARS} allowed", el.local()),
        ));
    }
    let scheme_agency_id = el.attrs.iter().find(|(k, _)| k == "schemeAgencyId").map(|(_, v)| collapse(v));
    Ok(Identifier { value: value.to_owned(), scheme_agency_id })
}

/// A token that must be one of `list` (sorted).
fn code(src: &str, node: &Node<'_>, list: &[&str], what: &str) -> R<String> {
    let v = collapse(leaf(src, node, &[])?);
    if list.binary_search(&v.as_str()).is_err() {
        let (el, path) = node;
        return Err(error(src, value_pos(el), path, format!("`{v}` is not a {what} of the eFTI code list")));
    }
    Ok(v)
}

fn country(src: &str, node: &Node<'_>) -> R<String> {
    let mut c = Children::of(src, node.0, &node.1)?;
    let code_el = c.req("code")?;
    c.finish()?;
    code(src, &code_el, table::COUNTRY_CODES, "country code")
}

fn boolean(src: &str, node: &Node<'_>) -> R<bool> {
    match collapse(leaf(src, node, &[])?).as_str() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        v => Err(error(src, value_pos(node.0), &node.1, format!("`{v}` is not an xsd:boolean (true, false, 1, 0)"))),
    }
}

fn integer16(src: &str, node: &Node<'_>) -> R<i64> {
    let v = collapse(leaf(src, node, &[])?);
    let digits = v.strip_prefix(['+', '-']).unwrap_or(&v);
    let significant = digits.trim_start_matches('0').len();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || significant > INTEGER16_DIGITS {
        return Err(error(
            src,
            value_pos(node.0),
            &node.1,
            format!("`{v}` is not an integer of at most {INTEGER16_DIGITS} digits"),
        ));
    }
    // At most 16 significant digits always fit in an i64.
    v.parse::<i64>().map_err(|e| error(src, value_pos(node.0), &node.1, format!("`{v}`: {e}")))
}

fn date_time(src: &str, node: &Node<'_>) -> R<DateTime> {
    let raw = leaf(src, node, &["formatId"])?;
    let (el, path) = node;
    let Some((_, format)) = el.attrs.iter().find(|(k, _)| k == "formatId") else {
        return Err(error(src, el.pos, path, format!("<{}> lacks the required attribute `formatId`", el.local())));
    };
    let format_code = collapse(format);
    let Some(format) = DateTimeFormat::from_code(&format_code) else {
        return Err(error(
            src,
            el.pos,
            path,
            format!("`formatId` `{format_code}` is not one of 102, 203, 205 on <{}>", el.local()),
        ));
    };
    let value = collapse(raw);
    let n = value.chars().count();
    if !(8..=20).contains(&n) || !value.chars().all(|c| c.is_ascii_digit() || c == '+' || c == '-') {
        return Err(error(
            src,
            value_pos(el),
            path,
            format!("`{value}` is not a date-time value (8 to 20 characters of digits, `+`, `-`)"),
        ));
    }
    Ok(DateTime { value, format })
}

fn consignment(src: &str, root: &XmlElement) -> R<IdentifierConsignment> {
    let path = "/consignment";
    let mut c = Children::of(src, root, path)?;
    let carrier_acceptance_date_time = c.opt("carrierAcceptanceDateTime").map(|n| date_time(src, &n)).transpose()?;
    let delivery_event = match c.opt("deliveryEvent") {
        None => None,
        Some((el, p)) => {
            let mut d = Children::of(src, el, &p)?;
            let actual = d.opt("actualOccurrenceDateTime").map(|n| date_time(src, &n)).transpose()?;
            d.finish()?;
            Some(TransportEvent { actual_occurrence_date_time: actual })
        }
    };
    let main_carriage_transport_movements =
        c.many("mainCarriageTransportMovement").iter().map(|n| movement(src, n)).collect::<R<_>>()?;
    let used_transport_equipment =
        c.many("usedTransportEquipment").iter().map(|n| transport_equipment(src, n)).collect::<R<_>>()?;
    c.finish()?;
    Ok(IdentifierConsignment {
        carrier_acceptance_date_time,
        delivery_event,
        main_carriage_transport_movements,
        used_transport_equipment,
    })
}

fn movement(src: &str, (el, path): &Node<'_>) -> R<TransportMovement> {
    let mut c = Children::of(src, el, path)?;
    let dangerous_goods_indicator = boolean(src, &c.req("dangerousGoodsIndicator")?)?;
    let mode_code = code(src, &c.req("modeCode")?, table::TRANSPORT_MODE_CODES, "transport mode code")?;
    let used_transport_means = match c.opt("usedTransportMeans") {
        None => None,
        Some((m, p)) => {
            let mut mc = Children::of(src, m, &p)?;
            let id = mc.opt("id").map(|n| identifier(src, &n)).transpose()?;
            let registration_country = country(src, &mc.req("registrationCountry")?)?;
            mc.finish()?;
            Some(TransportMeans { id, registration_country })
        }
    };
    c.finish()?;
    Ok(TransportMovement { dangerous_goods_indicator, mode_code, used_transport_means })
}

fn transport_equipment(src: &str, (el, path): &Node<'_>) -> R<TransportEquipment> {
    let mut c = Children::of(src, el, path)?;
    let carried_transport_equipment = c
        .many("carriedTransportEquipment")
        .iter()
        .map(|(ce, p)| {
            let mut cc = Children::of(src, ce, p)?;
            let id = cc.opt("id").map(|n| identifier(src, &n)).transpose()?;
            let sequence_number = cc.opt("sequenceNumber").map(|n| integer16(src, &n)).transpose()?;
            cc.finish()?;
            Ok(CarriedEquipment { id, sequence_number })
        })
        .collect::<R<_>>()?;
    let category_code = c
        .opt("categoryCode")
        .map(|n| code(src, &n, table::EQUIPMENT_CATEGORY_CODES, "transport equipment category code"))
        .transpose()?;
    let id = c.opt("id").map(|n| identifier(src, &n)).transpose()?;
    let registration_country = country(src, &c.req("registrationCountry")?)?;
    let sequence_number = c.opt("sequenceNumber").map(|n| integer16(src, &n)).transpose()?;
    c.finish()?;
    Ok(TransportEquipment { carried_transport_equipment, category_code, id, registration_country, sequence_number })
}
