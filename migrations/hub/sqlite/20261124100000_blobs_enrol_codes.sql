-- Blobs (photos, thumbnails) and one-time enrolment codes (SQLite).
-- The twin of ../postgres: same tables and meaning.

-- Content-addressed per tenant: `sha256` is the SHA-256 of `content`, which
-- the hub checks before inserting. A blob is written once and never changed.
CREATE TABLE blobs (
    tenant_id   TEXT    NOT NULL REFERENCES tenants (id),
    sha256      BLOB    NOT NULL CHECK (length(sha256) = 32),
    size_bytes  INTEGER NOT NULL,
    content     BLOB    NOT NULL,
    created_ms  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, sha256)
);

-- A code a manager or owner made for a user of their tenant; only its
-- SHA-256 is kept. Used once: `used_ms` is set by the enrolment that took it.
CREATE TABLE enrol_codes (
    code_hash       BLOB    PRIMARY KEY CHECK (length(code_hash) = 32),
    tenant_id       TEXT    NOT NULL REFERENCES tenants (id),
    user_id         TEXT    NOT NULL REFERENCES users (id),
    created_by      TEXT    NOT NULL REFERENCES users (id),
    created_device  TEXT    NOT NULL REFERENCES devices (id),
    created_ms      INTEGER NOT NULL,
    expires_ms      INTEGER NOT NULL,
    used_ms         INTEGER,
    used_device     TEXT
);
CREATE INDEX enrol_codes_user ON enrol_codes (user_id);
