#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/db.h"
#include "web/platform.h"

namespace mw::clients {

// Names of the owner's mailings that include a client; set by the mailings domain so that a
// client in use is explained rather than deleted.
using UsageLookup = std::function<std::vector<std::string>(std::int64_t owner, std::int64_t id)>;

// Called inside the deletion's transaction so that other domains drop their references to the
// clients (a mailing's recipient list); their history (deliveries, attempts) keeps the address.
using RemovalHook =
    std::function<void(db::Conn& c, std::int64_t owner, const std::vector<std::int64_t>& ids)>;

// Called inside the erasure's transaction, before the removal: other domains replace the
// client's address in their history (deliveries, attempts) with `alias` and drop its name.
using ErasureHook = std::function<void(db::Conn& c, std::int64_t owner, std::int64_t id,
                                       const std::string& email, const std::string& alias)>;

// What the other domains do when a client goes; set by app/modules.cpp.
struct Hooks {
  UsageLookup mailingsUsing;
  RemovalHook onRemove;
  ErasureHook onErase;
};

void install(web::Platform& p, Hooks hooks);
// Recipient groups: /api/v1/groups and their members (groups_api.cpp).
void installGroups(web::Platform& p);
// Their pages: /groups (groups_pages.cpp).
void installGroupPages(web::Platform& p);
// /api/v1/clients (api.cpp).
void installApi(web::Platform& p, const std::shared_ptr<const Hooks>& h);

}  // namespace mw::clients
