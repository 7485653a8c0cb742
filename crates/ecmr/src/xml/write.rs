//! Model → element tree.

use super::codes::{self, subject};
use super::tree::Element;
use super::{RAM, RSM, UDT};
use crate::model::*;
use crate::types::{Decimal, Timestamp};

struct B(Element);

impl B {
    fn rsm(name: &'static str) -> Self {
        B(Element::new(RSM, name))
    }
    fn ram(name: &'static str) -> Self {
        B(Element::new(RAM, name))
    }
    fn child(mut self, c: B) -> Self {
        self.0.children.push(c.0);
        self
    }
    fn opt(self, c: Option<B>) -> Self {
        match c {
            Some(c) => self.child(c),
            None => self,
        }
    }
    fn all(mut self, cs: impl IntoIterator<Item = B>) -> Self {
        self.0.children.extend(cs.into_iter().map(|c| c.0));
        self
    }
    fn text(mut self, t: &str) -> Self {
        self.0.text = t.to_owned();
        self
    }
    fn attr(mut self, k: &str, v: &str) -> Self {
        self.0.attrs.push((k.to_owned(), v.to_owned()));
        self
    }
}

fn leaf(name: &'static str, t: &str) -> B {
    B::ram(name).text(t)
}

fn opt_leaf(name: &'static str, t: Option<&String>) -> Option<B> {
    t.map(|t| leaf(name, t))
}

fn date_time(name: &'static str, t: &Timestamp) -> B {
    B::ram(name).child(B(Element::new(UDT, "DateTime")).text(&t.to_string()))
}

fn indicator(name: &'static str) -> B {
    B::ram(name).child(B(Element::new(UDT, "Indicator")).text("true"))
}

fn measure(name: &'static str, d: &Decimal, unit: &str) -> B {
    leaf(name, &d.to_string()).attr("unitCode", unit)
}

fn amount(name: &'static str, m: &Money) -> B {
    leaf(name, &m.amount.to_string()).attr("currencyID", m.currency.as_str())
}

fn note(code: &str, content: &str) -> B {
    B::ram("IncludedNote").child(leaf("Content", content)).child(leaf("SubjectCode", code))
}

fn address(a: &Address) -> B {
    B::ram("PostalTradeAddress")
        .opt(opt_leaf("PostcodeCode", a.postcode.as_ref()))
        .opt(opt_leaf("LineOne", a.street.as_ref()))
        .child(leaf("CityName", &a.city))
        .child(leaf("CountryID", a.country.as_str()))
        .opt(opt_leaf("CountrySubDivisionName", a.subdivision.as_ref()))
}

fn party(name: &'static str, p: &Party) -> B {
    B::ram(name)
        .all(p.identifiers.iter().map(|i| leaf("ID", &i.value).attr("schemeID", codes::scheme(i.scheme))))
        .all(p.public_keys.iter().map(|k| leaf("ID", k).attr("schemeID", codes::PUBLIC_KEY_SCHEME)))
        .child(leaf("Name", &p.name))
        .opt(p.contact.as_ref().map(|c| {
            B::ram("DefinedTradeContact")
                .opt(opt_leaf("PersonName", c.name.as_ref()))
                .opt(
                    c.phone
                        .as_ref()
                        .map(|t| B::ram("TelephoneUniversalCommunication").child(leaf("CompleteNumber", t))),
                )
                .opt(c.email.as_ref().map(|t| B::ram("EmailURIUniversalCommunication").child(leaf("URIID", t))))
        }))
        .child(address(&p.address))
}

fn location(name: &'static str, l: &Location) -> B {
    B::ram(name)
        .opt(l.unlocode.as_ref().map(|u| leaf("ID", u.as_str())))
        .opt(opt_leaf("Name", l.name.as_ref()))
        .opt(l.coordinates.as_ref().map(|c| {
            B::ram("PhysicalGeographicalCoordinate")
                .child(leaf("LatitudeMeasure", &c.latitude.to_string()))
                .child(leaf("LongitudeMeasure", &c.longitude.to_string()))
        }))
        .child(address(&l.address))
}

fn dangerous(d: &DangerousGoods) -> B {
    B::ram("ApplicableTransportDangerousGoods")
        .child(leaf("UNDGIdentificationCode", &d.un_number))
        .child(leaf("ProperShippingName", &d.proper_shipping_name))
        .opt(opt_leaf("TechnicalName", d.technical_name.as_ref()))
        .child(leaf("HazardClassificationID", &d.class))
        .all(d.subsidiary_risks.iter().map(|r| leaf("AdditionalHazardClassificationID", r)))
        .opt(d.packing_group.map(|p| leaf("PackagingDangerLevelCode", codes::packing_group(p))))
        .opt(opt_leaf("TunnelRestrictionCode", d.tunnel_restriction_code.as_ref()))
        .opt(d.environmentally_hazardous.then(|| indicator("EnvironmentalHazardIndicator")))
}

fn goods(g: &GoodsItem) -> B {
    B::ram("IncludedSupplyChainConsignmentItem")
        .opt(g.gross_weight_kg.as_ref().map(|d| measure("GrossWeightMeasure", d, "KGM")))
        .opt(g.volume_m3.as_ref().map(|d| measure("GrossVolumeMeasure", d, "MTQ")))
        .opt(g.quantity.as_ref().map(|q| measure("GrossQuantity", &q.value, &q.unit)))
        .opt(g.number_of_packages.map(|n| leaf("PackageQuantity", &n.to_string())))
        .opt(opt_leaf("TariffClassificationCode", g.statistical_number.as_ref()))
        .child(B::ram("NatureIdentificationTransportCargo").child(leaf("Identification", &g.nature_of_goods)))
        .opt(g.packing.as_ref().map(|p| {
            B::ram("TransportLogisticsPackage")
                .opt(opt_leaf("TypeCode", p.code.as_ref()))
                .child(leaf("Type", &p.method))
        }))
        .opt(g.marks_and_numbers.as_ref().map(|m| B::ram("PhysicalLogisticsShippingMarks").child(leaf("Marking", m))))
        .opt(g.dangerous_goods.as_ref().map(dangerous))
}

fn country(c: &crate::types::CountryCode) -> B {
    B::ram("RegistrationCountry").child(leaf("ID", c.as_str()))
}

pub(crate) fn note_to_tree(n: &ConsignmentNote) -> Element {
    let context = B::rsm("ExchangedDocumentContext")
        .child(B::ram("GuidelineSpecifiedDocumentContextParameter").child(leaf("ID", codes::GUIDELINE_ID)));

    let mut notes = vec![note(subject::PARAMOUNT, &n.paramount_statement)];
    notes.extend(n.payment_instructions.iter().map(|t| note(subject::PAYMENT, t)));
    notes.extend(n.sender_instructions.customs.iter().map(|t| note(subject::CUSTOMS, t)));
    notes.extend(n.sender_instructions.other.iter().map(|t| note(subject::OTHER_FORMALITIES, t)));
    notes.extend(n.insurance_instructions.iter().map(|t| note(subject::INSURANCE, t)));
    notes.extend(n.special_agreements.iter().map(|t| note(subject::SPECIAL_AGREEMENT, t)));
    notes.extend(n.other_particulars.iter().map(|t| note(subject::OTHER_PARTICULARS, t)));
    if n.transhipment_prohibited {
        notes.push(note(subject::NO_TRANSHIPMENT, "true"));
    }
    if n.consignee_has_right_of_disposal {
        notes.push(note(subject::CONSIGNEE_DISPOSAL, "true"));
    }
    let document = B::rsm("ExchangedDocument")
        .child(leaf("ID", &n.number))
        .child(leaf("TypeCode", codes::DOCUMENT_TYPE_CODE))
        .child(date_time("IssueDateTime", &n.established.date))
        .all(notes)
        .child(
            B::ram("IssueLogisticsLocation")
                .child(leaf("Name", &n.established.place))
                .child(leaf("CountryID", n.established.country.as_str())),
        );

    let delivery_event = (n.delivery.expected_date.is_some() || n.agreed_time_limit.is_some()).then(|| {
        B::ram("DeliveryTransportEvent")
            .opt(n.delivery.expected_date.as_ref().map(|t| date_time("ScheduledOccurrenceDateTime", t)))
            .opt(n.agreed_time_limit.as_ref().map(|t| date_time("LatestOccurrenceDateTime", t)))
    });
    let t = &n.transport;
    let movement = (t.mode_code.is_some() || !t.vehicles.is_empty()).then(|| {
        B::ram("SpecifiedLogisticsTransportMovement").opt(opt_leaf("ModeCode", t.mode_code.as_ref())).all(
            t.vehicles.iter().map(|v| {
                B::ram("UsedLogisticsTransportMeans").child(leaf("ID", &v.registration)).child(country(&v.country))
            }),
        )
    });
    let consignment = B::rsm("SpecifiedSupplyChainConsignment")
        .opt(n.declared_value.as_ref().map(|m| amount("DeclaredValueForCarriageAmount", m)))
        .opt(n.cash_on_delivery.as_ref().map(|m| amount("CODAmount", m)))
        .child(party("ConsignorTradeParty", &n.sender))
        .child(party("ConsigneeTradeParty", &n.consignee))
        .child(party("CarrierTradeParty", &n.carrier))
        .all(n.successive_carriers.iter().map(|p| party("SuccessiveCarrierTradeParty", p)))
        .child(location("CarrierAcceptanceLogisticsLocation", &n.taking_over.location))
        .child(B::ram("PickUpTransportEvent").child(date_time("ScheduledOccurrenceDateTime", &n.taking_over.date)))
        .child(location("ConsigneeReceiptLogisticsLocation", &n.delivery.location))
        .opt(delivery_event)
        .all(n.goods.iter().map(goods))
        .all(n.charges.iter().map(|c| {
            B::ram("ApplicableLogisticsServiceCharge")
                .child(leaf("ID", codes::charge(c.kind)))
                .opt(opt_leaf("Description", c.description.as_ref()))
                .child(leaf("PaymentArrangementCode", codes::payer(c.payer)))
                .child(amount("AppliedAmount", &c.amount))
        }))
        .opt(n.special_interest.as_ref().map(|m| {
            B::ram("ApplicableLogisticsServiceCharge")
                .child(leaf("ID", codes::SPECIAL_INTEREST_CHARGE_ID))
                .child(amount("AppliedAmount", m))
        }))
        .opt(movement)
        .all(t.equipment.iter().map(|e| {
            B::ram("UtilizedLogisticsTransportEquipment")
                .child(leaf("ID", &e.id))
                .opt(opt_leaf("CategoryCode", e.category_code.as_ref()))
                .opt(e.country.as_ref().map(country))
                .all(e.carried.iter().map(|c| {
                    B::ram("CarriedTransportEquipment")
                        .child(leaf("ID", &c.id))
                        .opt(opt_leaf("CategoryCode", c.category_code.as_ref()))
                }))
        }))
        .all(n.documents.iter().map(|d| {
            B::ram("AttachedReferencedDocument")
                .opt(opt_leaf("IssuerAssignedID", d.reference.as_ref()))
                .opt(opt_leaf("TypeCode", d.type_code.as_ref()))
                .child(leaf("Name", &d.name))
        }))
        .all(n.references.iter().map(|r| {
            B::ram("AssociatedReferencedDocument")
                .child(leaf("IssuerAssignedID", &r.value))
                .child(leaf("ReferenceTypeCode", codes::reference(r.kind)))
        }));

    B::rsm("eCMR").child(context).child(document).child(consignment).0
}
