-- Gate-to-gate federation: what this gate asked other gates (one row per request and destination, with the
-- message to send, the delivery attempts and the answer), answers that came too late or twice (recorded, changing
-- nothing), the message ids seen from peers (replay refusal), and the requests peers asked of this gate with the
-- answer owed to them, so that an answer is neither lost nor sent twice across a restart.
CREATE TABLE federation_destinations (
    request_id         TEXT NOT NULL,
    gate_id            TEXT NOT NULL,
    kind               TEXT NOT NULL CHECK (kind IN ('uil', 'identifiers', 'follow_up')),
    message            TEXT NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('PENDING', 'COMPLETE', 'ERROR')),
    error_code         TEXT,
    error_description  TEXT,
    answer             TEXT,
    attempts           INTEGER NOT NULL DEFAULT 0,
    last_error         TEXT,
    delivered_at       TEXT,
    deadline           TEXT NOT NULL,
    answered_at        TEXT,
    created_at         TEXT NOT NULL,
    PRIMARY KEY (request_id, gate_id)
);
CREATE INDEX federation_destinations_undelivered ON federation_destinations (delivered_at, status);

CREATE TABLE federation_late_answers (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id  TEXT NOT NULL,
    gate_id     TEXT NOT NULL,
    why         TEXT NOT NULL,
    answer      TEXT NOT NULL,
    at          TEXT NOT NULL
);

CREATE TABLE federation_seen (
    message_id  TEXT PRIMARY KEY,
    origin      TEXT NOT NULL,
    at          TEXT NOT NULL
);

CREATE TABLE federation_inbound (
    origin       TEXT NOT NULL,
    request_id   TEXT NOT NULL,
    kind         TEXT NOT NULL,
    message      TEXT NOT NULL,
    received_at  TEXT NOT NULL,
    answer       TEXT,
    answered_at  TEXT,
    PRIMARY KEY (origin, request_id, kind)
);
