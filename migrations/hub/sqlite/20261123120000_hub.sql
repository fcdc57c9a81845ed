-- Stockroom sync hub, first schema (SQLite, the embedded one-shop default).
-- The twin of ../postgres: same tables and meaning. Ids are TEXT UUIDs,
-- booleans INTEGER, JSON TEXT. Times are Unix milliseconds; stamps are
-- packed HLC integers.

-- `feed_head` is the last feed position handed out, taken inside the push
-- transaction (SQLite has one writer, so positions are in commit order).
CREATE TABLE tenants (
    id          TEXT    PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    feed_head   INTEGER NOT NULL DEFAULT 0,
    created_ms  INTEGER NOT NULL
);

CREATE TABLE users (
    id             TEXT    PRIMARY KEY,
    tenant_id      TEXT    NOT NULL REFERENCES tenants (id),
    username       TEXT    NOT NULL,
    display_name   TEXT    NOT NULL,
    role           TEXT    NOT NULL CHECK (role IN ('owner', 'manager', 'cashier', 'salesperson', 'warehouse')),
    password_hash  TEXT    NOT NULL,
    active         INTEGER NOT NULL DEFAULT 1,
    created_ms     INTEGER NOT NULL
);
CREATE UNIQUE INDEX users_username ON users (lower(username));
CREATE INDEX users_tenant ON users (tenant_id);

CREATE TABLE devices (
    id             TEXT    PRIMARY KEY,
    tenant_id      TEXT    NOT NULL REFERENCES tenants (id),
    epoch          INTEGER NOT NULL,
    name           TEXT,
    clock_skew_ms  INTEGER NOT NULL DEFAULT 0,
    skew_seen_ms   INTEGER,
    created_ms     INTEGER NOT NULL
);
CREATE INDEX devices_tenant ON devices (tenant_id);

CREATE TABLE device_epochs (
    device_id    TEXT    NOT NULL REFERENCES devices (id),
    epoch        INTEGER NOT NULL,
    token_hash   BLOB    NOT NULL UNIQUE,
    enrolled_by  TEXT    NOT NULL REFERENCES users (id),
    enrolled_ms  INTEGER NOT NULL,
    last_seq     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (device_id, epoch)
) WITHOUT ROWID;

CREATE TABLE op_log (
    op_id          TEXT    PRIMARY KEY,
    tenant_id      TEXT    NOT NULL REFERENCES tenants (id),
    device_id      TEXT    NOT NULL REFERENCES devices (id),
    epoch          INTEGER NOT NULL,
    seq            INTEGER NOT NULL,
    user_id        TEXT    NOT NULL,
    op_type        TEXT    NOT NULL,
    type_version   INTEGER NOT NULL,
    payload        TEXT    NOT NULL,
    hlc            INTEGER NOT NULL,
    effective_hlc  INTEGER NOT NULL,
    received_ms    INTEGER NOT NULL,
    outcome        TEXT    NOT NULL CHECK (outcome IN ('applied', 'rejected')),
    reject_code    TEXT,
    flags          TEXT    NOT NULL DEFAULT '[]',
    UNIQUE (device_id, epoch, seq),
    CHECK ((outcome = 'rejected') = (reject_code IS NOT NULL))
);
CREATE INDEX op_log_tenant_received ON op_log (tenant_id, received_ms);

CREATE TABLE repeated_ops (
    device_id    TEXT    NOT NULL REFERENCES devices (id),
    epoch        INTEGER NOT NULL,
    seq          INTEGER NOT NULL,
    op_id        TEXT    NOT NULL,
    received_ms  INTEGER NOT NULL,
    reject_code  TEXT,
    PRIMARY KEY (device_id, epoch, seq)
) WITHOUT ROWID;

CREATE TABLE feed (
    tenant_id  TEXT    NOT NULL REFERENCES tenants (id),
    position   INTEGER NOT NULL,
    op_id      TEXT    NOT NULL REFERENCES op_log (op_id),
    PRIMARY KEY (tenant_id, position)
) WITHOUT ROWID;
