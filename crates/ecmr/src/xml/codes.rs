//! The code values this mapping uses for enumerations and for the `ram:SubjectCode` of free-text notes.

use crate::model::{ChargeKind, IdentifierScheme, PackingGroup, Payer, ReferenceKind};

/// `ram:SubjectCode` of each free-text `ram:IncludedNote` of `rsm:ExchangedDocument`.
pub(crate) mod subject {
    pub(crate) const PARAMOUNT: &str = "cmr_paramount_statement";
    pub(crate) const PAYMENT: &str = "payment_instructions";
    pub(crate) const INSURANCE: &str = "insurance_instructions";
    pub(crate) const CUSTOMS: &str = "sender_instructions_customs";
    pub(crate) const OTHER_FORMALITIES: &str = "sender_instructions_other";
    pub(crate) const SPECIAL_AGREEMENT: &str = "special_agreement";
    pub(crate) const OTHER_PARTICULARS: &str = "other_particulars";
    pub(crate) const NO_TRANSHIPMENT: &str = "transhipment_prohibited";
    pub(crate) const CONSIGNEE_DISPOSAL: &str = "consignee_has_right_of_disposal";
}

/// `ram:ID` of the `ram:ApplicableLogisticsServiceCharge` that carries the special interest in delivery.
pub(crate) const SPECIAL_INTEREST_CHARGE_ID: &str = "special_interest";
/// `schemeID` of a party `ram:ID` that is an Ed25519 public key.
pub(crate) const PUBLIC_KEY_SCHEME: &str = "ed25519_public_key";
/// `ram:GuidelineSpecifiedDocumentContextParameter/ram:ID` of this message profile.
pub(crate) const GUIDELINE_ID: &str = "urn:ecmr:note:xml:1";
/// UN/EDIFACT 1001 document type: road consignment note.
pub(crate) const DOCUMENT_TYPE_CODE: &str = "730";

pub(crate) fn scheme(s: IdentifierScheme) -> &'static str {
    match s {
        IdentifierScheme::Vat => "vat",
        IdentifierScheme::Eori => "eori",
        IdentifierScheme::Gln => "gln",
        IdentifierScheme::CompanyRegister => "company_register",
        IdentifierScheme::TransportLicence => "transport_licence",
        IdentifierScheme::Other => "other",
    }
}

pub(crate) fn parse_scheme(s: &str) -> Option<IdentifierScheme> {
    use IdentifierScheme::*;
    [Vat, Eori, Gln, CompanyRegister, TransportLicence, Other].into_iter().find(|k| scheme(*k) == s)
}

pub(crate) fn charge(k: ChargeKind) -> &'static str {
    match k {
        ChargeKind::Carriage => "carriage",
        ChargeKind::Deductions => "deductions",
        ChargeKind::Supplementary => "supplementary",
        ChargeKind::CustomsDuties => "customs_duties",
        ChargeKind::Other => "other",
    }
}

pub(crate) fn parse_charge(s: &str) -> Option<ChargeKind> {
    use ChargeKind::*;
    [Carriage, Deductions, Supplementary, CustomsDuties, Other].into_iter().find(|k| charge(*k) == s)
}

/// UN/EDIFACT 4237 payment arrangement: `P` prepaid (sender pays), `C` collect (consignee pays).
pub(crate) fn payer(p: Payer) -> &'static str {
    match p {
        Payer::Sender => "P",
        Payer::Consignee => "C",
    }
}

pub(crate) fn parse_payer(s: &str) -> Option<Payer> {
    [Payer::Sender, Payer::Consignee].into_iter().find(|k| payer(*k) == s)
}

/// UN/EDIFACT 8339 packaging danger level: 1 great, 2 medium, 3 minor danger (ADR packing groups I–III).
pub(crate) fn packing_group(p: PackingGroup) -> &'static str {
    match p {
        PackingGroup::I => "1",
        PackingGroup::II => "2",
        PackingGroup::III => "3",
    }
}

pub(crate) fn parse_packing_group(s: &str) -> Option<PackingGroup> {
    [PackingGroup::I, PackingGroup::II, PackingGroup::III].into_iter().find(|k| packing_group(*k) == s)
}

pub(crate) fn reference(k: ReferenceKind) -> &'static str {
    match k {
        ReferenceKind::Order => "order",
        ReferenceKind::Customer => "customer",
        ReferenceKind::Shipment => "shipment",
        ReferenceKind::Sender => "sender",
        ReferenceKind::Consignee => "consignee",
        ReferenceKind::Carrier => "carrier",
        ReferenceKind::Other => "other",
    }
}

pub(crate) fn parse_reference(s: &str) -> Option<ReferenceKind> {
    use ReferenceKind::*;
    [Order, Customer, Shipment, Sender, Consignee, Carrier, Other].into_iter().find(|k| reference(*k) == s)
}
