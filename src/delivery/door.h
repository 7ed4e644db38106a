#pragma once
#include <cstdint>
#include <functional>
#include <optional>

#include "core/db.h"
#include "delivery/compose.h"

namespace mw::delivery {

// What the engine needs of the mailings, messages and users domains (issue 14.7): declared
// here, implemented in src/app (delivery_door.cpp) over their repositories. Apart from it the
// engine reads other domains' tables only in the joins of the claim, the pause check and the
// run's fill (queue.cpp, control.cpp, recipients.cpp), each written once with the foreign
// columns it relies on.
class Door {
 public:
  struct Mailing {
    std::int64_t id = 0;
    std::int64_t ownerId = 0;
    bool once = false;  // a one-off mailing: sent by hand, nothing stays scheduled
  };
  struct Due {
    std::int64_t id = 0;
    std::int64_t ownerId = 0;
    std::optional<std::int64_t> occurrence;  // the scheduled time the run stands for
  };
  using StartRun = std::function<void(const Due&)>;

  virtual ~Door() = default;
  virtual std::optional<Mailing> mailing(db::Conn& c, std::int64_t id) = 0;
  // For each mailing whose time has come (at most `limit`), in a transaction of its own: moves
  // its schedule on and, when this process did (exactly one process starts each run), calls
  // startRun. Returns how many were started.
  virtual int startDue(db::Conn& c, std::int64_t now, int limit, const StartRun& startRun) = 0;
  // A run started by hand at `at`; `unschedule`: nothing stays scheduled afterwards.
  virtual void runStarted(db::Conn& c, std::int64_t mailingId, std::int64_t at,
                          bool unschedule) = 0;
  // The mailing's last run ended: it is completed when nothing more is scheduled.
  virtual void runEnded(db::Conn& c, std::int64_t mailingId) = 0;
  // What every recipient of the mailing shares (found = false when it or its message is gone).
  virtual Content content(db::Conn& c, std::int64_t mailingId) = 0;
};

}  // namespace mw::delivery
