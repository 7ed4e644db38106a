#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/db.h"
#include "web/platform.h"

namespace mw::clients {

// Names of the owner's mailings that include a client; set by the mailings domain so that a
// client in use is explained rather than deleted.
using UsageLookup = std::function<std::vector<std::string>(std::int64_t owner, std::int64_t id)>;

// Called inside the deletion's transaction so that other domains drop their references to the
// client (a mailing's recipient list); their history (deliveries, attempts) keeps the address.
using RemovalHook = std::function<void(db::Conn& c, std::int64_t owner, std::int64_t id)>;

void install(web::Platform& p, UsageLookup mailingsUsing, RemovalHook onRemove = {});
// Recipient groups: /api/v1/groups and their members (groups_api.cpp).
void installGroups(web::Platform& p);

}  // namespace mw::clients
