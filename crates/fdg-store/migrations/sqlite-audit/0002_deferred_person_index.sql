-- 0002 (audit database): the per-person lookup moves out of the append path.
-- Keeping an index on person_id inside every append wrote a random index page per entry and
-- cost about a fifth of audited read throughput. Entries are now appended without it, and the
-- writer copies (person_id, seq) pairs into audit_person in larger, separate transactions
-- when idle (at most a second behind); lookups read audit_person plus the entries after
-- audit_index.last_seq.
DROP INDEX audit_person;

CREATE TABLE audit_person (
    person_id  TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    PRIMARY KEY (person_id, seq)
) WITHOUT ROWID;

CREATE TABLE audit_index (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    last_seq  INTEGER NOT NULL
);

INSERT INTO audit_person (person_id, seq)
    SELECT person_id, seq FROM audit WHERE person_id IS NOT NULL;
INSERT INTO audit_index (id, last_seq) VALUES (1, (SELECT coalesce(max(seq), 0) FROM audit));
