-- The push transaction's hot tables keep no foreign keys to the tenant and
-- device rows. Every inserted op_log, feed and records row would otherwise
-- take a key-share lock on its tenant's row, the very row each push also
-- locks to take feed positions: with several devices pushing at once,
-- PostgreSQL then records the lockers as multixacts on that one row, and
-- ingest slowed by a measured share (BENCHMARKS.md, push ingest). The ids
-- are never supplied by a device: the hub writes them from the
-- authenticated device's own rows, inside the push transaction that has
-- just read those rows, so the keys held nothing the code does not.
-- `feed.op_id` keeps no key to `op_log` for the same reason: both rows are
-- written by the same push, from the same op.
ALTER TABLE op_log DROP CONSTRAINT op_log_tenant_id_fkey;
ALTER TABLE op_log DROP CONSTRAINT op_log_device_id_fkey;
ALTER TABLE feed DROP CONSTRAINT feed_tenant_id_fkey;
ALTER TABLE feed DROP CONSTRAINT feed_op_id_fkey;
ALTER TABLE records DROP CONSTRAINT records_tenant_id_fkey;
