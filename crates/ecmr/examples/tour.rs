//! A tour of the `ecmr` crate: build a consignment note in code, check it, show it as JSON, XML and text, then
//! summarise every example note shipped in `examples/`.
//!
//! Run with `cargo run -p ecmr --example tour`. Exits with status 1 when a note cannot be read or is not valid.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use ecmr::validate::{Report, Severity, validate};
use ecmr::{
    Address, CMR_PARAMOUNT_STATEMENT, Charge, ChargeKind, ConsignmentNote, Contact, Decimal, Delivery, Equipment,
    Establishment, GoodsItem, IdentifierScheme, Location, Money, Packing, Party, PartyIdentifier, Payer, Reference,
    ReferenceKind, SenderInstructions, TakingOver, Timestamp, Transport, Vehicle, json, render, xml,
};

fn main() -> ExitCode {
    let mut failures = 0;

    println!("== A note built in code ==");
    match build_note() {
        Ok(note) => {
            let report = validate(&note);
            print_findings(&report);
            if !report.is_valid() {
                failures += 1;
            }
            println!("\n-- JSON --\n{}", json::to_string_pretty(&note));
            let xml_text = xml::to_string(&note);
            if xml_text.is_empty() {
                println!("\n-- XML --\n(the XML writer produced nothing)");
            } else {
                println!("\n-- XML --\n{xml_text}");
            }
            println!("\n-- Text --\n{}", render::text(&note));
        }
        Err(e) => {
            eprintln!("error: could not build the note: {e}");
            failures += 1;
        }
    }

    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples"));
    println!("\n== Notes in {} ==", dir.display());
    match json_files(&dir) {
        Ok(files) => {
            for path in files {
                if !summarise(&path) {
                    failures += 1;
                }
            }
        }
        Err(e) => {
            eprintln!("error: cannot list {}: {e}", dir.display());
            failures += 1;
        }
    }

    if failures == 0 {
        ExitCode::SUCCESS
    } else {
        eprintln!("{failures} problem(s)");
        ExitCode::FAILURE
    }
}

/// A domestic Belgian note: two lines of goods from Gent to Liège.
fn build_note() -> Result<ConsignmentNote, String> {
    let decimal = |s: &str| s.parse::<Decimal>().map_err(|e| e.to_string());
    let time = |s: &str| s.parse::<Timestamp>().map_err(|e| format!("`{s}`: {e}"));
    let address = |street: &str, postcode: &str, city: &str| Address {
        street: Some(street.to_owned()),
        postcode: Some(postcode.to_owned()),
        city: city.to_owned(),
        subdivision: None,
        country: "BE".into(),
    };
    let party = |name: &str, address: Address, vat: &str| Party {
        name: name.to_owned(),
        address,
        identifiers: vec![PartyIdentifier { scheme: IdentifierScheme::Vat, value: vat.to_owned() }],
        contact: None,
        public_keys: Vec::new(),
    };
    let eur =
        |amount: &str| -> Result<Money, String> { Ok(Money { amount: decimal(amount)?, currency: "EUR".into() }) };

    let mut sender = party("Gentse Drukkerij N.V.", address("Port Arthurlaan 70", "9000", "Gent"), "BE0403123456");
    sender.contact = Some(Contact {
        name: Some("Expeditie".into()),
        phone: Some("+3292501234".into()),
        email: Some("expeditie@gentsedrukkerij.example".into()),
    });
    let consignee = party("Boekhandel Meuse S.A.", address("Rue de la Régence 12", "4000", "Liège"), "BE0456987321");
    let carrier = party("Transport Leie B.V.", address("Industrieweg 3", "9032", "Gent"), "BE0876543219");

    Ok(ConsignmentNote {
        number: "BE-2026-TOUR-0001".into(),
        established: Establishment {
            place: "Gent".into(),
            country: "BE".into(),
            date: time("2026-12-01T08:00:00+01:00")?,
        },
        sender,
        consignee,
        carrier,
        successive_carriers: Vec::new(),
        taking_over: TakingOver {
            location: Location {
                name: Some("Printing works".into()),
                address: address("Port Arthurlaan 70", "9000", "Gent"),
                unlocode: Some("BEGNE".into()),
                coordinates: None,
            },
            date: time("2026-12-01T09:00:00+01:00")?,
        },
        delivery: Delivery {
            location: Location {
                name: None,
                address: address("Rue de la Régence 12", "4000", "Liège"),
                unlocode: Some("BELGG".into()),
                coordinates: None,
            },
            expected_date: Some(time("2026-12-01T13:00:00+01:00")?),
        },
        goods: vec![
            GoodsItem {
                marks_and_numbers: Some("GD 1-6".into()),
                number_of_packages: Some(6),
                packing: Some(Packing { method: "Euro pallets".into(), code: Some("PX".into()) }),
                nature_of_goods: "Printed books".into(),
                statistical_number: Some("490199".into()),
                gross_weight_kg: Some(decimal("3150.000")?),
                quantity: None,
                volume_m3: Some(decimal("7.20")?),
                dangerous_goods: None,
            },
            GoodsItem {
                marks_and_numbers: Some("GD 7-26".into()),
                number_of_packages: Some(20),
                packing: Some(Packing { method: "Cartons".into(), code: Some("CT".into()) }),
                nature_of_goods: "Calendars 2027".into(),
                statistical_number: Some("491000".into()),
                gross_weight_kg: Some(decimal("240.500")?),
                quantity: None,
                volume_m3: Some(decimal("0.80")?),
                dangerous_goods: None,
            },
        ],
        charges: vec![Charge {
            kind: ChargeKind::Carriage,
            description: None,
            amount: eur("295.00")?,
            payer: Payer::Sender,
        }],
        payment_instructions: Some("Carriage paid".into()),
        sender_instructions: SenderInstructions { customs: Vec::new(), other: vec!["Keep dry".into()] },
        cash_on_delivery: None,
        declared_value: None,
        special_interest: None,
        insurance_instructions: None,
        agreed_time_limit: None,
        transhipment_prohibited: false,
        documents: Vec::new(),
        special_agreements: Vec::new(),
        other_particulars: Vec::new(),
        paramount_statement: CMR_PARAMOUNT_STATEMENT.into(),
        consignee_has_right_of_disposal: false,
        transport: Transport {
            mode_code: Some("3".into()),
            vehicles: vec![Vehicle { registration: "1-ABC-234".into(), country: "BE".into() }],
            equipment: vec![Equipment {
                id: "Q-AAB-123".into(),
                country: Some("BE".into()),
                category_code: Some("TE".into()),
                carried: Vec::new(),
            }],
        },
        references: vec![Reference { kind: ReferenceKind::Order, value: "BM-2026-1187".into() }],
    })
}

fn print_findings(report: &Report) {
    if report.findings.is_empty() {
        println!("Validation: no findings");
        return;
    }
    println!("Validation: {} error(s), {} warning(s)", report.errors().count(), report.warnings().count());
    for f in &report.findings {
        let severity = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        println!("  {severity:7} {} [{}] {}", f.path, f.code, f.message);
    }
}

fn json_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "json") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Prints one line for the note in `path`; returns whether it was read and is valid.
fn summarise(path: &Path) -> bool {
    let name = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
    let note = match std::fs::read(path)
        .map_err(|e| e.to_string())
        .and_then(|b| json::from_slice(&b).map_err(|e| e.to_string()))
    {
        Ok(note) => note,
        Err(e) => {
            eprintln!("{name}: error: {e}");
            return false;
        }
    };
    let gross: rust_decimal::Decimal = note.goods.iter().filter_map(|g| g.gross_weight_kg).map(|d| d.value()).sum();
    let report = validate(&note);
    let (errors, warnings) = (report.errors().count(), report.warnings().count());
    let verdict = match (errors, warnings) {
        (0, 0) => "valid".to_owned(),
        (0, w) => format!("valid, {w} warning(s)"),
        (e, w) => format!("INVALID: {e} error(s), {w} warning(s)"),
    };
    println!(
        "{name:28} {:22} {:3} line(s) {:>12} kg gross  {verdict}",
        note.number,
        note.goods.len(),
        gross.to_string()
    );
    errors == 0
}
