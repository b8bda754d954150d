-- 0013: a webhook is delivered by one node at a time. The node delivering holds a lease
-- (its id and until when, in Unix milliseconds of the wall clock); another node takes the
-- webhook over only when the lease has run out, so a node that dies hands its batch on.
ALTER TABLE webhooks ADD COLUMN lease_holder TEXT;
ALTER TABLE webhooks ADD COLUMN lease_until INTEGER;
