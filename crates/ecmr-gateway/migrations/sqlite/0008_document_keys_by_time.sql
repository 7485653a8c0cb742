-- The keys linked to a document, keyed by key, then the document's received_at (which only grows), then the
-- document: a key's rows are appended at the end of its range instead of inserted at random, and a document's
-- rows for a key are found by a seek (the key, then the document's received_at). There is no index by document:
-- each B-tree whose key is random per document costs a random page write for every document stored.
CREATE TABLE document_keys_by_time (
    key_id       TEXT NOT NULL,
    received_at  TEXT NOT NULL,
    document_id  TEXT NOT NULL REFERENCES documents (id),
    role         TEXT NOT NULL,
    relation     TEXT NOT NULL CHECK (relation IN ('signer', 'pinned')),
    PRIMARY KEY (key_id, received_at, document_id, role, relation)
) WITHOUT ROWID;
INSERT INTO document_keys_by_time (key_id, received_at, document_id, role, relation)
    SELECT k.key_id, d.received_at, k.document_id, k.role, k.relation
    FROM document_keys k JOIN documents d ON d.id = k.document_id;
DROP TABLE document_keys;
ALTER TABLE document_keys_by_time RENAME TO document_keys;
