-- Stockroom sync hub, first schema (PostgreSQL).
-- Times are Unix milliseconds (bigint); stamps are packed HLC integers.
-- The SQLite twin in ../sqlite holds the same tables and must stay in step.

-- A shop or a chain. `feed_head` is the last feed position handed out: it is
-- taken, with its row locked, inside the push transaction, so positions are
-- in commit order.
CREATE TABLE tenants (
    id          uuid   PRIMARY KEY,
    name        text   NOT NULL UNIQUE,
    feed_head   bigint NOT NULL DEFAULT 0,
    created_ms  bigint NOT NULL
);

-- People who enrol devices. Usernames are unique across the hub, so a
-- username and password are enough to find the tenant.
CREATE TABLE users (
    id             uuid    PRIMARY KEY,
    tenant_id      uuid    NOT NULL REFERENCES tenants (id),
    username       text    NOT NULL,
    display_name   text    NOT NULL,
    role           text    NOT NULL CHECK (role IN ('owner', 'manager', 'cashier', 'salesperson', 'warehouse')),
    password_hash  text    NOT NULL,
    active         boolean NOT NULL DEFAULT true,
    created_ms     bigint  NOT NULL
);
CREATE UNIQUE INDEX users_username ON users (lower(username));
CREATE INDEX users_tenant ON users (tenant_id);

-- Enrolled devices; `epoch` is the current one. `clock_skew_ms` is how far
-- ahead of hub time the device's newest stamp was at its last push.
CREATE TABLE devices (
    id             uuid    PRIMARY KEY,
    tenant_id      uuid    NOT NULL REFERENCES tenants (id),
    epoch          integer NOT NULL,
    name           text,
    clock_skew_ms  bigint  NOT NULL DEFAULT 0,
    skew_seen_ms   bigint,
    created_ms     bigint  NOT NULL
);
CREATE INDEX devices_tenant ON devices (tenant_id);

-- One row per enrolment: the session token's SHA-256 and the upload cursor
-- (last sequence number acknowledged) of that (device, epoch).
CREATE TABLE device_epochs (
    device_id    uuid    NOT NULL REFERENCES devices (id),
    epoch        integer NOT NULL,
    token_hash   bytea   NOT NULL UNIQUE,
    enrolled_by  uuid    NOT NULL REFERENCES users (id),
    enrolled_ms  bigint  NOT NULL,
    last_seq     bigint  NOT NULL DEFAULT 0,
    PRIMARY KEY (device_id, epoch)
);

-- Every op received, applied or rejected: the exactly-once record and the
-- audit trail. `hlc` is the stamp as sent, `effective_hlc` the one the hub
-- settled on (clamped when far in the future). `flags` is a JSON array of
-- rule breaches raised for a manager. `payload` is `json`, not `jsonb`: it
-- keeps the text exactly as sent (a later hash chain needs that) and accepts
-- any string a device sends, `\u0000` included, so no payload can make a
-- push fail for ever.
CREATE TABLE op_log (
    op_id          uuid    PRIMARY KEY,
    tenant_id      uuid    NOT NULL REFERENCES tenants (id),
    device_id      uuid    NOT NULL REFERENCES devices (id),
    epoch          integer NOT NULL,
    seq            bigint  NOT NULL,
    user_id        uuid    NOT NULL,
    op_type        text    NOT NULL,
    type_version   integer NOT NULL,
    payload        json    NOT NULL,
    hlc            bigint  NOT NULL,
    effective_hlc  bigint  NOT NULL,
    received_ms    bigint  NOT NULL,
    outcome        text    NOT NULL CHECK (outcome IN ('applied', 'rejected')),
    reject_code    text,
    flags          jsonb   NOT NULL DEFAULT '[]',
    UNIQUE (device_id, epoch, seq),
    CHECK ((outcome = 'rejected') = (reject_code IS NOT NULL))
);
CREATE INDEX op_log_tenant_received ON op_log (tenant_id, received_ms);

-- Sequence numbers that carried an op already in the log under another
-- (device, epoch, seq), e.g. after a re-enrolment renumbered the outbox.
-- `reject_code` is set when the op id belongs to another tenant.
CREATE TABLE repeated_ops (
    device_id    uuid    NOT NULL REFERENCES devices (id),
    epoch        integer NOT NULL,
    seq          bigint  NOT NULL,
    op_id        uuid    NOT NULL,
    received_ms  bigint  NOT NULL,
    reject_code  text,
    PRIMARY KEY (device_id, epoch, seq)
);

-- Each tenant's change feed, in commit order.
CREATE TABLE feed (
    tenant_id  uuid   NOT NULL REFERENCES tenants (id),
    position   bigint NOT NULL,
    op_id      uuid   NOT NULL REFERENCES op_log (op_id),
    PRIMARY KEY (tenant_id, position)
);
