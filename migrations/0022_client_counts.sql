-- Issue 12.4: exact totals at a million. The client list's total and a group's member count were
-- a COUNT over every row: ~100-160 ms for 1,000,000 on SQLite (bench_scale), over the list's
-- goal of 100 ms, where a page itself takes ~1 ms. Counters kept by triggers answer at once:
-- per owner (clients) and per group (members, including those a deleted client takes with it).
-- A group's row goes with the group.
CREATE TABLE client_counts (
  owner_id BIGINT PRIMARY KEY,
  clients BIGINT NOT NULL DEFAULT 0
);
INSERT INTO client_counts(owner_id, clients)
SELECT owner_id, COUNT(*)
FROM clients
GROUP BY owner_id;
CREATE TABLE group_counts (
  group_id BIGINT PRIMARY KEY,
  members BIGINT NOT NULL DEFAULT 0
);
INSERT INTO group_counts(group_id, members)
SELECT group_id, COUNT(*)
FROM client_group_members
GROUP BY group_id;
-- SQLite: a trigger per row (each on one line: statements end with ';').
-- sqlite: CREATE TRIGGER client_counts_insert AFTER INSERT ON clients BEGIN INSERT INTO client_counts(owner_id, clients) VALUES (new.owner_id, 1) ON CONFLICT (owner_id) DO UPDATE SET clients = clients + 1; END;
-- sqlite: CREATE TRIGGER client_counts_delete AFTER DELETE ON clients BEGIN UPDATE client_counts SET clients = clients - 1 WHERE owner_id = old.owner_id; END;
-- sqlite: CREATE TRIGGER group_counts_insert AFTER INSERT ON client_group_members BEGIN INSERT INTO group_counts(group_id, members) VALUES (new.group_id, 1) ON CONFLICT (group_id) DO UPDATE SET members = members + 1; END;
-- sqlite: CREATE TRIGGER group_counts_delete AFTER DELETE ON client_group_members BEGIN UPDATE group_counts SET members = members - 1 WHERE group_id = old.group_id; END;
-- sqlite: CREATE TRIGGER group_counts_drop AFTER DELETE ON client_groups BEGIN DELETE FROM group_counts WHERE group_id = old.id; END;
-- PostgreSQL: a trigger per statement over its rows (transition tables), so a bulk insert or
-- delete updates each counter once.
-- postgresql: CREATE FUNCTION client_counts_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO client_counts(owner_id, clients) SELECT owner_id, COUNT(*) FROM changed GROUP BY owner_id ORDER BY owner_id ON CONFLICT (owner_id) DO UPDATE SET clients = client_counts.clients + excluded.clients; RETURN NULL; END $$;
-- postgresql: CREATE FUNCTION client_counts_delete() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN UPDATE client_counts SET clients = client_counts.clients - d.n FROM (SELECT owner_id, COUNT(*) AS n FROM changed GROUP BY owner_id) AS d WHERE client_counts.owner_id = d.owner_id; RETURN NULL; END $$;
-- postgresql: CREATE FUNCTION group_counts_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO group_counts(group_id, members) SELECT group_id, COUNT(*) FROM changed GROUP BY group_id ORDER BY group_id ON CONFLICT (group_id) DO UPDATE SET members = group_counts.members + excluded.members; RETURN NULL; END $$;
-- postgresql: CREATE FUNCTION group_counts_delete() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN UPDATE group_counts SET members = group_counts.members - d.n FROM (SELECT group_id, COUNT(*) AS n FROM changed GROUP BY group_id) AS d WHERE group_counts.group_id = d.group_id; RETURN NULL; END $$;
-- postgresql: CREATE FUNCTION group_counts_drop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN DELETE FROM group_counts WHERE group_id IN (SELECT id FROM changed); RETURN NULL; END $$;
-- postgresql: CREATE TRIGGER client_counts_insert AFTER INSERT ON clients REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION client_counts_insert();
-- postgresql: CREATE TRIGGER client_counts_delete AFTER DELETE ON clients REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION client_counts_delete();
-- postgresql: CREATE TRIGGER group_counts_insert AFTER INSERT ON client_group_members REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION group_counts_insert();
-- postgresql: CREATE TRIGGER group_counts_delete AFTER DELETE ON client_group_members REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION group_counts_delete();
-- postgresql: CREATE TRIGGER group_counts_drop AFTER DELETE ON client_groups REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION group_counts_drop();
