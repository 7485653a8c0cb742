//! Element tree → model, strictly: every element in its place, nothing unknown, every value checked.

use std::str::FromStr;

use super::XmlError;
use super::codes::{self, subject};
use super::tree::{Element, Namespace, error_at};
use super::{RAM, RSM, UDT};
use crate::model::*;
use crate::types::{CountryCode, CurrencyCode, Decimal, Timestamp, UnLocode};

type R<T> = Result<T, XmlError>;

/// Reads the children of one element in document order.
struct Children<'a> {
    src: &'a str,
    parent: &'a Element,
    next: usize,
}

impl<'a> Children<'a> {
    /// Opens a container element: no attributes, no text.
    fn of(src: &'a str, parent: &'a Element) -> R<Self> {
        check_attrs(src, parent, &[])?;
        if let Some(pos) = parent.text_pos {
            return Err(error_at(src, pos, format!("text is not allowed in <{}>", parent.qname())));
        }
        Ok(Children { src, parent, next: 0 })
    }

    fn peek_is(&self, ns: Namespace, name: &str) -> bool {
        self.parent.children.get(self.next).is_some_and(|c| c.ns == ns && c.local() == name)
    }

    fn opt_ns(&mut self, ns: Namespace, name: &str) -> Option<&'a Element> {
        if self.peek_is(ns, name) {
            let el = self.parent.children.get(self.next);
            self.next += 1;
            el
        } else {
            None
        }
    }

    fn opt(&mut self, name: &str) -> Option<&'a Element> {
        self.opt_ns(RAM, name)
    }

    fn req_ns(&mut self, ns: Namespace, name: &str) -> R<&'a Element> {
        match self.opt_ns(ns, name) {
            Some(el) => Ok(el),
            None => {
                let want = format!("{}:{name}", ns.prefix);
                Err(match self.parent.children.get(self.next) {
                    Some(found) => error_at(
                        self.src,
                        found.pos,
                        format!(
                            "unexpected element <{}> in <{}>, expected <{want}>",
                            found.qname(),
                            self.parent.qname()
                        ),
                    ),
                    None => error_at(
                        self.src,
                        self.parent.pos,
                        format!("<{}> lacks the required <{want}>", self.parent.qname()),
                    ),
                })
            }
        }
    }

    fn req(&mut self, name: &str) -> R<&'a Element> {
        self.req_ns(RAM, name)
    }

    fn many(&mut self, name: &str) -> Vec<&'a Element> {
        let mut v = Vec::new();
        while let Some(el) = self.opt(name) {
            v.push(el);
        }
        v
    }

    /// Refuses whatever child is left: unknown, repeated or out of order.
    fn finish(self) -> R<()> {
        match self.parent.children.get(self.next) {
            None => Ok(()),
            Some(el) => Err(error_at(
                self.src,
                el.pos,
                format!("unexpected element <{}> in <{}>", el.qname(), self.parent.qname()),
            )),
        }
    }

    // Leaf helpers.
    fn text(&mut self, name: &str) -> R<String> {
        let el = self.req(name)?;
        text(self.src, el, &[])
    }

    fn opt_text(&mut self, name: &str) -> R<Option<String>> {
        self.opt(name).map(|el| text(self.src, el, &[])).transpose()
    }
}

fn check_attrs(src: &str, el: &Element, allowed: &[&str]) -> R<()> {
    for (k, _) in &el.attrs {
        if !allowed.contains(&k.as_str()) {
            return Err(error_at(src, el.pos, format!("unexpected attribute `{k}` on <{}>", el.qname())));
        }
    }
    Ok(())
}

fn attr<'e>(src: &str, el: &'e Element, name: &str) -> R<&'e str> {
    el.attrs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .ok_or_else(|| error_at(src, el.pos, format!("<{}> lacks the attribute `{name}`", el.qname())))
}

/// The text of a leaf element, exactly as written (after entity resolution).
fn text(src: &str, el: &Element, attrs: &[&str]) -> R<String> {
    check_attrs(src, el, attrs)?;
    if let Some(c) = el.children.first() {
        return Err(error_at(src, c.pos, format!("unexpected element <{}> in <{}>", c.qname(), el.qname())));
    }
    Ok(el.text.clone())
}

fn value<T: FromStr>(src: &str, el: &Element, attrs: &[&str], what: &str) -> R<T>
where
    T::Err: std::fmt::Display,
{
    let t = text(src, el, attrs)?;
    t.parse()
        .map_err(|e| error_at(src, el.text_pos.unwrap_or(el.pos), format!("invalid {what} in <{}>: {e}", el.qname())))
}

fn code<T>(src: &str, el: &Element, attrs: &[&str], parse: fn(&str) -> Option<T>) -> R<T> {
    let t = text(src, el, attrs)?;
    parse(&t)
        .ok_or_else(|| error_at(src, el.text_pos.unwrap_or(el.pos), format!("unknown code `{t}` in <{}>", el.qname())))
}

fn date_time(src: &str, el: &Element) -> R<Timestamp> {
    let mut c = Children::of(src, el)?;
    let dt = c.req_ns(UDT, "DateTime")?;
    c.finish()?;
    value(src, dt, &[], "date-time (RFC 3339 with offset expected)")
}

/// A container holding exactly one date-time element.
fn one_date_time(src: &str, el: &Element, name: &str) -> R<Timestamp> {
    let mut c = Children::of(src, el)?;
    let t = date_time(src, c.req(name)?)?;
    c.finish()?;
    Ok(t)
}

fn indicator(src: &str, el: &Element) -> R<bool> {
    let mut c = Children::of(src, el)?;
    let i = c.req_ns(UDT, "Indicator")?;
    c.finish()?;
    code(src, i, &[], |s| match s {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    })
}

fn decimal(src: &str, el: &Element, attrs: &[&str]) -> R<Decimal> {
    value(src, el, attrs, "decimal")
}

fn measure(src: &str, el: &Element, unit: &str) -> R<Decimal> {
    let d = decimal(src, el, &["unitCode"])?;
    let u = attr(src, el, "unitCode")?;
    if u != unit {
        return Err(error_at(src, el.pos, format!("<{}> must have unitCode=\"{unit}\", found \"{u}\"", el.qname())));
    }
    Ok(d)
}

fn amount(src: &str, el: &Element) -> R<Money> {
    let amount = decimal(src, el, &["currencyID"])?;
    let currency = CurrencyCode::new(attr(src, el, "currencyID")?);
    Ok(Money { amount, currency })
}

fn address(src: &str, el: &Element) -> R<Address> {
    let mut c = Children::of(src, el)?;
    let postcode = c.opt_text("PostcodeCode")?;
    let street = c.opt_text("LineOne")?;
    let city = c.text("CityName")?;
    let country = CountryCode::new(c.text("CountryID")?);
    let subdivision = c.opt_text("CountrySubDivisionName")?;
    c.finish()?;
    Ok(Address { street, postcode, city, subdivision, country })
}

fn party(src: &str, el: &Element) -> R<Party> {
    let mut c = Children::of(src, el)?;
    let mut identifiers = Vec::new();
    let mut public_keys = Vec::new();
    for id in c.many("ID") {
        let value = text(src, id, &["schemeID"])?;
        let scheme = attr(src, id, "schemeID")?;
        if scheme == codes::PUBLIC_KEY_SCHEME {
            public_keys.push(value);
        } else {
            let scheme = codes::parse_scheme(scheme)
                .ok_or_else(|| error_at(src, id.pos, format!("unknown schemeID `{scheme}` on <{}>", id.qname())))?;
            identifiers.push(PartyIdentifier { scheme, value });
        }
    }
    let name = c.text("Name")?;
    let contact = match c.opt("DefinedTradeContact") {
        None => None,
        Some(ct) => {
            let mut cc = Children::of(src, ct)?;
            let name = cc.opt_text("PersonName")?;
            let phone =
                cc.opt("TelephoneUniversalCommunication").map(|t| one_leaf(src, t, "CompleteNumber")).transpose()?;
            let email = cc.opt("EmailURIUniversalCommunication").map(|t| one_leaf(src, t, "URIID")).transpose()?;
            cc.finish()?;
            Some(Contact { name, phone, email })
        }
    };
    let address = address(src, c.req("PostalTradeAddress")?)?;
    c.finish()?;
    Ok(Party { name, address, identifiers, contact, public_keys })
}

/// A container holding exactly one leaf.
fn one_leaf(src: &str, el: &Element, name: &str) -> R<String> {
    let mut c = Children::of(src, el)?;
    let t = c.text(name)?;
    c.finish()?;
    Ok(t)
}

fn location(src: &str, el: &Element) -> R<Location> {
    let mut c = Children::of(src, el)?;
    let unlocode = c.opt_text("ID")?.map(UnLocode::new);
    let name = c.opt_text("Name")?;
    let coordinates = match c.opt("PhysicalGeographicalCoordinate") {
        None => None,
        Some(g) => {
            let mut gc = Children::of(src, g)?;
            let latitude = decimal(src, gc.req("LatitudeMeasure")?, &[])?;
            let longitude = decimal(src, gc.req("LongitudeMeasure")?, &[])?;
            gc.finish()?;
            Some(Coordinates { latitude, longitude })
        }
    };
    let address = address(src, c.req("PostalTradeAddress")?)?;
    c.finish()?;
    Ok(Location { name, address, unlocode, coordinates })
}

fn dangerous(src: &str, el: &Element) -> R<DangerousGoods> {
    let mut c = Children::of(src, el)?;
    let un_number = c.text("UNDGIdentificationCode")?;
    let proper_shipping_name = c.text("ProperShippingName")?;
    let technical_name = c.opt_text("TechnicalName")?;
    let class = c.text("HazardClassificationID")?;
    let subsidiary_risks =
        c.many("AdditionalHazardClassificationID").into_iter().map(|e| text(src, e, &[])).collect::<R<Vec<_>>>()?;
    let packing_group =
        c.opt("PackagingDangerLevelCode").map(|e| code(src, e, &[], codes::parse_packing_group)).transpose()?;
    let tunnel_restriction_code = c.opt_text("TunnelRestrictionCode")?;
    let environmentally_hazardous =
        c.opt("EnvironmentalHazardIndicator").map(|e| indicator(src, e)).transpose()?.unwrap_or(false);
    c.finish()?;
    Ok(DangerousGoods {
        un_number,
        proper_shipping_name,
        technical_name,
        class,
        subsidiary_risks,
        packing_group,
        tunnel_restriction_code,
        environmentally_hazardous,
    })
}

fn goods(src: &str, el: &Element) -> R<GoodsItem> {
    let mut c = Children::of(src, el)?;
    let gross_weight_kg = c.opt("GrossWeightMeasure").map(|e| measure(src, e, "KGM")).transpose()?;
    let volume_m3 = c.opt("GrossVolumeMeasure").map(|e| measure(src, e, "MTQ")).transpose()?;
    let quantity = match c.opt("GrossQuantity") {
        None => None,
        Some(e) => {
            let value = decimal(src, e, &["unitCode"])?;
            Some(Quantity { value, unit: attr(src, e, "unitCode")?.to_owned() })
        }
    };
    let number_of_packages =
        c.opt("PackageQuantity").map(|e| value::<u32>(src, e, &[], "number of packages")).transpose()?;
    let statistical_number = c.opt_text("TariffClassificationCode")?;
    let nature_of_goods = one_leaf(src, c.req("NatureIdentificationTransportCargo")?, "Identification")?;
    let packing = match c.opt("TransportLogisticsPackage") {
        None => None,
        Some(p) => {
            let mut pc = Children::of(src, p)?;
            let code = pc.opt_text("TypeCode")?;
            let method = pc.text("Type")?;
            pc.finish()?;
            Some(Packing { method, code })
        }
    };
    let marks_and_numbers = c.opt("PhysicalLogisticsShippingMarks").map(|e| one_leaf(src, e, "Marking")).transpose()?;
    let dangerous_goods = c.opt("ApplicableTransportDangerousGoods").map(|e| dangerous(src, e)).transpose()?;
    c.finish()?;
    Ok(GoodsItem {
        marks_and_numbers,
        number_of_packages,
        packing,
        nature_of_goods,
        statistical_number,
        gross_weight_kg,
        quantity,
        volume_m3,
        dangerous_goods,
    })
}

fn registration_country(src: &str, el: &Element) -> R<CountryCode> {
    one_leaf(src, el, "ID").map(CountryCode::new)
}

fn fixed(src: &str, el: &Element, expected: &str) -> R<()> {
    let t = text(src, el, &[])?;
    if t != expected {
        return Err(error_at(
            src,
            el.text_pos.unwrap_or(el.pos),
            format!("<{}> must be `{expected}`, found `{t}`", el.qname()),
        ));
    }
    Ok(())
}

/// Free texts and flags carried by `ram:IncludedNote`.
#[derive(Default)]
struct Notes {
    paramount: Option<String>,
    payment: Option<String>,
    insurance: Option<String>,
    instructions: SenderInstructions,
    special_agreements: Vec<String>,
    other_particulars: Vec<String>,
    no_transhipment: bool,
    consignee_disposal: bool,
}

fn notes(src: &str, els: Vec<&Element>) -> R<Notes> {
    let mut n = Notes::default();
    for el in els {
        let mut c = Children::of(src, el)?;
        let content_el = c.req("Content")?;
        let content = text(src, content_el, &[])?;
        let subject_el = c.req("SubjectCode")?;
        c.finish()?;
        let subject = text(src, subject_el, &[])?;
        let at = subject_el.text_pos.unwrap_or(subject_el.pos);
        let once = |slot: &mut Option<String>, content: String| {
            if slot.is_some() {
                return Err(error_at(src, at, format!("note with subject `{subject}` is repeated")));
            }
            *slot = Some(content);
            Ok(())
        };
        let flag = |content: &str| match content {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(error_at(
                src,
                content_el.text_pos.unwrap_or(content_el.pos),
                format!("note `{subject}` must have content `true` or `false`"),
            )),
        };
        match subject.as_str() {
            subject::PARAMOUNT => once(&mut n.paramount, content)?,
            subject::PAYMENT => once(&mut n.payment, content)?,
            subject::INSURANCE => once(&mut n.insurance, content)?,
            subject::CUSTOMS => n.instructions.customs.push(content),
            subject::OTHER_FORMALITIES => n.instructions.other.push(content),
            subject::SPECIAL_AGREEMENT => n.special_agreements.push(content),
            subject::OTHER_PARTICULARS => n.other_particulars.push(content),
            subject::NO_TRANSHIPMENT => n.no_transhipment = flag(&content)?,
            subject::CONSIGNEE_DISPOSAL => n.consignee_disposal = flag(&content)?,
            _ => return Err(error_at(src, at, format!("unknown code `{subject}` in <ram:SubjectCode>"))),
        }
    }
    Ok(n)
}

pub(crate) fn tree_to_note(src: &str, root: &Element) -> R<ConsignmentNote> {
    let mut top = Children::of(src, root)?;

    let ctx = top.req_ns(RSM, "ExchangedDocumentContext")?;
    let mut c = Children::of(src, ctx)?;
    let guideline = c.req("GuidelineSpecifiedDocumentContextParameter")?;
    c.finish()?;
    let mut g = Children::of(src, guideline)?;
    fixed(src, g.req("ID")?, codes::GUIDELINE_ID)?;
    g.finish()?;

    let doc = top.req_ns(RSM, "ExchangedDocument")?;
    let mut d = Children::of(src, doc)?;
    let number = d.text("ID")?;
    fixed(src, d.req("TypeCode")?, codes::DOCUMENT_TYPE_CODE)?;
    let issued = date_time(src, d.req("IssueDateTime")?)?;
    let notes_el = d.many("IncludedNote");
    let place_el = d.req("IssueLogisticsLocation")?;
    d.finish()?;
    let mut p = Children::of(src, place_el)?;
    let place = p.text("Name")?;
    let place_country = CountryCode::new(p.text("CountryID")?);
    p.finish()?;
    let notes = notes(src, notes_el)?;
    let Some(paramount_statement) = notes.paramount else {
        return Err(error_at(
            src,
            doc.pos,
            format!("<rsm:ExchangedDocument> lacks the <ram:IncludedNote> with subject `{}`", subject::PARAMOUNT),
        ));
    };

    let cons = top.req_ns(RSM, "SpecifiedSupplyChainConsignment")?;
    top.finish()?;
    let mut c = Children::of(src, cons)?;
    let declared_value = c.opt("DeclaredValueForCarriageAmount").map(|e| amount(src, e)).transpose()?;
    let cash_on_delivery = c.opt("CODAmount").map(|e| amount(src, e)).transpose()?;
    let sender = party(src, c.req("ConsignorTradeParty")?)?;
    let consignee = party(src, c.req("ConsigneeTradeParty")?)?;
    let carrier = party(src, c.req("CarrierTradeParty")?)?;
    let successive_carriers =
        c.many("SuccessiveCarrierTradeParty").into_iter().map(|e| party(src, e)).collect::<R<Vec<_>>>()?;
    let taking_over_location = location(src, c.req("CarrierAcceptanceLogisticsLocation")?)?;
    let taking_over_date = one_date_time(src, c.req("PickUpTransportEvent")?, "ScheduledOccurrenceDateTime")?;
    let delivery_location = location(src, c.req("ConsigneeReceiptLogisticsLocation")?)?;
    let (expected_date, agreed_time_limit) = match c.opt("DeliveryTransportEvent") {
        None => (None, None),
        Some(e) => {
            let mut ec = Children::of(src, e)?;
            let expected = ec.opt("ScheduledOccurrenceDateTime").map(|e| date_time(src, e)).transpose()?;
            let latest = ec.opt("LatestOccurrenceDateTime").map(|e| date_time(src, e)).transpose()?;
            ec.finish()?;
            (expected, latest)
        }
    };
    let goods =
        c.many("IncludedSupplyChainConsignmentItem").into_iter().map(|e| goods(src, e)).collect::<R<Vec<_>>>()?;
    let mut charges = Vec::new();
    let mut special_interest = None;
    for el in c.many("ApplicableLogisticsServiceCharge") {
        let mut cc = Children::of(src, el)?;
        let id_el = cc.req("ID")?;
        let id = text(src, id_el, &[])?;
        if id == codes::SPECIAL_INTEREST_CHARGE_ID {
            let m = amount(src, cc.req("AppliedAmount")?)?;
            cc.finish()?;
            if special_interest.replace(m).is_some() {
                return Err(error_at(src, el.pos, "the special-interest charge is repeated"));
            }
            continue;
        }
        let kind = codes::parse_charge(&id).ok_or_else(|| {
            error_at(src, id_el.text_pos.unwrap_or(id_el.pos), format!("unknown code `{id}` in <ram:ID>"))
        })?;
        let description = cc.opt_text("Description")?;
        let payer = code(src, cc.req("PaymentArrangementCode")?, &[], codes::parse_payer)?;
        let amount = amount(src, cc.req("AppliedAmount")?)?;
        cc.finish()?;
        charges.push(Charge { kind, description, amount, payer });
    }
    let mut transport = Transport::default();
    if let Some(m) = c.opt("SpecifiedLogisticsTransportMovement") {
        let mut mc = Children::of(src, m)?;
        transport.mode_code = mc.opt_text("ModeCode")?;
        for v in mc.many("UsedLogisticsTransportMeans") {
            let mut vc = Children::of(src, v)?;
            let registration = vc.text("ID")?;
            let country = registration_country(src, vc.req("RegistrationCountry")?)?;
            vc.finish()?;
            transport.vehicles.push(Vehicle { registration, country });
        }
        mc.finish()?;
    }
    for e in c.many("UtilizedLogisticsTransportEquipment") {
        let mut ec = Children::of(src, e)?;
        let id = ec.text("ID")?;
        let category_code = ec.opt_text("CategoryCode")?;
        let country = ec.opt("RegistrationCountry").map(|r| registration_country(src, r)).transpose()?;
        let mut carried = Vec::new();
        for ce in ec.many("CarriedTransportEquipment") {
            let mut cc = Children::of(src, ce)?;
            let id = cc.text("ID")?;
            let category_code = cc.opt_text("CategoryCode")?;
            cc.finish()?;
            carried.push(CarriedEquipment { id, category_code });
        }
        ec.finish()?;
        transport.equipment.push(Equipment { id, country, category_code, carried });
    }
    let mut documents = Vec::new();
    for e in c.many("AttachedReferencedDocument") {
        let mut dc = Children::of(src, e)?;
        let reference = dc.opt_text("IssuerAssignedID")?;
        let type_code = dc.opt_text("TypeCode")?;
        let name = dc.text("Name")?;
        dc.finish()?;
        documents.push(AttachedDocument { name, type_code, reference });
    }
    let mut references = Vec::new();
    for e in c.many("AssociatedReferencedDocument") {
        let mut rc = Children::of(src, e)?;
        let value = rc.text("IssuerAssignedID")?;
        let kind = code(src, rc.req("ReferenceTypeCode")?, &[], codes::parse_reference)?;
        rc.finish()?;
        references.push(Reference { kind, value });
    }
    c.finish()?;

    Ok(ConsignmentNote {
        number,
        established: Establishment { place, country: place_country, date: issued },
        sender,
        consignee,
        carrier,
        successive_carriers,
        taking_over: TakingOver { location: taking_over_location, date: taking_over_date },
        delivery: Delivery { location: delivery_location, expected_date },
        goods,
        charges,
        payment_instructions: notes.payment,
        sender_instructions: notes.instructions,
        cash_on_delivery,
        declared_value,
        special_interest,
        insurance_instructions: notes.insurance,
        agreed_time_limit,
        transhipment_prohibited: notes.no_transhipment,
        documents,
        special_agreements: notes.special_agreements,
        other_particulars: notes.other_particulars,
        paramount_statement,
        consignee_has_right_of_disposal: notes.consignee_disposal,
        transport,
        references,
    })
}
