#include "app/modules.h"

#include "admin/module.h"
#include "app/health.h"
#include "app/home.h"
#include "blog/admin.h"
#include "blog/module.h"
#include "bounces/mailbox.h"
#include "bounces/module.h"
#include "clients/admin.h"
#include "clients/module.h"
#include "delivery/admin.h"
#include "delivery/cli.h"
#include "delivery/module.h"
#include "delivery/queue.h"
#include "dkim/module.h"
#include "mailings/admin.h"
#include "mailings/module.h"
#include "mailings/repo.h"
#include "messages/admin.h"
#include "messages/module.h"
#include "tracking/module.h"
#include "users/admin.h"
#include "users/module.h"

namespace mw::app {

Services::Services(const Config& cfg, db::Database& db)
    : cache_(makeCache(cfg.redisUrl, db)),
      keys_(db, cfg.secretKey),
      engine_(std::make_unique<delivery::Engine>(cfg, db, door_)),
      metrics_(db, *engine_),
      bounces_(std::make_unique<bounces::MailboxPoller>(cfg, db, mailRoad())) {
  engine_->finishMessagesWith(signMail());
  // A worker's status changes reach serve's cached figures through the shared versions
  // (database or Redis); installModules replaces this with the web's own cache in serve.
  engine_->onMailingsChanged([this] { invalidateHome(*cache_); });
}

Services::~Services() {
  stopBackground();
}

void Services::startBackground(bool scheduler) {
  engine_->start(scheduler);
  if (scheduler) bounces_->start();
  started_ = true;
}

void Services::stopBackground() {
  if (started_) bounces_->stop();
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
  platform.mailRoad = services.mailRoad();
  users::install(platform);
  clients::install(
      platform, {.mailingsUsing =
                     [&db](std::int64_t owner, std::int64_t id) {
                       auto c = db.conn();
                       return mailings::Repo(c).namesUsingClient(owner, id);
                     },
                 .onRemove =
                     [](db::Conn& c, std::int64_t owner, const std::vector<std::int64_t>& ids) {
                       mailings::Repo(c).forgetClients(owner, ids);
                     },
                 .onErase =
                     [](db::Conn& c, std::int64_t owner, std::int64_t id, const std::string& email,
                        const std::string& alias) {
                       delivery::Queue(c).eraseAddress(owner, id, email, alias);
                     }});
  messages::install(platform, [&db](std::int64_t owner, std::int64_t id) {
    auto c = db.conn();
    return mailings::Repo(c).namesUsingMessage(owner, id);
  });
  mailings::install(platform, delivery::install(platform, services.engine()));
  blog::install(platform);
  dkim::install(platform);  // before admin::install: /admin/dkim is not one of its tables
  tracking::install(platform);
  bounces::install(platform);
  installHome(platform);
  installHealth(platform);
  services.engine().onMailingsChanged([&platform] { invalidateHome(platform); });

  // Each domain declares its own tables; the admin section knows none of them.
  std::vector<admin::Table> tables;
  for (auto part : {users::adminTables(), clients::adminTables(), messages::adminTables(),
                    mailings::adminTables(), delivery::adminTables(), blog::adminTables()})
    for (auto& t : part) tables.push_back(std::move(t));
  admin::install(platform, std::move(tables));
}

}  // namespace mw::app
