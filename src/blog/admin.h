#pragma once
#include <vector>

#include "admin/registry.h"

namespace mw::blog {

// The blog domain's tables in the admin section.
std::vector<admin::Table> adminTables();

}  // namespace mw::blog
