-- An account made on the hub (`stockroom-server add-user`, the bootstrap
-- owner) reaches devices as a `user.set` of the tenant's hub device, like
-- an account a manager makes in the app. `fed` says whether it has: an
-- account made from a device's `user.set` is fed by that op. Accounts made
-- on the hub before this build, that no device has changed since, are fed
-- when the hub next starts.
ALTER TABLE users ADD COLUMN fed boolean NOT NULL DEFAULT true;
CREATE INDEX users_unfed ON users (tenant_id) WHERE NOT fed;
UPDATE users SET fed = false
 WHERE password_hash <> ''
   AND NOT EXISTS (SELECT 1 FROM op_log o
                    WHERE o.tenant_id = users.tenant_id AND o.op_type = 'user.set'
                      AND o.outcome = 'applied'
                      -- `->>` fails on a \u0000 anywhere in a `json` value.
                      AND CASE WHEN strpos(o.payload::text, '\u0000') = 0
                               THEN o.payload ->> 'id' END = users.id::text);
