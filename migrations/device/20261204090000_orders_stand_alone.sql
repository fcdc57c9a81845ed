-- An order stands alone: a salesperson keeps their orders of a customer
-- given to someone else, whose record leaves their device. So an order
-- no longer needs its customer's row (no foreign key) and keeps the
-- customer's name as it was sent. SQLite cannot drop a foreign key in
-- place: both order tables are made again, the lines pointing at the new
-- orders table, whose renaming carries that reference along.
CREATE TABLE sales_orders_new (
    id             TEXT PRIMARY KEY,
    number         TEXT    NOT NULL,
    customer_id    TEXT    NOT NULL,
    customer_name  TEXT,
    salesperson_id TEXT    NOT NULL,
    price_list_id  TEXT,
    currency       TEXT    NOT NULL,
    status         TEXT    NOT NULL CHECK (status IN ('draft','submitted','confirmed','rejected')),
    total_minor    INTEGER NOT NULL DEFAULT 0,
    note           TEXT,
    created_ms     INTEGER NOT NULL,
    submitted_hlc  INTEGER
);
INSERT INTO sales_orders_new (id, number, customer_id, customer_name, salesperson_id, price_list_id, currency,
                              status, total_minor, note, created_ms, submitted_hlc)
SELECT o.id, o.number, o.customer_id, c.name, o.salesperson_id, o.price_list_id, o.currency,
       o.status, o.total_minor, o.note, o.created_ms, o.submitted_hlc
  FROM sales_orders o LEFT JOIN customers c ON c.id = o.customer_id;

CREATE TABLE sales_order_lines_new (
    id               TEXT PRIMARY KEY,
    order_id         TEXT    NOT NULL REFERENCES sales_orders_new(id),
    line_no          INTEGER NOT NULL,
    product_id       TEXT    NOT NULL,
    qty_milli        INTEGER NOT NULL,
    unit_price_minor INTEGER NOT NULL,
    total_minor      INTEGER NOT NULL
);
INSERT INTO sales_order_lines_new SELECT id, order_id, line_no, product_id, qty_milli, unit_price_minor, total_minor
  FROM sales_order_lines;

DROP TABLE sales_order_lines;
DROP TABLE sales_orders;
ALTER TABLE sales_orders_new RENAME TO sales_orders;
ALTER TABLE sales_order_lines_new RENAME TO sales_order_lines;
CREATE INDEX sales_order_lines_order ON sales_order_lines(order_id);
