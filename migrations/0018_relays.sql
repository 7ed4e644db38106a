-- Named SMTP relays (issue 14.1). The password is sealed under SECRET_KEY (core/security.h, as
-- DKIM keys are) and never shown again. tls is none, starttls or ssl. A relay sends at most
-- rate_count messages in any rate_seconds (a sliding window; 0 = unlimited) over at most
-- max_connections connections; unnamed traffic is spread by weight. The state columns are
-- written by the senders (backing off until, the last error, sent in the window) for the page.
CREATE TABLE relays (
  id {{pk}},
  name TEXT NOT NULL UNIQUE,
  host TEXT NOT NULL,
  port INTEGER NOT NULL,
  tls TEXT NOT NULL DEFAULT 'none',
  username TEXT NOT NULL DEFAULT '',
  password TEXT NOT NULL DEFAULT '',
  max_connections INTEGER NOT NULL DEFAULT 4,
  rate_count INTEGER NOT NULL DEFAULT 0,
  rate_seconds INTEGER NOT NULL DEFAULT 1,
  weight INTEGER NOT NULL DEFAULT 1,
  backoff_until BIGINT NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  last_error_at BIGINT NOT NULL DEFAULT 0,
  window_sent INTEGER NOT NULL DEFAULT 0,
  state_at BIGINT NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL
);
-- The mailings domain's: the relay a mailing names (NULL: spread by weight).
ALTER TABLE mailings ADD COLUMN relay_id BIGINT REFERENCES relays(id) ON DELETE SET NULL;
