-- 0008: webhooks per connection agreement: the feed pushed as signed POSTs.
-- position is the last feed position delivered (2xx) or parked; a batch that keeps failing is
-- parked after its retries and the webhook moves on; an operator can replay parked batches.
CREATE TABLE webhooks (
    agreement_id  INTEGER PRIMARY KEY REFERENCES agreements (id),
    url           TEXT NOT NULL,
    secret        TEXT NOT NULL,
    position      INTEGER NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    next_attempt  TEXT,
    last_error    TEXT,
    created_at    TEXT NOT NULL
);

CREATE TABLE webhook_parked (
    id            INTEGER PRIMARY KEY,
    agreement_id  INTEGER NOT NULL REFERENCES agreements (id),
    from_position INTEGER NOT NULL,
    to_position   INTEGER NOT NULL,
    attempts      INTEGER NOT NULL,
    last_error    TEXT NOT NULL,
    parked_at     TEXT NOT NULL,
    replayed_at   TEXT
);
