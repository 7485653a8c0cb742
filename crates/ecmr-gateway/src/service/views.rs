//! What the inspector web app and the driver view show, laid out by the same code as `ecmr render`: a note's eFTI
//! dataset in the 24 boxes of the paper form ([`note_view`], from [`ecmr::efti::Received::boxes`] with the labels
//! of [`ecmr::render::Labels`]), the words of the form per language ([`labels_json`]), the QR code of a document
//! ([`qr_svg`]) and the driver's view of a shared document ([`share_view`]).

use ecmr::render::Labels;
use ecmr_wire::inspect::{BoxView, EventView, NoteView, ShareView};
use qrcode::{Color, EcLevel, QrCode};
use serde_json::json;

use crate::store::{ShareRecord, StoredDocument};

/// The languages of the views, as language tags.
pub const LANGUAGES: [&str; 4] = ["en", "nl", "fr", "de"];

/// Why a dataset cannot be laid out.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ViewError {
    /// No labels for this language.
    #[error("no labels for language {0:?} (en, nl, fr or de)")]
    Language(String),
    /// The XML is not an eFTI common dataset.
    #[error("the body is not an eFTI consignment dataset: {0}")]
    Dataset(String),
    /// The QR code cannot hold the payload.
    #[error("cannot make a QR code: {0}")]
    Qr(String),
}

/// The labels of a language tag.
///
/// # Errors
/// [`ViewError::Language`] for a language without labels.
pub fn labels(lang: &str) -> Result<(&'static str, &'static Labels), ViewError> {
    let labels = Labels::for_language(lang).ok_or_else(|| ViewError::Language(lang.to_owned()))?;
    let tag = LANGUAGES.iter().copied().find(|t| lang.to_ascii_lowercase().starts_with(t)).unwrap_or("en");
    Ok((tag, labels))
}

/// The words of the paper form in a language, as JSON: `{lang, title, number, boxes: [24 labels], goods,
/// goods_columns: [7], none, not_provided_by_dataset}` — the one source the web pages take box labels from.
///
/// # Errors
/// [`ViewError::Language`].
pub fn labels_json(lang: &str) -> Result<serde_json::Value, ViewError> {
    let (tag, l) = labels(lang)?;
    Ok(json!({
        "lang": tag,
        "title": l.title,
        "number": l.number,
        "boxes": l.boxes,
        "goods": l.goods,
        "goods_columns": l.goods_columns,
        "none": l.none,
        "not_signed": l.not_signed,
        "no_reservations": l.no_reservations,
        "trailer": l.trailer,
    }))
}

/// Lays an eFTI consignment dataset (whole or a subset) out in the 24 boxes, in `lang`.
///
/// # Errors
/// [`ViewError::Language`], or [`ViewError::Dataset`] for XML that is not a consignment dataset.
pub fn note_view(xml: &str, lang: &str) -> Result<NoteView, ViewError> {
    let (tag, l) = labels(lang)?;
    let received = ecmr::efti::Received::from_xml(xml).map_err(|e| ViewError::Dataset(e.to_string()))?;
    let laid = received.boxes(l);
    let boxes = laid
        .boxes
        .into_iter()
        .zip(l.boxes.iter())
        .enumerate()
        .map(|(i, (lines, label))| BoxView {
            number: u8::try_from(i + 1).unwrap_or(0),
            label: (*label).to_owned(),
            lines,
        })
        .collect();
    Ok(NoteView {
        lang: tag.to_owned(),
        title: l.title.to_owned(),
        number: received.number().map(str::to_owned),
        boxes,
        goods_heading: l.goods.to_owned(),
        goods_columns: l.goods_columns.iter().map(|c| (*c).to_owned()).collect(),
        goods: laid.goods.map(|rows| rows.into_iter().map(Vec::from).collect()),
        goods_notes: laid.goods_notes,
        trailer: laid.trailer,
    })
}

/// A QR code of `text` as an SVG image (error correction M, a 4-module quiet zone), `size` pixels square.
///
/// # Errors
/// [`ViewError::Qr`] when the text is too long for a QR code.
pub fn qr_svg(text: &str, size: u32) -> Result<String, ViewError> {
    let code =
        QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).map_err(|e| ViewError::Qr(e.to_string()))?;
    let width = code.width();
    let n = width + 8;
    let mut path = String::new();
    for (i, c) in code.to_colors().into_iter().enumerate() {
        if c == Color::Dark {
            path.push_str(&format!("M{},{}h1v1h-1z", i % width + 4, i / width + 4));
        }
    }
    Ok(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{size}\" height=\"{size}\" viewBox=\"0 0 {n} {n}\" \
         shape-rendering=\"crispEdges\"><rect width=\"{n}\" height=\"{n}\" fill=\"#fff\"/><path fill=\"#000\" \
         d=\"{path}\"/></svg>"
    ))
}

/// The driver's view of the document a share link shows: the note in boxes (from its full dataset `xml`), its
/// state and events, and the QR code of the inspector link (`qr_payload`).
///
/// # Errors
/// As [`note_view`] and [`qr_svg`].
pub fn share_view(
    share: &ShareRecord,
    doc: &StoredDocument,
    xml: &str,
    qr_payload: String,
    lang: &str,
) -> Result<ShareView, ViewError> {
    let s = &doc.summary;
    Ok(ShareView {
        document_id: s.id,
        note_number: s.note_number.clone(),
        state: s.state.clone(),
        last_seq: s.last_seq,
        last_event_digest: s.last_event_digest.clone(),
        expires_at: share.expires_at,
        qr_svg: qr_svg(&qr_payload, 320)?,
        qr_payload,
        note: note_view(xml, lang)?,
        events: doc
            .events
            .iter()
            .map(|e| EventView { seq: e.seq, kind: e.kind.clone(), role: e.role.clone(), received_at: e.received_at })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_24_box_labels_and_others_are_refused() {
        for lang in LANGUAGES {
            let v = labels_json(lang).expect("labels");
            assert_eq!(v["boxes"].as_array().map(Vec::len), Some(24), "{lang}");
            assert_eq!(v["lang"], lang);
        }
        assert_eq!(labels_json("nl-BE").expect("nl")["lang"], "nl");
        assert!(matches!(labels_json("xx"), Err(ViewError::Language(_))));
        assert_eq!(labels_json("de").expect("de")["boxes"][0], Labels::GERMAN.boxes[0]);
    }

    #[test]
    fn a_dataset_is_laid_out_in_boxes_and_other_xml_is_refused() {
        let xml = r#"<consignment xmlns="http://efti.eu/v1/consignment/common">
          <consignor><name>Brabant Zuivel B.V.</name></consignor>
          <transportContractDocument><id>NL-2026-000123</id></transportContractDocument></consignment>"#;
        let v = note_view(xml, "fr").expect("view");
        assert_eq!(v.number.as_deref(), Some("NL-2026-000123"));
        assert_eq!(v.boxes.len(), 24);
        assert_eq!(v.boxes[0].label, Labels::FRENCH.boxes[0]);
        assert_eq!(v.boxes[0].lines.as_deref(), Some(&["Brabant Zuivel B.V.".to_owned()][..]));
        assert_eq!(v.boxes[15].lines, None, "the carrier is not in this dataset");
        assert!(matches!(note_view("<html/>", "en"), Err(ViewError::Dataset(_))));
        assert!(matches!(note_view("not xml", "en"), Err(ViewError::Dataset(_))));
    }

    #[test]
    fn a_qr_code_is_an_svg_of_dark_modules() {
        let svg = qr_svg("https://gate.example.eu/inspect/#uil=a/b/c&seq=0&digest=sha256:00", 200).expect("svg");
        assert!(svg.starts_with("<svg") && svg.contains("M4,4h1v1h-1z"), "the finder pattern starts the code");
        assert!(qr_svg(&"x".repeat(5000), 200).is_err());
    }
}
