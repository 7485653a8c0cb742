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
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    request_id    TEXT NOT NULL REFERENCES control_requests (id),
    document_id   TEXT NOT NULL REFERENCES documents (id),
    principal_id  TEXT NOT NULL REFERENCES principals (id),
    message       TEXT NOT NULL,
    at            TEXT NOT NULL
);
CREATE INDEX follow_ups_by_document ON follow_ups (document_id, id);
CREATE TRIGGER follow_ups_append_only BEFORE UPDATE OR DELETE ON follow_ups
    FOR EACH ROW EXECUTE FUNCTION ecmr_append_only();

-- Identifier search: `value` already holds the normalised upper-case identifier; this index serves the search by
-- value and type together, so the filters on kind run inside the index.
CREATE INDEX identifiers_by_value_kind ON identifiers (value, kind);
