#include "app/commands.h"

#include <signal.h>

#include <iostream>
#include <memory>

#include "app/modules.h"
#include "core/config.h"
#include "core/db.h"
#include "users/cli.h"
#include "web/platform.h"
#include "web/server.h"

namespace mw::app {
namespace {

void waitForTermination() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  int sig = 0;
  sigwait(&set, &sig);
}

void blockTerminationSignals() {
  // Blocked in every thread so that only sigwait() in the main thread receives them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int serve(Config& cfg, db::Database& db, const Args& args, bool web, bool scheduler) {
  // `serve --no-scheduler` still sends what the web queues ("send now"); it only starts no runs
  // by schedule. `worker` schedules and sends without the web.
  blockTerminationSignals();
  db.migrate(cfg.resourceDir + "/migrations");
  std::unique_ptr<web::Platform> platform;
  std::unique_ptr<web::Server> server;
  std::string bind = args.get("bind", cfg.bind);
  Services services(cfg, db);
  if (web) {
    platform = std::make_unique<web::Platform>(cfg, db);
    installModules(*platform, services);
    server = std::make_unique<web::Server>(*platform, bind);
    server->start();
    std::cerr << "mailwright " << MW_VERSION << " serving on http://" << bind
              << (scheduler ? " with the scheduler" : "") << "\n";
  }
  services.startBackground(scheduler);
  waitForTermination();
  std::cerr << "shutting down\n";
  if (server) server->stop();
  services.stopBackground();
  return 0;
}

}  // namespace

int runCommand(const std::string& cmd, const Args& args) {
  Config cfg = Config::load();
  if (cmd == "serve" || cmd == "worker" || cmd == "migrate") {
    db::Database db(cfg.databaseUrl);
    if (cmd == "migrate") {
      int n = db.migrate(cfg.resourceDir + "/migrations", true);
      std::cout << (n ? "migrations applied: " + std::to_string(n) : "database is up to date")
                << "\n";
      return 0;
    }
    return serve(cfg, db, args, cmd == "serve", cmd == "worker" || !args.on("no-scheduler"));
  }
  db::Database db(cfg.databaseUrl);
  db.migrate(cfg.resourceDir + "/migrations");
  if (cmd == "createsuperuser") return users::createSuperuser(cfg, db, args);
  if (cmd == "user") return users::userCommand(cfg, db, args);
  if (cmd == "role") return users::roleCommand(cfg, db, args);
  if (cmd == "token") return users::tokenCommand(cfg, db, args);
  Services services(cfg, db);
  if (auto rc = services.runCommand(cmd, args)) return *rc;
  std::cerr << "error: unknown command '" << cmd << "' (see mailwright --help)\n";
  return 2;
}

}  // namespace mw::app
