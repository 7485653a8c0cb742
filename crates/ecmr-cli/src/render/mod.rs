//! `ecmr render`: the note in the 24-box layout of the paper CMR as text, HTML or PDF, with, for a signed
//! document, its state, every signature event and a QR code.
//!
//! The boxes come from the library's text rendering ([`ecmr::render::text_with`]), read back into sections so the
//! three formats show the same words; for a signed document boxes 18 and 22–24 are filled from the events.

mod html;
mod pdf;
pub(crate) mod qr;
mod words;

use std::path::Path;

use ecmr::ConsignmentNote;
use ecmr::document::{Document, EventData, EventKind};
use ecmr::render::Labels;
use ecmr::verify::Verified;

use crate::cli::{Lang, RenderFormat};
use crate::error::{CliError, CliResult, EXIT_OK, one_line};
use crate::io::{Kind, detect, parse_note, read, read_verified, write_atomic};
use qr::Matrix;
use words::Words;

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
    Rendering { title, sections, qr: None, lang: lang.tag() }
}

/// The rendering of a verified document: its current note, boxes 18 and 22–24 from the events, the state, every
/// event and the QR code.
pub(crate) fn of_document(doc: &Verified<Document>, lang: Lang) -> Result<Rendering, CliError> {
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
        let name = crate::verifycmd::signer_name(Some(current), e.role, &e.signer.public_key, before);
        format!("{name} — {} {} — {} {}", w.signed_at, one_line(&e.at), w.key_id, key)
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
            serde_json::to_value(r.subject).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default(),
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
                    let subject = serde_json::to_value(c.subject).ok().and_then(|v| v.as_str().map(str::to_owned));
                    details.push(format!("{} ({}): {}", w.check, subject.unwrap_or_default(), one_line(&c.result)));
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
        event_lines.push(format!("{} {} — {} — {}", e.seq, w.kind(e.kind), w.role(e.role), signature(e)));
        event_lines.extend(details.iter().map(|l| format!("    {l}")));

        match e.kind {
            EventKind::Issued => box22.push(signature(e)),
            EventKind::TakenOver | EventKind::HandedOver => {
                if e.kind == EventKind::TakenOver {
                    box23.push(signature(e));
                    box23.extend(details.iter().take(2).cloned());
                } else {
                    box17.push(format!("[{}] {} — {}", e.seq, w.kind(e.kind), signature(e)));
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
                box24.push(format!("{} — {}", w.kind(e.kind), signature(e)));
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
    let last = doc.events.last();
    let digest = doc.last_event_digest().unwrap_or_default();
    let payload = qr::payload(doc.id(), last.map(|e| e.seq).unwrap_or_default(), digest);
    r.qr = Matrix::encode(&payload).map(|m| (payload, m, w.qr));
    Ok(r)
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
pub(crate) fn run(path: &Path, format: RenderFormat, lang: Lang, output: Option<&Path>, force: bool) -> CliResult {
    let bytes = read(path)?;
    let rendering = match detect(path, &bytes)? {
        Kind::JsonDocument => of_document(&read_verified(path)?, lang)?,
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
