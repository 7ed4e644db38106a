#pragma once
#include "web/platform.h"

namespace mw::app {

// GET /readyz: 200 when this process can serve — the database answers, its schema is current
// and Redis (when configured) answers — else 503; each check's state in the JSON body.
// /healthz (alive) stays in the platform, before sessions and routing.
void installHealth(web::Platform& platform);

}  // namespace mw::app
