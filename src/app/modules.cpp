#include "app/modules.h"

#include "app/home.h"
#include "blog/module.h"
#include "clients/module.h"
#include "delivery/cli.h"
#include "delivery/module.h"
#include "mailings/module.h"
#include "mailings/repo.h"
#include "messages/module.h"
#include "users/module.h"

namespace mw::app {

Services::Services(const Config& cfg, db::Database& db)
    : cfg_(cfg), db_(db), engine_(std::make_unique<delivery::Engine>(cfg, db)) {}

Services::~Services() {
  stopBackground();
}

void Services::startBackground(bool scheduler) {
  engine_->start(scheduler);
  started_ = true;
}

void Services::stopBackground() {
  if (started_) engine_->stop();
  started_ = false;
}

std::optional<int> Services::runCommand(const std::string& cmd, const Args& args) {
  if (cmd == "send") return delivery::sendCommand(*engine_, args);
  if (cmd == "send-due") return delivery::sendDueCommand(*engine_);
  return std::nullopt;
}

void installModules(web::Platform& platform, Services& services) {
  auto& db = platform.db;
  users::install(platform);
  clients::install(platform, [&db](std::int64_t owner, std::int64_t id) {
    auto c = db.conn();
    return mailings::Repo(c).namesUsingClient(owner, id);
  });
  messages::install(platform, [&db](std::int64_t owner, std::int64_t id) {
    auto c = db.conn();
    return mailings::Repo(c).namesUsingMessage(owner, id);
  });
  mailings::install(platform, delivery::install(platform, services.engine()));
  blog::install(platform);
  installHome(platform);
}

}  // namespace mw::app
