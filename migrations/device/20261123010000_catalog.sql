-- Catalog reads: product lists paged by name, and category lookups by name
-- (import resolves category names). Indexes only: a device on an older
-- build ignores them.
CREATE INDEX products_active_name ON products(active, name COLLATE NOCASE, id);
CREATE INDEX categories_name ON categories(name COLLATE NOCASE);
