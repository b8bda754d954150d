-- 0005: sessions of citizens in the self-service (Jobnet). The citizen is identified by CPR
-- number (from MitID in production), since they may not be in the registry yet.
CREATE TABLE citizen_sessions (
    id_hash     BLOB PRIMARY KEY,
    cpr         TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
) WITHOUT ROWID;
