//! Cost of the eFTI projection of a complete-lifecycle document (`examples/adr-fuel.json`, 5 events): building
//! the common dataset from the verified document, filtering it, and writing the XML; of answering subsets from the
//! stored full dataset text (read back and written, or copied with `filter_xml`); and of reading an identifier
//! dataset (`tests/data/efti-identifiers-mixed.xml`), indexing it and matching a query against it.

use criterion::{Criterion, criterion_group, criterion_main};
use ecmr::efti::search::{self, IdentifierQuery};
use ecmr::efti::{self, Subsets, identifiers};
use std::hint::black_box;

const VECTOR: &str = include_str!("../../../tests/vectors/documents/complete-adr-fuel.json");
const IDENTIFIERS: &str = include_str!("../tests/data/efti-identifiers-mixed.xml");

fn bench(c: &mut Criterion) {
    let vector: serde_json::Value = serde_json::from_str(VECTOR).expect("vector");
    let bytes = serde_json::to_vec(&vector["document"]).expect("document");
    let doc = ecmr::verify::verify(&bytes, None).expect("verifies");
    let consignment = efti::project(&doc).expect("projects");
    let full = Subsets::Full;
    let identifier = Subsets::Identifier;
    let eu = Subsets::parse(["EU01", "EU02", "EU03"]).expect("subsets");
    let eu01 = Subsets::parse(["EU01"]).expect("subset");

    let mut g = c.benchmark_group("efti");
    g.bench_function("project", |b| b.iter(|| efti::project(black_box(&doc))));
    g.bench_function("xml/full", |b| b.iter(|| black_box(&consignment).to_xml(&full)));
    g.bench_function("xml/identifier", |b| b.iter(|| black_box(&consignment).to_xml(&identifier)));
    g.bench_function("xml/EU01+EU02+EU03", |b| b.iter(|| black_box(&consignment).to_xml(&eu)));
    g.bench_function("project+xml/full", |b| b.iter(|| efti::to_xml(black_box(&doc), &full)));
    // What a store keeping the full dataset as text does per read: read it back, write the subset asked for.
    let stored = consignment.to_xml(&full);
    g.bench_function("from_xml/full", |b| b.iter(|| efti::Consignment::from_xml(black_box(&stored))));
    g.bench_function("from_xml+xml/EU01", |b| {
        b.iter(|| efti::Consignment::from_xml(black_box(&stored)).map(|c| c.to_xml(&eu01)))
    });
    g.bench_function("from_xml+xml/EU01+EU02+EU03", |b| {
        b.iter(|| efti::Consignment::from_xml(black_box(&stored)).map(|c| c.to_xml(&eu)))
    });
    // The same answers copied straight from the stored text (`full`: checked, then answered as it is).
    g.bench_function("filter_xml/full", |b| b.iter(|| efti::filter_xml(black_box(&stored), &full).map(|x| x.len())));
    g.bench_function("filter_xml/EU01", |b| b.iter(|| efti::filter_xml(black_box(&stored), &eu01).map(|x| x.len())));
    g.bench_function("filter_xml/EU01+EU02+EU03", |b| {
        b.iter(|| efti::filter_xml(black_box(&stored), &eu).map(|x| x.len()))
    });
    g.bench_function("from_xml+identifiers", |b| {
        b.iter(|| efti::Consignment::from_xml(black_box(&stored)).map(|c| identifiers::from_projection(&c)))
    });
    g.finish();

    let dataset = identifiers::parse(IDENTIFIERS).expect("fixture parses");
    let mut query = IdentifierQuery::new("msku1234565");
    query.mode_code = Some("1".to_owned());
    let mut g = c.benchmark_group("efti-identifiers");
    g.bench_function("parse", |b| b.iter(|| identifiers::parse(black_box(IDENTIFIERS))));
    g.bench_function("from_projection", |b| b.iter(|| identifiers::from_projection(black_box(&consignment))));
    g.bench_function("index_keys", |b| b.iter(|| search::index_keys(black_box(&dataset))));
    g.bench_function("matches", |b| b.iter(|| search::matches(black_box(&dataset), black_box(&query))));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
