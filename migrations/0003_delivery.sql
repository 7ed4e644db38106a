-- The durable delivery queue: a run per send of a mailing, a delivery per recipient per run,
-- an attempt per SMTP transaction.
CREATE TABLE runs (
  id {{pk}},
  mailing_id BIGINT NOT NULL REFERENCES mailings(id) ON DELETE CASCADE,
  owner_id BIGINT NOT NULL,
  trigger TEXT NOT NULL,
  occurrence_at BIGINT,
  total INTEGER NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  finished_at BIGINT
);
CREATE INDEX runs_mailing ON runs(mailing_id, id);
CREATE INDEX runs_open ON runs(finished_at);

CREATE TABLE deliveries (
  id {{pk}},
  run_id BIGINT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  mailing_id BIGINT NOT NULL,
  owner_id BIGINT NOT NULL,
  client_id BIGINT NOT NULL,
  email TEXT NOT NULL,
  name TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL DEFAULT 'pending',
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL,
  claimed_by TEXT,
  claimed_at BIGINT,
  message_id TEXT,
  done_at BIGINT,
  UNIQUE (run_id, client_id)
);
CREATE INDEX deliveries_queue ON deliveries(status, next_attempt_at, id);
CREATE INDEX deliveries_run ON deliveries(run_id, status);

CREATE TABLE attempts (
  id {{pk}},
  delivery_id BIGINT NOT NULL,
  run_id BIGINT NOT NULL,
  mailing_id BIGINT NOT NULL REFERENCES mailings(id) ON DELETE CASCADE,
  owner_id BIGINT NOT NULL,
  client_id BIGINT NOT NULL,
  email TEXT NOT NULL,
  at BIGINT NOT NULL,
  status TEXT NOT NULL,
  code INTEGER NOT NULL DEFAULT 0,
  reply TEXT NOT NULL DEFAULT '',
  final INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX attempts_mailing ON attempts(mailing_id, at);
CREATE INDEX attempts_owner ON attempts(owner_id, at);

-- Live sender processes; a delivery claimed by a worker whose heartbeat stopped is re-queued.
CREATE TABLE workers (
  id TEXT PRIMARY KEY,
  heartbeat_at BIGINT NOT NULL
);
