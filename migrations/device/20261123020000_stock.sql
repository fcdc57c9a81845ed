-- Stock ledger commands: one open count per location, lookups for
-- transfers and movement history, and who resolved a flag.

-- At most one open count session per location (the command checks first;
-- this keeps the rule even if two writes race).
CREATE UNIQUE INDEX count_sessions_one_open ON count_sessions(location_id) WHERE status = 'open';

-- Open transfers arriving at a location.
CREATE INDEX transfers_to ON transfers(to_location_id, hlc);

-- A product's history across all locations, newest first.
CREATE INDEX stock_movements_product ON stock_movements(product_id, hlc);

-- Flags are resolved by a manager; who and when is kept for the audit.
ALTER TABLE flags ADD COLUMN resolved_by TEXT;
ALTER TABLE flags ADD COLUMN resolved_ms INTEGER;
