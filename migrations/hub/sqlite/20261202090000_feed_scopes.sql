-- Scopes of the feed: which devices receive an entry, decided by the hub
-- when the entry is written, and a hash chain per scope.
-- The twin of ../postgres: same tables and meaning.

-- One row per (entry, scope it belongs to), with the scope's chain after
-- the entry.
CREATE TABLE feed_scopes (
    tenant_id  TEXT    NOT NULL,
    scope      TEXT    NOT NULL,
    position   INTEGER NOT NULL,
    chain      BLOB    NOT NULL,
    PRIMARY KEY (tenant_id, scope, position)
) WITHOUT ROWID;

-- The chain at the head of each scope (JSON, scope -> hex); NULL while the
-- tenant's earlier entries are not yet given their scopes.
ALTER TABLE tenants ADD COLUMN scope_chains TEXT DEFAULT '{}';
UPDATE tenants SET scope_chains = NULL WHERE feed_head > 0;
