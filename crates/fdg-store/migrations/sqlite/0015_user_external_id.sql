-- 0015: staff who log in through an identity provider (MitID Erhverv): the provider's stable
-- identifier of the person, linked by the operator. A linked user has no local password.
ALTER TABLE users ADD COLUMN external_id TEXT;
CREATE UNIQUE INDEX users_external_id ON users (external_id) WHERE external_id IS NOT NULL;
