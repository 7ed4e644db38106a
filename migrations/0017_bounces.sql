-- Issue 13: bounces and complaints, each matched to the delivery it is about. kind is hard, soft
-- or complaint; source is smtp, dsn, arf, ses, mailgun or postmark. A delivery has at most one
-- of each kind (an SMTP reply, then its DSN or a relay's webhook about the same message, count
-- once), and event_key (the relay's event id, the report's Message-ID) makes a replay change
-- nothing.
CREATE TABLE bounces (
  id {{pk}},
  delivery_id BIGINT NOT NULL,
  run_id BIGINT NOT NULL,
  mailing_id BIGINT NOT NULL REFERENCES mailings(id) ON DELETE CASCADE,
  owner_id BIGINT NOT NULL,
  client_id BIGINT NOT NULL,
  kind TEXT NOT NULL,
  source TEXT NOT NULL,
  status_code TEXT NOT NULL DEFAULT '',
  text TEXT NOT NULL DEFAULT '',
  event_key TEXT,
  at BIGINT NOT NULL,
  UNIQUE (delivery_id, kind),
  UNIQUE (event_key)
);
CREATE INDEX bounces_client ON bounces(client_id, kind, at);
CREATE INDEX bounces_mailing ON bounces(mailing_id, kind);
-- Webhook events already seen (a relay's event id), kept for WEBHOOK_MAX_AGE_SECONDS and more:
-- an older event is refused by its timestamp.
CREATE TABLE webhook_events (
  event_key TEXT PRIMARY KEY,
  at BIGINT NOT NULL
);
-- The clients domain's: a client stopped by a hard bounce or a complaint ("bounced",
-- "complained"); later runs leave it out like an unsubscribed one.
ALTER TABLE clients ADD COLUMN stopped_at BIGINT;
ALTER TABLE clients ADD COLUMN stopped_reason TEXT NOT NULL DEFAULT '';
-- The mailings domain's: why a mailing paused itself (issue 13.4), shown on its page until resumed.
ALTER TABLE mailings ADD COLUMN pause_reason TEXT NOT NULL DEFAULT '';
