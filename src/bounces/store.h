#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bounces/classify.h"
#include "core/config.h"
#include "core/db.h"

namespace mw::bounces {

// The delivery a report is about, as the queue recorded it.
struct DeliveryRef {
  std::int64_t deliveryId = 0;
  std::int64_t runId = 0;
  std::int64_t mailingId = 0;
  std::int64_t ownerId = 0;
  std::int64_t clientId = 0;
  std::string email;
};

// One bounce or complaint of one delivery.
struct Event {
  DeliveryRef delivery;
  Kind kind = Kind::None;
  std::string source;    // smtp, dsn, arf, ses, mailgun, postmark
  std::string status;    // the enhanced status code, "5.1.1"
  std::string text;      // the reply or the report's diagnostic, shown in the mailing's log
  std::string eventKey;  // a relay's event id or a report's Message-ID; "" for none
  std::int64_t at = 0;
};

struct PauseNotice {
  std::int64_t mailingId = 0;
  std::string reason;  // "hard bounces 12.0% of the last 500 deliveries (limit 10%)"
};

struct MailingBounces {
  std::int64_t hard = 0, soft = 0, complaints = 0, unsubscribed = 0;
};

// All SQL of the bounces domain. Reads the delivery domain's deliveries and attempts (foreign
// columns: deliveries.id, run_id, mailing_id, owner_id, client_id, email, done_at;
// attempts.run_id, delivery_id, final, is_test, id; runs.id, mailing_id, finished_at,
// cancelled_at; clients.id, unsubscribed_at); clients and mailings change through their repos.
class Store {
 public:
  Store(db::Conn& c, const BounceConfig& cfg) : c_(c), cfg_(cfg) {}

  std::optional<DeliveryRef> delivery(std::int64_t deliveryId);
  // Records the event (nothing when its delivery already has one of its kind, or its event key
  // was seen) and applies the rules to its client. True when it was recorded.
  bool record(const Event& e);
  // The auto-pause rule over the open runs of the mailings given; the mailings it paused.
  std::vector<PauseNotice> checkPause(const std::vector<std::int64_t>& mailingIds);
  // A webhook event id seen before (or now remembered); false the first time.
  bool seen(const std::string& eventKey, std::int64_t now);
  MailingBounces forMailing(std::int64_t mailingId);
  // delivery id -> "hard: 5.1.1 text" for the mailing's log.
  std::string describe(std::int64_t deliveryId);

 private:
  db::Conn& c_;
  const BounceConfig& cfg_;
  void applyRules(const Event& e);
};

}  // namespace mw::bounces
