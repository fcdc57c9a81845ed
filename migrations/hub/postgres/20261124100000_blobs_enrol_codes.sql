-- Blobs (photos, thumbnails) and one-time enrolment codes (PostgreSQL).
-- The SQLite twin in ../sqlite holds the same tables.

-- Content-addressed per tenant: `sha256` is the SHA-256 of `content`, which
-- the hub checks before inserting. A blob is written once and never changed.
CREATE TABLE blobs (
    tenant_id   uuid   NOT NULL REFERENCES tenants (id),
    sha256      bytea  NOT NULL CHECK (length(sha256) = 32),
    size_bytes  bigint NOT NULL,
    content     bytea  NOT NULL,
    created_ms  bigint NOT NULL,
    PRIMARY KEY (tenant_id, sha256)
);

-- A code a manager or owner made for a user of their tenant; only its
-- SHA-256 is kept. Used once: `used_ms` is set by the enrolment that took it.
CREATE TABLE enrol_codes (
    code_hash       bytea  PRIMARY KEY CHECK (length(code_hash) = 32),
    tenant_id       uuid   NOT NULL REFERENCES tenants (id),
    user_id         uuid   NOT NULL REFERENCES users (id),
    created_by      uuid   NOT NULL REFERENCES users (id),
    created_device  uuid   NOT NULL REFERENCES devices (id),
    created_ms      bigint NOT NULL,
    expires_ms      bigint NOT NULL,
    used_ms         bigint,
    used_device     uuid
);
CREATE INDEX enrol_codes_user ON enrol_codes (user_id);
