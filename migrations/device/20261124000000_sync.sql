-- Sync with the hub: where this device stands, fields waiting for the hub's
-- word, and what the hub refused or flagged.

-- One row: the hub this device is enrolled with and its position in the
-- hub's feed. The session token is not here: it lives in the OS keychain.
CREATE TABLE sync_state (
    id                 INTEGER PRIMARY KEY CHECK (id = 1),
    hub_url            TEXT,
    tenant_id          TEXT,
    -- Every outbox op up to this sequence number is acknowledged (and gone
    -- from the outbox).
    acked_through_seq  INTEGER NOT NULL DEFAULT 0,
    -- Opaque pull cursor; NULL is the start of the feed.
    pull_cursor        TEXT,
    -- The feed's hash chain at the cursor, hex; '' when the hub sends none.
    chain              TEXT    NOT NULL DEFAULT '',
    -- Hub time minus device time, from the last answer.
    clock_offset_ms    INTEGER NOT NULL DEFAULT 0,
    last_sync_ms       INTEGER,
    last_error         TEXT
);
INSERT INTO sync_state (id) VALUES (1);

-- A class-F field this device changed and the hub has not yet confirmed:
-- the latest own op that wrote it, and the best value the feed has
-- confirmed meanwhile (NULL stamp: none yet). When the own op comes back
-- through the feed (maybe with a clamped stamp) or is refused, the field
-- becomes the better of the two, so every device ends on the same value.
CREATE TABLE field_pending (
    entity            TEXT NOT NULL,
    row_id            TEXT NOT NULL,
    field             TEXT NOT NULL,
    own_op_id         TEXT NOT NULL,
    confirmed_value   TEXT,
    confirmed_hlc     INTEGER,
    confirmed_device  TEXT,
    PRIMARY KEY (entity, row_id, field)
) WITHOUT ROWID;
CREATE INDEX field_pending_op ON field_pending(own_op_id);

-- What the hub refused or flagged among this device's ops, and feed
-- entries this device could not apply: the sync inbox a manager reads.
CREATE TABLE sync_notices (
    id          TEXT PRIMARY KEY,
    op_id       TEXT    NOT NULL,
    op_type     TEXT    NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('rejected', 'flagged', 'not_applied')),
    code        TEXT    NOT NULL,
    detail      TEXT,
    created_ms  INTEGER NOT NULL
);
CREATE INDEX sync_notices_created ON sync_notices(created_ms);
