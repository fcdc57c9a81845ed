-- Indexes on the columns that refer to other records. Listing a product's
-- prices or a category's products uses them, and so does SQLite's check of
-- references when a snapshot brings children before their parents: without
-- them each parent inserted scans its children's whole table.
CREATE INDEX IF NOT EXISTS price_list_entries_product ON price_list_entries(product_id);
CREATE INDEX IF NOT EXISTS products_category ON products(category_id);
CREATE INDEX IF NOT EXISTS customers_price_list ON customers(price_list_id);
CREATE INDEX IF NOT EXISTS categories_parent ON categories(parent_id);
CREATE INDEX IF NOT EXISTS locations_parent ON locations(parent_id);
