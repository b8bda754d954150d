-- 0002: the person projection as an ordinary rowid table.
-- Its rows (folded state and overview, a few KB each) are far larger than WITHOUT ROWID tables
-- suit: every update moved and split large leaf cells. With a rowid table new persons are
-- appended and an update rewrites only that person's cells. The projection is rebuildable from
-- the event log, but the rows are copied here so no rebuild is needed.
CREATE TABLE persons_new (
    id         INTEGER PRIMARY KEY,
    person_id  TEXT NOT NULL UNIQUE,
    cpr        TEXT NOT NULL UNIQUE,
    version    INTEGER NOT NULL,
    state      TEXT NOT NULL,
    overview   TEXT NOT NULL
);
INSERT INTO persons_new (person_id, cpr, version, state, overview)
    SELECT person_id, cpr, version, state, overview FROM persons;
DROP TABLE persons;
ALTER TABLE persons_new RENAME TO persons;
