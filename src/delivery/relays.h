#pragma once
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/db.h"
#include "core/mail/smtp.h"
#include "core/rate_window.h"
#include "delivery/relay_window.h"

namespace mw::delivery {

// A relay as the sender uses it (issue 14.1): settings, its sliding window, and its health.
struct Relay {
  std::int64_t id = 0;  // 0: the environment's relay (EMAIL_HOST...), named "default"
  std::string name;
  mail::SmtpSettings smtp;
  int maxConnections = 1;
  int weight = 1;
  std::string version;  // the settings' fingerprint: a slot reconnects when it changes
  std::shared_ptr<RelayWindow> window;  // unlimited when the relay has no rate
  // Under RelaySet's mutex.
  int leases = 0;  // connections open to it (at most maxConnections)
  int failures = 0;
  double backoffUntil = 0;  // steady seconds
  std::int64_t backoffUntilEpoch = 0;
  std::string lastError;
  std::int64_t lastErrorAt = 0;
  long current = 0;  // smooth weighted round robin
  // What persist() last wrote: a process that has nothing new (an idle `serve` beside a busy
  // `worker`) leaves the row to the ones that do.
  bool dirty = false;
  std::int64_t persistedSent = 0;
};
using RelayPtr = std::shared_ptr<Relay>;

// The relays of this process: from the relays table (reloaded every 2 s, so a relay added on the
// admin page is used within 2 s), else the environment's single relay. Rates are shared by every
// process through Redis when REDIS_URL is set (RelayWindow); health and back-off are per process.
class RelaySet {
 public:
  // holder: this process's name in the shared windows (its worker id).
  RelaySet(const Config& cfg, db::Database& db, std::string holder);
  ~RelaySet();
  void refresh(bool force = false);
  // The relay for one message: the one its mailing names, else a weighted pick among the relays
  // up and not in `skip` (else the one back from its back-off soonest). nullptr when there is
  // none; namedBusy tells that the named relay is in `skip` (failed or full in this step).
  RelayPtr route(std::optional<std::int64_t> named, const std::set<std::int64_t>& skip,
                 bool& namedBusy);
  // Whether a message may move from relay `from` to another (one not in `skip`).
  bool canMove(const std::set<std::int64_t>& skip, std::int64_t from);
  bool lease(const RelayPtr& r);  // false when maxConnections are open
  void release(const RelayPtr& r);
  // Connection refused, timed out or 421: set aside for 5 s, doubling per failure up to 300 s.
  void failed(const RelayPtr& r, const std::string& error);
  void succeeded(const RelayPtr& r);
  // Writes the state of the database's relays to their rows (the admin page), every second.
  void persist(db::Conn& c);

 private:
  const Config& cfg_;
  db::Database& db_;
  std::string holder_;
  std::string windowKey_;             // "mw:relay:<the database>:"
  std::unique_ptr<RedisLink> redis_;  // REDIS_URL: the relays' windows are shared
  std::mutex mutex_;
  std::vector<RelayPtr> relays_;
  double loadedAt_ = -1e9;
  void load();  // under mutex_
};

}  // namespace mw::delivery
