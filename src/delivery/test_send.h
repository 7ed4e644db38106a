#pragma once
#include "delivery/engine.h"
#include "web/platform.h"

namespace mw::delivery {

// Test sends (issue 11) of a message or a mailing, pages and API: to the user's own address or
// up to five typed in, personalised with a chosen client's data or sample data.
// Test sends are signed as the engine signs every message (DKIM).
void installTestSend(web::Platform& p, Engine& engine);

}  // namespace mw::delivery
