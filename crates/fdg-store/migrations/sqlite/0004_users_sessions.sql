-- 0004: local user accounts for the browser tool and server-side sessions.
-- Passwords are stored as argon2id PHC strings; session ids only as SHA-256. An OIDC provider
-- (MitID Erhverv) can replace local passwords later: a user without password_hash logs in
-- only through it.
CREATE TABLE users (
    id             INTEGER PRIMARY KEY,
    org_id         INTEGER NOT NULL REFERENCES orgs (id),
    username       TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('caseworker', 'org-admin', 'operator', 'supervisor')),
    password_hash  TEXT,
    must_change_password INTEGER NOT NULL DEFAULT 1,
    disabled_at    TEXT,
    created_at     TEXT NOT NULL
);

CREATE TABLE sessions (
    id_hash     BLOB PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id),
    csrf        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
) WITHOUT ROWID;
