-- 0001: the event log, the person projection, organisations, API tokens, idempotency keys.
-- Never edit this file once released: add a new numbered migration instead
-- (the runner refuses to start when an applied migration's checksum changes).

-- Organisations that act in the registry (DESIGN.md §4). kind uses the CLI spelling.
CREATE TABLE orgs (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    code        TEXT NOT NULL,
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (kind, code)
);

-- Bearer tokens for connected systems; only the SHA-256 of the token is stored.
CREATE TABLE tokens (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES orgs (id),
    token_hash  BLOB NOT NULL UNIQUE,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);

-- The event log: the source of truth. Append-only. position is the global order
-- (with one writer, allocation order = commit order); version is the order within a person.
CREATE TABLE events (
    position     INTEGER PRIMARY KEY,
    person_id    TEXT NOT NULL,
    version      INTEGER NOT NULL,
    type         TEXT NOT NULL,
    data         TEXT NOT NULL,
    recorded_at  TEXT NOT NULL,
    org          TEXT NOT NULL,
    UNIQUE (person_id, version)
);

-- Projection: one row per person, rebuilt from events by `fdg rebuild`.
-- state is the folded PersonState (input to decide), overview the JSON answered to readers.
CREATE TABLE persons (
    person_id  TEXT PRIMARY KEY,
    cpr        TEXT NOT NULL UNIQUE,
    version    INTEGER NOT NULL,
    state      TEXT NOT NULL,
    overview   TEXT NOT NULL
) WITHOUT ROWID;

-- Idempotency keys, scoped to the caller (organisation/agreement), with the saved answer.
CREATE TABLE idempotency (
    scope         TEXT NOT NULL,
    key           TEXT NOT NULL,
    request_hash  BLOB NOT NULL,
    outcome       TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (scope, key)
) WITHOUT ROWID;
