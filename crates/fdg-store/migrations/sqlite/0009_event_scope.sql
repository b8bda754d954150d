-- 0009: the person's access scope as of each event, so the feed can decide who may see an
-- event as things stood when it was recorded (an other actor assigned later does not see the
-- earlier history through the feed; one whose assignment ended keeps what it was sent).
-- NULL for events recorded before this migration: the person's current scope applies.
ALTER TABLE events ADD COLUMN scope TEXT;
