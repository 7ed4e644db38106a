// Issue 13.5: a mailing's recipients, each with what became of its message in order: sent, the
// first open (a person's or a mail proxy's), the links clicked, a bounce with the report's text,
// a complaint, an unsubscription. Read a page at a time by keyset on the delivery id, so a page
// of a million-delivery run costs the same as one of ten.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/db.h"

namespace mw::delivery {

struct TimelineEvent {
  std::string type;  // sent, failed, opened, opened_machine, clicked, hard, soft, complaint,
                     // unsubscribed
  std::int64_t at = 0;
  std::string detail;      // the link's URL; the bounce's status code and text
  std::int64_t count = 0;  // opens or clicks in all (opened, opened_machine, clicked)
};

struct RecipientTimeline {
  std::int64_t deliveryId = 0;
  std::string email;
  std::string status;                 // the delivery's: pending, claimed, sending, sent, failed
  std::vector<TimelineEvent> events;  // by time
};

struct TimelinePage {
  std::vector<RecipientTimeline> items;
  // 0: this was the last page. A search may end a page short (even empty) with a cursor: it
  // read its share of the run and carries on from there.
  std::int64_t nextCursor = 0;
};

// The mailing's deliveries after `cursor` (a delivery id; 0: from the first) whose address
// contains `search` (any case; "" for all), `limit` of them.
TimelinePage recipientTimelines(db::Conn& c, std::int64_t mailingId, std::int64_t cursor,
                                const std::string& search, int limit);

}  // namespace mw::delivery
