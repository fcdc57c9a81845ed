-- The hub sends this device only the feed scopes its user's role covers,
-- each with its own hash chain. Here: each scope's chain at the pull cursor
-- (hex). A scope not here starts from 32 zero bytes. `sync_state.chain`
-- (one chain over the whole feed) is no longer written.
CREATE TABLE scope_chains (
    scope  TEXT PRIMARY KEY,
    chain  TEXT NOT NULL
) WITHOUT ROWID;
