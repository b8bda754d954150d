-- 0001 (audit database): the hash-chained audit log of every read and write of personal data.
-- Kept in its own file (audit.db) so it can have its own retention and be handed to an
-- inspector on its own. Never edit once released.

-- seq is contiguous; hash = SHA-256(prev_hash, seq and every field, length-prefixed), so an
-- altered, removed, inserted or reordered entry breaks the chain (`fdg audit verify`).
CREATE TABLE audit (
    seq            INTEGER PRIMARY KEY,
    at             TEXT NOT NULL,
    org            TEXT NOT NULL,
    credential     TEXT NOT NULL,
    acting_person  TEXT,
    on_behalf_of   TEXT,
    action         TEXT NOT NULL,
    person_id      TEXT,
    purpose        TEXT NOT NULL,
    outcome        TEXT NOT NULL,
    prev_hash      BLOB NOT NULL,
    hash           BLOB NOT NULL
);

CREATE INDEX audit_person ON audit (person_id, seq) WHERE person_id IS NOT NULL;

-- After pruning, the chain continues from the last pruned entry's hash.
CREATE TABLE audit_checkpoints (
    seq        INTEGER PRIMARY KEY,
    hash       BLOB NOT NULL,
    pruned_at  TEXT NOT NULL,
    entries    INTEGER NOT NULL
);
