-- The hub user who enrolled this device (adopted as a user of it), and
-- whether the hub refused the device because that user was switched off.
-- Until the hub gives the device a page or a snapshot again (that user was
-- switched on again, or someone enrolled the device anew), that user cannot
-- sign in here; a session already open goes on, and what it writes waits
-- in the outbox, is sent later and is flagged on the hub.
ALTER TABLE sync_state ADD COLUMN enrolled_user_id TEXT;
ALTER TABLE sync_state ADD COLUMN enrolled_user_off INTEGER NOT NULL DEFAULT 0;
