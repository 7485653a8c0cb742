-- Note numbers are unique per sender (the Benelux pilot's numbering rule), not per signing key: a sender party
-- may sign with several keys. `sender_ref` is `party:<principal id>` when the key that signed `issued` is bound to
-- a party principal, otherwise `key:<key id>`. The UNIQUE (sender_ref, note_number) constraint follows the rename.
ALTER TABLE documents RENAME COLUMN sender_key_id TO sender_ref;
UPDATE documents SET sender_ref = 'key:' || sender_ref;
