-- 0003: consumer-managed subscriptions: the event types an agreement's webhook delivers
-- (comma-separated; NULL delivers every type).
ALTER TABLE webhooks ADD COLUMN types TEXT;
