-- The eFTI common dataset of each document's current state (the full dataset as XML, what
-- ecmr::efti::Consignment::to_xml writes for `full`), kept with the document and rewritten with every appended
-- event in the same transaction. Authority reads and identifier searches answer from it (any subset is taken from
-- the full dataset) instead of verifying and projecting the signed document on every read; the document was
-- verified completely before it or any of its events was stored. NULL for documents stored before this column
-- existed and for the rare dataset that does not read back exactly: those are projected from the signed document.
ALTER TABLE documents ADD COLUMN efti_xml TEXT;
