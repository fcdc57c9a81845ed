-- SKUs and barcodes are unique among a tenant's active records (class A:
-- the hub decides). `held_code` is the code an active product (its SKU) or
-- barcode (its code) holds, NULL otherwise, written by the hub with the
-- record; the index finds who holds a code.
-- The PostgreSQL twin in ../postgres holds the same column and index.
ALTER TABLE records ADD COLUMN held_code TEXT;
UPDATE records SET held_code = json_extract(fields, CASE entity WHEN 'product' THEN '$.sku' ELSE '$.code' END)
 WHERE entity IN ('product', 'barcode')
   AND coalesce(json_extract(fields, '$.active'), 1) != 0;
CREATE INDEX records_held_code ON records (tenant_id, entity, held_code) WHERE held_code IS NOT NULL;
