#include "app/commands.h"

#include <signal.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <thread>

#include "app/demo.h"
#include "app/modules.h"
#include "app/purger.h"
#include "core/config.h"
#include "core/db.h"
#include "core/log.h"
#include "dkim/cli.h"
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

// Every idle keep-alive connection holds a descriptor: allow as many as the hard limit.
void raiseOpenFilesLimit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
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
  // by schedule. `serve --no-delivery` is the web alone, for a fleet whose `worker` processes
  // send. `worker` schedules and sends without the web.
  blockTerminationSignals();
  if (web) raiseOpenFilesLimit();
  db.migrate(cfg.resourceDir + "/migrations");
  std::unique_ptr<web::Platform> platform;
  std::unique_ptr<web::Server> server;
  std::unique_ptr<Purger> purger;
  std::string bind = args.get("bind", cfg.bind);
  Services services(cfg, db);
  if (web) {
    platform = std::make_unique<web::Platform>(cfg, db);
    installModules(*platform, services);
    server = std::make_unique<web::Server>(*platform, bind);
    server->start();
    log::info("serving", {{"version", MW_VERSION},
                          {"url", "http://" + bind},
                          {"scheduler", scheduler ? "on" : "off"}});
    purger = std::make_unique<Purger>(*platform, cfg.purgeIntervalSeconds);
  }
  // A worker has no web: its counters are served on their own small listener (README, Metrics).
  std::unique_ptr<web::Platform> metricsPlatform;
  std::unique_ptr<web::Server> metricsServer;
  std::string metricsBind = args.get("metrics-bind", cfg.metricsBind);
  if (!web && !metricsBind.empty()) {
    metricsPlatform = std::make_unique<web::Platform>(cfg, db);
    metricsServer = std::make_unique<web::Server>(*metricsPlatform, metricsBind,
                                                  web::ServerLimits{.ioThreads = 1, .workers = 1});
    metricsServer->start();
    log::info("serving metrics", {{"url", "http://" + metricsBind + "/metrics"}});
  }
  bool delivery = !(web && args.on("no-delivery"));
  if (delivery) services.startBackground(scheduler);
  waitForTermination();
  purger.reset();
  log::info("shutting down", {{"timeout_s", std::to_string(cfg.shutdownTimeout)}});
  // Work in flight gets SHUTDOWN_TIMEOUT seconds; past it the process leaves anyway, and what it
  // had claimed is re-queued by the others once its heartbeat stops.
  std::thread watchdog([timeout = cfg.shutdownTimeout] {
    std::this_thread::sleep_for(std::chrono::seconds(timeout));
    log::error("shutdown timed out, exiting", {{"timeout_s", std::to_string(timeout)}});
    std::_Exit(1);
  });
  watchdog.detach();
  if (server) server->stop();
  if (metricsServer) metricsServer->stop();
  services.stopBackground();
  log::info("stopped");
  return 0;
}

int backupCommand(db::Database& db, const Args& args) {
  if (args.positional.empty()) {
    std::cerr << "error: usage: mailwright backup FILE\n";
    return 2;
  }
  const std::string& file = args.positional[0];
  try {
    db::backup(db, file);
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  std::cout << "database copied to " << file << "\n";
  return 0;
}

}  // namespace

int runCommand(const std::string& cmd, const Args& args) {
  Config cfg = Config::load();
  log::configure(log::parseLevel(cfg.logLevel), cfg.logJson);
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
  if (cmd == "backup") return backupCommand(db, args);
  if (cmd == "demo") return demoCommand(cfg, db, args);
  if (cmd == "dkim") return dkim::command(cfg, db, args);
  Services services(cfg, db);
  if (auto rc = services.runCommand(cmd, args)) return *rc;
  std::cerr << "error: unknown command '" << cmd << "' (see mailwright --help)\n";
  return 2;
}

}  // namespace mw::app
