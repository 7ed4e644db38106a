#pragma once
#include <vector>

#include "admin/registry.h"

namespace mw::clients {

// The clients domain's tables in the admin section.
std::vector<admin::Table> adminTables();

}  // namespace mw::clients
