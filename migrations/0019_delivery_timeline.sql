-- Issue 13.5: a mailing's recipients page reads its deliveries a page at a time by keyset
-- (mailing_id, id > cursor): without this index each page of a million-delivery run sorted the
-- whole run.
CREATE INDEX deliveries_mailing ON deliveries(mailing_id, id);
