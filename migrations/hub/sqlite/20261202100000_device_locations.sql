-- A device's location assignment: the till of one shop, a salesperson's
-- van. It narrows (or, for a salesperson, gives) the stock scopes the
-- device receives. An enrolment code may carry one for the device it enrols.
-- The twin of ../postgres: same columns and meaning.
ALTER TABLE devices ADD COLUMN location_id TEXT;
ALTER TABLE enrol_codes ADD COLUMN location_id TEXT;
