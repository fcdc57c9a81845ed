-- Product photos. A product's photo is two class-F fields holding the
-- SHA-256 (lower-case hex) of its 1024 px and 256 px versions; the files
-- live content-addressed in the device's photo folder, indexed here.

ALTER TABLE products ADD COLUMN photo_1024 TEXT;
ALTER TABLE products ADD COLUMN photo_256 TEXT;

-- The photo files this device holds (device only). `uploaded` = 0 is the
-- upload queue: a file made here that the hub does not have yet; such a
-- file is never evicted. Fetched files come from the hub (uploaded = 1).
-- `last_used_ms` orders eviction (least recently used first).
CREATE TABLE photo_files (
    sha256       TEXT PRIMARY KEY,
    size_bytes   INTEGER NOT NULL,
    uploaded     INTEGER NOT NULL,
    added_ms     INTEGER NOT NULL,
    last_used_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX photo_files_upload ON photo_files(uploaded, added_ms);

-- Blobs this device asked the hub for (a 1024 px opened on a product's
-- detail), and the ones the hub could not give yet (not uploaded by their
-- device: retried after `retry_after_ms`) or gave wrong (`refused`: the
-- bytes did not hash to the name; never asked again).
CREATE TABLE photo_fetches (
    sha256         TEXT PRIMARY KEY,
    wanted         INTEGER NOT NULL,
    attempts       INTEGER NOT NULL DEFAULT 0,
    retry_after_ms INTEGER NOT NULL DEFAULT 0,
    refused        TEXT
) WITHOUT ROWID;
