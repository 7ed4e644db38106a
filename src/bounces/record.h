#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "bounces/store.h"
#include "core/config.h"
#include "core/db.h"
#include "core/mailer.h"

namespace mw::bounces {

// An SMTP transaction's reply as the sender recorded it.
struct SmtpOutcome {
  DeliveryRef delivery;
  int code = 0;
  std::string reply;
  bool final = true;  // no retry follows
  std::int64_t at = 0;
};

// Bounces during the SMTP dialogue: each reply classified by its enhanced status code and
// recorded; a temporary failure (4.x.x) counts once its retries are over, so greylisting is not a
// bounce. Then the auto-pause rule over the mailings that got one; returns the mailings paused.
std::vector<PauseNotice> recordSmtp(db::Conn& c, const BounceConfig& cfg,
                                    const std::vector<SmtpOutcome>& outcomes);

// Tells each paused mailing's owner why (an email over the configured SMTP, in the owner's
// language; by `road`, see Mailer) and logs it. Never throws.
void notifyPaused(const Config& cfg, db::Conn& c, const std::vector<PauseNotice>& paused,
                  const MailRoad& road);

}  // namespace mw::bounces
