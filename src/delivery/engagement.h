// Issue 13.5: what became of the messages of a period on /reports: of the deliveries whose final
// state was reached in the period (sent), those the relay accepted (delivered) and of them the ones
// opened, clicked, unsubscribed; bounces and complaints of all sent. Counted by the day the
// message was sent (a cohort), so every rate stays within 100 % and the chart's days add up to
// the totals.
#pragma once
#include <cstdint>
#include <vector>

#include "core/db.h"
#include "delivery/log.h"

namespace mw::delivery {

struct Engagement {
  std::int64_t bucket = 0;  // UTC seconds, the start of the bucket (series only)
  std::int64_t sent = 0, delivered = 0, opened = 0, openedMachine = 0, clicked = 0;
  std::int64_t bouncedHard = 0, bouncedSoft = 0, complained = 0, unsubscribed = 0;

  void add(const Engagement& o);
};

// Per bucket of `bucketSeconds` (a multiple of 900, from the epoch, UTC) over the filter's owner,
// mailing and period (status and email are not used), from the counters of
// delivery/engagement_counts.h; test sends never count.
std::vector<Engagement> engagementSeries(db::Conn& c, const AttemptFilter& f,
                                         std::int64_t bucketSeconds);

}  // namespace mw::delivery
