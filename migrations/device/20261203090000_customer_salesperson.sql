-- The salesperson who looks after a customer (NULL: no one). A class-F
-- field like the others; the hub sends a salesperson's devices their own
-- customers only.
ALTER TABLE customers ADD COLUMN salesperson_id TEXT;
