#pragma once
#include "web/platform.h"

namespace mw::dkim {

// /admin/dkim (role admin): the DKIM keys with the DNS record of each, and their deletion.
// Installed before the admin section, whose /admin/{table} would otherwise answer the path.
void install(web::Platform& p);

}  // namespace mw::dkim
