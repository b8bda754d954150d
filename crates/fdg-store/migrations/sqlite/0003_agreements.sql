-- 0003: connection agreements (§ 10–§ 13), tokens bound to them, the context of every event
-- (agreement, acting person, organisation acted for), and each person's access scope beside
-- the projection (filled by a rebuild when the store opens).

CREATE TABLE agreements (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES orgs (id),
    state       TEXT NOT NULL CHECK (state IN ('test', 'active', 'suspended', 'terminated')),
    -- JSON arrays: the data processors (vendors) named in the agreement, and the record
    -- types (command kinds, or "*") it may write and read.
    processors  TEXT NOT NULL DEFAULT '[]',
    may_write   TEXT NOT NULL DEFAULT '["*"]',
    may_read    TEXT NOT NULL DEFAULT '["*"]',
    valid_from  TEXT,
    valid_to    TEXT,
    created_at  TEXT NOT NULL
);

-- Every change of an agreement's state, with who did it and why.
CREATE TABLE agreement_changes (
    id            INTEGER PRIMARY KEY,
    agreement_id  INTEGER NOT NULL REFERENCES agreements (id),
    from_state    TEXT,
    to_state      TEXT NOT NULL,
    reason        TEXT NOT NULL,
    changed_by    TEXT NOT NULL,
    changed_at    TEXT NOT NULL
);

ALTER TABLE tokens ADD COLUMN agreement_id INTEGER REFERENCES agreements (id);

-- Tokens issued before agreements existed get one active agreement per organisation.
INSERT INTO agreements (org_id, state, created_at)
    SELECT DISTINCT org_id, 'active', strftime('%Y-%m-%dT%H:%M:%SZ', 'now') FROM tokens;
UPDATE tokens SET agreement_id = (SELECT a.id FROM agreements a WHERE a.org_id = tokens.org_id);
INSERT INTO agreement_changes (agreement_id, from_state, to_state, reason, changed_by, changed_at)
    SELECT id, NULL, 'active', 'tokens issued before connection agreements (migration 0003)',
           'migration', created_at
    FROM agreements;

-- JSON: {"agreement": id, "acting_person": "...", "on_behalf_of": "kind:code"}.
ALTER TABLE events ADD COLUMN context TEXT;

-- JSON fdg_domain::PersonScope; NULL until rebuilt.
ALTER TABLE persons ADD COLUMN scope TEXT;
