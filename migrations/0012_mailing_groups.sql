-- Issue 12: a mailing targets groups, picked clients and/or all of its owner's clients; the
-- recipients are resolved when each run starts (delivery's createRun).
CREATE TABLE mailing_groups (
  mailing_id BIGINT NOT NULL REFERENCES mailings(id) ON DELETE CASCADE,
  group_id BIGINT NOT NULL REFERENCES client_groups(id) ON DELETE CASCADE,
  PRIMARY KEY (mailing_id, group_id)
);
CREATE INDEX mailing_groups_group ON mailing_groups(group_id);
ALTER TABLE mailings ADD COLUMN all_clients INTEGER NOT NULL DEFAULT 0;
