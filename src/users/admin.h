#pragma once
#include <vector>

#include "admin/registry.h"

namespace mw::users {

// The users domain's tables in the admin section: users (with role assignment), user roles,
// sessions and API tokens.
std::vector<admin::Table> adminTables();

}  // namespace mw::users
