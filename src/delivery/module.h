#pragma once
#include "delivery/engine.h"
#include "mailings/module.h"
#include "web/platform.h"

namespace mw::delivery {

// Pages and API of delivery: mailing progress and statistics, attempt log and its CSV,
// reports, unsubscribe links. Returns the hooks the mailings domain calls.
mailings::DeliveryHooks install(web::Platform& p, Engine& engine);

}  // namespace mw::delivery
