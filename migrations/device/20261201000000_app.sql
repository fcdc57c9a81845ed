-- The app: device settings, till shifts with their cash-up, and dismissing
-- entries of the sync inbox. All device only (never synced as rows).

-- Small device settings the app keeps (mode, locale).
CREATE TABLE device_settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

-- A till shift on this device: the float put in the drawer at opening, and
-- at closing the cash expected from the shift's cash payments and change,
-- the cash counted, and their difference.
CREATE TABLE shifts (
    id             TEXT PRIMARY KEY,
    location_id    TEXT    NOT NULL,
    currency       TEXT    NOT NULL,
    float_minor    INTEGER NOT NULL,
    opened_by      TEXT    NOT NULL,
    opened_ms      INTEGER NOT NULL,
    opened_hlc     INTEGER NOT NULL,
    closed_by      TEXT,
    closed_ms      INTEGER,
    closed_hlc     INTEGER,
    expected_minor INTEGER,
    counted_minor  INTEGER
);
CREATE INDEX shifts_open ON shifts(closed_ms);

ALTER TABLE sync_notices ADD COLUMN dismissed_ms INTEGER;
