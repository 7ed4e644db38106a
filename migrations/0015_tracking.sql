-- Issue 13: open and click tracking, chosen per mailing. Mailings made before it stay untracked
-- (their owners never chose it); the application turns both on for new mailings.
ALTER TABLE mailings ADD COLUMN track_opens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE mailings ADD COLUMN track_clicks INTEGER NOT NULL DEFAULT 0;

-- Each distinct URL of a mailing once; click tokens carry the id, never the URL (no open
-- redirect). url_hash (SHA-256 hex) keeps the unique index small whatever the URL's length.
CREATE TABLE tracking_links (
  id {{pk}},
  mailing_id BIGINT NOT NULL REFERENCES mailings(id) ON DELETE CASCADE,
  url_hash TEXT NOT NULL,
  url TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  UNIQUE (mailing_id, url_hash)
);

-- One row per delivery that was opened: anonymous requests add to counters, never rows beyond
-- one per message sent. Machine opens: mail proxies' prefetches (by user agent or by coming
-- within seconds of the send).
CREATE TABLE tracking_opens (
  delivery_id BIGINT PRIMARY KEY REFERENCES deliveries(id) ON DELETE CASCADE,
  mailing_id BIGINT NOT NULL,
  opens BIGINT NOT NULL DEFAULT 0,
  machine_opens BIGINT NOT NULL DEFAULT 0,
  first_open_at BIGINT,
  first_machine_at BIGINT,
  last_at BIGINT NOT NULL,
  user_agent TEXT NOT NULL DEFAULT ''
);
CREATE INDEX tracking_opens_mailing ON tracking_opens(mailing_id);

-- One row per (delivery, link) clicked, with its count.
CREATE TABLE tracking_clicks (
  delivery_id BIGINT NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
  link_id BIGINT NOT NULL REFERENCES tracking_links(id) ON DELETE CASCADE,
  mailing_id BIGINT NOT NULL,
  clicks BIGINT NOT NULL DEFAULT 0,
  first_at BIGINT NOT NULL,
  last_at BIGINT NOT NULL,
  PRIMARY KEY (delivery_id, link_id)
);
CREATE INDEX tracking_clicks_mailing ON tracking_clicks(mailing_id, link_id);
CREATE INDEX tracking_clicks_link ON tracking_clicks(link_id);
