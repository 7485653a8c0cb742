//! Speed of reading, writing and checking notes: the typical note (`examples/domestic-pallets.json`) and a large
//! one with 200 goods lines built from it.
//!
//! Run with `cargo bench -p ecmr --bench note` (add a filter such as `-- json` to run a part).

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ecmr::{ConsignmentNote, json, validate, xml};

const TYPICAL: &str = include_str!("../../../examples/domestic-pallets.json");

/// Number of goods lines in the large note.
const LARGE_LINES: usize = 200;

fn typical() -> ConsignmentNote {
    match json::from_str(TYPICAL) {
        Ok(note) => note,
        Err(e) => panic!("examples/domestic-pallets.json does not parse: {e}"),
    }
}

/// The typical note with its single goods line repeated, each copy with its own marks, to `LARGE_LINES` lines.
fn large() -> ConsignmentNote {
    let mut note = typical();
    let line = note.goods[0].clone();
    note.goods = (1..=LARGE_LINES)
        .map(|i| {
            let mut g = line.clone();
            g.marks_and_numbers = Some(format!("BZ {i:04}"));
            g.number_of_packages = Some(1);
            g.gross_weight_kg = Some(ecmr::Decimal::from(480 + i as u32));
            g
        })
        .collect();
    note
}

fn benches(c: &mut Criterion) {
    for (name, note) in [("typical", typical()), ("200-lines", large())] {
        let json_text = json::to_string(&note);
        let xml_text = xml::to_string(&note);
        if let Err(e) = xml::from_str(&xml_text) {
            eprintln!("note: XML of the {name} note does not read back ({e}); XML figures are not meaningful");
        }

        let mut group = c.benchmark_group("json");
        group.throughput(Throughput::Bytes(json_text.len() as u64));
        group.bench_with_input(BenchmarkId::new("parse", name), &json_text, |b, t| {
            b.iter(|| json::from_str(black_box(t)))
        });
        group.bench_with_input(BenchmarkId::new("write", name), &note, |b, n| b.iter(|| json::to_string(black_box(n))));
        group.finish();

        let mut group = c.benchmark_group("xml");
        group.throughput(Throughput::Bytes(xml_text.len() as u64));
        group.bench_with_input(BenchmarkId::new("parse", name), &xml_text, |b, t| {
            b.iter(|| xml::from_str(black_box(t)))
        });
        group.bench_with_input(BenchmarkId::new("write", name), &note, |b, n| b.iter(|| xml::to_string(black_box(n))));
        group.finish();

        c.bench_with_input(BenchmarkId::new("validate", name), &note, |b, n| {
            b.iter(|| validate::validate(black_box(n)))
        });
    }

    c.bench_function("parse+validate/typical", |b| {
        b.iter(|| json::from_str(black_box(TYPICAL)).map(|n| validate::validate(&n)))
    });
}

criterion_group!(note, benches);
criterion_main!(note);
