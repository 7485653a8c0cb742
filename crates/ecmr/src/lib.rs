//! # ecmr — electronic CMR consignment notes
//!
//! The model of a CMR consignment note ([`ConsignmentNote`]), its validation, its JSON and UN/CEFACT eCMR XML
//! forms and a plain-text rendering in the familiar 24-box order.
//!
//! This crate does no I/O of its own: no files, no network, no database, no async runtime. Notes, documents and
//! keys are read from and written as bytes or text; opening files is the caller's business.
//!
//! # Examples
//!
//! Build a note, validate it, write it as JSON and as UN/CEFACT eCMR XML, and read both back:
//!
//! ```
//! use ecmr::*;
//!
//! let address = |street: &str, postcode: &str, city: &str| Address {
//!     street: Some(street.into()),
//!     postcode: Some(postcode.into()),
//!     city: city.into(),
//!     subdivision: None,
//!     country: "NL".into(),
//! };
//! let party = |name: &str, a: Address| Party {
//!     name: name.into(),
//!     address: a,
//!     identifiers: vec![],
//!     contact: None,
//!     public_keys: vec![],
//! };
//! let place = |a: Address, locode: &str| Location {
//!     name: None,
//!     address: a,
//!     unlocode: Some(locode.into()),
//!     coordinates: None,
//! };
//! let at = |s: &str| Timestamp::parse(s).expect("valid RFC 3339");
//!
//! let note = ConsignmentNote {
//!     number: "NL-2026-000124".into(),
//!     established: Establishment { place: "Tilburg".into(), country: "NL".into(), date: at("2026-11-27T16:00:00+01:00") },
//!     sender: party("Brabant Zuivel B.V.", address("Industrieweg 12", "5047 RV", "Tilburg")),
//!     consignee: party("DC Noord", address("Havenstraat 200", "9711 AB", "Groningen")),
//!     carrier: party("Van Dijk Transport B.V.", address("Transportweg 5", "5145 NR", "Waalwijk")),
//!     successive_carriers: vec![],
//!     taking_over: TakingOver {
//!         location: place(address("Industrieweg 12", "5047 RV", "Tilburg"), "NLTLB"),
//!         date: at("2026-11-28T06:00:00+01:00"),
//!     },
//!     delivery: Delivery {
//!         location: place(address("Havenstraat 200", "9711 AB", "Groningen"), "NLGRQ"),
//!         expected_date: None,
//!     },
//!     goods: vec![GoodsItem {
//!         marks_and_numbers: None,
//!         number_of_packages: Some(26),
//!         packing: Some(Packing { method: "Euro pallets".into(), code: Some("PX".into()) }),
//!         nature_of_goods: "Dairy products, chilled".into(),
//!         statistical_number: Some("0403".into()),
//!         gross_weight_kg: Some("12480.000".parse()?),
//!         quantity: None,
//!         volume_m3: None,
//!         dangerous_goods: None,
//!     }],
//!     charges: vec![Charge {
//!         kind: ChargeKind::Carriage,
//!         description: None,
//!         amount: Money { amount: "685.00".parse()?, currency: "EUR".into() },
//!         payer: Payer::Sender,
//!     }],
//!     payment_instructions: None,
//!     sender_instructions: SenderInstructions::default(),
//!     cash_on_delivery: None,
//!     declared_value: None,
//!     special_interest: None,
//!     insurance_instructions: None,
//!     agreed_time_limit: None,
//!     transhipment_prohibited: false,
//!     documents: vec![],
//!     special_agreements: vec![],
//!     other_particulars: vec![],
//!     paramount_statement: CMR_PARAMOUNT_STATEMENT.into(),
//!     consignee_has_right_of_disposal: false,
//!     transport: Transport::default(),
//!     references: vec![],
//! };
//!
//! let report = validate::validate(&note);
//! assert!(report.is_valid(), "{:?}", report.findings);
//!
//! let json = json::to_string_pretty(&note);
//! assert_eq!(json::from_str(&json)?, note);
//!
//! let xml = xml::to_string(&note);
//! assert!(xml.contains("<rsm:eCMR"));
//! assert_eq!(xml::from_str(&xml)?, note);
//!
//! assert!(render::text(&note).contains("16 Carrier"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod attest;
pub mod canonical;
pub mod document;
pub mod efti;
pub mod json;
pub mod keys;
pub mod lifecycle;
pub mod model;
pub mod qr;
pub mod render;
pub mod schema;
pub mod sign;
pub mod trust;
pub mod types;
pub mod validate;
pub mod verify;
pub mod xml;

pub use model::*;
pub use types::{CountryCode, CurrencyCode, Decimal, DecimalError, Timestamp, UnLocode};
