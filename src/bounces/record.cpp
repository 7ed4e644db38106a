#include "bounces/record.h"

#include <algorithm>
#include <iostream>

#include "core/i18n.h"
#include "core/mailer.h"
#include "mailings/repo.h"
#include "users/repo.h"

namespace mw::bounces {

std::vector<PauseNotice> recordSmtp(db::Conn& c, const BounceConfig& cfg,
                                    const std::vector<SmtpOutcome>& outcomes) {
  Store store(c, cfg);
  std::vector<std::int64_t> mailings;
  for (const auto& o : outcomes) {
    Kind kind = classifySmtp(o.code, o.reply);
    if (kind == Kind::None || (o.code < 500 && !o.final)) continue;
    Event e{o.delivery, kind, "smtp", enhancedCode(o.reply), std::to_string(o.code) + " " + o.reply,
            "",         o.at};
    if (store.record(e) && kind == Kind::Hard) mailings.push_back(o.delivery.mailingId);
  }
  std::sort(mailings.begin(), mailings.end());
  mailings.erase(std::unique(mailings.begin(), mailings.end()), mailings.end());
  return mailings.empty() ? std::vector<PauseNotice>{} : store.checkPause(mailings);
}

namespace {

std::string fill(std::string text, const std::string& key, const std::string& value) {
  const std::string mark = "{" + key + "}";
  for (auto p = text.find(mark); p != std::string::npos; p = text.find(mark, p + value.size()))
    text.replace(p, mark.size(), value);
  return text;
}

}  // namespace

void notifyPaused(const Config& cfg, db::Conn& c, const std::vector<PauseNotice>& paused,
                  const MailRoad& road) {
  if (paused.empty()) return;
  try {
    I18n i18n(cfg.resourceDir + "/locales");
    for (const auto& p : paused) {
      std::cerr << "bounces: mailing " << p.mailingId << " paused itself: " << p.reason << "\n";
      auto m = mailings::Repo(c).getAny(p.mailingId, false);
      if (!m) continue;
      auto owner = users::Repo(c).byId(m->ownerId);
      if (!owner) continue;
      std::string lang = i18n.supports(owner->language) ? owner->language : "en";
      std::string link = cfg.baseUrl + "/mailings/" + std::to_string(m->id);
      std::string text =
          fill(fill(fill(i18n.t(lang, "mail_autopause_body"), "name", m->name), "reason", p.reason),
               "link", link);
      auto sent = Mailer(cfg, road).send(
          owner->email, owner->name, fill(i18n.t(lang, "mail_autopause_subject"), "name", m->name),
          text);
      if (!sent.ok)
        std::cerr << "bounces: the pause notice to " << owner->email << " failed: " << sent.error
                  << "\n";
    }
  } catch (const std::exception& e) {
    std::cerr << "bounces: pause notice: " << e.what() << "\n";
  }
}

}  // namespace mw::bounces
