#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "web/platform.h"

namespace mw::mailings {

// Hooks into the delivery domain: start a run now, and the run/attempt figures of a mailing
// for its page (HTML fragment data) and its API.
struct DeliveryHooks {
  // Queues a run of the mailing for every subscribed recipient; returns the run id.
  std::function<std::int64_t(std::int64_t mailingId)> sendNow;
  // Adds progress and statistics of a mailing to its page data.
  std::function<void(web::Ctx&, std::int64_t mailingId, web::Data&)> describe;
  // Issue 11: a run for an audience ("all", "unsent", "failed" of the last run); its size;
  // cancelling the open runs.
  std::function<std::int64_t(std::int64_t mailingId, const std::string& audience)> sendAudience;
  std::function<std::int64_t(std::int64_t mailingId, std::int64_t ownerId,
                             const std::string& audience)>
      countAudience;
  std::function<std::size_t(std::int64_t mailingId)> cancel;
  // Issue 14.1: the id of the relay of this name (or id, as text); nullopt when there is none.
  std::function<std::optional<std::int64_t>(const std::string& nameOrId)> findRelay;
  // The relays a mailing may name (id, name), by name; empty when only the environment's exists.
  std::function<std::vector<std::pair<std::int64_t, std::string>>()> relayChoices;
};

// Send confirmation, pause, resume and cancel (control.cpp), pages and API.
void installControl(web::Platform& p, const DeliveryHooks& hooks);

void install(web::Platform& p, DeliveryHooks hooks);

}  // namespace mw::mailings
