-- Principals, tokens, documents with their signed events, identifiers and the audit log.
-- Times are UTC text in one fixed-width format (YYYY-MM-DDTHH:MM:SS.ffffffZ) so that text order is time order.

CREATE TABLE principals (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('party', 'authority', 'platform', 'gate', 'admin')),
    name        TEXT NOT NULL,
    details     TEXT NOT NULL DEFAULT '{}',
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);

CREATE TABLE principal_keys (
    principal_id TEXT NOT NULL REFERENCES principals (id),
    key_id       TEXT NOT NULL,
    public_key   TEXT NOT NULL,
    PRIMARY KEY (principal_id, key_id)
);
CREATE INDEX principal_keys_by_key ON principal_keys (key_id);

CREATE TABLE tokens (
    id            TEXT PRIMARY KEY,
    token_sha256  TEXT NOT NULL UNIQUE,
    principal_id  TEXT NOT NULL REFERENCES principals (id),
    created_at    TEXT NOT NULL,
    expires_at    TEXT,
    revoked_at    TEXT
);
CREATE INDEX tokens_by_principal ON tokens (principal_id);

-- One row per signed document; id is the eFTI datasetId.
CREATE TABLE documents (
    id                 TEXT PRIMARY KEY,
    content_digest     TEXT NOT NULL,
    note_number        TEXT NOT NULL,
    sender_key_id      TEXT NOT NULL,
    note_json          TEXT NOT NULL,
    state              TEXT NOT NULL,
    last_seq           INTEGER NOT NULL,
    last_event_digest  TEXT NOT NULL,
    submitted_by       TEXT NOT NULL,
    received_at        TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    UNIQUE (sender_key_id, note_number)
);
CREATE INDEX documents_by_update ON documents (updated_at, id);

-- Which keys signed a document or are pinned in it, and in which role: the basis of party access.
CREATE TABLE document_keys (
    key_id       TEXT NOT NULL,
    document_id  TEXT NOT NULL REFERENCES documents (id),
    role         TEXT NOT NULL,
    relation     TEXT NOT NULL CHECK (relation IN ('signer', 'pinned')),
    PRIMARY KEY (key_id, document_id, role, relation)
);
CREATE INDEX document_keys_by_document ON document_keys (document_id);

-- The signed events, append-only.
CREATE TABLE events (
    document_id    TEXT NOT NULL REFERENCES documents (id),
    seq            INTEGER NOT NULL,
    kind           TEXT NOT NULL,
    role           TEXT NOT NULL,
    signer_key_id  TEXT NOT NULL,
    digest         TEXT NOT NULL,
    body           TEXT NOT NULL,
    received_at    TEXT NOT NULL,
    PRIMARY KEY (document_id, seq)
);
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;

-- What a roadside search runs on (eFTI identifier dataset).
CREATE TABLE identifiers (
    document_id      TEXT NOT NULL REFERENCES documents (id),
    kind             TEXT NOT NULL CHECK (kind IN ('vehicle', 'equipment', 'carried_equipment')),
    value            TEXT NOT NULL,
    country          TEXT,
    mode_code        TEXT,
    dangerous_goods  INTEGER NOT NULL,
    PRIMARY KEY (document_id, kind, value)
);
CREATE INDEX identifiers_by_value ON identifiers (value);

-- Who did what to which document, append-only.
CREATE TABLE audit_log (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    at              TEXT NOT NULL,
    document_id     TEXT,
    principal_id    TEXT NOT NULL,
    principal_kind  TEXT NOT NULL,
    action          TEXT NOT NULL,
    reason          TEXT,
    request_id      TEXT
);
CREATE INDEX audit_log_by_document ON audit_log (document_id, id);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
