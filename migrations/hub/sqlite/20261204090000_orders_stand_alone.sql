-- An order stands alone: it stays in its salesperson's scope whoever its
-- customer goes to, carries the customer's name, and a snapshot no longer
-- gives a salesperson the records of their orders' customers. So the feed
-- no longer notes an order's customer; the notes written before go.
DELETE FROM feed_customers
 WHERE EXISTS (SELECT 1 FROM feed f JOIN op_log o ON o.op_id = f.op_id
                WHERE f.tenant_id = feed_customers.tenant_id AND f.position = feed_customers.position
                  AND o.op_type = 'order.submitted');
