#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "core/config.h"
#include "core/db.h"
#include "core/mail/mime.h"
#include "tracking/rewrite.h"

namespace mw::tracking {

// What the send path knows of one message to track.
struct Target {
  std::int64_t deliveryId = 0;
  std::int64_t mailingId = 0;
  bool opens = false;
  bool clicks = false;
  std::string unsubscribeUrl;  // left as it is
};

// Tracks composed messages (the send path, delivery/engine.cpp): stores each new URL of a
// mailing once, then rewrites links to signed redirects and adds the pixel (rewrite()). One per
// batch: link ids are remembered across its messages.
class Tracker {
 public:
  // writeLock: held while new links are inserted (the sender's SQLite write queue), never
  // while a message is parsed.
  Tracker(const Config& cfg, db::Conn& c, std::function<std::unique_lock<std::mutex>()> writeLock);
  // Inserts the mailing's new links (a write: SQLite callers hold their write lock).
  // htmlTracked: the HTML part was rendered from a TrackedTemplate with htmlValues(), so only
  // the text part is left to rewrite.
  void apply(mail::OutgoingMessage& msg, const Target& t, std::int64_t now,
             bool htmlTracked = false);
  // The values of a usable TrackedTemplate's placeholders for one message (its links stored as
  // apply() stores them).
  std::vector<std::pair<std::string, std::string>> htmlValues(const TrackedTemplate& tracked,
                                                              const Target& t, std::int64_t now);

 private:
  // How t is tracked; pixel: its HTML part is not empty. Uses t and this until it is dropped.
  Plan plan(const Target& t, bool pixel, std::int64_t now);

  const Config& cfg_;
  db::Conn& c_;
  std::function<std::unique_lock<std::mutex>()> writeLock_;
  std::string key_;
  std::map<std::pair<std::int64_t, std::string>, std::int64_t> links_;
};

}  // namespace mw::tracking
