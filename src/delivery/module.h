#pragma once
#include "delivery/engine.h"
#include "mailings/module.h"
#include "web/platform.h"

namespace mw::delivery {

// Pages and API of delivery: mailing progress and statistics, attempt log and its CSV,
// reports, unsubscribe links. Returns the hooks the mailings domain calls.
mailings::DeliveryHooks install(web::Platform& p, Engine& engine);
// /admin/relays and GET /api/v1/relays (relay_pages.cpp), installed by install().
void installRelays(web::Platform& p);
// /admin/destinations and GET /api/v1/destinations (destination_pages.cpp, issue 14.2).
void installDestinations(web::Platform& p, Destinations& destinations);

}  // namespace mw::delivery
