-- 0001 (audit index database): which audit entries concern which person, for the citizen's
-- access log. Kept in its own file (audit-index.db) and maintained by its own thread from the
-- audit log, so building it never holds up an append. It can be deleted and rebuilt from
-- audit.db at any time.
CREATE TABLE audit_person (
    person_id  TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    PRIMARY KEY (person_id, seq)
) WITHOUT ROWID;

CREATE TABLE audit_index (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    last_seq  INTEGER NOT NULL
);

INSERT INTO audit_index (id, last_seq) VALUES (1, 0);
