//! Cost of the eFTI projection of a complete-lifecycle document (`examples/adr-fuel.json`, 5 events): building
//! the common dataset from the verified document, filtering it, and writing the XML.

use criterion::{Criterion, criterion_group, criterion_main};
use ecmr::efti::{self, Subsets};
use std::hint::black_box;

const VECTOR: &str = include_str!("../../../tests/vectors/documents/complete-adr-fuel.json");

fn bench(c: &mut Criterion) {
    let vector: serde_json::Value = serde_json::from_str(VECTOR).expect("vector");
    let bytes = serde_json::to_vec(&vector["document"]).expect("document");
    let doc = ecmr::verify::verify(&bytes, None).expect("verifies");
    let consignment = efti::project(&doc).expect("projects");
    let full = Subsets::Full;
    let identifier = Subsets::Identifier;
    let eu = Subsets::parse(["EU01", "EU02", "EU03"]).expect("subsets");

    let mut g = c.benchmark_group("efti");
    g.bench_function("project", |b| b.iter(|| efti::project(black_box(&doc))));
    g.bench_function("xml/full", |b| b.iter(|| black_box(&consignment).to_xml(&full)));
    g.bench_function("xml/identifier", |b| b.iter(|| black_box(&consignment).to_xml(&identifier)));
    g.bench_function("xml/EU01+EU02+EU03", |b| b.iter(|| black_box(&consignment).to_xml(&eu)));
    g.bench_function("project+xml/full", |b| b.iter(|| efti::to_xml(black_box(&doc), &full)));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
