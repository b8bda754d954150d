-- 0007: durable feed cursors, one per connection agreement: the last position the consumer
-- has acknowledged. Also an index to find positions by recording time (replay from a time).
CREATE TABLE feed_cursors (
    agreement_id  INTEGER PRIMARY KEY REFERENCES agreements (id),
    position      INTEGER NOT NULL,
    updated_at    TEXT NOT NULL
);

CREATE INDEX events_recorded_at ON events (recorded_at);
CREATE INDEX events_person ON events (person_id, version);
