//! `ecmr render`: the note in the 24-box layout of the paper CMR as text, HTML or PDF, with, for a signed
//! document, its state, every signature event and a QR code.
//!
//! The boxes come from the library's text rendering ([`ecmr::render::text_with`]), read back into sections so the
//! three formats show the same words; for a signed document boxes 18 and 22–24 are filled from the events.

mod html;
mod pdf;
pub(crate) mod qr;
mod words;

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use ecmr::ConsignmentNote;
use ecmr::document::{Document, EventData, EventKind};
use ecmr::render::Labels;
use ecmr::verify::Verified;

use crate::error::{CliError, CliResult, EXIT_OK, one_line};
use crate::io::{Kind, detect, parse_note, read, verify_bytes, write_atomic};
use crate::signers::signer_name;
pub(crate) use pdf::ORIGINAL_MIME;
use qr::Matrix;
use words::Words;

/// The arguments of `ecmr render`.
#[derive(Debug, Args)]
pub(crate) struct RenderArgs {
    /// The signed document (or a bare note, rendered without state, events or QR code).
    doc: PathBuf,
    /// The output format.
    #[arg(long, value_enum, default_value = "text")]
    format: RenderFormat,
    /// The language of the labels.
    #[arg(long, value_enum, default_value = "en")]
    lang: Lang,
    /// Where to write (default: standard output; required for pdf).
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Replace OUTPUT if it exists.
    #[arg(long)]
    force: bool,
    /// The gateway whose inspector page the QR code opens: the QR then holds
    /// `URL/inspect/#uil=GATE/PLATFORM/DOCUMENT&seq=…&digest=sha256:…`. Without it the QR holds the text form
    /// `ecmr:uil=GATE/PLATFORM/DOCUMENT;seq=…;digest=sha256:…`.
    #[arg(long, value_name = "URL")]
    gateway_url: Option<String>,
    /// The gate id of the document's UIL (the gateway's `gate_id`).
    #[arg(long, default_value = ecmr::qr::DEFAULT_GATE_ID)]
    gate_id: String,
    /// The platform id of the document's UIL (the gateway's `platform_id`).
    #[arg(long, default_value = ecmr::qr::DEFAULT_PLATFORM_ID)]
    platform_id: String,
}

impl RenderArgs {
    /// The QR payload of a document rendered with these arguments: its UIL, last seq and last event's digest.
    pub(crate) fn qr_payload(&self, doc: &Verified<Document>) -> Result<ecmr::qr::QrPayload, CliError> {
        let seq = doc.events.last().map(|e| e.seq).unwrap_or_default();
        let digest = doc.last_event_digest().unwrap_or_default();
        let hint = "ids have A-Z a-z 0-9 _ space - @ . / # & + only; the URL is http(s)://host[/path]";
        let p = ecmr::qr::QrPayload::new(&self.gate_id, &self.platform_id, doc.id(), seq, digest)
            .map_err(|e| CliError::usage(format!("cannot make the QR code: {e}")).hint(hint))?;
        match &self.gateway_url {
            Some(url) => p
                .with_gateway_url(url)
                .map_err(|e| CliError::usage(format!("cannot make the QR code: --gateway-url: {e}")).hint(hint)),
            None => Ok(p),
        }
    }
}

/// Rendering formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum RenderFormat {
    /// Plain text.
    Text,
    /// A self-contained HTML page.
    Html,
    /// An A4 PDF.
    Pdf,
}

/// Label languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Lang {
    /// English.
    En,
    /// Dutch.
    Nl,
    /// French.
    Fr,
    /// German.
    De,
}

impl Lang {
    /// The language tag.
    pub(crate) fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Nl => "nl",
            Lang::Fr => "fr",
            Lang::De => "de",
        }
    }
}

/// What a section of the rendering is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SectionKind {
    /// Box 1 to 24.
    Box(u8),
    /// Boxes 6–12, the goods table.
    Goods,
    /// The heading of what has no box on the paper form.
    Trailer,
    /// A part of the trailer (references, transport …).
    Extra,
    /// The document id and state.
    State,
    /// The signature events.
    Events,
}

/// One box or part of the rendering: a heading and its lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Section {
    pub(crate) kind: SectionKind,
    pub(crate) heading: String,
    pub(crate) lines: Vec<String>,
    /// A blank line stands before it in the text form.
    pub(crate) blank_before: bool,
}

/// The whole rendering, ready for any format.
#[derive(Debug, Clone)]
pub(crate) struct Rendering {
    /// The title line with the note's number.
    pub(crate) title: String,
    pub(crate) sections: Vec<Section>,
    /// The QR payload, its modules and the caption.
    pub(crate) qr: Option<(String, Matrix, &'static str)>,
    /// The language tag.
    pub(crate) lang: &'static str,
    /// The signed document the rendering shows, as a file name and its exact bytes: the PDF carries it as an
    /// attached file so that the paper's PDF can be verified.
    pub(crate) original: Option<(String, Vec<u8>)>,
    /// Boxes 6–12 as table cells, for the PDF's ruled table (the text form has them in the goods section).
    pub(crate) goods: GoodsTable,
}

/// The goods of boxes 6–12 as cells: the same words as the library's text table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct GoodsTable {
    /// The seven column headings, each with its box number.
    pub(crate) header: Vec<String>,
    /// One row per goods item.
    pub(crate) rows: Vec<GoodsRow>,
    /// What the table shows when there are no goods.
    pub(crate) none: String,
}

/// One goods item: its seven cells, and the lines that follow it (quantity, ADR description).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct GoodsRow {
    pub(crate) cells: Vec<String>,
    pub(crate) notes: Vec<String>,
}

/// Columns holding numbers or codes: never broken over lines.
pub(crate) const GOODS_NO_WRAP: [bool; 7] = [false, true, false, false, true, true, true];
/// Columns aligned right (counts and measures).
pub(crate) const GOODS_RIGHT: [bool; 7] = [false, true, false, false, false, true, true];

impl GoodsTable {
    /// The table of a note's goods, in the words of `labels`.
    pub(crate) fn of(note: &ConsignmentNote, labels: &Labels) -> GoodsTable {
        // As the library's table: trimmed, control characters flattened.
        let cell = |s: &str| one_line(s.trim());
        let header = labels.goods_columns.iter().enumerate().map(|(i, c)| format!("{} {c}", i + 6)).collect();
        let rows = note
            .goods
            .iter()
            .map(|g| {
                let cells = vec![
                    g.marks_and_numbers.as_deref().map(cell).unwrap_or_default(),
                    g.number_of_packages.map(|n| n.to_string()).unwrap_or_default(),
                    g.packing
                        .as_ref()
                        .map(|p| match &p.code {
                            Some(c) => format!("{} ({})", cell(&p.method), cell(c)),
                            None => cell(&p.method),
                        })
                        .unwrap_or_default(),
                    cell(&g.nature_of_goods),
                    g.statistical_number.as_deref().map(cell).unwrap_or_default(),
                    g.gross_weight_kg.map(|w| w.to_string()).unwrap_or_default(),
                    g.volume_m3.map(|v| v.to_string()).unwrap_or_default(),
                ];
                let mut notes = Vec::new();
                if let Some(q) = &g.quantity {
                    notes.push(format!("{}: {} {}", labels.quantity, q.value, cell(&q.unit)));
                }
                if let Some(dg) = &g.dangerous_goods {
                    notes.push(format!("{}: {}", labels.dangerous_goods, cell(&dg.adr_description())));
                }
                GoodsRow { cells, notes }
            })
            .collect();
        GoodsTable { header, rows, none: labels.none.to_owned() }
    }
}

impl Rendering {
    /// The section of a kind.
    #[cfg(test)]
    pub(crate) fn section(&self, kind: SectionKind) -> Option<&Section> {
        self.sections.iter().find(|s| s.kind == kind)
    }

    /// Plain text: the library's layout, then the QR code.
    pub(crate) fn to_text(&self) -> String {
        let mut out = format!("{}\n", self.title);
        for s in &self.sections {
            if s.blank_before {
                out.push('\n');
            }
            if !s.heading.is_empty() {
                out.push_str(&s.heading);
                out.push('\n');
            }
            for l in &s.lines {
                out.push_str("  ");
                out.push_str(l);
                out.push('\n');
            }
        }
        if let Some((payload, m, caption)) = &self.qr {
            out.push('\n');
            out.push_str(&m.to_text());
            out.push_str(caption);
            out.push('\n');
            out.push_str(payload);
            out.push('\n');
        }
        out
    }
}

/// The rows of the form: boxes side by side as on the paper CMR, then the goods, then what has no box, each
/// section once, in the order of the rendering.
pub(crate) fn layout(r: &Rendering) -> Vec<Vec<&Section>> {
    use SectionKind::{Box, Goods};
    let grid: [&[SectionKind]; 9] = [
        &[Box(1), Box(16)],
        &[Box(2), Box(17)],
        &[Box(3), Box(18)],
        &[Box(4), Box(5)],
        &[Goods],
        &[Box(13), Box(19)],
        &[Box(14), Box(20)],
        &[Box(15), Box(21)],
        &[Box(22), Box(23), Box(24)],
    ];
    let mut rows: Vec<Vec<&Section>> = Vec::new();
    let mut used = vec![false; r.sections.len()];
    for kinds in grid {
        let mut row = Vec::new();
        for k in kinds {
            if let Some(i) = r.sections.iter().position(|s| s.kind == *k)
                && let (Some(u), Some(s)) = (used.get_mut(i), r.sections.get(i))
            {
                *u = true;
                row.push(s);
            }
        }
        if !row.is_empty() {
            rows.push(row);
        }
    }
    for (s, u) in r.sections.iter().zip(&used) {
        if !u {
            rows.push(vec![s]);
        }
    }
    rows
}

/// Reads the library's text rendering back into a title and sections.
pub(crate) fn sections_of(text: &str) -> (String, Vec<Section>) {
    let mut lines = text.lines();
    let title = lines.next().unwrap_or_default().to_owned();
    let mut sections: Vec<Section> = Vec::new();
    let mut blank = false;
    for line in lines {
        if line.is_empty() {
            blank = true;
        } else if let Some(content) = line.strip_prefix("  ") {
            match sections.last_mut() {
                Some(s) => s.lines.push(content.to_owned()),
                None => sections.push(Section {
                    kind: SectionKind::Extra,
                    heading: String::new(),
                    lines: vec![content.to_owned()],
                    blank_before: blank,
                }),
            }
            blank = false;
        } else {
            let first = line.split(' ').next().unwrap_or_default();
            let in_trailer = sections.iter().any(|s| s.kind == SectionKind::Trailer);
            let kind = if line.starts_with("-- ") {
                SectionKind::Trailer
            } else if in_trailer {
                SectionKind::Extra
            } else if first == "6-12" {
                SectionKind::Goods
            } else {
                match first.parse::<u8>() {
                    Ok(n) if (1..=24).contains(&n) => SectionKind::Box(n),
                    _ => SectionKind::Extra,
                }
            };
            sections.push(Section { kind, heading: line.to_owned(), lines: Vec::new(), blank_before: blank });
            blank = false;
        }
    }
    (title, sections)
}

/// The rendering of a bare note.
pub(crate) fn of_note(note: &ConsignmentNote, lang: Lang) -> Rendering {
    let labels = Labels::for_language(lang.tag()).unwrap_or(&Labels::ENGLISH);
    let (title, sections) = sections_of(&ecmr::render::text_with(note, labels));
    Rendering { title, sections, qr: None, lang: lang.tag(), original: None, goods: GoodsTable::of(note, labels) }
}

/// The rendering of a verified document: its current note, boxes 18 and 22–24 from the events, the state, every
/// event and the QR code.
pub(crate) fn of_document(
    doc: &Verified<Document>,
    lang: Lang,
    qr: &ecmr::qr::QrPayload,
) -> Result<Rendering, CliError> {
    let note = doc.current_note_typed().map_err(|e| CliError::invalid(e.to_string()))?;
    let labels = Labels::for_language(lang.tag()).unwrap_or(&Labels::ENGLISH);
    let w = Words::for_lang(lang);
    let mut r = of_note(&note, lang);
    let events: Vec<(&ecmr::document::Event, Option<EventData>)> =
        doc.events.iter().map(|e| (e, EventData::parse(e.kind, &e.data).ok())).collect();
    let current = doc.current_note();
    let signature = |e: &ecmr::document::Event| -> String {
        let key = ecmr::keys::PublicKey::from_b64url(&e.signer.public_key)
            .map(|k| k.key_id().to_string())
            .unwrap_or_default();
        let before =
            doc.events.iter().take_while(|x| x.seq < e.seq).filter(|x| x.kind == EventKind::HandedOver).count();
        let name = signer_name(Some(current), e.role, &e.signer.public_key, before);
        format!("{name} — {} {} — {} {}", w.signed_at, one_line(&e.at), w.key_id, key)
    };
    // The key id is shortened to its first 16 hex digits (64 bits: enough to tell keys apart on paper); the whole
    // id is in the signed document, and `ecmr verify` prints it.
    let signature_short = |e: &ecmr::document::Event| -> String {
        let full = signature(e);
        match full.rsplit_once(' ') {
            Some((head, key)) if key.len() > 16 => format!("{head} {}…", key.get(..16).unwrap_or(key)),
            _ => full,
        }
    };
    // Which event accepted the reservations of which.
    let mut accepted_by = std::collections::BTreeMap::new();
    for (e, d) in &events {
        if let Some(EventData::ReservationsAccepted(a)) = d {
            for s in &a.events {
                accepted_by.insert(*s, e.seq);
            }
        }
    }
    let reservation = |r: &ecmr::document::Reservation| -> String {
        format!(
            "{} ({}): {} — {}: {}",
            w.reservation,
            w.reservation_subject(r.subject),
            one_line(&r.text),
            w.grounds,
            one_line(&r.grounds)
        )
    };

    let mut box17 = Vec::new();
    let mut box18 = Vec::new();
    let mut box22 = Vec::new();
    let mut box23 = Vec::new();
    let mut box24 = Vec::new();
    let mut event_lines = Vec::new();
    for (e, d) in &events {
        let mut details = Vec::new();
        match d {
            Some(EventData::TakenOver(t)) => {
                details.push(format!("{}: {}", w.place, place(&t.place)));
                details.push(format!("{}: {}", w.time, t.time));
                for c in &t.checks {
                    details.push(format!("{} ({}): {}", w.check, w.check_subject(c.subject), one_line(&c.result)));
                }
            }
            Some(EventData::HandedOver(h)) => {
                details.push(format!("{}: {}", w.place, place(&h.place)));
                details.push(format!("{}: {}", w.time, h.time));
            }
            Some(EventData::Delivered(dl)) => {
                details.push(format!("{}: {}", w.place, place(&dl.place)));
                details.push(format!("{}: {}", w.time, dl.time));
            }
            Some(EventData::DeliveryRefused(rf)) => {
                details.push(format!("{}: {}", w.reason, one_line(&rf.reason)));
                if let Some(t) = &rf.time {
                    details.push(format!("{}: {t}", w.time));
                }
            }
            Some(EventData::Cancelled(c)) => details.push(format!("{}: {}", w.reason, one_line(&c.reason))),
            Some(EventData::Amended(a)) => {
                details.push(format!("{}: {}", w.reason, one_line(&a.reason)));
                details.push(format!("{}: {}", w.changes, a.patch));
            }
            Some(EventData::ReservationsAccepted(a)) => {
                for s in &a.events {
                    details.push(format!("{} {s}", w.accepts));
                }
            }
            _ => {}
        }
        let reservations: Vec<String> =
            d.as_ref().map(|d| d.reservations().iter().map(reservation).collect()).unwrap_or_default();
        details.extend(reservations.iter().cloned());
        event_lines.push(format!("{} {} — {} — {}", e.seq, w.kind(e.kind), w.role(e.role), signature_short(e)));
        // What a box shows (place and time of a take-over, hand-over or delivery, reservations, a refusal) is not
        // repeated in the event list; what no box shows (checks, reasons, changes, acceptances) is.
        let shown: Vec<&String> = match e.kind {
            // Place and time are in box 23, reservations in box 18: the checks remain.
            EventKind::TakenOver => {
                details.iter().skip(2).take(details.len().saturating_sub(2 + reservations.len())).collect()
            }
            EventKind::HandedOver | EventKind::Delivered | EventKind::DeliveryRefused => Vec::new(),
            _ => details.iter().collect(),
        };
        event_lines.extend(shown.iter().map(|l| format!("    {l}")));

        match e.kind {
            EventKind::Issued => box22.push(signature_short(e)),
            EventKind::TakenOver | EventKind::HandedOver => {
                if e.kind == EventKind::TakenOver {
                    box23.push(signature_short(e));
                    box23.extend(details.iter().take(2).cloned());
                } else {
                    box17.push(format!("[{}] {} — {}", e.seq, w.kind(e.kind), signature_short(e)));
                    box17.extend(details.iter().take(2).map(|d| format!("    {d}")));
                }
                for r in &reservations {
                    box18.push(format!("[{}] {r}", e.seq));
                    if let Some(by) = accepted_by.get(&e.seq) {
                        box18.push(format!("    {} {by}", w.accepted));
                    }
                }
            }
            EventKind::Delivered | EventKind::DeliveryRefused => {
                box24.push(format!("{} — {}", w.kind(e.kind), signature_short(e)));
                box24.extend(details.iter().cloned());
            }
            _ => {}
        }
    }
    if let Some(s) = r.sections.iter_mut().find(|s| s.kind == SectionKind::Box(17))
        && !box17.is_empty()
    {
        if s.lines == [labels.none] {
            s.lines.clear();
        }
        s.lines.extend(box17);
    }
    for (n, lines) in [(18u8, box18), (22, box22), (23, box23), (24, box24)] {
        if let Some(s) = r.sections.iter_mut().find(|s| s.kind == SectionKind::Box(n)) {
            s.lines = if lines.is_empty() {
                vec![if n == 18 { labels.no_reservations } else { labels.not_signed }.to_owned()]
            } else {
                lines
            };
        }
    }
    let at = r.sections.iter().position(|s| s.kind == SectionKind::Trailer).unwrap_or(r.sections.len());
    let state = Section {
        kind: SectionKind::State,
        heading: format!("-- {} --", w.events),
        lines: vec![format!("{} {}", w.document, doc.id()), format!("{}: {}", w.state, w.state(doc.state()))],
        blank_before: true,
    };
    let evs = Section { kind: SectionKind::Events, heading: String::new(), lines: event_lines, blank_before: false };
    r.sections.insert(at, evs);
    r.sections.insert(at, state);
    let payload = qr.to_string();
    r.qr = Matrix::encode(&payload).map(|m| (payload, m, w.qr));
    Ok(r)
}

/// The rendering of an eFTI dataset as received: the boxes it provides, the boxes it does not provide marked so
/// (not shown empty), the goods it holds, and no state, events or QR code (it carries no signatures).
pub(crate) fn of_dataset(d: &ecmr::efti::Received, lang: Lang) -> Rendering {
    let labels = Labels::for_language(lang.tag()).unwrap_or(&Labels::ENGLISH);
    let w = Words::for_lang(lang);
    let b = d.boxes(labels);
    let title =
        format!("{} {} {}", labels.title, labels.number, d.number().map(one_line).unwrap_or_else(|| "—".into()));
    let section = |n: u8| {
        let lines = match b.boxes.get(usize::from(n) - 1).cloned().flatten() {
            Some(l) if l.is_empty() => vec![labels.none.to_owned()],
            Some(l) => l.iter().map(|x| one_line(x)).collect(),
            None => vec![w.not_provided.to_owned()],
        };
        let label = labels.boxes.get(usize::from(n) - 1).copied().unwrap_or_default();
        Section { kind: SectionKind::Box(n), heading: format!("{n} {label}"), lines, blank_before: true }
    };
    let mut sections: Vec<Section> = (1..=5).map(section).collect();
    let header: Vec<String> = labels.goods_columns.iter().enumerate().map(|(i, c)| format!("{} {c}", i + 6)).collect();
    let mut goods = GoodsTable { header: header.clone(), rows: Vec::new(), none: w.not_provided.to_owned() };
    let mut goods_lines = Vec::new();
    match &b.goods {
        Some(rows) => {
            goods.none = labels.none.to_owned();
            goods.rows = rows
                .iter()
                .map(|r| GoodsRow { cells: r.iter().map(|c| one_line(c)).collect(), notes: Vec::new() })
                .collect();
            let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
            for r in &goods.rows {
                for (wd, c) in widths.iter_mut().zip(&r.cells) {
                    *wd = (*wd).max(c.chars().count());
                }
            }
            let row = |cells: &[String]| {
                cells
                    .iter()
                    .zip(&widths)
                    .map(|(c, wd)| format!("{c:<wd$}"))
                    .collect::<Vec<_>>()
                    .join(" | ")
                    .trim_end()
                    .to_owned()
            };
            goods_lines.push(row(&header));
            goods_lines.push(widths.iter().map(|wd| "-".repeat(*wd)).collect::<Vec<_>>().join("-+-"));
            goods_lines.extend(goods.rows.iter().map(|r| row(&r.cells)));
            if goods.rows.is_empty() {
                goods_lines.push(labels.none.to_owned());
            }
        }
        None => goods_lines.push(w.not_provided.to_owned()),
    }
    let notes: Vec<String> = b.goods_notes.iter().map(|n| one_line(n)).collect();
    goods_lines.extend(notes.iter().map(|n| format!("    {n}")));
    match goods.rows.last_mut() {
        Some(last) => last.notes = notes,
        None if !notes.is_empty() => goods.rows.push(GoodsRow { cells: vec![String::new(); 7], notes }),
        None => {}
    }
    sections.push(Section {
        kind: SectionKind::Goods,
        heading: format!("6-12 {}", labels.goods),
        lines: goods_lines,
        blank_before: true,
    });
    sections.extend((13..=24).map(section));
    sections.push(Section {
        kind: SectionKind::State,
        heading: format!("-- {} --", w.dataset),
        lines: vec![w.dataset_note.to_owned()],
        blank_before: true,
    });
    if !b.trailer.is_empty() {
        sections.push(Section {
            kind: SectionKind::Trailer,
            heading: format!("-- {} --", labels.trailer),
            lines: Vec::new(),
            blank_before: true,
        });
        for (heading, lines) in &b.trailer {
            sections.push(Section {
                kind: SectionKind::Extra,
                heading: heading.clone(),
                lines: lines.iter().map(|l| one_line(l)).collect(),
                blank_before: false,
            });
        }
    }
    Rendering { title, sections, qr: None, lang: lang.tag(), original: None, goods }
}

/// A location on one line: name, street, postcode and city, country, UN/LOCODE.
fn place(l: &ecmr::Location) -> String {
    let a = &l.address;
    let city = match &a.postcode {
        Some(pc) => format!("{} {}", pc, a.city),
        None => a.city.clone(),
    };
    let mut parts: Vec<String> =
        [l.name.clone(), a.street.clone(), Some(city), Some(a.country.to_string())].into_iter().flatten().collect();
    if let Some(u) = &l.unlocode {
        parts.push(format!("UN/LOCODE {u}"));
    }
    one_line(&parts.join(", "))
}

/// Runs `ecmr render`.
pub(crate) fn run(args: &RenderArgs) -> CliResult {
    let (path, format, lang, output, force) =
        (args.doc.as_path(), args.format, args.lang, args.output.as_deref(), args.force);
    let bytes = read(path)?;
    let rendering = match detect(path, &bytes)? {
        Kind::JsonDocument => {
            // The attached original is the very bytes verified and shown, not a second read of the file.
            let doc = verify_bytes(path, &bytes)?;
            let mut r = of_document(&doc, lang, &args.qr_payload(&doc)?)?;
            r.original = Some((format!("ecmr-{}.json", doc.id()), bytes));
            r
        }
        Kind::EftiXml => {
            let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes))
                .map_err(|_| CliError::invalid(format!("{} is not UTF-8", path.display())))?;
            let dataset = crate::notecmd::read_dataset(path, text)?;
            if let Some(f) = dataset.findings.iter().find(|f| f.severity == ecmr::validate::Severity::Error) {
                return Err(CliError::invalid(format!("{}: not a valid eFTI dataset: {f}", path.display()))
                    .hint(format!("see every finding with `ecmr validate {}`", path.display())));
            }
            of_dataset(&dataset, lang)
        }
        kind => of_note(&parse_note(path, &bytes, kind)?, lang),
    };
    let out: Vec<u8> = match format {
        RenderFormat::Text => rendering.to_text().into_bytes(),
        RenderFormat::Html => html::render(&rendering).into_bytes(),
        RenderFormat::Pdf => {
            pdf::render(&rendering).map_err(|e| CliError::usage(format!("cannot make the PDF: {e}")))?
        }
    };
    match output {
        Some(o) => write_atomic(o, &out, force, false)?,
        None if format == RenderFormat::Pdf && std::io::IsTerminal::is_terminal(&std::io::stdout()) => {
            return Err(CliError::usage("will not write a PDF to a terminal").hint("pass -o FILE.pdf"));
        }
        None => crate::io::out(&out),
    }
    Ok(EXIT_OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example() -> ConsignmentNote {
        let text =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/domestic-pallets.json"));
        ecmr::json::from_str(&text.unwrap()).unwrap()
    }

    #[test]
    fn goods_table_has_the_words_of_the_library_table() {
        for name in ["adr-fuel", "domestic-pallets", "international-cod", "successive-carriers"] {
            let path = format!("{}/../../examples/{name}.json", env!("CARGO_MANIFEST_DIR"));
            let note: ConsignmentNote = ecmr::json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
            for lang in [Lang::En, Lang::De] {
                let r = of_note(&note, lang);
                let text = r.section(SectionKind::Goods).unwrap();
                let header: Vec<&str> = text.lines[0].split(" | ").map(str::trim).collect();
                assert_eq!(header, r.goods.header, "{name}");
                // After the heading and the rule, each goods line is followed by its notes.
                let mut lines = text.lines.iter().skip(2);
                for row in &r.goods.rows {
                    let cells: Vec<&str> = lines.next().unwrap().split(" | ").map(str::trim).collect();
                    assert_eq!(
                        cells,
                        row.cells.iter().map(String::as_str).collect::<Vec<_>>().as_slice()[..cells.len()]
                    );
                    assert!(row.cells[cells.len()..].iter().all(String::is_empty), "{name}");
                    for note in &row.notes {
                        assert_eq!(lines.next().unwrap().trim(), note, "{name}");
                    }
                }
                assert!(lines.next().is_none(), "{name}");
            }
        }
    }

    #[test]
    fn sections_give_back_the_library_text() {
        let note = example();
        for lang in [Lang::En, Lang::Nl, Lang::Fr, Lang::De] {
            let r = of_note(&note, lang);
            let labels = Labels::for_language(lang.tag()).unwrap();
            assert_eq!(r.to_text(), ecmr::render::text_with(&note, labels));
            for n in 1..=24 {
                if !(6..=12).contains(&n) {
                    assert!(r.section(SectionKind::Box(n)).is_some(), "box {n} missing");
                }
            }
            assert!(r.section(SectionKind::Goods).is_some());
            assert!(r.section(SectionKind::Trailer).is_some());
        }
    }
}
