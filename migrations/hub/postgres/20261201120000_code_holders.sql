-- SKUs and barcodes are unique among a tenant's active records (class A:
-- the hub decides). `held_code` is the code an active product (its SKU) or
-- barcode (its code) holds, NULL otherwise, written by the hub with the
-- record; the index finds who holds a code.
-- The SQLite twin in ../sqlite holds the same column and index.
ALTER TABLE records ADD COLUMN held_code text;
-- A record with an escaped NUL anywhere cannot be read by `->>`: it holds
-- no code (CASE tests in order).
UPDATE records SET held_code = CASE
    WHEN strpos(fields::text, '\u0000') > 0 THEN NULL
    WHEN (fields ->> 'active') = 'false' THEN NULL
    WHEN entity = 'product' THEN fields ->> 'sku'
    ELSE fields ->> 'code'
  END
 WHERE entity IN ('product', 'barcode');
CREATE INDEX records_held_code ON records (tenant_id, entity, held_code) WHERE held_code IS NOT NULL;
