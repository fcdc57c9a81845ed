-- Scopes of the feed: which devices receive an entry, decided by the hub
-- when the entry is written, and a hash chain per scope.
-- The SQLite twin in ../sqlite holds the same tables and must stay in step.

-- One row per (entry, scope it belongs to): `scope` is `shared`,
-- `customers`, `orders:<user id>` or `stock:<location id>`; `chain` is the
-- scope's chain after the entry. A pull reads the feed of a device's scopes
-- through the key, scope by scope, in position order.
CREATE TABLE feed_scopes (
    tenant_id  uuid   NOT NULL,
    scope      text   NOT NULL,
    position   bigint NOT NULL,
    chain      bytea  NOT NULL,
    PRIMARY KEY (tenant_id, scope, position)
);

-- The chain at the head of each scope of the tenant: a JSON object, scope
-- -> hex, moved under the same row lock as `feed_head`. NULL while the
-- tenant's earlier entries are not yet given their scopes (the hub does it
-- at start, before serving).
ALTER TABLE tenants ADD COLUMN scope_chains text;
ALTER TABLE tenants ALTER COLUMN scope_chains SET DEFAULT '{}';
UPDATE tenants SET scope_chains = '{}' WHERE feed_head = 0;
