-- The registry on PostgreSQL: the same tables and meaning as the SQLite backend's, in one
-- database (the audit log included, so every node shares one chain). Times are stored as
-- RFC 3339 text, exactly as on SQLite, so both backends answer byte for byte alike; text
-- that is sorted for an answer sorts bytewise (COLLATE "C"), as on SQLite.

CREATE TABLE orgs (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind        TEXT COLLATE "C" NOT NULL,
    code        TEXT COLLATE "C" NOT NULL,
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (kind, code)
);

CREATE TABLE agreements (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id      BIGINT NOT NULL REFERENCES orgs (id),
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

CREATE TABLE agreement_changes (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    agreement_id  BIGINT NOT NULL REFERENCES agreements (id),
    from_state    TEXT,
    to_state      TEXT NOT NULL,
    reason        TEXT NOT NULL,
    changed_by    TEXT NOT NULL,
    changed_at    TEXT NOT NULL
);

CREATE TABLE tokens (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id        BIGINT NOT NULL REFERENCES orgs (id),
    agreement_id  BIGINT REFERENCES agreements (id),
    token_hash    BYTEA NOT NULL UNIQUE,
    created_at    TEXT NOT NULL,
    revoked_at    TEXT
);

CREATE TABLE agreement_certificates (
    fingerprint   TEXT PRIMARY KEY,
    agreement_id  BIGINT NOT NULL REFERENCES agreements (id),
    subject       TEXT NOT NULL,
    added_at      TEXT NOT NULL,
    revoked_at    TEXT
);

-- The event log. Positions are allocated by the identity inside a write transaction that
-- holds the registry's advisory lock until it commits, so positions become visible in order:
-- a feed reader never sees a position before a smaller one that commits later.
CREATE TABLE events (
    position     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    person_id    TEXT NOT NULL,
    version      BIGINT NOT NULL,
    type         TEXT NOT NULL,
    data         TEXT NOT NULL,
    recorded_at  TEXT NOT NULL,
    org          TEXT NOT NULL,
    context      TEXT,
    scope        TEXT,
    UNIQUE (person_id, version)
);

CREATE INDEX events_recorded_at ON events (recorded_at);

CREATE TABLE persons (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    person_id  TEXT NOT NULL UNIQUE,
    cpr        TEXT NOT NULL UNIQUE,
    version    BIGINT NOT NULL,
    state      TEXT NOT NULL,
    scope      TEXT
);

CREATE TABLE idempotency (
    scope         TEXT NOT NULL,
    key           TEXT NOT NULL,
    request_hash  BYTEA NOT NULL,
    outcome       TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (scope, key)
);

CREATE TABLE users (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id         BIGINT NOT NULL REFERENCES orgs (id),
    username       TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('caseworker', 'org-admin', 'operator', 'supervisor')),
    password_hash  TEXT,
    must_change_password BOOLEAN NOT NULL DEFAULT TRUE,
    disabled_at    TEXT,
    created_at     TEXT NOT NULL
);

CREATE TABLE sessions (
    id_hash     BYTEA PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users (id),
    csrf        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);

-- Failed logins per username within the lockout window, shared by every node.
CREATE TABLE login_failures (
    username  TEXT PRIMARY KEY,
    attempts  BIGINT NOT NULL,
    since     BIGINT NOT NULL
);

CREATE TABLE citizen_sessions (
    id_hash     BYTEA PRIMARY KEY,
    cpr         TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);

CREATE TABLE feed_cursors (
    agreement_id  BIGINT PRIMARY KEY REFERENCES agreements (id),
    position      BIGINT NOT NULL,
    updated_at    TEXT NOT NULL
);

CREATE TABLE webhooks (
    agreement_id  BIGINT PRIMARY KEY REFERENCES agreements (id),
    url           TEXT NOT NULL,
    secret        TEXT NOT NULL,
    position      BIGINT NOT NULL,
    attempts      BIGINT NOT NULL DEFAULT 0,
    next_attempt  TEXT,
    last_error    TEXT,
    created_at    TEXT NOT NULL,
    -- The node delivering it, and until when (Unix milliseconds, wall clock): one node at a
    -- time; another takes over when the lease runs out.
    lease_holder  TEXT,
    lease_until   BIGINT
);

CREATE TABLE webhook_parked (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    agreement_id  BIGINT NOT NULL REFERENCES agreements (id),
    from_position BIGINT NOT NULL,
    to_position   BIGINT NOT NULL,
    attempts      BIGINT NOT NULL,
    last_error    TEXT NOT NULL,
    parked_at     TEXT NOT NULL,
    replayed_at   TEXT
);

-- Byte order ("C"), as SQLite sorts: a report's rows are hashed in this order.
CREATE TABLE supervision_counts (
    municipality  TEXT COLLATE "C" NOT NULL,
    grain         BIGINT NOT NULL,
    indicator     TEXT COLLATE "C" NOT NULL,
    day           BIGINT NOT NULL,
    dim           TEXT COLLATE "C" NOT NULL,
    n             BIGINT NOT NULL,
    total         BIGINT NOT NULL,
    PRIMARY KEY (grain, day, municipality, indicator, dim)
);

CREATE TABLE supervision_meta (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);

-- The audit log: one hash chain for every node (appends hold the audit advisory lock).
CREATE TABLE audit (
    seq            BIGINT PRIMARY KEY,
    at             TEXT NOT NULL,
    org            TEXT NOT NULL,
    credential     TEXT NOT NULL,
    acting_person  TEXT,
    on_behalf_of   TEXT,
    action         TEXT NOT NULL,
    person_id      TEXT,
    purpose        TEXT NOT NULL,
    outcome        TEXT NOT NULL,
    prev_hash      BYTEA NOT NULL,
    hash           BYTEA NOT NULL
);

CREATE INDEX audit_person ON audit (person_id, seq) WHERE person_id IS NOT NULL;

CREATE TABLE audit_checkpoints (
    seq        BIGINT PRIMARY KEY,
    hash       BYTEA NOT NULL,
    pruned_at  TEXT NOT NULL,
    entries    BIGINT NOT NULL
);
