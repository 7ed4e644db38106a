#pragma once
#include "web/platform.h"

namespace mw::users {

// Routes of the users domain and the platform's identity hooks.
void install(web::Platform& p);
void installPages(web::Platform& p);
void installApi(web::Platform& p);
void installManage(web::Platform& p);

}  // namespace mw::users
