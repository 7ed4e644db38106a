#include "app/modules.h"

#include "app/home.h"
#include "users/module.h"

namespace mw::app {

Services::~Services() {
  stopBackground();
}

void Services::startBackground() {}

void Services::stopBackground() {}

std::optional<int> Services::runCommand(const std::string&, const Args&) {
  return std::nullopt;
}

void installModules(web::Platform& platform, Services&) {
  users::install(platform);
  installHome(platform);
}

}  // namespace mw::app
