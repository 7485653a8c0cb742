-- Identifier datasets registered by external platforms (eFTI platform API, PUT /api/platform/v0/consignments/…).
-- Every dataset belongs to this gate; it is keyed by the registering platform's eFTI platform id and its dataset id.

CREATE TABLE platform_datasets (
    platform_id   TEXT NOT NULL,
    dataset_id    TEXT NOT NULL,
    principal_id  TEXT NOT NULL REFERENCES principals (id),
    xml           TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    PRIMARY KEY (platform_id, dataset_id)
);

-- The index rows of a registered dataset (ecmr::efti::search::index_keys), searched like `identifiers`:
-- `value` is the normalised identifier; `mode_code` and `dangerous_goods` are NULL for equipment of a dataset
-- without movements, so that a query filtering on them does not select the row.
CREATE TABLE platform_identifiers (
    platform_id      TEXT NOT NULL,
    dataset_id       TEXT NOT NULL,
    kind             TEXT NOT NULL CHECK (kind IN ('vehicle', 'equipment', 'carried_equipment')),
    value            TEXT NOT NULL,
    country          TEXT,
    mode_code        TEXT,
    dangerous_goods  BOOLEAN,
    FOREIGN KEY (platform_id, dataset_id) REFERENCES platform_datasets (platform_id, dataset_id)
);
CREATE INDEX platform_identifiers_by_value_kind ON platform_identifiers (value, kind);
CREATE INDEX platform_identifiers_by_dataset ON platform_identifiers (platform_id, dataset_id);
