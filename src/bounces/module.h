#pragma once
#include "web/platform.h"

namespace mw::bounces {

// Issue 13: relays' webhooks at /webhooks/{provider} (ses, mailgun, postmark).
void install(web::Platform& p);

}  // namespace mw::bounces
