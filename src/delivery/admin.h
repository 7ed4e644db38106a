#pragma once
#include <vector>

#include "admin/registry.h"

namespace mw::delivery {

// The delivery domain's tables in the admin section.
std::vector<admin::Table> adminTables();

}  // namespace mw::delivery
