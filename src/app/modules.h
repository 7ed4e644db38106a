#pragma once
#include <memory>
#include <optional>
#include <string>

#include "app/args.h"
#include "app/delivery_door.h"
#include "core/cache.h"
#include "core/config.h"
#include "core/db.h"
#include "delivery/engine.h"
#include "delivery/metrics.h"
#include "dkim/keyring.h"
#include "web/platform.h"

namespace mw::bounces {
class MailboxPoller;
}

namespace mw::app {

// The domains wired together: their routes, the delivery engine and extra subcommands.
class Services {
 public:
  Services(const Config& cfg, db::Database& db);
  ~Services();
  void startBackground(bool scheduler);
  void stopBackground();
  // A domain subcommand (send, send-due); nullopt when the name is unknown.
  std::optional<int> runCommand(const std::string& cmd, const Args& args);
  delivery::Engine& engine() { return *engine_; }
  // DKIM signing of any message by its From domain's key (mailings, test sends, account mail).
  mail::Finish signMail() {
    return [this](const std::string& from, std::string bytes) {
      return keys_.sign(from, std::move(bytes));
    };
  }
  // Account mail's road: through a relay picked as for a test send, signed.
  MailRoad mailRoad() { return engine_->mailRoad(); }

 private:
  std::unique_ptr<Cache> cache_;
  dkim::KeyRing keys_;  // outlives engine_, whose slots sign with it
  DeliveryDoor door_;   // outlives engine_ too
  std::unique_ptr<delivery::Engine> engine_;
  delivery::EngineMetrics metrics_;                  // after engine_: its collector goes first
  std::unique_ptr<bounces::MailboxPoller> bounces_;  // issue 13: with the scheduler
  bool started_ = false;
};

void installModules(web::Platform& platform, Services& services);

}  // namespace mw::app
