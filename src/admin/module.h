#pragma once
#include <vector>

#include "admin/registry.h"
#include "web/platform.h"

namespace mw::admin {

// The admin section under /admin (role admin only): every declared table browsable, searchable
// and editable as its declaration allows, in the order given.
void install(web::Platform& p, std::vector<Table> tables);

}  // namespace mw::admin
