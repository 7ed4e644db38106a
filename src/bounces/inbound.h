#pragma once
#include <optional>
#include <string>
#include <vector>

#include "bounces/parse.h"
#include "bounces/store.h"
#include "core/config.h"

namespace mw::bounces {

// Where a report says its delivery is: VERP addresses, bare tokens (a relay's metadata), the
// original Message-ID; and the address it reports about ("" when it does not say).
struct Clues {
  std::vector<std::string> addresses;
  std::vector<std::string> tokens;
  std::string messageId;
  std::string email;
};

// The delivery of the first clue whose token verifies. A token whose delivery went to another
// address than the one reported matches nothing: a valid token of one's own message cannot
// bounce someone else's address.
std::optional<DeliveryRef> matchDelivery(Store& store, const Config& cfg, const Clues& clues);

struct InboundResult {
  bool matched = false;   // a delivery was found
  bool recorded = false;  // something changed
  std::vector<PauseNotice> paused;
};

// A message from the bounce mailbox: a DSN's failed recipients (hard or soft by status) or an
// ARF complaint, matched and recorded; delayed and delivered notices change nothing.
InboundResult handleReport(Store& store, const Config& cfg, const Report& report, std::int64_t now);

// A relay's event (webhooks.cpp) once matched and checked.
InboundResult recordEvent(Store& store, const Event& e);

}  // namespace mw::bounces
