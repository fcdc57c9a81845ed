-- A snapshot taken while ops waited in the outbox merges instead of
-- rebuilding (their effects are only on this device until the hub has
-- them), so rows of a scope the device lost may stay. This says so: once
-- the outbox is empty, the device takes another snapshot, which rebuilds.
ALTER TABLE sync_state ADD COLUMN rebuild_due INTEGER NOT NULL DEFAULT 0;
