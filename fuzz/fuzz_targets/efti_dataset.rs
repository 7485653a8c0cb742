//! Any UTF-8 text given to the eFTI common dataset reader gives a dataset or an error, never a panic; a dataset
//! it reads is written and read back unchanged, and every kind of subset can be taken from it.
#![no_main]

use ecmr::efti::{Consignment, Subsets};

libfuzzer_sys::fuzz_target!(|text: &str| {
    if let Ok(c) = Consignment::from_xml(text) {
        let again = Consignment::from_xml(&c.to_xml(&Subsets::Full));
        assert_eq!(again.as_ref(), Ok(&c), "XML written from a read dataset does not read back the same");
        for ids in [&["identifier"][..], &["EU01"], &["EU02", "EU05a"]] {
            if let Ok(s) = Subsets::parse(ids.iter().copied()) {
                let _ = c.to_xml(&s);
            }
        }
    }
});
