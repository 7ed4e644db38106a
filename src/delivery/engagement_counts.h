// Issue 13.5: the counters behind the reports (migration 0020). A delivery counts in the quarter
// hour it became final: sent and delivered then, and every later event that changes what it
// shows (its first open by a person or by a proxy, its first click, its first bounce of a kind,
// the unsubscription made through its link) adds to the same row, in the event's transaction.
// Reading a period is then a few rows per mailing and quarter hour, whatever its size.
#pragma once
#include <cstdint>
#include <vector>

#include "core/db.h"
#include "delivery/engagement.h"

namespace mw::delivery {

constexpr std::int64_t kCountBucket = 900;  // a local day starts on a quarter hour everywhere

// A delivery that has just become final (status 'sent' or 'failed', done_at set).
struct Settled {
  std::int64_t deliveryId = 0, mailingId = 0, ownerId = 0, doneAt = 0;
  bool sent = false;
};

// Counts deliveries settled in the caller's transaction, with the opens, clicks and bounces
// already recorded for them (a soft bounce of an earlier attempt; an open faster than the
// recorder).
void countSettled(db::Conn& c, const std::vector<Settled>& settled);

// Adds `delta` to the row of a delivery, if it is final (and was delivered, when `ifSent`).
// On PostgreSQL the delivery's row is locked first, so an event racing its settling counts once.
void countEvent(db::Conn& c, std::int64_t deliveryId, const Engagement& delta, bool ifSent);

// An unsubscription made through a delivery's link (the first of its client): recorded for the
// delivery, and counted now if the delivery is final, or else when it settles (countSettled).
void countUnsubscription(db::Conn& c, std::int64_t deliveryId, std::int64_t clientId);

// PostgreSQL: locks the delivery's row until the caller's transaction ends, so that events of one
// delivery that decide "first of its kind" from several rows are taken one at a time. SQLite
// writes one transaction at a time anyway.
void lockDelivery(db::Conn& c, std::int64_t deliveryId);

}  // namespace mw::delivery
