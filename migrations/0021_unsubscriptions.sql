-- Issue 13.5: the unsubscriptions made through a message's link, one per delivery. The counters
-- (delivery/engagement_counts.cpp) take one at once when its delivery is final, and otherwise
-- when the delivery settles: a recipient can follow the link between the relay taking the
-- message and the sender recording that (~10-100 ms), and that unsubscription counts too.
CREATE TABLE unsubscriptions (
  delivery_id BIGINT PRIMARY KEY,
  mailing_id BIGINT NOT NULL REFERENCES mailings(id) ON DELETE CASCADE,
  at BIGINT NOT NULL
);
