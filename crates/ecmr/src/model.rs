//! The consignment note and its parts.
//!
//! Field names are `snake_case` in JSON; optional particulars are left out when absent and empty lists are not
//! written. Unknown fields and repeated fields are refused when parsing (see [`crate::json`]).
//!
//! Each item names the CMR article (Art. 6) and the paper box (IRU 1976 layout) it stands for.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::types::{CountryCode, CurrencyCode, Decimal, Timestamp, UnLocode};

/// The statement that the carriage is subject to the CMR Convention (Art. 6.1 (k)), in the usual wording.
pub const CMR_PARAMOUNT_STATEMENT: &str = "This carriage is subject, notwithstanding any clause to the contrary, \
to the Convention on the Contract for the International Carriage of Goods by Road (CMR).";

/// An electronic CMR consignment note: every particular of CMR Art. 6.1, 6.2 and 6.3, plus what roadside control
/// and eFTI need (transport means, references).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsignmentNote {
    /// The note's number, unique per sender.
    pub number: String,
    /// Where and when the note was made out (Art. 6.1 (a), box 21).
    pub established: Establishment,
    /// The sender (Art. 6.1 (b), box 1).
    pub sender: Party,
    /// The consignee (Art. 6.1 (e), box 2).
    pub consignee: Party,
    /// The (first) carrier (Art. 6.1 (c), box 16).
    pub carrier: Party,
    /// Successive carriers in the order they take over (Art. 34, box 17).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub successive_carriers: Vec<Party>,
    /// Place and date of taking over the goods (Art. 6.1 (d), box 4).
    pub taking_over: TakingOver,
    /// Place designated for delivery (Art. 6.1 (d), box 3).
    pub delivery: Delivery,
    /// The goods, one entry per line of boxes 6–12 (Art. 6.1 (f)–(h)).
    pub goods: Vec<GoodsItem>,
    /// Charges relating to the carriage and who pays them (Art. 6.1 (i), 6.2 (b), box 20).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub charges: Vec<Charge>,
    /// Payment instructions, e.g. "carriage paid" (box 14).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_instructions: Option<String>,
    /// Sender's instructions for customs and other formalities (Art. 6.1 (j), box 13).
    #[serde(default, skip_serializing_if = "SenderInstructions::is_empty")]
    pub sender_instructions: SenderInstructions,
    /// Amount of cash on delivery (Art. 6.2 (c), box 15).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cash_on_delivery: Option<Money>,
    /// Declared value of the goods (Art. 6.2 (d), Art. 24).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub declared_value: Option<Money>,
    /// Amount representing a special interest in delivery (Art. 6.2 (d), Art. 26).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub special_interest: Option<Money>,
    /// Sender's instructions to the carrier regarding insurance (Art. 6.2 (e)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insurance_instructions: Option<String>,
    /// Agreed time limit for the carriage (Art. 6.2 (f), Art. 19).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agreed_time_limit: Option<Timestamp>,
    /// The statement that transhipment is not allowed (Art. 6.2 (a)).
    #[serde(default, skip_serializing_if = "is_false")]
    pub transhipment_prohibited: bool,
    /// Documents handed to the carrier (Art. 6.2 (g), box 5).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub documents: Vec<AttachedDocument>,
    /// Special agreements between the parties (box 19).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub special_agreements: Vec<String>,
    /// Any other useful particulars (Art. 6.3).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other_particulars: Vec<String>,
    /// The statement that the carriage is subject to the CMR (Art. 6.1 (k)); always present.
    pub paramount_statement: String,
    /// Whether the consignee holds the right of disposal from the time the note is drawn up (Art. 12.3).
    #[serde(default, skip_serializing_if = "is_false")]
    pub consignee_has_right_of_disposal: bool,
    /// Vehicles and equipment carrying the goods.
    #[serde(default, skip_serializing_if = "Transport::is_empty")]
    pub transport: Transport,
    /// Order numbers, customer references and the like.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// Where and when the note was made out (box 21).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Establishment {
    /// Town or place.
    pub place: String,
    /// Country of that place.
    pub country: CountryCode,
    /// Date and time the note was made out.
    pub date: Timestamp,
}

/// A party to the contract of carriage: sender, consignee or carrier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Party {
    /// Name of the person or company.
    pub name: String,
    /// Postal address.
    pub address: Address,
    /// Registration numbers such as VAT or EORI.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identifiers: Vec<PartyIdentifier>,
    /// Who to contact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<Contact>,
    /// Ed25519 public keys (base64url, no padding) this party signs with. When present, a signature for this
    /// party's role by any other key fails verification.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub public_keys: Vec<String>,
}

/// A postal address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Address {
    /// Street and number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street: Option<String>,
    /// Postal code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postcode: Option<String>,
    /// Town or city.
    pub city: String,
    /// Region, province or state, where used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subdivision: Option<String>,
    /// ISO 3166-1 alpha-2 country.
    pub country: CountryCode,
}

/// A registration number of a party.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PartyIdentifier {
    /// What kind of number this is.
    pub scheme: IdentifierScheme,
    /// The number itself.
    pub value: String,
}

/// Kinds of party identifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum IdentifierScheme {
    /// VAT identification number, with its country prefix.
    Vat,
    /// Economic Operators Registration and Identification number.
    Eori,
    /// GS1 Global Location Number.
    Gln,
    /// Chamber of commerce or national company register number.
    CompanyRegister,
    /// Carrier's Community licence number (Reg. (EC) 1072/2009).
    TransportLicence,
    /// Any other scheme.
    Other,
}

/// Contact details.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    /// Person or desk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Telephone number, preferably in E.164 form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// E-mail address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// A place: an address, optionally with its UN/LOCODE and coordinates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Location {
    /// Name of the site, e.g. a warehouse.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Address of the place.
    pub address: Address,
    /// UN/LOCODE of the place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unlocode: Option<UnLocode>,
    /// WGS 84 coordinates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coordinates: Option<Coordinates>,
}

/// WGS 84 latitude and longitude in decimal degrees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Coordinates {
    /// Latitude, −90 to 90.
    pub latitude: Decimal,
    /// Longitude, −180 to 180.
    pub longitude: Decimal,
}

/// Place and date of taking over the goods (box 4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TakingOver {
    /// Where the carrier takes over the goods.
    pub location: Location,
    /// When the carrier takes over the goods (as planned when the note is made out).
    pub date: Timestamp,
}

/// Place designated for delivery (box 3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Delivery {
    /// Where the goods are to be delivered.
    pub location: Location,
    /// Expected date of delivery, if planned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_date: Option<Timestamp>,
}

/// One goods line (boxes 6–12).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GoodsItem {
    /// Marks and numbers (box 6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marks_and_numbers: Option<String>,
    /// Number of packages (box 7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_of_packages: Option<u32>,
    /// Method of packing (box 8).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub packing: Option<Packing>,
    /// Nature of the goods (box 9).
    pub nature_of_goods: String,
    /// Statistical number, usually the HS / CN code (box 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statistical_number: Option<String>,
    /// Gross weight in kilograms (box 11).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gross_weight_kg: Option<Decimal>,
    /// Quantity otherwise expressed, when there is no gross weight (Art. 6.1 (h)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<Quantity>,
    /// Volume in cubic metres (box 12).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_m3: Option<Decimal>,
    /// ADR particulars when the line is dangerous goods (Art. 6.1 (f), ADR 5.4.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dangerous_goods: Option<DangerousGoods>,
}

/// How goods are packed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Packing {
    /// Method of packing in words, e.g. "Euro pallets".
    pub method: String,
    /// UN/ECE Recommendation 21 package type code, e.g. `PX` (pallet).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

/// A quantity with its UN/ECE Recommendation 20 unit code, e.g. `LTR`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Quantity {
    /// The amount.
    pub value: Decimal,
    /// UN/ECE Rec. 20 unit code.
    pub unit: String,
}

/// ADR dangerous-goods particulars of one goods line (ADR 5.4.1.1.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DangerousGoods {
    /// UN number, four digits without the "UN" prefix, e.g. `1203`.
    pub un_number: String,
    /// Proper shipping name, e.g. "MOTOR SPIRIT".
    pub proper_shipping_name: String,
    /// Technical name added in brackets where special provision 274 or 318 requires it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub technical_name: Option<String>,
    /// Class or division, e.g. `3`, `6.1`, `1.1D`.
    pub class: String,
    /// Subsidiary hazard classes, in the order of the labels.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subsidiary_risks: Vec<String>,
    /// Packing group, where the class assigns one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub packing_group: Option<PackingGroup>,
    /// Tunnel restriction code, e.g. `D/E`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tunnel_restriction_code: Option<String>,
    /// Environmentally hazardous (ADR 5.4.1.1.18).
    #[serde(default, skip_serializing_if = "is_false")]
    pub environmentally_hazardous: bool,
}

/// ADR packing group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
pub enum PackingGroup {
    /// High danger.
    I,
    /// Medium danger.
    II,
    /// Low danger.
    III,
}

impl PackingGroup {
    /// The Roman numeral.
    pub fn as_str(&self) -> &'static str {
        match self {
            PackingGroup::I => "I",
            PackingGroup::II => "II",
            PackingGroup::III => "III",
        }
    }
}

/// An amount of money in a currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Money {
    /// The amount.
    pub amount: Decimal,
    /// ISO 4217 currency.
    pub currency: CurrencyCode,
}

/// One charge and who pays it (box 20).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Charge {
    /// What the charge is for.
    pub kind: ChargeKind,
    /// Words describing the charge, required for `other`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// How much.
    pub amount: Money,
    /// Who pays.
    pub payer: Payer,
}

/// The charge categories of Art. 6.1 (i) and box 20.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChargeKind {
    /// Carriage charges.
    Carriage,
    /// Deductions from the carriage charges.
    Deductions,
    /// Supplementary charges.
    Supplementary,
    /// Customs duties.
    CustomsDuties,
    /// Other charges incurred from the making of the contract to delivery.
    Other,
}

/// Who pays a charge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Payer {
    /// The sender undertakes to pay (Art. 6.2 (b)).
    Sender,
    /// The consignee pays.
    Consignee,
}

/// Sender's instructions (box 13).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SenderInstructions {
    /// Instructions for customs formalities.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub customs: Vec<String>,
    /// Instructions for other formalities.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other: Vec<String>,
}

impl SenderInstructions {
    /// Whether there are no instructions at all.
    pub fn is_empty(&self) -> bool {
        self.customs.is_empty() && self.other.is_empty()
    }
}

/// A document handed to the carrier (box 5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AttachedDocument {
    /// What the document is, e.g. "Commercial invoice".
    pub name: String,
    /// UN/EDIFACT 1001 document type code, e.g. `380` (commercial invoice).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub type_code: Option<String>,
    /// The document's number or reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

/// The vehicles and equipment used.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Transport {
    /// UN/ECE Recommendation 19 transport mode code; `3` is road.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode_code: Option<String>,
    /// Motor vehicles (eFTI used transport means).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vehicles: Vec<Vehicle>,
    /// Trailers, semi-trailers and other equipment (eFTI used transport equipment).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub equipment: Vec<Equipment>,
}

impl Transport {
    /// Whether nothing is recorded.
    pub fn is_empty(&self) -> bool {
        self.mode_code.is_none() && self.vehicles.is_empty() && self.equipment.is_empty()
    }
}

/// A motor vehicle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Vehicle {
    /// Registration plate as written on the vehicle.
    pub registration: String,
    /// Country of registration.
    pub country: CountryCode,
}

/// A trailer, semi-trailer, swap body or other unit of equipment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Equipment {
    /// Registration plate or other identifier.
    pub id: String,
    /// Country of registration, where registered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<CountryCode>,
    /// UN/EDIFACT 8053 equipment category, e.g. `TE` (trailer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category_code: Option<String>,
    /// Containers and other equipment carried on this unit (eFTI carried transport equipment).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub carried: Vec<CarriedEquipment>,
}

/// Equipment carried on another unit, such as a container on a chassis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CarriedEquipment {
    /// Identifier, e.g. an ISO 6346 container number.
    pub id: String,
    /// UN/EDIFACT 8053 equipment category, e.g. `CN` (container).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category_code: Option<String>,
}

/// A business reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Reference {
    /// What kind of reference.
    pub kind: ReferenceKind,
    /// The reference itself.
    pub value: String,
}

/// Kinds of business references.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReferenceKind {
    /// Purchase or transport order number.
    Order,
    /// The customer's own reference.
    Customer,
    /// Shipment or booking number.
    Shipment,
    /// The sender's internal reference.
    Sender,
    /// The consignee's internal reference.
    Consignee,
    /// The carrier's internal reference.
    Carrier,
    /// Anything else.
    Other,
}
