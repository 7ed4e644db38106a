#include "tracking/send.h"

#include "tracking/repo.h"
#include "tracking/rewrite.h"
#include "tracking/token.h"

namespace mw::tracking {

Tracker::Tracker(const Config& cfg, db::Conn& c,
                 std::function<std::unique_lock<std::mutex>()> writeLock)
    : cfg_(cfg), c_(c), writeLock_(std::move(writeLock)), key_(tokenKey(cfg.secretKey)) {}

Plan Tracker::plan(const Target& t, bool pixel, std::int64_t now) {
  Plan plan;
  plan.keepUrl = t.unsubscribeUrl;
  if (t.opens && pixel)
    plan.pixelUrl = cfg_.baseUrl + "/t/o/" + makeToken(key_, {'o', t.deliveryId, t.mailingId, now});
  if (t.clicks) {
    plan.clicks = true;
    // Called for each trackable URL in document order: a URL new to the mailing is stored on
    // the spot, under the write lock.
    plan.redirectFor = [this, &t, now](const std::string& url) -> std::optional<std::string> {
      auto key = std::make_pair(t.mailingId, url);
      auto it = links_.find(key);
      if (it == links_.end()) {
        auto lock = writeLock_ ? writeLock_() : std::unique_lock<std::mutex>();
        it = links_.emplace(key, Repo(c_).linkId(t.mailingId, url, now)).first;
      }
      if (it->second <= 0) return std::nullopt;
      return cfg_.baseUrl + "/t/c/" + makeToken(key_, {'c', t.deliveryId, t.mailingId, it->second});
    };
  }
  return plan;
}

void Tracker::apply(mail::OutgoingMessage& msg, const Target& t, std::int64_t now,
                    bool htmlTracked) {
  if (!t.opens && !t.clicks) return;
  auto p = plan(t, !msg.html.empty(), now);
  if (htmlTracked) {
    msg.text = rewrite("", msg.text, p).text;
    return;
  }
  auto bodies = rewrite(msg.html, msg.text, p);
  msg.html = std::move(bodies.html);
  msg.text = std::move(bodies.text);
}

std::vector<std::pair<std::string, std::string>> Tracker::htmlValues(const TrackedTemplate& tracked,
                                                                     const Target& t,
                                                                     std::int64_t now) {
  if (!tracked.usable) return {};
  return templateValues(tracked, plan(t, true, now));
}

}  // namespace mw::tracking
