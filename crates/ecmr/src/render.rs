//! Human-readable renderings of a note.
//!
//! [`text`] writes the note as plain text in the order of the 24 boxes of the IRU CMR form (1976 layout), each
//! headed with its box number and label, the goods lines of boxes 6–12 as a table, and what has no box
//! (references, transport means, the paramount statement, other particulars) in a trailer after box 24. The
//! words come from a [`Labels`] set, so other languages can be added as further constants; [`Labels::ENGLISH`] is
//! the only one so far.
//!
//! Where the form has no dedicated box, particulars go where clerks usually write them: customs and other
//! formalities, insurance instructions, declared value and special interest in box 13; special agreements, the
//! agreed time limit, the no-transhipment statement and the consignee's right of disposal (Art. 12.3) in box 19;
//! each charge with its payer in box 20. Box 18 says no reservations are entered and boxes 22–24 say "not signed":
//! reservations and signatures belong to the signed events, not to the bare note. A quantity given instead of (or
//! beside) the gross weight and the ADR description follow their goods line, indented. Line breaks in table cells
//! are flattened to spaces; elsewhere each line of a value is indented in its box.
//!
//! [`DangerousGoods::adr_description`] gives the dangerous-goods line of ADR 5.4.1.1.1.

use std::fmt::Write as _;

use crate::model::{
    Address, ChargeKind, ConsignmentNote, DangerousGoods, GoodsItem, IdentifierScheme, Location, Party, Payer,
    ReferenceKind,
};
use crate::types::Timestamp;

/// The words a rendering uses, so that it can be given in another language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Labels {
    /// Title line before the number.
    pub title: &'static str,
    /// Word before the note's number.
    pub number: &'static str,
    /// Labels of boxes 1 to 24, in order.
    pub boxes: [&'static str; 24],
    /// Heading of the goods table (boxes 6–12).
    pub goods: &'static str,
    /// Short column headings of boxes 6 to 12 for the goods table.
    pub goods_columns: [&'static str; 7],
    /// Label of a quantity given instead of, or beside, the gross weight.
    pub quantity: &'static str,
    /// Label before the ADR description of dangerous goods.
    pub dangerous_goods: &'static str,
    /// Written in an empty box.
    pub none: &'static str,
    /// Written in boxes 22–24 of a note nobody has signed yet.
    pub not_signed: &'static str,
    /// Written in box 18 of a note before taking over.
    pub no_reservations: &'static str,
    /// Label of a date of taking over.
    pub date: &'static str,
    /// Label of the expected delivery date.
    pub expected_delivery: &'static str,
    /// Label of a UN/LOCODE.
    pub unlocode: &'static str,
    /// Label of coordinates.
    pub coordinates: &'static str,
    /// Label of contact details.
    pub contact: &'static str,
    /// Label of a pinned public key.
    pub public_key: &'static str,
    /// Names of the identifier schemes: VAT, EORI, GLN, company register, transport licence, other.
    pub identifier_schemes: [&'static str; 6],
    /// Label of a document's reference.
    pub document_reference: &'static str,
    /// Label of a document's type code.
    pub document_type: &'static str,
    /// Label of customs instructions.
    pub customs: &'static str,
    /// Label of instructions for other formalities.
    pub other_formalities: &'static str,
    /// Label of insurance instructions.
    pub insurance: &'static str,
    /// Label of the declared value.
    pub declared_value: &'static str,
    /// Label of the special interest in delivery.
    pub special_interest: &'static str,
    /// Label of the agreed time limit.
    pub time_limit: &'static str,
    /// Statement that transhipment is not allowed.
    pub transhipment_prohibited: &'static str,
    /// Statement that the consignee has the right of disposal from the outset.
    pub consignee_right_of_disposal: &'static str,
    /// Names of the charge kinds: carriage, deductions, supplementary, customs duties, other.
    pub charge_kinds: [&'static str; 5],
    /// Names of the payers: sender, consignee.
    pub payers: [&'static str; 2],
    /// Heading of the trailer with what has no box on the paper form.
    pub trailer: &'static str,
    /// Label of the references.
    pub references: &'static str,
    /// Names of the reference kinds: order, customer, shipment, sender, consignee, carrier, other.
    pub reference_kinds: [&'static str; 7],
    /// Label of the transport means.
    pub transport: &'static str,
    /// Label of the transport mode code.
    pub mode: &'static str,
    /// Label of a vehicle.
    pub vehicle: &'static str,
    /// Label of equipment.
    pub equipment: &'static str,
    /// Label of equipment carried on other equipment.
    pub carried: &'static str,
    /// Label of the paramount statement.
    pub paramount_statement: &'static str,
    /// Label of the other particulars (Art. 6.3).
    pub other_particulars: &'static str,
}

impl Labels {
    /// English, with the box labels of the IRU form.
    pub const ENGLISH: Labels = Labels {
        title: "CMR CONSIGNMENT NOTE",
        number: "No.",
        boxes: [
            "Sender",
            "Consignee",
            "Place of delivery",
            "Place and date of taking over",
            "Documents attached",
            "Marks and numbers",
            "Number of packages",
            "Method of packing",
            "Nature of the goods",
            "Statistical number",
            "Gross weight in kg",
            "Volume in m³",
            "Sender's instructions",
            "Instructions as to payment for carriage",
            "Cash on delivery",
            "Carrier",
            "Successive carriers",
            "Carrier's reservations and observations",
            "Special agreements",
            "To be paid by",
            "Established in/on",
            "Signature of sender",
            "Signature of carrier",
            "Goods received",
        ],
        goods: "Goods",
        goods_columns: ["Marks", "Packages", "Packing", "Nature of the goods", "Stat. no.", "Gross kg", "m³"],
        quantity: "Quantity",
        dangerous_goods: "ADR",
        none: "(none)",
        not_signed: "not signed",
        no_reservations: "(none entered)",
        date: "Date",
        expected_delivery: "Expected delivery",
        unlocode: "UN/LOCODE",
        coordinates: "Coordinates",
        contact: "Contact",
        public_key: "Public key",
        identifier_schemes: ["VAT", "EORI", "GLN", "Company register", "Transport licence", "Other id"],
        document_reference: "ref.",
        document_type: "type",
        customs: "Customs",
        other_formalities: "Other formalities",
        insurance: "Insurance",
        declared_value: "Declared value",
        special_interest: "Special interest in delivery",
        time_limit: "Agreed time limit",
        transhipment_prohibited: "Transhipment not allowed",
        consignee_right_of_disposal: "The consignee has the right of disposal from the outset (Art. 12.3)",
        charge_kinds: ["Carriage charges", "Deductions", "Supplementary charges", "Customs duties", "Other charges"],
        payers: ["Sender", "Consignee"],
        trailer: "NOT IN THE BOXES OF THE PAPER FORM",
        references: "References",
        reference_kinds: [
            "Order",
            "Customer",
            "Shipment",
            "Sender's ref.",
            "Consignee's ref.",
            "Carrier's ref.",
            "Other ref.",
        ],
        transport: "Transport",
        mode: "Mode (UN/ECE Rec. 19)",
        vehicle: "Vehicle",
        equipment: "Equipment",
        carried: "Carrying",
        paramount_statement: "Paramount statement",
        other_particulars: "Other particulars (Art. 6.3)",
    };

    /// The labels for a language tag such as `en` or `en-GB` (only the primary language counts, any case); `None`
    /// when there are no labels for that language yet.
    pub fn for_language(tag: &str) -> Option<&'static Labels> {
        let primary = tag.split(['-', '_']).next().unwrap_or_default();
        if primary.eq_ignore_ascii_case("en") { Some(&Labels::ENGLISH) } else { None }
    }

    fn scheme(&self, s: IdentifierScheme) -> &'static str {
        let i = match s {
            IdentifierScheme::Vat => 0,
            IdentifierScheme::Eori => 1,
            IdentifierScheme::Gln => 2,
            IdentifierScheme::CompanyRegister => 3,
            IdentifierScheme::TransportLicence => 4,
            IdentifierScheme::Other => 5,
        };
        self.identifier_schemes[i]
    }

    fn charge_kind(&self, k: ChargeKind) -> &'static str {
        let i = match k {
            ChargeKind::Carriage => 0,
            ChargeKind::Deductions => 1,
            ChargeKind::Supplementary => 2,
            ChargeKind::CustomsDuties => 3,
            ChargeKind::Other => 4,
        };
        self.charge_kinds[i]
    }

    fn payer(&self, p: Payer) -> &'static str {
        match p {
            Payer::Sender => self.payers[0],
            Payer::Consignee => self.payers[1],
        }
    }

    fn reference_kind(&self, k: ReferenceKind) -> &'static str {
        let i = match k {
            ReferenceKind::Order => 0,
            ReferenceKind::Customer => 1,
            ReferenceKind::Shipment => 2,
            ReferenceKind::Sender => 3,
            ReferenceKind::Consignee => 4,
            ReferenceKind::Carrier => 5,
            ReferenceKind::Other => 6,
        };
        self.reference_kinds[i]
    }
}

impl Default for Labels {
    fn default() -> Self {
        Labels::ENGLISH
    }
}

impl DangerousGoods {
    /// The dangerous-goods description of ADR 5.4.1.1.1 in its prescribed order: UN number, proper shipping name
    /// (technical name in brackets), class with subsidiary risks in brackets, packing group, tunnel restriction
    /// code in brackets, then "ENVIRONMENTALLY HAZARDOUS" when flagged (5.4.1.1.18).
    ///
    /// ```
    /// use ecmr::{DangerousGoods, PackingGroup};
    /// let dg = DangerousGoods {
    ///     un_number: "1098".into(),
    ///     proper_shipping_name: "ALLYL ALCOHOL".into(),
    ///     technical_name: None,
    ///     class: "6.1".into(),
    ///     subsidiary_risks: vec!["3".into()],
    ///     packing_group: Some(PackingGroup::I),
    ///     tunnel_restriction_code: Some("C/D".into()),
    ///     environmentally_hazardous: false,
    /// };
    /// assert_eq!(dg.adr_description(), "UN 1098 ALLYL ALCOHOL, 6.1 (3), I, (C/D)");
    /// ```
    pub fn adr_description(&self) -> String {
        let mut s = format!("UN {} {}", self.un_number.trim(), self.proper_shipping_name.trim());
        if let Some(t) = self.technical_name.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            let _ = write!(s, " ({t})");
        }
        let _ = write!(s, ", {}", self.class.trim());
        if !self.subsidiary_risks.is_empty() {
            let subs: Vec<&str> = self.subsidiary_risks.iter().map(|r| r.trim()).collect();
            let _ = write!(s, " ({})", subs.join(", "));
        }
        if let Some(pg) = self.packing_group {
            let _ = write!(s, ", {}", pg.as_str());
        }
        if let Some(t) = self.tunnel_restriction_code.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            let _ = write!(s, ", ({t})");
        }
        if self.environmentally_hazardous {
            s.push_str(", ENVIRONMENTALLY HAZARDOUS");
        }
        s
    }
}

/// The note as plain text in the order of the 24 boxes of the paper CMR form, in English.
pub fn text(note: &ConsignmentNote) -> String {
    text_with(note, &Labels::ENGLISH)
}

/// The note as plain text in the order of the 24 boxes of the paper CMR form, with the given labels.
pub fn text_with(note: &ConsignmentNote, labels: &Labels) -> String {
    let mut w = Writer { out: String::new(), labels };
    w.note(note);
    w.out
}

/// Replaces line breaks and other control characters so a value stays on its line.
fn one_line(s: &str) -> String {
    s.trim().chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

fn date(t: &Timestamp) -> String {
    t.value().format("%Y-%m-%d %H:%M %:z").to_string()
}

struct Writer<'l> {
    out: String,
    labels: &'l Labels,
}

impl Writer<'_> {
    fn heading(&mut self, number: usize) {
        let label = number.checked_sub(1).and_then(|i| self.labels.boxes.get(i)).copied().unwrap_or_default();
        let _ = write!(self.out, "\n{number} {label}\n");
    }

    /// One indented line of a box; line breaks inside the value are kept, each line indented.
    fn line(&mut self, text: &str) {
        for l in text.trim_end().lines().skip_while(|l| l.trim().is_empty()) {
            let l: String = l.trim_end().chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
            let _ = writeln!(self.out, "  {l}");
        }
    }

    fn labelled(&mut self, label: &str, value: &str) {
        self.line(&format!("{label}: {value}"));
    }

    fn none(&mut self) {
        let none = self.labels.none;
        self.line(none);
    }

    fn note(&mut self, n: &ConsignmentNote) {
        let l = self.labels;
        let _ = writeln!(self.out, "{} {} {}", l.title, l.number, one_line(&n.number));

        self.heading(1);
        self.party(&n.sender);
        self.heading(2);
        self.party(&n.consignee);
        self.heading(3);
        self.location(&n.delivery.location);
        if let Some(d) = &n.delivery.expected_date {
            self.labelled(l.expected_delivery, &date(d));
        }
        self.heading(4);
        self.location(&n.taking_over.location);
        self.labelled(l.date, &date(&n.taking_over.date));
        self.heading(5);
        if n.documents.is_empty() {
            self.none();
        }
        for d in &n.documents {
            let mut s = one_line(&d.name);
            if let Some(t) = &d.type_code {
                let _ = write!(s, " ({} {})", l.document_type, one_line(t));
            }
            if let Some(r) = &d.reference {
                let _ = write!(s, ", {} {}", l.document_reference, one_line(r));
            }
            self.line(&s);
        }

        let _ = write!(self.out, "\n6-12 {}\n", l.goods);
        self.goods_table(&n.goods);

        self.heading(13);
        let before = self.out.len();
        for c in &n.sender_instructions.customs {
            self.labelled(l.customs, c);
        }
        for c in &n.sender_instructions.other {
            self.labelled(l.other_formalities, c);
        }
        if let Some(i) = &n.insurance_instructions {
            self.labelled(l.insurance, i);
        }
        if let Some(m) = &n.declared_value {
            self.labelled(l.declared_value, &format!("{} {}", m.amount, m.currency));
        }
        if let Some(m) = &n.special_interest {
            self.labelled(l.special_interest, &format!("{} {}", m.amount, m.currency));
        }
        if self.out.len() == before {
            self.none();
        }

        self.heading(14);
        match &n.payment_instructions {
            Some(p) => self.line(p),
            None => self.none(),
        }
        self.heading(15);
        match &n.cash_on_delivery {
            Some(m) => self.line(&format!("{} {}", m.amount, m.currency)),
            None => self.none(),
        }
        self.heading(16);
        self.party(&n.carrier);
        self.heading(17);
        if n.successive_carriers.is_empty() {
            self.none();
        }
        for (i, p) in n.successive_carriers.iter().enumerate() {
            if i > 0 {
                self.out.push('\n');
            }
            self.party(p);
        }
        self.heading(18);
        self.line(l.no_reservations);

        self.heading(19);
        let before = self.out.len();
        for a in &n.special_agreements {
            self.line(a);
        }
        if let Some(t) = &n.agreed_time_limit {
            self.labelled(l.time_limit, &date(t));
        }
        if n.transhipment_prohibited {
            self.line(l.transhipment_prohibited);
        }
        if n.consignee_has_right_of_disposal {
            self.line(l.consignee_right_of_disposal);
        }
        if self.out.len() == before {
            self.none();
        }

        self.heading(20);
        if n.charges.is_empty() {
            self.none();
        }
        let rows: Vec<[String; 3]> = n
            .charges
            .iter()
            .map(|c| {
                let mut what = l.charge_kind(c.kind).to_owned();
                if let Some(d) = &c.description {
                    let _ = write!(what, " ({})", one_line(d));
                }
                [what, format!("{} {}", c.amount.amount, c.amount.currency), l.payer(c.payer).to_owned()]
            })
            .collect();
        let widths = column_widths(rows.iter().map(|r| r.as_slice()));
        for r in &rows {
            let s = table_row(r, &widths, &[false, true, false]);
            self.line(&s);
        }

        self.heading(21);
        self.line(&format!(
            "{}, {}, {}",
            one_line(&n.established.place),
            n.established.country,
            date(&n.established.date)
        ));
        for b in 22..=24 {
            self.heading(b);
            self.line(l.not_signed);
        }

        self.trailer(n);
    }

    fn trailer(&mut self, n: &ConsignmentNote) {
        let l = self.labels;
        let _ = write!(self.out, "\n-- {} --\n", l.trailer);
        if !n.references.is_empty() {
            let _ = writeln!(self.out, "{}", l.references);
            for r in &n.references {
                self.labelled(l.reference_kind(r.kind), &one_line(&r.value));
            }
        }
        let t = &n.transport;
        if !t.is_empty() {
            let _ = writeln!(self.out, "{}", l.transport);
            if let Some(m) = &t.mode_code {
                self.labelled(l.mode, m);
            }
            for v in &t.vehicles {
                self.labelled(l.vehicle, &format!("{} ({})", one_line(&v.registration), v.country));
            }
            for e in &t.equipment {
                let mut s = one_line(&e.id);
                if let Some(c) = &e.country {
                    let _ = write!(s, " ({c})");
                }
                if let Some(c) = &e.category_code {
                    let _ = write!(s, " [{}]", one_line(c));
                }
                self.labelled(l.equipment, &s);
                for c in &e.carried {
                    let mut s = one_line(&c.id);
                    if let Some(code) = &c.category_code {
                        let _ = write!(s, " [{}]", one_line(code));
                    }
                    self.labelled(&format!("  {}", l.carried), &s);
                }
            }
        }
        let _ = writeln!(self.out, "{}", l.paramount_statement);
        self.line(&n.paramount_statement);
        if !n.other_particulars.is_empty() {
            let _ = writeln!(self.out, "{}", l.other_particulars);
            for p in &n.other_particulars {
                self.line(p);
            }
        }
    }

    fn party(&mut self, p: &Party) {
        let l = self.labels;
        self.line(&p.name);
        self.address(&p.address);
        for id in &p.identifiers {
            self.labelled(l.scheme(id.scheme), &one_line(&id.value));
        }
        if let Some(c) = &p.contact {
            let parts: Vec<String> = [&c.name, &c.phone, &c.email].into_iter().flatten().map(|s| one_line(s)).collect();
            if !parts.is_empty() {
                self.labelled(l.contact, &parts.join(", "));
            }
        }
        for k in &p.public_keys {
            self.labelled(l.public_key, &one_line(k));
        }
    }

    fn address(&mut self, a: &Address) {
        if let Some(s) = &a.street {
            self.line(s);
        }
        let city = match &a.postcode {
            Some(pc) => format!("{} {}", one_line(pc), one_line(&a.city)),
            None => one_line(&a.city),
        };
        match &a.subdivision {
            Some(sd) => self.line(&format!("{city}, {}", one_line(sd))),
            None => self.line(&city),
        }
        self.line(a.country.as_str());
    }

    fn location(&mut self, loc: &Location) {
        let l = self.labels;
        if let Some(n) = &loc.name {
            self.line(n);
        }
        self.address(&loc.address);
        if let Some(u) = &loc.unlocode {
            self.labelled(l.unlocode, u.as_str());
        }
        if let Some(c) = &loc.coordinates {
            self.labelled(l.coordinates, &format!("{}, {}", c.latitude, c.longitude));
        }
    }

    fn goods_table(&mut self, goods: &[GoodsItem]) {
        let l = self.labels;
        let header: Vec<String> = l.goods_columns.iter().enumerate().map(|(i, c)| format!("{} {c}", i + 6)).collect();
        let rows: Vec<Vec<String>> = goods
            .iter()
            .map(|g| {
                vec![
                    g.marks_and_numbers.as_deref().map(one_line).unwrap_or_default(),
                    g.number_of_packages.map(|n| n.to_string()).unwrap_or_default(),
                    g.packing
                        .as_ref()
                        .map(|p| match &p.code {
                            Some(c) => format!("{} ({})", one_line(&p.method), one_line(c)),
                            None => one_line(&p.method),
                        })
                        .unwrap_or_default(),
                    one_line(&g.nature_of_goods),
                    g.statistical_number.as_deref().map(one_line).unwrap_or_default(),
                    g.gross_weight_kg.map(|w| w.to_string()).unwrap_or_default(),
                    g.volume_m3.map(|v| v.to_string()).unwrap_or_default(),
                ]
            })
            .collect();
        let widths = column_widths(std::iter::once(header.as_slice()).chain(rows.iter().map(Vec::as_slice)));
        let right = [false, true, false, false, false, true, true];
        let head = table_row(&header, &widths, &[false; 7]);
        self.line(&head);
        let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
        self.line(&rule.join("-+-"));
        if goods.is_empty() {
            self.none();
        }
        for (g, row) in goods.iter().zip(&rows) {
            let r = table_row(row, &widths, &right);
            self.line(&r);
            if let Some(q) = &g.quantity {
                self.line(&format!("    {}: {} {}", l.quantity, q.value, one_line(&q.unit)));
            }
            if let Some(dg) = &g.dangerous_goods {
                self.line(&format!("    {}: {}", l.dangerous_goods, one_line(&dg.adr_description())));
            }
        }
    }
}

fn column_widths<'a>(rows: impl Iterator<Item = &'a [String]>) -> Vec<usize> {
    let mut widths: Vec<usize> = Vec::new();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            let n = cell.chars().count();
            match widths.get_mut(i) {
                Some(w) => *w = (*w).max(n),
                None => widths.push(n),
            }
        }
    }
    widths
}

fn table_row(cells: &[String], widths: &[usize], right: &[bool]) -> String {
    let parts: Vec<String> = cells
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let w = widths.get(i).copied().unwrap_or(0);
            if right.get(i).copied().unwrap_or(false) { format!("{c:>w$}") } else { format!("{c:<w$}") }
        })
        .collect();
    parts.join(" | ").trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct Vector {
        dg: DangerousGoods,
        expect: String,
    }

    /// ADR 5.4.1.1.1 examples: with and without packing group and tunnel code, technical names, several
    /// subsidiary risks, class 1 classification codes, environmentally hazardous.
    #[test]
    fn adr_descriptions() {
        let vectors: Vec<Vector> = serde_json::from_str(include_str!("../tests/data/adr-descriptions.json")).unwrap();
        assert!(vectors.len() >= 10);
        for v in vectors {
            assert_eq!(v.dg.adr_description(), v.expect);
        }
    }

    #[test]
    fn tables_pad_by_characters() {
        let rows = [vec!["m³".to_owned(), "x".to_owned()], vec!["abc".to_owned(), "yy".to_owned()]];
        let w = column_widths(rows.iter().map(Vec::as_slice));
        assert_eq!(w, vec![3, 2]);
        assert_eq!(table_row(&rows[0], &w, &[true, false]), " m³ | x");
        assert_eq!(table_row(&[], &w, &[]), "");
    }

    #[test]
    fn labels_by_language() {
        assert_eq!(Labels::for_language("en"), Some(&Labels::ENGLISH));
        assert_eq!(Labels::for_language("EN-gb"), Some(&Labels::ENGLISH));
        assert_eq!(Labels::for_language("nl"), None);
        assert_eq!(Labels::for_language(""), None);
        assert_eq!(Labels::ENGLISH.boxes[20], "Established in/on");
    }

    #[test]
    fn dates_keep_the_writers_offset() {
        let t = Timestamp::parse("2026-11-28T06:00:00+01:00").unwrap();
        assert_eq!(date(&t), "2026-11-28 06:00 +01:00");
        let t = Timestamp::parse("2026-11-28T05:00:30Z").unwrap();
        assert_eq!(date(&t), "2026-11-28 05:00 +00:00");
    }

    #[test]
    fn one_line_flattens_control_characters() {
        assert_eq!(one_line(" a\nb\tc\r "), "a b c");
    }
}
