//! Proptest strategies producing arbitrary consignment notes that the JSON parser accepts: diverse strings (XML
//! markup characters, white space at the ends and inside, line breaks, unicode, control characters), optional
//! particulars on and off, lists of 0–3 entries, decimals of various scales and timestamps with offsets.
//!
//! The notes are not necessarily *valid* (codes may be malformed); they are what parsing can produce.

use chrono::{DateTime, FixedOffset};
use ecmr::*;
use proptest::collection::vec;
use proptest::option::of;
use proptest::prelude::*;
use proptest::sample::select;

/// Text of all kinds.
pub fn text() -> BoxedStrategy<String> {
    prop_oneof![
        3 => "[ -~]{0,16}",
        2 => "\\PC{0,10}",
        1 => vec(any::<char>(), 0..6).prop_map(String::from_iter),
        2 => select(vec![
            "",
            " ",
            "  padded  ",
            "a & b < c > d \" e ' f",
            "&amp; &lt; ]]> <![CDATA[x]]> <!-- c -->",
            "line one\nline two\r\nline three\rend",
            "\ttab\t",
            "Grüße aus Köln — ½ °C 🚚 日本",
            "\u{0}\u{1}\u{1F}\u{7F}\u{FFFE}\u{FFFF}",
        ])
        .prop_map(str::to_owned),
    ]
    .boxed()
}

/// Decimals in plain notation with 0–6 fraction digits (the scale is kept), positive and negative.
pub fn decimal() -> BoxedStrategy<Decimal> {
    (any::<bool>(), 0u64..=999_999_999_999, 0u32..=6)
        .prop_map(|(neg, mantissa, scale)| {
            let d = rust_decimal::Decimal::new(i64::try_from(mantissa).unwrap_or(0), scale);
            let d = if neg && !d.is_zero() { -d } else { d };
            Decimal::from(d)
        })
        .boxed()
}

/// Timestamps between 1970 and 2100 with offsets of whole minutes within ±23:59 and 0, 3, 6 or 9 fraction digits.
pub fn timestamp() -> BoxedStrategy<Timestamp> {
    (0i64..4_102_444_800, -1439i32..=1439, select(vec![0u32, 250_000_000, 123_456_000, 987_654_321]))
        .prop_map(|(secs, offset_min, nanos)| {
            let offset = FixedOffset::east_opt(offset_min * 60).unwrap();
            let utc = DateTime::from_timestamp(secs, nanos).unwrap();
            Timestamp(utc.with_timezone(&offset))
        })
        .boxed()
}

fn code<T: From<&'static str> + std::fmt::Debug>(values: Vec<&'static str>) -> impl Strategy<Value = T> {
    select(values).prop_map(T::from)
}

/// Country codes, mostly well formed.
pub fn country() -> BoxedStrategy<CountryCode> {
    prop_oneof![4 => code(vec!["NL", "BE", "DE", "FR", "LU", "PL"]), 1 => text().prop_map(CountryCode::new)].boxed()
}

/// Currency codes, mostly well formed.
pub fn currency() -> BoxedStrategy<CurrencyCode> {
    prop_oneof![4 => code(vec!["EUR", "PLN", "CHF"]), 1 => text().prop_map(CurrencyCode::new)].boxed()
}

/// An amount with its currency.
pub fn money() -> BoxedStrategy<Money> {
    (decimal(), currency()).prop_map(|(amount, currency)| Money { amount, currency }).boxed()
}

/// A postal address with optional parts on and off.
pub fn address() -> BoxedStrategy<Address> {
    (of(text()), of(text()), text(), of(text()), country())
        .prop_map(|(street, postcode, city, subdivision, country)| Address {
            street,
            postcode,
            city,
            subdivision,
            country,
        })
        .boxed()
}

/// Any identifier scheme.
pub fn identifier_scheme() -> BoxedStrategy<IdentifierScheme> {
    use IdentifierScheme::*;
    select(vec![Vat, Eori, Gln, CompanyRegister, TransportLicence, Other]).boxed()
}

/// A party with 0–2 identifiers and keys and an optional contact.
pub fn party() -> BoxedStrategy<Party> {
    (
        text(),
        address(),
        vec((identifier_scheme(), text()).prop_map(|(scheme, value)| PartyIdentifier { scheme, value }), 0..3),
        of((of(text()), of(text()), of(text())).prop_map(|(name, phone, email)| Contact { name, phone, email })),
        vec(text(), 0..3),
    )
        .prop_map(|(name, address, identifiers, contact, public_keys)| Party {
            name,
            address,
            identifiers,
            contact,
            public_keys,
        })
        .boxed()
}

/// A place with optional name, UN/LOCODE and coordinates.
pub fn location() -> BoxedStrategy<Location> {
    (
        of(text()),
        address(),
        of(prop_oneof![code(vec!["NLRTM", "BEANR", "DEHAM"]), text().prop_map(UnLocode::new)]),
        of((decimal(), decimal()).prop_map(|(latitude, longitude)| Coordinates { latitude, longitude })),
    )
        .prop_map(|(name, address, unlocode, coordinates)| Location { name, address, unlocode, coordinates })
        .boxed()
}

/// ADR particulars of a goods line.
pub fn dangerous_goods() -> BoxedStrategy<DangerousGoods> {
    (
        text(),
        text(),
        of(text()),
        text(),
        vec(text(), 0..3),
        of(select(vec![PackingGroup::I, PackingGroup::II, PackingGroup::III])),
        of(text()),
        any::<bool>(),
    )
        .prop_map(
            |(
                un_number,
                proper_shipping_name,
                technical_name,
                class,
                subsidiary_risks,
                packing_group,
                tunnel_restriction_code,
                environmentally_hazardous,
            )| DangerousGoods {
                un_number,
                proper_shipping_name,
                technical_name,
                class,
                subsidiary_risks,
                packing_group,
                tunnel_restriction_code,
                environmentally_hazardous,
            },
        )
        .boxed()
}

/// One goods line.
pub fn goods_item() -> BoxedStrategy<GoodsItem> {
    (
        of(text()),
        of(any::<u32>()),
        of((text(), of(text())).prop_map(|(method, code)| Packing { method, code })),
        text(),
        of(text()),
        of(decimal()),
        of((decimal(), text()).prop_map(|(value, unit)| Quantity { value, unit })),
        of(decimal()),
        of(dangerous_goods()),
    )
        .prop_map(
            |(
                marks_and_numbers,
                number_of_packages,
                packing,
                nature_of_goods,
                statistical_number,
                gross_weight_kg,
                quantity,
                volume_m3,
                dangerous_goods,
            )| GoodsItem {
                marks_and_numbers,
                number_of_packages,
                packing,
                nature_of_goods,
                statistical_number,
                gross_weight_kg,
                quantity,
                volume_m3,
                dangerous_goods,
            },
        )
        .boxed()
}

/// One charge.
pub fn charge() -> BoxedStrategy<Charge> {
    use ChargeKind::*;
    (
        select(vec![Carriage, Deductions, Supplementary, CustomsDuties, Other]),
        of(text()),
        money(),
        select(vec![Payer::Sender, Payer::Consignee]),
    )
        .prop_map(|(kind, description, amount, payer)| Charge { kind, description, amount, payer })
        .boxed()
}

/// Vehicles and equipment, 0–2 of each, with carried equipment.
pub fn transport() -> BoxedStrategy<Transport> {
    let vehicle = (text(), country()).prop_map(|(registration, country)| Vehicle { registration, country });
    let carried = (text(), of(text())).prop_map(|(id, category_code)| CarriedEquipment { id, category_code });
    let equipment = (text(), of(country()), of(text()), vec(carried, 0..3))
        .prop_map(|(id, country, category_code, carried)| Equipment { id, country, category_code, carried });
    (of(text()), vec(vehicle, 0..3), vec(equipment, 0..3))
        .prop_map(|(mode_code, vehicles, equipment)| Transport { mode_code, vehicles, equipment })
        .boxed()
}

/// A business reference.
pub fn reference() -> BoxedStrategy<Reference> {
    use ReferenceKind::*;
    (select(vec![Order, Customer, Shipment, Sender, Consignee, Carrier, Other]), text())
        .prop_map(|(kind, value)| Reference { kind, value })
        .boxed()
}

/// A document handed to the carrier.
pub fn document() -> BoxedStrategy<AttachedDocument> {
    (text(), of(text()), of(text()))
        .prop_map(|(name, type_code, reference)| AttachedDocument { name, type_code, reference })
        .boxed()
}

/// A whole note.
pub fn note() -> BoxedStrategy<ConsignmentNote> {
    let head = (
        text(),
        (text(), country(), timestamp()).prop_map(|(place, country, date)| Establishment { place, country, date }),
        party(),
        party(),
        party(),
        vec(party(), 0..3),
        (location(), timestamp()).prop_map(|(location, date)| TakingOver { location, date }),
        (location(), of(timestamp())).prop_map(|(location, expected_date)| Delivery { location, expected_date }),
        vec(goods_item(), 0..4),
        vec(charge(), 0..3),
    );
    let tail = (
        of(text()),
        (vec(text(), 0..3), vec(text(), 0..3)).prop_map(|(customs, other)| SenderInstructions { customs, other }),
        (of(money()), of(money()), of(money())),
        of(text()),
        of(timestamp()),
        any::<bool>(),
        vec(document(), 0..3),
        (vec(text(), 0..3), vec(text(), 0..3)),
        prop_oneof![Just(CMR_PARAMOUNT_STATEMENT.to_owned()), text()],
        any::<bool>(),
        transport(),
        vec(reference(), 0..3),
    );
    (head, tail)
        .prop_map(
            |(
                (
                    number,
                    established,
                    sender,
                    consignee,
                    carrier,
                    successive_carriers,
                    taking_over,
                    delivery,
                    goods,
                    charges,
                ),
                (
                    payment_instructions,
                    sender_instructions,
                    (cash_on_delivery, declared_value, special_interest),
                    insurance_instructions,
                    agreed_time_limit,
                    transhipment_prohibited,
                    documents,
                    (special_agreements, other_particulars),
                    paramount_statement,
                    consignee_has_right_of_disposal,
                    transport,
                    references,
                ),
            )| ConsignmentNote {
                number,
                established,
                sender,
                consignee,
                carrier,
                successive_carriers,
                taking_over,
                delivery,
                goods,
                charges,
                payment_instructions,
                sender_instructions,
                cash_on_delivery,
                declared_value,
                special_interest,
                insurance_instructions,
                agreed_time_limit,
                transhipment_prohibited,
                documents,
                special_agreements,
                other_particulars,
                paramount_statement,
                consignee_has_right_of_disposal,
                transport,
                references,
            },
        )
        .boxed()
}
