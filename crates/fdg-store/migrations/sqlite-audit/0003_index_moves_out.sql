-- 0003 (audit database): the per-person lookup moves to its own file (audit-index.db, with
-- its own thread), because catching it up inside audit.db held the appending writer for tens of
-- milliseconds once the log was large. It is rebuilt there from this log on first start.
DROP TABLE audit_person;
DROP TABLE audit_index;
