-- A UIL answer is no longer stored with its request (it was ~3 KB of base64 written per authority read): the
-- request keeps the seq of the document's last event when it was answered, and asking for the request again
-- computes the same answer from the document as it was then (events are append-only). Older requests keep their
-- stored data, which is still answered as it is.
ALTER TABLE control_requests ADD COLUMN answered_seq INTEGER;

-- Nothing looks authority requests up by document (parties read the audit log), and the index cost a random
-- page write per request.
DROP INDEX control_requests_by_document;
