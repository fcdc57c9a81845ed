-- Class-F records as the hub holds them, and the feed's hash chain.
-- The twin of ../postgres: same tables and meaning.

-- One class-F record: the winning value of each field (`fields`, a JSON
-- object) and the stamp that won it (`stamps`, field name -> {"hlc",
-- "device_id"}), merged by every applied `fields.set` op.
CREATE TABLE records (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    entity     TEXT NOT NULL,
    row_id     TEXT NOT NULL,
    fields     TEXT NOT NULL,
    stamps     TEXT NOT NULL,
    PRIMARY KEY (tenant_id, entity, row_id)
) WITHOUT ROWID;

-- The chain after each feed entry, and at the tenant's feed head (32 zero
-- bytes before the first entry).
ALTER TABLE tenants ADD COLUMN feed_chain BLOB NOT NULL
    DEFAULT X'0000000000000000000000000000000000000000000000000000000000000000';
ALTER TABLE feed ADD COLUMN chain BLOB;
