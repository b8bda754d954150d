-- 0012: the person overview is built from the stored state when read instead of stored beside
-- it. Both grew with the person's history and were rewritten in full by every command; with
-- ten years of contact interviews the two copies were most of what a write cost.
ALTER TABLE persons DROP COLUMN overview;
