// The public endpoints that pixels and links of tracked messages reach. Cheap by design (bench/
// http.cpp: >= 10,000 req/s each): the token is checked with one HMAC before any I/O, a pixel is
// one upsert, a click one cached read of its link and one upsert.
#include <cctype>
#include <ctime>
#include <mutex>
#include <stdexcept>
#include <unordered_map>

#include "tracking/module.h"
#include "tracking/repo.h"
#include "tracking/token.h"

namespace mw::tracking {
namespace {

using web::Ctx;
using web::HttpError;

// A transparent 1x1 GIF (43 bytes).
const std::string kPixel(
    "GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff\x21\xf9\x04\x01\x00\x00\x00\x00"
    "\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00\x3b",
    43);

// Link URLs by id: a link never changes once stored, so a click reads the database for its URL
// once per process. Bounded: cleared at 20,000 entries (~2 MB of URLs).
class LinkCache {
 public:
  std::optional<std::string> get(db::Conn& c, std::int64_t linkId, std::int64_t mailingId) {
    {
      std::lock_guard lock(mutex_);
      auto it = urls_.find(linkId);
      if (it != urls_.end() && it->second.first == mailingId) return it->second.second;
    }
    auto url = Repo(c).linkUrl(linkId, mailingId);
    if (!url) return std::nullopt;
    std::lock_guard lock(mutex_);
    if (urls_.size() >= 20000) urls_.clear();
    urls_[linkId] = {mailingId, *url};
    return url;
  }

 private:
  std::mutex mutex_;
  std::unordered_map<std::int64_t, std::pair<std::int64_t, std::string>> urls_;
};

struct State {
  std::string key;
  int machineSeconds = 10;
  LinkCache links;
};

bool mentionsForeignKey(std::string text) {
  for (auto& ch : text) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return text.find("foreign key") != std::string::npos;
}

// Runs an upsert; a delivery deleted with its mailing since the send answers 404, changing
// nothing (its rows went with it). PostgreSQL's driver throws Poco's exceptions, SQLite's
// statements std::runtime_error.
template <typename F>
void record(Ctx& ctx, F&& write) {
  bool gone = false;
  try {
    auto c = ctx.platform.db.conn();
    write(c);
  } catch (const Poco::Exception& e) {
    if (!mentionsForeignKey(e.displayText())) throw;
    gone = true;
  } catch (const std::runtime_error& e) {
    if (!mentionsForeignKey(e.what())) throw;
    gone = true;
  }
  if (gone) throw HttpError(404, ctx.t("error_not_found"));
}

void noStore(Ctx& ctx) {
  ctx.res.set("Cache-Control", "no-store, no-cache, private, max-age=0");
  ctx.res.set("Referrer-Policy", "no-referrer");
}

void openPixel(Ctx& ctx, State& s) {
  auto t = readToken(s.key, ctx.params["token"], 'o');
  if (!t) throw HttpError(404, ctx.t("error_not_found"));
  auto now = static_cast<std::int64_t>(std::time(nullptr));
  std::string ua = ctx.req.get("User-Agent");
  // A proxy by name, or by behaviour: a person does not open a message within seconds of its
  // send, a prefetching proxy does (t->extra: the send time signed in the token).
  bool machine = isMachineUserAgent(ua) || now - t->extra < s.machineSeconds;
  record(ctx,
         [&](db::Conn& c) { Repo(c).recordOpen(t->deliveryId, t->mailingId, machine, ua, now); });
  noStore(ctx);
  ctx.text(kPixel, "image/gif", 200);
}

void clickRedirect(Ctx& ctx, State& s) {
  auto t = readToken(s.key, ctx.params["token"], 'c');
  if (!t) throw HttpError(404, ctx.t("error_not_found"));
  std::optional<std::string> url;
  record(ctx, [&](db::Conn& c) {
    url = s.links.get(c, t->extra, t->mailingId);
    if (url) Repo(c).recordClick(t->deliveryId, t->mailingId, t->extra, std::time(nullptr));
  });
  if (!url) throw HttpError(404, ctx.t("error_not_found"));
  noStore(ctx);
  ctx.res.set("Location", *url);
  ctx.text("", "text/plain; charset=utf-8", 302);
}

}  // namespace

void install(web::Platform& p) {
  auto s = std::make_shared<State>();
  s->key = tokenKey(p.cfg.secretKey);
  s->machineSeconds = p.cfg.trackingMachineSeconds;
  p.get("/t/o/{token}", [s](Ctx& ctx) { openPixel(ctx, *s); });
  p.get("/t/c/{token}", [s](Ctx& ctx) { clickRedirect(ctx, *s); });
}

}  // namespace mw::tracking
