-- Sessions of the inspector web app (`/inspect/`): an authority exchanges its bearer token for a session cookie.
-- Only the SHA-256 of the session id is kept, with the hash of the token it was made from, so that revoking the
-- token or its principal ends the session. A session ends when it has been idle too long, at its hard expiry, or
-- when it is signed out (ended_at).
CREATE TABLE inspector_sessions (
    id_sha256     TEXT PRIMARY KEY,
    principal_id  TEXT NOT NULL REFERENCES principals (id),
    token_sha256  TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    last_seen_at  TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    ended_at      TEXT
);
CREATE INDEX inspector_sessions_by_expiry ON inspector_sessions (expires_at);

-- Share links of a document for its driver: a read-only view of one document by a random token, of which only the
-- SHA-256 is kept. A link ends at expires_at or when revoked.
CREATE TABLE share_links (
    id            TEXT PRIMARY KEY,
    token_sha256  TEXT NOT NULL UNIQUE,
    document_id   TEXT NOT NULL REFERENCES documents (id),
    created_by    TEXT NOT NULL REFERENCES principals (id),
    label         TEXT,
    created_at    TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    revoked_at    TEXT
);
CREATE INDEX share_links_by_document ON share_links (document_id, created_at);
