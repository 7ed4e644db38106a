#pragma once
#include <vector>

#include "admin/registry.h"

namespace mw::messages {

// The messages domain's tables in the admin section.
std::vector<admin::Table> adminTables();

}  // namespace mw::messages
