#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/db.h"

namespace mw::tracking {

struct OpenStats {
  std::int64_t opened = 0;         // deliveries opened by a person (at least one human open)
  std::int64_t openedMachine = 0;  // deliveries whose every open was a proxy's prefetch
  std::int64_t opens = 0;          // human opens in all
  std::int64_t machineOpens = 0;
};

struct LinkStats {
  std::int64_t id = 0;
  std::string url;
  std::int64_t unique = 0;  // deliveries that clicked it
  std::int64_t total = 0;   // clicks in all
};

struct ClickStats {
  std::int64_t clicked = 0;  // deliveries with at least one click
  std::int64_t clicks = 0;
  std::vector<LinkStats> links;  // most clicked first
};

// All SQL of tracking_links, tracking_opens and tracking_clicks. Anonymous requests add to
// counters of rows that signed tokens name: at most one row per delivery (opens) and per
// delivery and link (clicks), whatever the number of requests.
class Repo {
 public:
  explicit Repo(db::Conn& c) : c_(c) {}
  // The id of the mailing's link to url, stored on first use.
  std::int64_t linkId(std::int64_t mailingId, const std::string& url, std::int64_t now);
  std::optional<std::string> linkUrl(std::int64_t linkId, std::int64_t mailingId);
  // One upsert each. Throw when the delivery no longer exists (its mailing was deleted).
  void recordOpen(std::int64_t deliveryId, std::int64_t mailingId, bool machine,
                  const std::string& userAgent, std::int64_t now);
  void recordClick(std::int64_t deliveryId, std::int64_t mailingId, std::int64_t linkId,
                   std::int64_t now);
  OpenStats opens(std::int64_t mailingId);
  ClickStats clicks(std::int64_t mailingId, int linkLimit = 100);

 private:
  db::Conn& c_;
};

}  // namespace mw::tracking
