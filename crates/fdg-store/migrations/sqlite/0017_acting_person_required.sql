-- 0017: an agreement may require every write to name the acting caseworker
-- (X-Caseworker-Id / X-Caseworker-Name); 0 = not required.
ALTER TABLE agreements ADD COLUMN requires_acting_person INTEGER NOT NULL DEFAULT 0;
