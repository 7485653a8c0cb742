-- Whom a note names as its carrier, successive carriers and consignee, for access by identity: a party's
-- registration numbers (`id:<scheme>:<value>`, the value without spaces, dots and hyphens, upper-cased) or, for a
-- party given without numbers, its country and legal name (`name:<country>:<name>`, lower-cased, single spaces);
-- and the party principals a participant granted access (`principal:<id>`, role `participant`). The sender is
-- not indexed: its key signed the note. The key is the party, then the document's received_at (which only grows,
-- so a party's rows are appended, not inserted at random), then the document; a document's own rows are found by
-- the reference with the document's received_at, so there is no index by document: every index costs a random
-- page write per stored document.
CREATE TABLE document_parties (
    party_ref    TEXT NOT NULL,
    received_at  TEXT NOT NULL,
    document_id  TEXT NOT NULL REFERENCES documents (id),
    role         TEXT NOT NULL,
    PRIMARY KEY (party_ref, received_at, document_id, role)
);
