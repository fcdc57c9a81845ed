-- A salesperson's customers: each customer record may be assigned to one
-- salesperson, whose devices alone (with everyone who sees all customers)
-- receive it, its payments, and the sales and returns on its account.
-- The twin of ../postgres: same columns, tables and meaning.

ALTER TABLE records ADD COLUMN salesperson_id TEXT;
CREATE INDEX records_salesperson ON records (tenant_id, salesperson_id) WHERE salesperson_id IS NOT NULL;

ALTER TABLE users ADD COLUMN customers_version INTEGER NOT NULL DEFAULT 0;

CREATE TABLE feed_customers (
    tenant_id    TEXT    NOT NULL,
    customer_id  TEXT    NOT NULL,
    position     INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, customer_id, position)
) WITHOUT ROWID;

INSERT OR IGNORE INTO feed_customers (tenant_id, customer_id, position)
SELECT f.tenant_id, lower(c.id), f.position
  FROM feed f
  JOIN op_log o ON o.op_id = f.op_id
  JOIN (
      SELECT o2.op_id AS op_id, json_extract(o2.payload, '$.customer_id') AS id
        FROM op_log o2 WHERE o2.op_type IN ('sale.completed', 'payment.received', 'order.submitted')
      UNION ALL
      SELECT o2.op_id, json_extract(entry.value, '$.customer_id')
        FROM op_log o2, json_each(o2.payload, '$.account_entries') AS entry
       WHERE o2.op_type IN ('sale.completed', 'return.completed')
         AND json_type(o2.payload, '$.account_entries') = 'array'
      UNION ALL
      SELECT o2.op_id, json_extract(o2.payload, '$.row_id')
        FROM op_log o2 WHERE o2.op_type = 'fields.set' AND json_extract(o2.payload, '$.entity') = 'customer'
  ) AS c ON c.op_id = o.op_id
 WHERE typeof(c.id) = 'text' AND length(c.id) = 36;
