-- Each counted line keeps the stamp of the moment it was keyed: its count
-- movement is the reset point of that moment, so stock received or sold
-- while the count session stays open is not wiped out at commit.
ALTER TABLE count_lines ADD COLUMN counted_hlc INTEGER NOT NULL DEFAULT 0;

-- Hot reads: stock of one location, recent sales, a return's account entry.
CREATE INDEX stock_levels_location ON stock_levels(location_id, product_id);
CREATE INDEX sales_hlc ON sales(hlc);
CREATE INDEX account_entries_ref ON account_entries(ref_id);
