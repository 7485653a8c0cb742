-- eFTI authority requests (UIL and identifier queries) with their stored answers, and follow-up messages.

CREATE TABLE control_requests (
    id                 TEXT PRIMARY KEY,
    kind               TEXT NOT NULL CHECK (kind IN ('uil', 'identifiers')),
    principal_id       TEXT NOT NULL REFERENCES principals (id),
    document_id        TEXT,
    subsets            TEXT NOT NULL DEFAULT '',
    status             TEXT NOT NULL CHECK (status IN ('PENDING', 'COMPLETE', 'ERROR', 'TIMEOUT')),
    error_code         TEXT,
    error_description  TEXT,
    data               TEXT,
    created_at         TEXT NOT NULL
);
CREATE INDEX control_requests_by_document ON control_requests (document_id);

-- Messages an authority sends about a control, append-only; the document's parties read them.
CREATE TABLE follow_ups (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id    TEXT NOT NULL REFERENCES control_requests (id),
    document_id   TEXT NOT NULL REFERENCES documents (id),
    principal_id  TEXT NOT NULL REFERENCES principals (id),
    message       TEXT NOT NULL,
    at            TEXT NOT NULL
);
CREATE INDEX follow_ups_by_document ON follow_ups (document_id, id);
CREATE TRIGGER follow_ups_no_update BEFORE UPDATE ON follow_ups
BEGIN SELECT RAISE(ABORT, 'follow-ups are append-only'); END;
CREATE TRIGGER follow_ups_no_delete BEFORE DELETE ON follow_ups
BEGIN SELECT RAISE(ABORT, 'follow-ups are append-only'); END;

-- Identifier search: `value` already holds the normalised upper-case identifier; this index serves the search by
-- value and type together, so the filters on kind run inside the index.
CREATE INDEX identifiers_by_value_kind ON identifiers (value, kind);
