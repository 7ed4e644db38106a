-- Versions of cache namespaces, shared by every process of the embedded default (no Redis):
-- bumping one drops every entry cached under the old version, in all processes on the machine.
CREATE TABLE cache_versions (
  ns TEXT PRIMARY KEY,
  version BIGINT NOT NULL
);
