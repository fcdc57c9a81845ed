-- Class-F records as the hub holds them, and the feed's hash chain.
-- The SQLite twin in ../sqlite holds the same tables and must stay in step.

-- One class-F record (product, barcode, price-list entry, ...): the winning
-- value of each field (`fields`, a JSON object) and the stamp that won it
-- (`stamps`, field name -> {"hlc", "device_id"}). Merged field by field by
-- every applied `fields.set` op, inside the push transaction. `json`, not
-- `jsonb`, for the same reason as op_log.payload: any string a device sends
-- is kept.
CREATE TABLE records (
    tenant_id  uuid NOT NULL REFERENCES tenants (id),
    entity     text NOT NULL,
    row_id     uuid NOT NULL,
    fields     json NOT NULL,
    stamps     json NOT NULL,
    PRIMARY KEY (tenant_id, entity, row_id)
);

-- The feed's hash chain: `feed.chain` is the chain after that entry,
-- `tenants.feed_chain` the chain at `feed_head` (32 zero bytes before the
-- first entry), moved under the same row lock as `feed_head`.
ALTER TABLE tenants ADD COLUMN feed_chain bytea NOT NULL
    DEFAULT '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea;
ALTER TABLE feed ADD COLUMN chain bytea;
