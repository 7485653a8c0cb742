//! Reading the eFTI common dataset as an authority receives it from a gate: a bare `<consignment>` of
//! `consignment-common.xsd` (as this gateway answers a UIL read) or the same inside an eDelivery `<uilResponse>`
//! (as the reference implementation's gate answers), whole or cut down to subsets, with comments, namespace
//! prefixes and an `xsi:schemaLocation` hint as other writers put them.
//!
//! Unlike [`Consignment::from_xml`](super::Consignment::from_xml), which reads back only what this crate wrote, the
//! reader reports every finding it can at once: an element the XSD does not define where it stands, out of the
//! XSD's order or repeated beyond its `maxOccurs`; text where none belongs; an attribute the type does not have; a
//! value that breaks its type (date format and digits, country, currency and mode codes, integers, decimals,
//! booleans, length limits). Unknown elements are skipped with their content, so the rest is still read. A
//! required child that is absent is only a warning, since a subset leaves such children out. What cannot be read
//! at all (malformed or hostile XML, another root) is one [`DatasetError`].
//!
//! [`Received::boxes`] lays what the dataset holds out in the 24 boxes of the paper form, telling a box the dataset
//! does not provide from one it provides empty.
//!
//! ```
//! let xml = r#"<consignment xmlns="http://efti.eu/v1/consignment/common">
//!   <consignor><name>Brabant Zuivel B.V.</name>
//!     <postalAddress><cityName>Tilburg</cityName><countryCode>NL</countryCode></postalAddress></consignor>
//!   <transportContractDocument><id>NL-2026-000123</id></transportContractDocument>
//! </consignment>"#;
//! let r = ecmr::efti::Received::from_xml(xml)?;
//! assert!(r.findings.is_empty());
//! let boxes = r.boxes(&ecmr::render::Labels::ENGLISH);
//! assert_eq!(r.number(), Some("NL-2026-000123"));
//! assert_eq!(boxes.boxes[0].as_deref(), Some(&["Brabant Zuivel B.V.".to_owned(), "Tilburg, NL".to_owned()][..]));
//! assert_eq!(boxes.boxes[15], None); // box 16, the carrier: not in this dataset
//! // An element the XSD does not have is a finding naming it; the rest is still read.
//! let odd = ecmr::efti::Received::from_xml(&xml.replace("<name>Brabant Zuivel B.V.</name>", "<naam>x</naam>"))?;
//! assert_eq!(odd.findings[0].path, "/consignment/consignor/naam");
//! assert!(odd.has_errors());
//! # Ok::<(), ecmr::efti::DatasetError>(())
//! ```

use super::{COMMON_NAMESPACE, DatasetError, Element, IDENTIFIER_NAMESPACE, ROOT_TYPE, lookup, table};
use crate::render::Labels;
use crate::validate::Severity;
use crate::xml::tree::{self, Namespace, Vocabulary, line_col};

/// The eDelivery namespace of the reference implementation's gate messages (`uilResponse`).
pub const EDELIVERY_NAMESPACE: &str = "http://efti.eu/v1/edelivery";

const COMMON: Namespace = Namespace { uri: COMMON_NAMESPACE, prefix: "efti" };
const EDELIVERY: Namespace = Namespace { uri: EDELIVERY_NAMESPACE, prefix: "ed" };
const BARE: Vocabulary = Vocabulary { namespaces: &[COMMON], root: (COMMON, "consignment"), schema_location: true };
const WRAPPED: Vocabulary =
    Vocabulary { namespaces: &[EDELIVERY, COMMON], root: (EDELIVERY, "uilResponse"), schema_location: true };

/// One finding about a received dataset: how bad, where (line, column, element path) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// [`Severity::Error`]: the dataset breaks `consignment-common.xsd`; [`Severity::Warning`]: it may be a subset.
    pub severity: Severity,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
    /// Path of the element concerned, e.g. `/consignment/consignor/name`.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}: {}", self.line, self.column, self.path, self.message)
    }
}

/// A common dataset as received: the elements `consignment-common.xsd` defines where they stand, and the findings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// The `consignment` element with every element that could be placed in the XSD.
    pub root: Element,
    /// Every finding, in document order.
    pub findings: Vec<Finding>,
    /// Whether it came inside an eDelivery `uilResponse`.
    pub wrapped: bool,
}

/// The namespace and local name of the root element, read from the start of the text.
fn root_of(xml: &str) -> Option<(String, String)> {
    use quick_xml::events::Event as E;
    use quick_xml::name::ResolveResult;
    let mut reader = quick_xml::NsReader::from_str(xml);
    for _ in 0..64 {
        match reader.read_resolved_event() {
            Ok((ns, E::Start(s) | E::Empty(s))) => {
                let local = AsRef::<str>::as_ref(&s.local_name()).to_owned();
                let ns = match ns {
                    ResolveResult::Bound(n) => AsRef::<str>::as_ref(&n).to_owned(),
                    _ => String::new(),
                };
                return Some((ns, local));
            }
            Ok((_, E::Eof)) | Err(_) => return None,
            Ok(_) => {}
        }
    }
    None
}

/// Whether `xml` looks like an eFTI dataset (its root is `consignment` or `uilResponse` in an eFTI namespace)
/// rather than another XML vocabulary; only the start of the text is read.
pub fn is_dataset_xml(xml: &str) -> bool {
    root_of(xml).is_some_and(|(ns, local)| {
        matches!(
            (ns.as_str(), local.as_str()),
            (COMMON_NAMESPACE | IDENTIFIER_NAMESPACE, "consignment") | (EDELIVERY_NAMESPACE, "uilResponse")
        )
    })
}

impl Received {
    /// Reads a received common dataset, bare or in a `uilResponse`, and checks it against
    /// `consignment-common.xsd` (see the module documentation).
    ///
    /// # Errors
    /// [`DatasetError`] when the text is not well-formed or hostile (DOCTYPE, entities, depth, size), its root is
    /// neither, it is the identifier dataset, or a `uilResponse` carries no consignment (such as a 404 answer).
    pub fn from_xml(xml: &str) -> Result<Received, DatasetError> {
        let as_error = |e: crate::xml::XmlError| DatasetError {
            line: e.line,
            column: e.column,
            path: String::new(),
            message: e.message,
        };
        let root = if xml.len() <= crate::xml::MAX_XML_BYTES { root_of(xml) } else { None };
        if root.as_ref().is_some_and(|(ns, _)| ns == IDENTIFIER_NAMESPACE) {
            return Err(DatasetError {
                line: 1,
                column: 1,
                path: "/consignment".into(),
                message: format!(
                    "this is the identifier dataset ({IDENTIFIER_NAMESPACE}); give the common dataset \
                     ({COMMON_NAMESPACE})"
                ),
            });
        }
        let wrapped = root.is_some_and(|(ns, local)| ns == EDELIVERY_NAMESPACE && local == "uilResponse");
        let consignment = if wrapped {
            let response = tree::parse(xml, &WRAPPED).map_err(as_error)?;
            let status = response.attrs.iter().find(|(k, _)| k == "status").map(|(_, v)| v.clone());
            let found = response.children.into_iter().find(|c| c.ns == COMMON && c.local() == "consignment");
            let Some(c) = found else {
                let (line, column) = line_col(xml, response.pos);
                return Err(DatasetError {
                    line,
                    column,
                    path: "/uilResponse".into(),
                    message: format!(
                        "the response carries no consignment (status {})",
                        status.as_deref().unwrap_or("not given")
                    ),
                });
            };
            c
        } else {
            tree::parse(xml, &BARE).map_err(|e| {
                let mut e = as_error(e);
                if e.message.starts_with("root element must be") || e.message.contains("unexpected namespace") {
                    e.message = format!(
                        "{}; an eFTI dataset is <consignment> in namespace {COMMON_NAMESPACE}, bare or in an \
                         eDelivery <uilResponse>",
                        e.message
                    );
                }
                e
            })?
        };
        let mut r = Received { root: Element::new("consignment"), findings: Vec::new(), wrapped };
        let base = if wrapped { "/uilResponse/consignment" } else { "/consignment" };
        for (k, _) in &consignment.attrs {
            r.finding(xml, consignment.pos, Severity::Error, base, format!("attribute `{k}` is not allowed here"));
        }
        let mut root = Element::new("consignment");
        r.read_children(xml, &consignment, ROOT_TYPE, base, &mut root);
        r.root = root;
        Ok(r)
    }

    fn finding(&mut self, xml: &str, pos: usize, severity: Severity, path: &str, message: String) {
        let (line, column) = line_col(xml, pos);
        self.findings.push(Finding { severity, line, column, path: path.to_owned(), message });
    }

    fn read_children(&mut self, xml: &str, from: &tree::Element, ty: &'static str, path: &str, into: &mut Element) {
        if let Some(p) = from.text_pos.filter(|_| !from.text.trim().is_empty()) {
            self.finding(xml, p, Severity::Error, path, format!("text is not allowed in <{}>", from.local()));
        }
        let mut last: Option<u16> = None;
        let mut counts: std::collections::HashMap<&str, u32> = std::collections::HashMap::new();
        for c in &from.children {
            let name = c.local();
            let at = format!("{path}/{name}");
            if c.ns != COMMON {
                self.finding(
                    xml,
                    c.pos,
                    Severity::Error,
                    &at,
                    format!("<{}> is not in the common dataset's namespace", c.qname()),
                );
                continue;
            }
            let Some(def) = lookup(table::COMMON, ty, name) else {
                self.finding(xml, c.pos, Severity::Error, &at, format!("<{name}> is not an element of {ty}; skipped"));
                continue;
            };
            if last.is_some_and(|i| def.index < i) {
                self.finding(xml, c.pos, Severity::Error, &at, format!("<{name}> is out of the XSD's order in {ty}"));
            }
            last = Some(last.map_or(def.index, |l| l.max(def.index)));
            let n = counts.entry(def.name).or_insert(0);
            *n += 1;
            if def.max.is_some_and(|m| *n > m) {
                let times = match def.max.unwrap_or_default() {
                    1 => "once".to_owned(),
                    m => format!("{m} times"),
                };
                self.finding(xml, c.pos, Severity::Error, &at, format!("<{name}> may occur at most {times} in {ty}"));
            }
            let mut el = Element::new(def.name);
            if def.ty.contains(':') {
                self.read_simple(xml, c, def.ty, &at, &mut el);
            } else {
                for (k, _) in &c.attrs {
                    self.finding(
                        xml,
                        c.pos,
                        Severity::Error,
                        &at,
                        format!("attribute `{k}` is not allowed on <{name}>"),
                    );
                }
                self.read_children(xml, c, def.ty, &at, &mut el);
            }
            into.children.push(el);
        }
        for d in table::COMMON.iter().filter(|d| d.parent == ty && d.min > 0) {
            if !counts.contains_key(d.name) {
                self.finding(
                    xml,
                    from.pos,
                    Severity::Warning,
                    path,
                    format!("<{}> is required in {ty} but not in this dataset (a subset may leave it out)", d.name),
                );
            }
        }
    }

    fn read_simple(&mut self, xml: &str, from: &tree::Element, ty: &str, path: &str, into: &mut Element) {
        let name = from.local();
        for c in &from.children {
            self.finding(
                xml,
                c.pos,
                Severity::Error,
                path,
                format!("<{}> is not allowed in <{name}>, which holds text", c.local()),
            );
        }
        let allowed: &[&'static str] = match ty {
            "types:DateTime" => &["formatId"],
            "types:Amount" => &["currencyId"],
            t if t.ends_with("Measure") => &["unitId"],
            t if t.starts_with("types:Identifier") => &["schemeAgencyId"],
            t if t.starts_with("types:Localized") => &["languageId"],
            _ => &[],
        };
        for (k, v) in &from.attrs {
            match allowed.iter().find(|a| **a == k.as_str()) {
                Some(a) => into.attributes.push((a, v.clone())),
                None => self.finding(
                    xml,
                    from.pos,
                    Severity::Error,
                    path,
                    format!("attribute `{k}` is not allowed on <{name}>"),
                ),
            }
        }
        let text = from.text.trim().to_owned();
        let at = from.text_pos.unwrap_or(from.pos);
        if let Err((severity, m)) = check_value(ty, &text, &into.attributes) {
            self.finding(xml, at, severity, path, m);
        }
        into.text = Some(text);
    }

    /// The consignment note number (`transportContractDocument/id`), when the dataset holds it.
    pub fn number(&self) -> Option<&str> {
        self.root.text_at("transportContractDocument/id")
    }

    /// Whether any finding is an error.
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }
}

/// Checks a simple element's text against its XSD type, as far as the core knows the type.
fn check_value(ty: &str, text: &str, attrs: &[(&'static str, String)]) -> Result<(), (Severity, String)> {
    check_xsd(ty, text, attrs).map_err(|m| (Severity::Error, m))?;
    if ty == "types:DateTime" {
        // The XSD only asks for 8 to 20 of `0-9 + -`; the format the formatId names is documented, not enforced
        // (the reference implementation's own examples write 205 without the offset): a mismatch is a warning.
        let format = attrs.iter().find(|(a, _)| *a == "formatId").map(|(_, v)| v.as_str()).unwrap_or_default();
        let (len, pattern) = match format {
            "102" => (8, "CCYYMMDD"),
            "203" => (12, "CCYYMMDDHHMM"),
            _ => (17, "CCYYMMDDHHMMZHHMM"),
        };
        let shape = text.len() == len
            && text.bytes().enumerate().all(|(i, b)| if i == 12 { b == b'+' || b == b'-' } else { b.is_ascii_digit() });
        if !shape || parse_date_time(text).is_none() {
            return Err((Severity::Warning, format!("{text:?} is not a date and time of format {format} ({pattern})")));
        }
    }
    Ok(())
}

/// Checks a simple element's text against what its XSD type requires.
fn check_xsd(ty: &str, text: &str, attrs: &[(&'static str, String)]) -> Result<(), String> {
    let attr = |k: &str| attrs.iter().find(|(a, _)| *a == k).map(|(_, v)| v.as_str());
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let limit = |n: usize| {
        let count = text.chars().count();
        if count > n { Err(format!("{count} characters, more than the {n} {ty} allows")) } else { Ok(()) }
    };
    let decimal = |s: &str| {
        let s = s.strip_prefix(['-', '+']).unwrap_or(s);
        let (i, f) = s.split_once('.').unwrap_or((s, ""));
        (!i.is_empty() || !f.is_empty()) && i.bytes().chain(f.bytes()).all(|b| b.is_ascii_digit())
    };
    match ty {
        "types:DateTime" => {
            attr("formatId").ok_or("a date and time needs formatId (102, 203 or 205)")?;
            if let Some(other) = attr("formatId").filter(|f| !matches!(*f, "102" | "203" | "205")) {
                return Err(format!("formatId {other:?} is not 102, 203 or 205"));
            }
            let ok =
                (8..=20).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit() || b == b'+' || b == b'-');
            if ok { Ok(()) } else { Err(format!("{text:?} is not a date and time (8 to 20 of 0-9, + and -)")) }
        }
        "codes:CountryCode" if table::COUNTRY_CODES.binary_search(&text).is_err() => {
            Err(format!("{text:?} is not an ISO 3166 country code"))
        }
        "codes:TransportModeCode" if !table::TRANSPORT_MODE_CODES.contains(&text) => {
            Err(format!("{text:?} is not a transport mode code ({})", table::TRANSPORT_MODE_CODES.join(", ")))
        }
        "codes:TransportEquipmentCategoryCode" if table::EQUIPMENT_CATEGORY_CODES.binary_search(&text).is_err() => {
            Err(format!("{text:?} is not a transport equipment category code"))
        }
        "types:Amount" => {
            if let Some(c) = attr("currencyId")
                && table::CURRENCY_CODES.binary_search(&c).is_err()
            {
                return Err(format!("currencyId {c:?} is not an ISO 4217 currency code"));
            }
            if decimal(text) { Ok(()) } else { Err(format!("{text:?} is not an amount")) }
        }
        t if t.ends_with("Measure") => {
            if decimal(text) {
                Ok(())
            } else {
                Err(format!("{text:?} is not a number"))
            }
        }
        "types:Integer8" | "types:Integer16" => {
            let max = if ty == "types:Integer8" { 8 } else { 16 };
            if digits(text) && text.len() <= max {
                Ok(())
            } else {
                Err(format!("{text:?} is not an integer of at most {max} digits"))
            }
        }
        "xsd:boolean" if !matches!(text, "true" | "false" | "1" | "0") => Err(format!("{text:?} is not true or false")),
        t => match t.trim_start_matches(|c: char| !c.is_ascii_digit()).parse::<usize>() {
            Ok(n) if t.starts_with("types:") => limit(n),
            _ => Ok(()),
        },
    }
}

/// A dataset date and time (`CCYYMMDD`, `CCYYMMDDHHMM` or `CCYYMMDDHHMM±HHMM`) as `YYYY-MM-DD[ HH:MM[ ±HH:MM]]`.
fn parse_date_time(text: &str) -> Option<String> {
    let part = |r: std::ops::Range<usize>| text.get(r).and_then(|s| s.parse::<u32>().ok());
    let (y, mo, d) = (part(0..4)?, part(4..6)?, part(6..8)?);
    chrono::NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, mo, d)?;
    let mut out = format!("{y:04}-{mo:02}-{d:02}");
    if text.len() >= 12 {
        let (h, mi) = (part(8..10)?, part(10..12)?);
        if h > 23 || mi > 59 {
            return None;
        }
        out.push_str(&format!(" {h:02}:{mi:02}"));
    }
    if text.len() == 17 {
        let (sign, oh, om) = (text.get(12..13)?, part(13..15)?, part(15..17)?);
        if oh > 14 || om > 59 {
            return None;
        }
        out.push_str(&format!(" {sign}{oh:02}:{om:02}"));
    }
    Some(out)
}

/// What a received dataset shows in each box of the paper form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Boxes {
    /// Boxes 1 to 24 (index 0 is box 1); boxes 6–12 are in [`Boxes::goods`]. `None`: the dataset does not provide
    /// the box; `Some` with the box's lines (the labels' "none" when the dataset provides it empty).
    pub boxes: Vec<Option<Vec<String>>>,
    /// The goods lines as cells of boxes 6 to 12 (marks, packages, packing, nature, statistical number, gross
    /// weight, volume), `None` when the dataset provides no goods particulars at all.
    pub goods: Option<Vec<[String; 7]>>,
    /// Lines for below the goods table: totals the dataset gives for the whole consignment, dangerous goods.
    pub goods_notes: Vec<String>,
    /// What has no box (transport means and equipment, other particulars), as (heading, lines).
    pub trailer: Vec<(String, Vec<String>)>,
}

impl Received {
    /// Lays the dataset out in the 24 boxes, in the words of `labels` (the dataset's own codes and texts as they
    /// are). A box none of whose elements is in the dataset is `None`: not provided, which a subset often means.
    /// Boxes 14 and 18 (payment instructions, reservations) have no element in the dataset and are always `None`.
    pub fn boxes(&self, labels: &Labels) -> Boxes {
        let c = &self.root;
        let some = |lines: Vec<String>| if lines.is_empty() { None } else { Some(lines) };
        let mut boxes: Vec<Option<Vec<String>>> = vec![None; 24];
        let mut set = |n: usize, v: Option<Vec<String>>| {
            if let Some(slot) = n.checked_sub(1).and_then(|i| boxes.get_mut(i)) {
                *slot = v;
            }
        };
        set(1, c.child("consignor").map(|p| party(p, labels)));
        set(2, c.child("consignee").map(|p| party(p, labels)));
        let mut b3 = c.child("consigneeReceiptLocation").map(|l| location(l, labels)).unwrap_or_default();
        if let Some(t) = c.text_at("deliveryEvent/scheduledOccurrenceDateTime") {
            b3.push(format!("{}: {}", labels.expected_delivery, date(t)));
        }
        set(3, some(b3));
        let mut b4 = c.child("carrierAcceptanceLocation").map(|l| location(l, labels)).unwrap_or_default();
        if let Some(t) = c.text_at("carrierAcceptanceDateTime") {
            b4.push(format!("{}: {}", labels.date, date(t)));
        }
        set(4, some(b4));
        let docs: Vec<String> = c
            .children_named("associatedDocument")
            .map(|d| {
                let mut parts = Vec::new();
                if let Some(t) = d.text_at("typeCode") {
                    parts.push(format!("({} {t})", labels.document_type));
                }
                if let Some(r) = d.text_at("id") {
                    parts.push(format!("{} {r}", labels.document_reference));
                }
                parts.join(", ")
            })
            .collect();
        set(5, some(docs));
        let mut b13 = Vec::new();
        for e in c.children_named("consignorProvidedBorderClearanceInstructions") {
            b13.extend(e.text_at("description").map(|t| format!("{}: {t}", labels.customs)));
        }
        for e in c.children_named("consignorProvidedInformationText") {
            b13.extend(e.text.as_ref().map(|t| format!("{}: {t}", labels.other_formalities)));
        }
        b13.extend(
            c.child("cargoInsuranceInstructions")
                .and_then(|e| e.text.as_ref())
                .map(|t| format!("{}: {t}", labels.insurance)),
        );
        b13.extend(
            c.child("declaredValueForCarriageAmount").map(|e| format!("{}: {}", labels.declared_value, amount(e))),
        );
        set(13, some(b13));
        set(15, c.child("cODAmount").map(|e| vec![amount(e)]));
        set(16, c.child("carrier").map(|p| party(p, labels)));
        let connecting: Vec<String> = c.children_named("connectingCarrier").flat_map(|p| party(p, labels)).collect();
        set(17, some(connecting));
        let mut b19: Vec<String> = c.children_named("contractTermsText").filter_map(|e| e.text.clone()).collect();
        if let Some(t) = c.text_at("deliveryEvent/requestedOccurrenceDateTime") {
            b19.push(format!("{}: {}", labels.time_limit, date(t)));
        }
        if c.text_at("transshipmentPermittedIndicator").is_some_and(|v| v == "false" || v == "0") {
            b19.push(labels.transhipment_prohibited.to_owned());
        }
        set(19, some(b19));
        let charges: Vec<String> = c
            .children_named("applicableServiceCharge")
            .map(|e| {
                let kind = e.text_at("id").map(|k| charge_kind(k, labels)).unwrap_or_default();
                let payer = match e.text_at("payingPartyRoleCode") {
                    Some("CZ") => labels.payers[0].to_owned(),
                    Some("CN") => labels.payers[1].to_owned(),
                    Some(other) => other.to_owned(),
                    None => String::new(),
                };
                let amount = e.child("appliedAmount").map(amount).unwrap_or_default();
                [kind, amount, payer].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" | ")
            })
            .collect();
        set(20, some(charges));
        let b21 = c.child("transportContractDocument").map(|d| {
            let place = d.text_at("issueLocation/name");
            let country = d.text_at("issueLocation/postalAddress/countryCode");
            let when = d.text_at("formattedIssueDateTime").map(date);
            [place.map(str::to_owned), country.map(str::to_owned), when]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", ")
        });
        set(21, b21.filter(|s| !s.is_empty()).map(|s| vec![s]));
        let signed = |p: Option<&Element>| -> Option<Vec<String>> {
            let p = p?;
            let at = p.text_at("confirmedDocumentAuthentication/actualDateTime")?;
            Some(vec![format!("{} — {}", p.text_at("name").unwrap_or_default(), date(at))])
        };
        set(22, signed(c.child("consignor")));
        let mut b23 = signed(c.child("carrier")).unwrap_or_default();
        if let Some(t) = c.text_at("carrierAcceptanceDateTime") {
            b23.push(format!("{}: {}", labels.date, date(t)));
        }
        set(23, some(b23));
        let mut b24 = signed(c.child("consignee")).unwrap_or_default();
        if let Some(t) = c.text_at("deliveryEvent/actualOccurrenceDateTime") {
            b24.push(format!("{}: {}", labels.date, date(t)));
        }
        if let Some(l) = c.find("deliveryEvent/occurrenceLocation") {
            b24.push(location(l, labels).join(", "));
        }
        set(24, some(b24));

        let (goods, goods_notes) = goods(c, labels);
        let mut trailer = Vec::new();
        let mut transport = Vec::new();
        for m in c.children_named("mainCarriageTransportMovement") {
            if let Some(mode) = m.text_at("modeCode") {
                transport.push(format!("{}: {mode}", labels.mode));
            }
            if let Some(v) = m.text_at("usedTransportMeans/id") {
                let country = m.text_at("usedTransportMeans/registrationCountry/code");
                transport.push(format!(
                    "{}: {v}{}",
                    labels.vehicle,
                    country.map(|c| format!(" ({c})")).unwrap_or_default()
                ));
            }
        }
        for e in c.children_named("usedTransportEquipment") {
            transport.push(equipment_line(e, labels.equipment));
            for ce in e.children_named("carriedTransportEquipment") {
                transport.push(format!("  {}", equipment_line(ce, labels.carried)));
            }
        }
        transport.dedup();
        if !transport.is_empty() {
            trailer.push((labels.transport.to_owned(), transport));
        }
        let info: Vec<String> = c.children_named("information").filter_map(|e| e.text.clone()).collect();
        if !info.is_empty() {
            trailer.push((labels.other_particulars.to_owned(), info));
        }
        Boxes { boxes, goods, goods_notes, trailer }
    }
}

fn date(t: &str) -> String {
    parse_date_time(t).unwrap_or_else(|| t.to_owned())
}

fn amount(e: &Element) -> String {
    let v = e.text.clone().unwrap_or_default();
    match e.attribute("currencyId") {
        Some(c) => format!("{v} {c}"),
        None => v,
    }
}

fn charge_kind(id: &str, labels: &Labels) -> String {
    let i = match id {
        "carriage" => 0,
        "deductions" => 1,
        "supplementary" => 2,
        "customs_duties" => 3,
        "other" => 4,
        other => return other.to_owned(),
    };
    labels.charge_kinds.get(i).map(|s| (*s).to_owned()).unwrap_or_default()
}

fn equipment_line(e: &Element, label: &str) -> String {
    let mut s = format!("{label}: {}", e.text_at("id").unwrap_or("?"));
    if let Some(c) = e.text_at("registrationCountry/code") {
        s.push_str(&format!(" ({c})"));
    }
    if let Some(c) = e.text_at("categoryCode") {
        s.push_str(&format!(" [{c}]"));
    }
    s
}

fn address(a: &Element) -> Vec<String> {
    let mut lines = Vec::new();
    lines.extend(a.text_at("streetName").map(str::to_owned));
    let city = [a.text_at("postcode"), a.text_at("cityName")].into_iter().flatten().collect::<Vec<_>>().join(" ");
    let last =
        [Some(city.as_str()).filter(|s| !s.is_empty()), a.text_at("countrySubDivisionName"), a.text_at("countryCode")]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", ");
    if !last.is_empty() {
        lines.push(last);
    }
    lines
}

fn party(p: &Element, labels: &Labels) -> Vec<String> {
    let mut lines = Vec::new();
    lines.extend(p.text_at("name").map(str::to_owned));
    if let Some(a) = p.child("postalAddress") {
        lines.extend(address(a));
    }
    for t in p.children_named("taxRegistration") {
        lines.extend(t.text_at("id").map(|v| format!("{}: {v}", labels.identifier_schemes[0])));
    }
    if let Some(id) = p.child("id") {
        let scheme = match id.attribute("schemeAgencyId") {
            Some("EORI") => labels.identifier_schemes[1],
            Some("GLN") => labels.identifier_schemes[2],
            Some("COMPANY_REGISTER") => labels.identifier_schemes[3],
            Some("TRANSPORT_LICENCE") => labels.identifier_schemes[4],
            _ => labels.identifier_schemes[5],
        };
        lines.push(format!("{scheme}: {}", id.text.as_deref().unwrap_or_default()));
    }
    for l in p.children_named("applicableLicence") {
        lines.extend(l.text_at("id").map(|v| format!("{}: {v}", labels.identifier_schemes[4])));
    }
    if let Some(ct) = p.child("definedContactDetails") {
        let parts: Vec<&str> =
            [ct.text_at("personName"), ct.text_at("telephone/completeNumber"), ct.text_at("emailAddress/uRI")]
                .into_iter()
                .flatten()
                .collect();
        if !parts.is_empty() {
            lines.push(format!("{}: {}", labels.contact, parts.join(", ")));
        }
    }
    lines
}

fn location(l: &Element, labels: &Labels) -> Vec<String> {
    let mut lines = Vec::new();
    lines.extend(l.text_at("name").map(str::to_owned));
    if let Some(a) = l.child("postalAddress") {
        lines.extend(address(a));
    }
    lines.extend(l.text_at("id").map(|u| format!("{}: {u}", labels.unlocode)));
    if let (Some(la), Some(lo)) =
        (l.text_at("geographicalCoordinates/latitude"), l.text_at("geographicalCoordinates/longitude"))
    {
        lines.push(format!("{}: {la}, {lo}", labels.coordinates));
    }
    lines
}

/// The goods rows (one per `includedConsignmentItem`, nature and packages matched by position when the dataset
/// gives one of each per item) and the lines for the whole consignment.
fn goods(c: &Element, labels: &Labels) -> (Option<Vec<[String; 7]>>, Vec<String>) {
    let items: Vec<&Element> = c.children_named("includedConsignmentItem").collect();
    let natures: Vec<&str> = c
        .find("natureIdentificationCargo")
        .map(|n| n.children_named("identificationText").filter_map(|e| e.text.as_deref()).collect())
        .unwrap_or_default();
    let packages: Vec<&Element> = c.children_named("transportPackage").collect();
    let stat = c.text_at("natureIdentificationCargo/statisticalClassificationCode");
    let rows_n = items.len().max(natures.len()).max(packages.len());
    let mut notes = Vec::new();
    let packages_match = packages.len() == rows_n;
    let rows: Vec<[String; 7]> = (0..rows_n)
        .map(|i| {
            let item = items.get(i);
            let pkg = if packages_match { packages.get(i) } else { None };
            let marks = pkg.and_then(|p| p.text_at("shippingMarks/markingText")).unwrap_or_default().to_owned();
            let count = pkg
                .and_then(|p| p.text_at("itemQuantity"))
                .or_else(|| item.and_then(|e| e.text_at("goodsUnitQuantity")))
                .unwrap_or_default()
                .to_owned();
            let packing = pkg
                .map(|p| match (p.text_at("typeText"), p.text_at("typeCode")) {
                    (Some(t), Some(code)) => format!("{t} ({code})"),
                    (Some(t), None) => t.to_owned(),
                    (None, Some(code)) => code.to_owned(),
                    (None, None) => String::new(),
                })
                .unwrap_or_default();
            let nature = natures.get(i).copied().unwrap_or_default().to_owned();
            let weight =
                item.and_then(|e| e.text_at("transportDangerousGoods/grossWeight")).unwrap_or_default().to_owned();
            let volume = item.and_then(|e| e.text_at("grossVolume")).unwrap_or_default().to_owned();
            if let Some(dg) = item.and_then(|e| e.child("transportDangerousGoods")) {
                let un = dg.text_at("uNDGID").map(|u| format!("UN {u}"));
                let line = [
                    un.as_deref(),
                    dg.text_at("properShippingName"),
                    dg.text_at("hazardClassificationID"),
                    dg.text_at("packagingDangerLevelCode"),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", ");
                notes.push(format!("[{}] {}: {line}", i + 1, labels.dangerous_goods));
            }
            [marks, count, packing, nature, stat.unwrap_or_default().to_owned(), weight, volume]
        })
        .collect();
    if !packages_match && !packages.is_empty() {
        for p in &packages {
            let text = [p.text_at("shippingMarks/markingText"), p.text_at("itemQuantity"), p.text_at("typeText")]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" | ");
            notes.push(text);
        }
    }
    let totals: Vec<String> = [
        c.text_at("numberOfPackages").map(|n| format!("{} {n}", labels.goods_columns[1])),
        c.child("grossWeight").and_then(|e| e.text.as_deref()).map(|w| format!("{} {w}", labels.goods_columns[5])),
        c.child("grossVolume").and_then(|e| e.text.as_deref()).map(|v| format!("{} {v}", labels.goods_columns[6])),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !totals.is_empty() {
        notes.push(format!("Σ {}", totals.join(", ")));
    }
    let any = rows_n > 0 || !totals.is_empty();
    (if any { Some(rows) } else { None }, notes)
}
