-- A salesperson's customers: each customer record may be assigned to one
-- salesperson, whose devices alone (with everyone who sees all customers)
-- receive it, its payments, and the sales and returns on its account.
-- The SQLite twin in ../sqlite holds the same columns and tables.

-- The salesperson a customer record's `salesperson_id` field names (NULL:
-- assigned to no one, and for other records), written by the hub with the
-- record.
ALTER TABLE records ADD COLUMN salesperson_id uuid;
CREATE INDEX records_salesperson ON records (tenant_id, salesperson_id) WHERE salesperson_id IS NOT NULL;

-- How many times a customer was moved to or from the user: part of their
-- devices' grant, so that a move makes those devices take a new snapshot.
ALTER TABLE users ADD COLUMN customers_version bigint NOT NULL DEFAULT 0;

-- The customers each feed entry names (a payment's, a sale's and its
-- account entries', a return's account entries', a customer record's, an
-- order's), so that a snapshot reads a salesperson's customers' history by
-- customer, whichever scope it was written in, and the records of the
-- customers of their orders.
CREATE TABLE feed_customers (
    tenant_id    uuid   NOT NULL,
    customer_id  uuid   NOT NULL,
    position     bigint NOT NULL,
    PRIMARY KEY (tenant_id, customer_id, position)
);

-- The entries written before: the same customers, read from the payloads
-- (an id that is not a UUID is left out, as the hub's push does).
INSERT INTO feed_customers (tenant_id, customer_id, position)
SELECT DISTINCT f.tenant_id, c.id::uuid, f.position
  FROM feed f
  JOIN op_log o ON o.op_id = f.op_id
  CROSS JOIN LATERAL (
      SELECT o.payload ->> 'customer_id' AS id
       WHERE o.op_type IN ('sale.completed', 'payment.received', 'order.submitted')
      UNION ALL
      SELECT entry ->> 'customer_id'
        FROM json_array_elements(CASE WHEN o.op_type IN ('sale.completed', 'return.completed')
                                        AND json_typeof(o.payload -> 'account_entries') = 'array'
                                      THEN o.payload -> 'account_entries' ELSE '[]'::json END) AS entry
      UNION ALL
      SELECT o.payload ->> 'row_id'
       WHERE o.op_type = 'fields.set' AND o.payload ->> 'entity' = 'customer'
  ) AS c
 WHERE c.id ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
   AND strpos(o.payload::text, '\u0000') = 0;
