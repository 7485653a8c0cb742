//! Reading received datasets: every dataset the projection writes — whole, and cut down to each subset the XSD
//! defines — reads back as the element tree it was written from, without an error; a bare dataset and the same
//! inside an eDelivery `uilResponse` read the same; and the boxes of a whole dataset show the note's parties.

mod support;

use ecmr::efti::{Received, Subsets};
use ecmr::validate::Severity;

fn documents() -> Vec<ecmr::verify::Verified<ecmr::document::Document>> {
    support::vectors::documents()
        .into_iter()
        .filter(|(name, _)| name.starts_with("complete-"))
        .map(|(_, bytes)| ecmr::verify::verify(&bytes, None).unwrap())
        .collect()
}

#[test]
fn every_subset_of_every_vector_reads_back_as_written() {
    let mut read = 0;
    for doc in documents() {
        let c = ecmr::efti::project(&doc).unwrap();
        let mut all = vec![Subsets::Full];
        all.extend(
            ecmr::efti::table::SUBSET_IDS
                .iter()
                .filter(|id| **id != "identifier")
                .map(|id| Subsets::parse([id]).unwrap()),
        );
        for subsets in all {
            let xml = c.to_xml(&subsets);
            let r = Received::from_xml(&xml).unwrap_or_else(|e| panic!("{subsets:?}: {e}"));
            let errors: Vec<_> = r.findings.iter().filter(|f| f.severity == Severity::Error).collect();
            assert!(errors.is_empty(), "{subsets:?}: {errors:?}");
            assert_eq!(r.root, c.filtered(&subsets), "{subsets:?}");
            assert!(!r.wrapped);
            read += 1;
        }
    }
    assert!(read >= 4 * 150, "{read}");
}

#[test]
fn a_uil_response_reads_as_the_dataset_it_carries() {
    for doc in documents() {
        let xml = ecmr::efti::to_xml(&doc, &Subsets::parse(["EU01", "EU02"]).unwrap()).unwrap();
        let body = xml
            .lines()
            .skip(1)
            .collect::<Vec<_>>()
            .join("\n")
            .replace("<consignment xmlns=", "<efti:consignment xmlns:efti=");
        let body = body.replace("</consignment>", "</efti:consignment>");
        // Prefixed elements inside: every element of the dataset gets the prefix.
        let body = regex_free_prefix(&body);
        let wrapped = format!(
            "<?xml version=\"1.0\"?>\n<!-- answer -->\n<uilResponse xmlns=\"http://efti.eu/v1/edelivery\" \
             xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:schemaLocation=\"x y\" requestId=\"1\" \
             status=\"200\">{body}</uilResponse>"
        );
        let r = Received::from_xml(&wrapped).unwrap();
        let bare = Received::from_xml(&xml).unwrap();
        assert!(r.wrapped && !bare.wrapped);
        assert_eq!(r.root, bare.root);
        assert_eq!(r.findings.len(), bare.findings.len());
    }
}

/// Gives every element of a dataset text the `efti:` prefix (the root already has it).
fn regex_free_prefix(xml: &str) -> String {
    let mut out = String::with_capacity(xml.len() + xml.len() / 4);
    let mut rest = xml;
    while let Some(i) = rest.find('<') {
        out.push_str(&rest[..i]);
        rest = &rest[i + 1..];
        out.push('<');
        let closing = rest.starts_with('/');
        if closing {
            out.push('/');
            rest = &rest[1..];
        }
        if !rest.starts_with("efti:") {
            out.push_str("efti:");
        }
    }
    out.push_str(rest);
    out
}

#[test]
fn the_boxes_of_a_whole_dataset_show_the_note() {
    for doc in documents() {
        let note = doc.current_note_typed().unwrap();
        let r = Received::from_xml(&ecmr::efti::to_xml(&doc, &Subsets::Full).unwrap()).unwrap();
        let b = r.boxes(&ecmr::render::Labels::ENGLISH);
        assert_eq!(r.number(), Some(note.number.as_str()));
        for (n, party) in [(1, &note.sender), (2, &note.consignee), (16, &note.carrier)] {
            let lines = b.boxes[n - 1].as_ref().unwrap();
            assert_eq!(lines[0], party.name, "box {n}");
            assert!(lines.iter().any(|l| l.contains(&party.address.city)), "box {n}: {lines:?}");
        }
        assert_eq!(b.boxes[13], None, "box 14 has no element in the dataset");
        assert_eq!(b.boxes[17], None, "box 18 has no element in the dataset");
        let goods = b.goods.as_ref().unwrap();
        assert_eq!(goods.len(), note.goods.len());
        for (row, g) in goods.iter().zip(&note.goods) {
            assert_eq!(row[3], g.nature_of_goods);
        }
        // Signed: box 22 names the sender with the time of issue.
        assert!(b.boxes[21].as_ref().unwrap()[0].starts_with(&note.sender.name));
    }
}
