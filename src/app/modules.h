#pragma once
#include <optional>
#include <string>

#include "app/args.h"
#include "core/config.h"
#include "core/db.h"
#include "web/platform.h"

namespace mw::app {

// The domains wired together: their routes, background work and extra subcommands.
class Services {
 public:
  Services(const Config& cfg, db::Database& db) : cfg_(cfg), db_(db) {}
  ~Services();
  void startBackground();
  void stopBackground();
  // A domain subcommand (send, send-due); nullopt when the name is unknown.
  std::optional<int> runCommand(const std::string& cmd, const Args& args);
  const Config& cfg() const { return cfg_; }
  db::Database& db() { return db_; }

 private:
  const Config& cfg_;
  db::Database& db_;
};

void installModules(web::Platform& platform, Services& services);

}  // namespace mw::app
