-- 0005: the days that put a person on a job centre's worklist (fdg_domain::worklist) and the
-- day a dated consequence falls due, derived from the person's state whenever it is written,
-- beside the responsible municipality they are looked up by. Existing persons get their days
-- at the next start (worklist::ensure_current).
ALTER TABLE persons ADD COLUMN municipality TEXT;
ALTER TABLE persons ADD COLUMN interview_due TEXT;
ALTER TABLE persons ADD COLUMN first_contact_open TEXT;
ALTER TABLE persons ADD COLUMN exemption_from TEXT;
-- The day a consequence falls due (§ 5: an exemption recorded ahead of its start), for the
-- registry's own daily round.
ALTER TABLE persons ADD COLUMN consequence_due TEXT;
CREATE INDEX persons_interview_due ON persons (municipality, interview_due, person_id)
    WHERE interview_due IS NOT NULL;
CREATE INDEX persons_first_contact_open ON persons (municipality, first_contact_open, person_id)
    WHERE first_contact_open IS NOT NULL;
CREATE INDEX persons_exemption_from ON persons (municipality, exemption_from, person_id)
    WHERE exemption_from IS NOT NULL;
CREATE INDEX persons_consequence_due ON persons (consequence_due) WHERE consequence_due IS NOT NULL;
