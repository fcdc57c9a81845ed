-- The hub user who enrolled this device (adopted as a user of it), and
-- whether the hub refused the device because that user was switched off.
-- Until the device syncs again (and the feed says so for good), that user
-- cannot sign in here; a session already open goes on, and what it writes
-- waits in the outbox, is sent later and is flagged on the hub.
ALTER TABLE sync_state ADD COLUMN enrolled_user_id TEXT;
ALTER TABLE sync_state ADD COLUMN enrolled_user_off INTEGER NOT NULL DEFAULT 0;
