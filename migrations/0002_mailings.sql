-- Clients, messages and mailings, each owned by one user.
CREATE TABLE clients (
  id {{pk}},
  owner_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  email TEXT NOT NULL,
  full_name TEXT NOT NULL DEFAULT '',
  comment TEXT NOT NULL DEFAULT '',
  unsubscribed_at BIGINT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  UNIQUE (owner_id, email)
);
CREATE INDEX clients_owner ON clients(owner_id, id);

CREATE TABLE messages (
  id {{pk}},
  owner_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  subject TEXT NOT NULL,
  body_text TEXT NOT NULL DEFAULT '',
  body_html TEXT NOT NULL DEFAULT '',
  is_shared INTEGER NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX messages_owner ON messages(owner_id, id);
CREATE INDEX messages_shared ON messages(is_shared);

CREATE TABLE mailings (
  id {{pk}},
  owner_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  message_id BIGINT NOT NULL REFERENCES messages(id),
  start_at BIGINT NOT NULL,
  end_at BIGINT,
  periodicity TEXT NOT NULL DEFAULT 'once',
  timezone TEXT NOT NULL DEFAULT 'UTC',
  status TEXT NOT NULL DEFAULT 'created',
  is_active INTEGER NOT NULL DEFAULT 1,
  last_run_at BIGINT,
  next_run_at BIGINT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX mailings_owner ON mailings(owner_id, id);
CREATE INDEX mailings_due ON mailings(status, next_run_at);

CREATE TABLE mailing_clients (
  mailing_id BIGINT NOT NULL REFERENCES mailings(id) ON DELETE CASCADE,
  client_id BIGINT NOT NULL REFERENCES clients(id),
  PRIMARY KEY (mailing_id, client_id)
);
CREATE INDEX mailing_clients_client ON mailing_clients(client_id);
