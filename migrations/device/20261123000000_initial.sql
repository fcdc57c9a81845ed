-- Stockroom device database, first schema.
-- Merge classes (see ARCHITECTURE.md): L ledger rows are append-only;
-- D derived tables are recomputed from L; F records carry a row stamp
-- (`hlc`, `hlc_device`) plus per-field stamps in `field_stamps` for later
-- edits; A records are requests the hub decides.
-- Money: INTEGER minor units with a currency code. Quantities: INTEGER
-- thousandths (`*_milli`). Stamps: packed HLC integers.

-- This device: identity, enrolment epoch, outbox sequence, last HLC.
CREATE TABLE device_state (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    device_id       TEXT    NOT NULL,
    epoch           INTEGER NOT NULL,
    doc_prefix      TEXT    NOT NULL,
    next_seq        INTEGER NOT NULL,
    last_hlc        INTEGER NOT NULL,
    base_currency   TEXT    NOT NULL
);

-- Per-document-kind counters for human numbers like V07-000123.
CREATE TABLE doc_counters (
    kind TEXT PRIMARY KEY,
    next INTEGER NOT NULL
) WITHOUT ROWID;

-- Ops waiting for the hub's acknowledgement, in device sequence order.
CREATE TABLE outbox (
    seq          INTEGER PRIMARY KEY,
    op_id        TEXT    NOT NULL UNIQUE,
    hlc          INTEGER NOT NULL,
    user_id      TEXT    NOT NULL,
    op_type      TEXT    NOT NULL,
    type_version INTEGER NOT NULL,
    payload      TEXT    NOT NULL,
    created_ms   INTEGER NOT NULL
);

-- Per-field LWW stamps for class F edits made after a record's creation.
CREATE TABLE field_stamps (
    entity     TEXT    NOT NULL,
    row_id     TEXT    NOT NULL,
    field      TEXT    NOT NULL,
    hlc        INTEGER NOT NULL,
    hlc_device TEXT    NOT NULL,
    PRIMARY KEY (entity, row_id, field)
) WITHOUT ROWID;

-- Users (class A at the hub; kept locally for PIN switching and role checks).
CREATE TABLE users (
    id           TEXT PRIMARY KEY,
    username     TEXT NOT NULL UNIQUE COLLATE NOCASE,
    display_name TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('owner','manager','cashier','salesperson','warehouse')),
    pin_hash     TEXT,
    active       INTEGER NOT NULL DEFAULT 1,
    created_ms   INTEGER NOT NULL
);

CREATE TABLE categories (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    parent_id  TEXT REFERENCES categories(id),
    active     INTEGER NOT NULL DEFAULT 1,
    hlc        INTEGER NOT NULL,
    hlc_device TEXT    NOT NULL
);

CREATE TABLE products (
    id           TEXT PRIMARY KEY,
    sku          TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    brand        TEXT,
    unit         TEXT    NOT NULL,
    category_id  TEXT REFERENCES categories(id),
    currency     TEXT    NOT NULL,
    cost_minor   INTEGER NOT NULL DEFAULT 0,
    price_minor  INTEGER NOT NULL DEFAULT 0,
    tax_rate_bp  INTEGER NOT NULL DEFAULT 0,
    active       INTEGER NOT NULL DEFAULT 1,
    hlc          INTEGER NOT NULL,
    hlc_device   TEXT    NOT NULL
);
CREATE INDEX products_sku ON products(sku COLLATE NOCASE);

-- Name/SKU/brand search as you type.
CREATE VIRTUAL TABLE products_fts USING fts5(
    name, sku, brand,
    content = 'products', content_rowid = 'rowid',
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '1 2 3'
);
CREATE TRIGGER products_fts_insert AFTER INSERT ON products BEGIN
    INSERT INTO products_fts(rowid, name, sku, brand) VALUES (new.rowid, new.name, new.sku, new.brand);
END;
CREATE TRIGGER products_fts_delete AFTER DELETE ON products BEGIN
    INSERT INTO products_fts(products_fts, rowid, name, sku, brand) VALUES ('delete', old.rowid, old.name, old.sku, old.brand);
END;
CREATE TRIGGER products_fts_update AFTER UPDATE OF name, sku, brand ON products BEGIN
    INSERT INTO products_fts(products_fts, rowid, name, sku, brand) VALUES ('delete', old.rowid, old.name, old.sku, old.brand);
    INSERT INTO products_fts(rowid, name, sku, brand) VALUES (new.rowid, new.name, new.sku, new.brand);
END;

-- Several barcodes per product; `code` is the normalised lookup key
-- (GTIN-13 for EAN/UPC, the raw text otherwise).
CREATE TABLE barcodes (
    id          TEXT PRIMARY KEY,
    code        TEXT    NOT NULL,
    product_id  TEXT    NOT NULL REFERENCES products(id),
    pack_qty_milli INTEGER NOT NULL DEFAULT 1000,
    active      INTEGER NOT NULL DEFAULT 1,
    hlc         INTEGER NOT NULL,
    hlc_device  TEXT    NOT NULL
);
CREATE INDEX barcodes_code ON barcodes(code);
CREATE INDEX barcodes_product ON barcodes(product_id);

CREATE TABLE price_lists (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    currency   TEXT NOT NULL,
    tier       TEXT,
    region     TEXT,
    active     INTEGER NOT NULL DEFAULT 1,
    hlc        INTEGER NOT NULL,
    hlc_device TEXT    NOT NULL
);

CREATE TABLE price_list_entries (
    id            TEXT PRIMARY KEY,
    price_list_id TEXT    NOT NULL REFERENCES price_lists(id),
    product_id    TEXT    NOT NULL REFERENCES products(id),
    price_minor   INTEGER NOT NULL,
    active        INTEGER NOT NULL DEFAULT 1,
    hlc           INTEGER NOT NULL,
    hlc_device    TEXT    NOT NULL
);
CREATE UNIQUE INDEX price_list_entries_key ON price_list_entries(price_list_id, product_id);

CREATE TABLE locations (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('store','warehouse','van','tank','other')),
    parent_id  TEXT REFERENCES locations(id),
    active     INTEGER NOT NULL DEFAULT 1,
    hlc        INTEGER NOT NULL,
    hlc_device TEXT    NOT NULL
);

CREATE TABLE customers (
    id                 TEXT PRIMARY KEY,
    code               TEXT,
    name               TEXT    NOT NULL,
    phone              TEXT,
    email              TEXT,
    price_list_id      TEXT REFERENCES price_lists(id),
    currency           TEXT    NOT NULL,
    credit_limit_minor INTEGER NOT NULL DEFAULT 0,
    active             INTEGER NOT NULL DEFAULT 1,
    hlc                INTEGER NOT NULL,
    hlc_device         TEXT    NOT NULL
);

-- L: the stock ledger. `qty_milli` is a signed change, except for kind
-- 'count' where it is the counted quantity (a reset point).
CREATE TABLE stock_movements (
    id          TEXT PRIMARY KEY,
    kind        TEXT    NOT NULL CHECK (kind IN ('receive','sale','return','transfer_out','transfer_in','adjustment','count')),
    product_id  TEXT    NOT NULL,
    location_id TEXT    NOT NULL,
    qty_milli   INTEGER NOT NULL,
    hlc         INTEGER NOT NULL,
    hlc_device  TEXT    NOT NULL,
    ref_id      TEXT,
    reason      TEXT,
    user_id     TEXT    NOT NULL
);
CREATE INDEX stock_movements_level ON stock_movements(product_id, location_id, hlc);
CREATE INDEX stock_movements_ref ON stock_movements(ref_id);

-- D: stock level per product and location, kept in step with the ledger.
-- `count_hlc` is the stamp of the latest count (0 when never counted).
CREATE TABLE stock_levels (
    product_id  TEXT    NOT NULL,
    location_id TEXT    NOT NULL,
    qty_milli   INTEGER NOT NULL,
    count_hlc   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (product_id, location_id)
) WITHOUT ROWID;

-- Transfer header; its facts are the transfer_out / transfer_in movements.
CREATE TABLE transfers (
    id               TEXT PRIMARY KEY,
    number           TEXT    NOT NULL,
    from_location_id TEXT    NOT NULL,
    to_location_id   TEXT    NOT NULL,
    hlc              INTEGER NOT NULL,
    user_id          TEXT    NOT NULL
);

-- Count sessions are local work until committed into 'count' movements.
CREATE TABLE count_sessions (
    id           TEXT PRIMARY KEY,
    location_id  TEXT    NOT NULL,
    status       TEXT    NOT NULL CHECK (status IN ('open','committed','cancelled')),
    started_by   TEXT    NOT NULL,
    started_ms   INTEGER NOT NULL,
    committed_hlc INTEGER
);
CREATE TABLE count_lines (
    session_id     TEXT    NOT NULL REFERENCES count_sessions(id),
    product_id     TEXT    NOT NULL,
    counted_milli  INTEGER NOT NULL,
    expected_milli INTEGER,
    PRIMARY KEY (session_id, product_id)
) WITHOUT ROWID;

-- L: completed POS sales.
CREATE TABLE sales (
    id             TEXT PRIMARY KEY,
    number         TEXT    NOT NULL,
    location_id    TEXT    NOT NULL,
    customer_id    TEXT,
    user_id        TEXT    NOT NULL,
    currency       TEXT    NOT NULL,
    subtotal_minor INTEGER NOT NULL,
    discount_minor INTEGER NOT NULL,
    tax_minor      INTEGER NOT NULL,
    total_minor    INTEGER NOT NULL,
    change_minor   INTEGER NOT NULL,
    hlc            INTEGER NOT NULL,
    hlc_device     TEXT    NOT NULL
);
CREATE INDEX sales_number ON sales(number);
CREATE TABLE sale_lines (
    id               TEXT PRIMARY KEY,
    sale_id          TEXT    NOT NULL REFERENCES sales(id),
    line_no          INTEGER NOT NULL,
    product_id       TEXT    NOT NULL,
    qty_milli        INTEGER NOT NULL,
    unit_price_minor INTEGER NOT NULL,
    discount_minor   INTEGER NOT NULL,
    tax_rate_bp      INTEGER NOT NULL,
    tax_minor        INTEGER NOT NULL,
    total_minor      INTEGER NOT NULL
);
CREATE INDEX sale_lines_sale ON sale_lines(sale_id);

-- L: payments of sales (positive) and refunds of returns (negative).
CREATE TABLE payments (
    id               TEXT PRIMARY KEY,
    doc_id           TEXT    NOT NULL,
    method           TEXT    NOT NULL CHECK (method IN ('cash','card','wallet','account')),
    currency         TEXT    NOT NULL,
    amount_minor     INTEGER NOT NULL,
    rate_micros      INTEGER NOT NULL,
    doc_amount_minor INTEGER NOT NULL,
    hlc              INTEGER NOT NULL
);
CREATE INDEX payments_doc ON payments(doc_id);

-- L: returns against a sale.
CREATE TABLE returns (
    id          TEXT PRIMARY KEY,
    number      TEXT    NOT NULL,
    sale_id     TEXT    NOT NULL REFERENCES sales(id),
    location_id TEXT    NOT NULL,
    user_id     TEXT    NOT NULL,
    currency    TEXT    NOT NULL,
    total_minor INTEGER NOT NULL,
    reason      TEXT,
    hlc         INTEGER NOT NULL,
    hlc_device  TEXT    NOT NULL
);
CREATE INDEX returns_sale ON returns(sale_id);
CREATE TABLE return_lines (
    id           TEXT PRIMARY KEY,
    return_id    TEXT    NOT NULL REFERENCES returns(id),
    sale_line_id TEXT    NOT NULL REFERENCES sale_lines(id),
    product_id   TEXT    NOT NULL,
    qty_milli    INTEGER NOT NULL,
    refund_minor INTEGER NOT NULL
);
CREATE INDEX return_lines_sale_line ON return_lines(sale_line_id);

-- L: customer account ledger; the balance owed is the sum.
CREATE TABLE account_entries (
    id           TEXT PRIMARY KEY,
    customer_id  TEXT    NOT NULL,
    kind         TEXT    NOT NULL CHECK (kind IN ('charge','payment','credit')),
    amount_minor INTEGER NOT NULL,
    currency     TEXT    NOT NULL,
    ref_id       TEXT,
    method       TEXT,
    hlc          INTEGER NOT NULL,
    hlc_device   TEXT    NOT NULL,
    user_id      TEXT    NOT NULL
);
CREATE INDEX account_entries_customer ON account_entries(customer_id);

-- A: wholesale orders; the device holds the provisional status until the
-- hub's decision arrives.
CREATE TABLE sales_orders (
    id             TEXT PRIMARY KEY,
    number         TEXT    NOT NULL,
    customer_id    TEXT    NOT NULL REFERENCES customers(id),
    salesperson_id TEXT    NOT NULL,
    price_list_id  TEXT,
    currency       TEXT    NOT NULL,
    status         TEXT    NOT NULL CHECK (status IN ('draft','submitted','confirmed','rejected')),
    total_minor    INTEGER NOT NULL DEFAULT 0,
    note           TEXT,
    created_ms     INTEGER NOT NULL,
    submitted_hlc  INTEGER
);
CREATE TABLE sales_order_lines (
    id               TEXT PRIMARY KEY,
    order_id         TEXT    NOT NULL REFERENCES sales_orders(id),
    line_no          INTEGER NOT NULL,
    product_id       TEXT    NOT NULL,
    qty_milli        INTEGER NOT NULL,
    unit_price_minor INTEGER NOT NULL,
    total_minor      INTEGER NOT NULL
);
CREATE INDEX sales_order_lines_order ON sales_order_lines(order_id);

-- Rule breaches raised for a manager (facts are never refused).
CREATE TABLE flags (
    id         TEXT PRIMARY KEY,
    code       TEXT    NOT NULL,
    entity_id  TEXT,
    detail     TEXT    NOT NULL,
    created_ms INTEGER NOT NULL,
    resolved   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX flags_open ON flags(resolved, created_ms);
