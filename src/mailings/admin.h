#pragma once
#include <vector>

#include "admin/registry.h"

namespace mw::mailings {

// The mailings domain's tables in the admin section.
std::vector<admin::Table> adminTables();

}  // namespace mw::mailings
