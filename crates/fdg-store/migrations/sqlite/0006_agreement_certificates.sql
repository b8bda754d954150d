-- 0006: TLS client certificates (function certificates) as an alternative credential of a
-- connection agreement. A certificate is identified by the SHA-256 of its DER encoding.
CREATE TABLE agreement_certificates (
    fingerprint   TEXT PRIMARY KEY,
    agreement_id  INTEGER NOT NULL REFERENCES agreements (id),
    subject       TEXT NOT NULL,
    added_at      TEXT NOT NULL,
    revoked_at    TEXT
) WITHOUT ROWID;
