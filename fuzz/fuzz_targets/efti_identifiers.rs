//! Any UTF-8 text given to the eFTI identifier dataset reader gives a dataset or an error, never a panic; a
//! dataset it reads is written and read back unchanged, and indexing and searching it do not panic.
#![no_main]

use ecmr::efti::{identifiers, search};

libfuzzer_sys::fuzz_target!(|text: &str| {
    if let Ok(c) = identifiers::parse(text) {
        let again = identifiers::parse(&c.to_xml());
        assert_eq!(again.as_ref(), Ok(&c), "XML written from a parsed dataset does not read back the same");
        let keys = search::index_keys(&c);
        for k in keys.iter().take(8) {
            let q = search::IdentifierQuery::new(k.identifier.clone());
            assert!(search::matches(&c, &q) == keys.iter().any(|r| r.selects(&q)));
        }
    }
});
