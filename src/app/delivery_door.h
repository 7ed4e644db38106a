#pragma once
#include "delivery/door.h"

namespace mw::app {

// delivery::Door over the mailings, messages and users repositories.
class DeliveryDoor : public delivery::Door {
 public:
  std::optional<Mailing> mailing(db::Conn& c, std::int64_t id) override;
  int startDue(db::Conn& c, std::int64_t now, int limit, const StartRun& startRun) override;
  void runStarted(db::Conn& c, std::int64_t mailingId, std::int64_t at, bool unschedule) override;
  void runEnded(db::Conn& c, std::int64_t mailingId) override;
  delivery::Content content(db::Conn& c, std::int64_t mailingId) override;
};

}  // namespace mw::app
