#include "web/guards.h"

#include "web/form.h"

namespace mw::web {

Guard signedIn() {
  return [](Ctx& ctx) { requireLogin(ctx); };
}

Guard role(const std::string& role) {
  return [role](Ctx& ctx) { requireRole(ctx, role); };
}

}  // namespace mw::web
