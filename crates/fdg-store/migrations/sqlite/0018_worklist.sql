-- 0018: the days that put a person on a job centre's worklist (fdg_domain::worklist) and the
-- day a dated consequence falls due, derived from the person's state and written with it
-- when they change, beside the responsible municipality they are looked up by. A table of
-- its own, holding only persons with a day: the persons table's columns stay unindexed, so
-- updating a person stays cheap. Existing persons get their days at the next start
-- (worklist::ensure_current).
CREATE TABLE worklist (
    person_id           TEXT PRIMARY KEY,
    municipality        TEXT,
    interview_due       TEXT,
    first_contact_open  TEXT,
    exemption_from      TEXT,
    consequence_due     TEXT
);
CREATE INDEX worklist_interview_due ON worklist (municipality, interview_due, person_id)
    WHERE interview_due IS NOT NULL;
CREATE INDEX worklist_first_contact_open ON worklist (municipality, first_contact_open, person_id)
    WHERE first_contact_open IS NOT NULL;
CREATE INDEX worklist_exemption_from ON worklist (municipality, exemption_from, person_id)
    WHERE exemption_from IS NOT NULL;
CREATE INDEX worklist_consequence_due ON worklist (consequence_due)
    WHERE consequence_due IS NOT NULL;
