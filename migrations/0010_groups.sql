-- Recipient groups, owned like clients; a client may belong to any number of its owner's groups.
CREATE TABLE client_groups (
  id {{pk}},
  owner_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  UNIQUE (owner_id, name)
);
CREATE INDEX client_groups_owner ON client_groups(owner_id, id);

CREATE TABLE client_group_members (
  group_id BIGINT NOT NULL REFERENCES client_groups(id) ON DELETE CASCADE,
  client_id BIGINT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
  PRIMARY KEY (group_id, client_id)
);
CREATE INDEX client_group_members_client ON client_group_members(client_id);

-- Who resubscribed a client and when (the owner, from the client's page or the API).
ALTER TABLE clients ADD COLUMN resubscribed_at BIGINT;
ALTER TABLE clients ADD COLUMN resubscribed_by BIGINT;
