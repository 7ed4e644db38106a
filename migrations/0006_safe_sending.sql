-- Issue 11: a mailing can be paused (no new SMTP transaction while set); a delivery counts the
-- times its worker died while sending it, so one that kills its worker is failed after a few.
ALTER TABLE mailings ADD COLUMN is_paused INTEGER NOT NULL DEFAULT 0;
ALTER TABLE deliveries ADD COLUMN interruptions INTEGER NOT NULL DEFAULT 0;
ALTER TABLE attempts ADD COLUMN is_test INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN cancelled_at BIGINT;
