-- 0010: events_person (0007) duplicated the index behind UNIQUE (person_id, version) of 0001;
-- every append paid for both. Lookups by person use the unique index.
DROP INDEX events_person;
