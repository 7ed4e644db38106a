#pragma once
#include <condition_variable>
#include <mutex>
#include <thread>

#include "core/config.h"
#include "core/db.h"
#include "core/mailer.h"

namespace mw::bounces {

struct PollResult {
  int read = 0;       // messages retrieved
  int recorded = 0;   // that changed something
  int unmatched = 0;  // not a report, or no delivery of ours (forged, another address)
};

// One pass over BOUNCE_MAILBOX: every message is parsed, matched and recorded, then deleted
// (unmatched ones too: the mailbox is Mailwright's own, and a message read every minute forever
// helps no one). A message whose recording failed (database) stays for the next pass.
// road: how the pause notices it sends leave (see Mailer).
PollResult pollMailbox(const Config& cfg, db::Database& db, const MailRoad& road);

// Polls every BOUNCE_POLL_SECONDS (60) in its own thread, in the process that runs the sender.
class MailboxPoller {
 public:
  MailboxPoller(const Config& cfg, db::Database& db, MailRoad road);
  ~MailboxPoller();
  void start();
  void stop();

 private:
  const Config& cfg_;
  db::Database& db_;
  MailRoad road_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
};

}  // namespace mw::bounces
