#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/db.h"
#include "core/rate_window.h"

namespace mw::delivery {

// One row of relays (issue 14.1); password is sealed (core/security.h seal()), "" for none.
struct RelayRow {
  std::int64_t id = 0;
  std::string name;
  std::string host;
  int port = 25;
  std::string tls = "none";  // none, starttls, ssl
  std::string username;
  std::string sealedPassword;
  int maxConnections = 4;
  Rate rate;
  int weight = 1;
  // Written by the senders for the admin page (epoch seconds).
  std::int64_t backoffUntil = 0;
  std::string lastError;
  std::int64_t lastErrorAt = 0;
  std::int64_t windowSent = 0;
  std::int64_t stateAt = 0;
  std::int64_t createdAt = 0;
};

// All SQL on relays.
class RelayRepo {
 public:
  explicit RelayRepo(db::Conn& c) : c_(c) {}
  std::vector<RelayRow> list();
  std::optional<RelayRow> byName(const std::string& name);
  std::optional<RelayRow> byId(std::int64_t id);
  std::int64_t add(const RelayRow& r);
  // The settings of r.id; its password stays as it is unless setPassword (r.sealedPassword, ""
  // for none). False when there is no such relay.
  bool update(const RelayRow& r, bool setPassword);
  bool remove(std::int64_t id);
  void saveState(const RelayRow& r);  // backoff_until, last_error(_at), window_sent, state_at

 private:
  db::Conn& c_;
};

}  // namespace mw::delivery
