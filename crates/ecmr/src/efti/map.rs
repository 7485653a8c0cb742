//! Note + events → the common dataset element tree. Children are added in the order of the XSD sequences (the
//! XSDs list elements alphabetically); `schemas/efti-mapping.md` is the table of what goes where.

use rust_decimal::Decimal as Dec;

use super::{Consignment, Element, ProjectionError, table, typed_events};
use crate::document::{Event, EventData};
use crate::model::*;
use crate::types::{CountryCode, CurrencyCode, Timestamp};

/// UN/EDIFACT 1001 document name code of a road consignment note (CMR).
pub const ROAD_CONSIGNMENT_NOTE: &str = "730";
/// UN/ECE Recommendation 19 transport mode code for road, used when the note does not give one.
pub const ROAD: &str = "3";

/// Projects a note and the events of its document onto the eFTI common dataset (see [`super::project`], which
/// takes a verified document).
///
/// # Errors
/// [`ProjectionError::EventData`] when an event's `data` does not parse for its kind.
pub fn project_parts(note: &ConsignmentNote, events: &[Event]) -> Result<Consignment, ProjectionError> {
    let data = typed_events(events)?;
    let at = |kind: crate::document::EventKind| {
        events.iter().find(|e| e.kind == kind).and_then(|e| Timestamp::parse(&e.at).ok())
    };
    let take_over = data.iter().find_map(|d| match d {
        EventData::TakenOver(t) => Some(t),
        _ => None,
    });
    let delivered = data.iter().find_map(|d| match d {
        EventData::Delivered(t) => Some(t),
        _ => None,
    });
    let issued_at = at(crate::document::EventKind::Issued);
    let taken_at = at(crate::document::EventKind::TakenOver);
    let delivered_at = at(crate::document::EventKind::Delivered);

    let mut c = Element::new("consignment");
    // applicableServiceCharge
    for charge in &note.charges {
        let mut e = Element::new("applicableServiceCharge");
        push_opt(&mut e, amount("appliedAmount", &charge.amount));
        e.children.push(text("id", token(charge_kind(charge.kind))));
        e.children.push(text("payingPartyRoleCode", party_role(charge.payer).to_owned()));
        c.children.push(e);
    }
    // associatedDocument
    for d in &note.documents {
        let mut e = Element::new("associatedDocument");
        push_opt(&mut e, d.reference.as_ref().and_then(|r| ident("id", r, 35)));
        push_opt(&mut e, d.type_code.as_ref().map(|t| text("typeCode", token(t))));
        if !e.children.is_empty() {
            c.children.push(e);
        }
    }
    push_opt(&mut c, note.cash_on_delivery.as_ref().and_then(|m| amount("cODAmount", m)));
    push_opt(&mut c, note.insurance_instructions.as_ref().map(|t| text("cargoInsuranceInstructions", limited(t, 256))));
    c.children.push(party("carrier", &note.carrier, taken_at.as_ref()));
    push_opt(&mut c, take_over.map(|t| date_time("carrierAcceptanceDateTime", &t.time)));
    let acceptance_place = take_over.map_or(&note.taking_over.location, |t| &t.place);
    c.children.push(location("carrierAcceptanceLocation", acceptance_place));
    // The n-th hand-over is signed by the n-th successive carrier.
    let handed: Vec<Timestamp> = events
        .iter()
        .filter(|e| e.kind == crate::document::EventKind::HandedOver)
        .filter_map(|e| Timestamp::parse(&e.at).ok())
        .collect();
    for (i, p) in note.successive_carriers.iter().enumerate() {
        c.children.push(party("connectingCarrier", p, handed.get(i)));
    }
    c.children.push(party("consignee", &note.consignee, delivered_at.as_ref()));
    c.children.push(location("consigneeReceiptLocation", &note.delivery.location));
    c.children.push(party("consignor", &note.sender, issued_at.as_ref()));
    for t in &note.sender_instructions.customs {
        let mut e = Element::new("consignorProvidedBorderClearanceInstructions");
        e.children.push(text("description", limited(t, 256)));
        c.children.push(e);
    }
    for t in &note.sender_instructions.other {
        c.children.push(text("consignorProvidedInformationText", limited(t, 256)));
    }
    for t in note.special_agreements.iter().chain(std::iter::once(&note.paramount_statement)) {
        c.children.push(text("contractTermsText", limited(t, 256)));
    }
    push_opt(&mut c, note.declared_value.as_ref().and_then(|m| amount("declaredValueForCarriageAmount", m)));
    // deliveryEvent: the delivery as it happened, the expected date and the agreed time limit.
    let mut de = Element::new("deliveryEvent");
    push_opt(&mut de, delivered.map(|d| date_time("actualOccurrenceDateTime", &d.time)));
    push_opt(&mut de, delivered.map(|d| location("occurrenceLocation", &d.place)));
    push_opt(&mut de, note.agreed_time_limit.as_ref().map(|t| date_time("requestedOccurrenceDateTime", t)));
    push_opt(&mut de, note.delivery.expected_date.as_ref().map(|t| date_time("scheduledOccurrenceDateTime", t)));
    if !de.children.is_empty() {
        c.children.push(de);
    }
    // grossVolume, grossWeight: totals over the goods lines that state them.
    push_opt(
        &mut c,
        total(note.goods.iter().filter_map(|g| g.volume_m3)).and_then(|v| measure("grossVolume", v, "MTQ")),
    );
    push_opt(
        &mut c,
        total(note.goods.iter().filter_map(|g| g.gross_weight_kg)).and_then(|v| measure("grossWeight", v, "KGM")),
    );
    for g in &note.goods {
        let mut e = Element::new("includedConsignmentItem");
        push_opt(&mut e, g.number_of_packages.and_then(|n| integer8("goodsUnitQuantity", u64::from(n))));
        push_opt(&mut e, g.volume_m3.and_then(|v| measure("grossVolume", v.value(), "MTQ")));
        push_opt(&mut e, g.dangerous_goods.as_ref().map(|dg| dangerous_goods(dg, g)));
        c.children.push(e);
    }
    for t in &note.other_particulars {
        c.children.push(text("information", limited(t, 256)));
    }
    // mainCarriageTransportMovement: one per vehicle (usedTransportMeans is 0..1 per movement).
    let mode = note.transport.mode_code.as_deref().filter(|m| table::TRANSPORT_MODE_CODES.contains(m)).unwrap_or(ROAD);
    let dg = note.goods.iter().any(|g| g.dangerous_goods.is_some());
    let movement = |vehicle: Option<&Vehicle>| {
        let mut e = Element::new("mainCarriageTransportMovement");
        e.children.push(text("dangerousGoodsIndicator", dg.to_string()));
        e.children.push(text("modeCode", mode.to_owned()));
        if let Some(v) = vehicle {
            let mut m = Element::new("usedTransportMeans");
            push_opt(&mut m, ident("id", &v.registration, 17));
            push_opt(&mut m, country("registrationCountry", &v.country));
            e.children.push(m);
        }
        e
    };
    if note.transport.vehicles.is_empty() {
        c.children.push(movement(None));
    } else {
        c.children.extend(note.transport.vehicles.iter().map(|v| movement(Some(v))));
    }
    // natureIdentificationCargo
    let mut cargo = Element::new("natureIdentificationCargo");
    for g in &note.goods {
        cargo.children.push(text("identificationText", limited(&g.nature_of_goods, 512)));
    }
    let mut stat: Vec<&String> = note.goods.iter().filter_map(|g| g.statistical_number.as_ref()).collect();
    stat.sort();
    stat.dedup();
    if let [only] = stat.as_slice() {
        cargo.children.push(text("statisticalClassificationCode", token(only)));
    }
    if !cargo.children.is_empty() {
        c.children.push(cargo);
    }
    let packages: u64 = note.goods.iter().filter_map(|g| g.number_of_packages).map(u64::from).sum();
    if note.goods.iter().any(|g| g.number_of_packages.is_some()) {
        push_opt(&mut c, integer8("numberOfPackages", packages));
    }
    // transportContractDocument: the note itself.
    let mut doc = Element::new("transportContractDocument");
    doc.children.push(date_time("formattedIssueDateTime", &note.established.date));
    push_opt(&mut doc, ident("id", &note.number, 35));
    let mut place = Element::new("issueLocation");
    place.children.push(text("name", limited(&note.established.place, 256)));
    let mut addr = Element::new("postalAddress");
    push_opt(&mut addr, country_code("countryCode", &note.established.country));
    push_opt(&mut place, Some(addr).filter(|a| !a.children.is_empty()));
    doc.children.push(place);
    doc.children.push(text("typeCode", ROAD_CONSIGNMENT_NOTE.to_owned()));
    c.children.push(doc);
    // transportPackage: packages, marks and packing of each goods line.
    for g in &note.goods {
        let mut e = Element::new("transportPackage");
        push_opt(&mut e, g.number_of_packages.and_then(|n| integer8("itemQuantity", u64::from(n))));
        if let Some(m) = &g.marks_and_numbers {
            let mut marks = Element::new("shippingMarks");
            marks.children.push(text("markingText", limited(m, 70)));
            e.children.push(marks);
        }
        if let Some(p) = &g.packing {
            push_opt(&mut e, p.code.as_ref().map(|code| text("typeCode", token(code))));
            e.children.push(text("typeText", limited(&p.method, 35)));
        }
        if !e.children.is_empty() {
            c.children.push(e);
        }
    }
    c.children.push(text("transshipmentPermittedIndicator", (!note.transhipment_prohibited).to_string()));
    for (i, eq) in note.transport.equipment.iter().enumerate() {
        c.children.push(equipment(eq, i));
    }
    Ok(Consignment::from_root(c))
}

fn push_opt(parent: &mut Element, child: Option<Element>) {
    if let Some(c) = child {
        parent.children.push(c);
    }
}

fn text(name: &'static str, value: String) -> Element {
    Element { name, attributes: Vec::new(), text: Some(value), children: Vec::new() }
}

/// `value` without characters XML 1.0 cannot carry, cut to `max` characters (the XSD's `maxLength`).
pub(crate) fn limited(value: &str, max: usize) -> String {
    value
        .chars()
        .filter(|&c| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..))
        .take(max)
        .collect()
}

/// An identifier element, left out when the value is longer than the XSD allows (`max` characters): a cut
/// identifier would name something else.
fn ident(name: &'static str, value: &str, max: usize) -> Option<Element> {
    let v = limited(value, usize::MAX);
    (v.chars().count() <= max).then(|| text(name, v))
}

/// An `xsd:token` value: XML-safe, whitespace collapsed.
fn token(value: &str) -> String {
    limited(value, usize::MAX).split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A `types:DateTime` with `formatId` 205 (`CCYYMMDDHHMM` and the UTC offset `±HHMM`).
pub(crate) fn date_time(name: &'static str, t: &Timestamp) -> Element {
    let mut e = text(name, t.value().format("%Y%m%d%H%M%z").to_string());
    e.attributes.push(("formatId", "205".to_owned()));
    e
}

/// A decimal with at most `frac` fraction digits (rounded half-even beyond) and at most 16 digits in all;
/// `None` when it cannot be written within those limits.
pub(crate) fn decimal_text(d: Dec, frac: u32) -> Option<String> {
    let d = if d.scale() > frac { d.round_dp(frac) } else { d };
    let digits = |s: &str| s.trim_start_matches(['-', '0']).chars().filter(char::is_ascii_digit).count();
    let s = d.to_string();
    if digits(&s) <= 16 {
        return Some(s);
    }
    let s = d.normalize().to_string();
    (digits(&s) <= 16).then_some(s)
}

fn measure(name: &'static str, d: Dec, unit: &str) -> Option<Element> {
    let mut e = text(name, decimal_text(d, 6)?);
    e.attributes.push(("unitId", unit.to_owned()));
    Some(e)
}

fn amount(name: &'static str, m: &Money) -> Option<Element> {
    let mut e = text(name, decimal_text(m.amount.value(), 3)?);
    if let Some(cur) = currency(&m.currency) {
        e.attributes.push(("currencyId", cur));
    }
    Some(e)
}

fn integer8(name: &'static str, n: u64) -> Option<Element> {
    (n <= 99_999_999).then(|| text(name, n.to_string()))
}

/// The sum of `values`; `None` when there are none or the sum overflows.
fn total(values: impl Iterator<Item = crate::types::Decimal>) -> Option<Dec> {
    let mut sum: Option<Dec> = None;
    for v in values {
        sum = Some(match sum {
            None => v.value(),
            Some(s) => s.checked_add(v.value())?,
        });
    }
    sum
}

fn currency(c: &CurrencyCode) -> Option<String> {
    table::CURRENCY_CODES.binary_search(&c.as_str()).is_ok().then(|| c.as_str().to_owned())
}

fn country_code(name: &'static str, c: &CountryCode) -> Option<Element> {
    table::COUNTRY_CODES.binary_search(&c.as_str()).is_ok().then(|| text(name, c.as_str().to_owned()))
}

fn country(name: &'static str, c: &CountryCode) -> Option<Element> {
    let code = country_code("code", c)?;
    let mut e = Element::new(name);
    e.children.push(code);
    Some(e)
}

fn charge_kind(k: ChargeKind) -> &'static str {
    match k {
        ChargeKind::Carriage => "carriage",
        ChargeKind::Deductions => "deductions",
        ChargeKind::Supplementary => "supplementary",
        ChargeKind::CustomsDuties => "customs_duties",
        ChargeKind::Other => "other",
    }
}

/// UN/EDIFACT 3035 party function code of the payer: `CZ` consignor, `CN` consignee.
fn party_role(p: Payer) -> &'static str {
    match p {
        Payer::Sender => "CZ",
        Payer::Consignee => "CN",
    }
}

fn address(name: &'static str, a: &Address) -> Element {
    let mut e = Element::new(name);
    e.children.push(text("cityName", limited(&a.city, 35)));
    push_opt(&mut e, country_code("countryCode", &a.country));
    push_opt(&mut e, a.subdivision.as_ref().map(|s| text("countrySubDivisionName", limited(s, 35))));
    push_opt(&mut e, a.postcode.as_ref().map(|p| text("postcode", token(p))));
    push_opt(&mut e, a.street.as_ref().map(|s| text("streetName", limited(s, 35))));
    e
}

fn location(name: &'static str, l: &Location) -> Element {
    let mut e = Element::new(name);
    if let Some(c) = &l.coordinates {
        let mut g = Element::new("geographicalCoordinates");
        push_opt(&mut g, measure("latitude", c.latitude.value(), "DD"));
        push_opt(&mut g, measure("longitude", c.longitude.value(), "DD"));
        e.children.push(g);
    }
    push_opt(&mut e, l.unlocode.as_ref().and_then(|u| ident("id", u.as_str(), 17)));
    push_opt(&mut e, l.name.as_ref().map(|n| text("name", limited(n, 256))));
    e.children.push(address("postalAddress", &l.address));
    e
}

fn scheme(s: IdentifierScheme) -> &'static str {
    match s {
        IdentifierScheme::Vat => "VAT",
        IdentifierScheme::Eori => "EORI",
        IdentifierScheme::Gln => "GLN",
        IdentifierScheme::CompanyRegister => "COMPANY_REGISTER",
        IdentifierScheme::TransportLicence => "TRANSPORT_LICENCE",
        IdentifierScheme::Other => "OTHER",
    }
}

/// A party: licences, the time it signed its box (the event it signed), contact, the first identifier that is
/// neither a VAT number nor a licence as `id`, name, address, VAT numbers as tax registrations.
fn party(name: &'static str, p: &Party, signed: Option<&Timestamp>) -> Element {
    let mut e = Element::new(name);
    for i in p.identifiers.iter().filter(|i| i.scheme == IdentifierScheme::TransportLicence) {
        let mut l = Element::new("applicableLicence");
        push_opt(&mut l, ident("id", &i.value, 17));
        l.children.push(text("typeCode", scheme(i.scheme).to_owned()));
        e.children.push(l);
    }
    if let Some(t) = signed {
        let mut a = Element::new("confirmedDocumentAuthentication");
        a.children.push(date_time("actualDateTime", t));
        e.children.push(a);
    }
    if let Some(contact) = &p.contact {
        let mut ct = Element::new("definedContactDetails");
        if let Some(mail) = &contact.email {
            let mut m = Element::new("emailAddress");
            push_opt(&mut m, ident("uRI", mail, 35));
            if !m.children.is_empty() {
                ct.children.push(m);
            }
        }
        push_opt(&mut ct, contact.name.as_ref().map(|n| text("personName", limited(n, 35))));
        if let Some(phone) = &contact.phone {
            let mut t = Element::new("telephone");
            t.children.push(text("completeNumber", limited(phone, 35)));
            ct.children.push(t);
        }
        if !ct.children.is_empty() {
            e.children.push(ct);
        }
    }
    let id =
        p.identifiers.iter().find(|i| !matches!(i.scheme, IdentifierScheme::Vat | IdentifierScheme::TransportLicence));
    if let Some(i) = id
        && let Some(mut idel) = ident("id", &i.value, 17)
    {
        idel.attributes.push(("schemeAgencyId", scheme(i.scheme).to_owned()));
        e.children.push(idel);
    }
    e.children.push(text("name", limited(&p.name, 70)));
    e.children.push(address("postalAddress", &p.address));
    for i in p.identifiers.iter().filter(|i| i.scheme == IdentifierScheme::Vat) {
        let mut t = Element::new("taxRegistration");
        push_opt(&mut t, ident("id", &i.value, 35));
        if !t.children.is_empty() {
            e.children.push(t);
        }
    }
    e
}

fn dangerous_goods(dg: &DangerousGoods, g: &GoodsItem) -> Element {
    let mut e = Element::new("transportDangerousGoods");
    push_opt(&mut e, g.gross_weight_kg.and_then(|w| measure("grossWeight", w.value(), "KGM")));
    push_opt(&mut e, ident("hazardClassificationID", &dg.class, 7));
    if dg.environmentally_hazardous {
        e.children.push(text("information", "ENVIRONMENTALLY HAZARDOUS".to_owned()));
    }
    for s in &dg.subsidiary_risks {
        e.children.push(text("labelTypeCode", token(s)));
    }
    push_opt(&mut e, dg.packing_group.map(|p| text("packagingDangerLevelCode", p.as_str().to_owned())));
    e.children.push(text("properShippingName", limited(&dg.proper_shipping_name, 128)));
    push_opt(&mut e, dg.technical_name.as_ref().map(|t| text("technicalName", limited(t, 128))));
    push_opt(&mut e, dg.tunnel_restriction_code.as_ref().map(|t| text("tunnelRestrictionCode", token(t))));
    e.children.push(text("uNDGID", token(&dg.un_number)));
    e
}

fn equipment(eq: &Equipment, position: usize) -> Element {
    let mut e = Element::new("usedTransportEquipment");
    for (i, c) in eq.carried.iter().enumerate() {
        let mut ce = Element::new("carriedTransportEquipment");
        push_opt(&mut ce, c.category_code.as_ref().and_then(|code| category(code)));
        push_opt(&mut ce, ident("id", &c.id, 17));
        push_opt(&mut ce, integer8("sequenceNumber", i as u64 + 1));
        e.children.push(ce);
    }
    push_opt(&mut e, eq.category_code.as_ref().and_then(|code| category(code)));
    push_opt(&mut e, ident("id", &eq.id, 17));
    push_opt(&mut e, eq.country.as_ref().and_then(|c| country("registrationCountry", c)));
    push_opt(&mut e, integer8("sequenceNumber", position as u64 + 1));
    e
}

fn category(code: &str) -> Option<Element> {
    table::EQUIPMENT_CATEGORY_CODES.binary_search(&code).is_ok().then(|| text("categoryCode", code.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Dec {
        s.parse().expect("decimal")
    }

    #[test]
    fn decimals_keep_their_digits_within_the_xsd_limits() {
        assert_eq!(decimal_text(dec("12480.000"), 6).as_deref(), Some("12480.000"));
        assert_eq!(decimal_text(dec("51.29851234"), 6).as_deref(), Some("51.298512"));
        assert_eq!(decimal_text(dec("0.0000005"), 6).as_deref(), Some("0.000000"));
        assert_eq!(decimal_text(dec("18450.005"), 3).as_deref(), Some("18450.005"));
        assert_eq!(decimal_text(dec("1.2345"), 3).as_deref(), Some("1.234"));
        // 16 digits fit, 17 do not; trailing zeros are dropped before giving up.
        assert_eq!(decimal_text(dec("1234567890.123456"), 6).as_deref(), Some("1234567890.123456"));
        assert_eq!(decimal_text(dec("1234567890123.100000"), 6).as_deref(), Some("1234567890123.1"));
        assert_eq!(decimal_text(dec("12345678901234567"), 6), None);
        assert_eq!(decimal_text(dec("-5.5"), 6).as_deref(), Some("-5.5"));
    }

    #[test]
    fn texts_are_xml_safe_and_cut_to_length() {
        assert_eq!(limited("a\u{0}b\u{1F}c\u{FFFE}d\te", 100), "abcd\te");
        assert_eq!(limited("Grüße 🚚 aus Köln", 7), "Grüße 🚚");
        assert_eq!(token("  a \n b\u{1}  "), "a b");
        assert_eq!(ident("id", "ABCDEFGHIJKLMNOPQ", 17).and_then(|e| e.text), Some("ABCDEFGHIJKLMNOPQ".into()));
        assert_eq!(ident("id", "ABCDEFGHIJKLMNOPQR", 17), None);
    }

    #[test]
    fn date_times_use_format_205_with_the_offset() {
        let e = date_time("x", &Timestamp::parse("2026-11-28T06:00:00+01:00").expect("time"));
        assert_eq!(e.text.as_deref(), Some("202611280600+0100"));
        assert_eq!(e.attribute("formatId"), Some("205"));
        let e = date_time("x", &Timestamp::parse("2026-01-02T23:59:59Z").expect("time"));
        assert_eq!(e.text.as_deref(), Some("202601022359+0000"));
        let e = date_time("x", &Timestamp::parse("2026-01-02T03:04:00-05:30").expect("time"));
        assert_eq!(e.text.as_deref(), Some("202601020304-0530"));
    }

    #[test]
    fn totals_and_integers_respect_their_limits() {
        let d = |s: &str| s.parse::<crate::types::Decimal>().expect("decimal");
        assert_eq!(total([d("1.5"), d("2.25")].into_iter()), Some(dec("3.75")));
        assert_eq!(total(std::iter::empty()), None);
        assert!(integer8("n", 99_999_999).is_some());
        assert!(integer8("n", 100_000_000).is_none());
    }
}
