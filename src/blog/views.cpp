#include "blog/views.h"

#include <Poco/String.h>

#include <ctime>

#include "blog/repo.h"
#include "core/security.h"
#include "web/platform.h"

namespace mw::blog {

bool isBot(const std::string& userAgent) {
  static const char* const kMarks[] = {"bot",
                                       "crawl",
                                       "spider",
                                       "slurp",
                                       "mediapartners",
                                       "facebookexternalhit",
                                       "embedly",
                                       "preview",
                                       "bingpreview",
                                       "pingdom",
                                       "uptime",
                                       "monitor",
                                       "curl/",
                                       "wget/",
                                       "python-requests",
                                       "go-http-client",
                                       "httpclient",
                                       "scrapy",
                                       "lighthouse",
                                       "yandex.com/bots",
                                       "whatsapp",
                                       "telegram",
                                       "discord",
                                       "skypeuripreview"};
  std::string ua = Poco::toLower(userAgent);
  for (const char* m : kMarks)
    if (ua.find(m) != std::string::npos) return true;
  return false;
}

std::string visitorKey(const web::Ctx& ctx) {
  if (ctx.user) return "u" + std::to_string(ctx.user->id);
  std::string ua = ctx.req.get("User-Agent", "");
  return "a" + security::sha256Hex(ctx.platform.cfg.secretKey + "\n" + ctx.clientIp() + "\n" + ua)
                   .substr(0, 32);
}

std::int64_t countView(web::Ctx& ctx, std::int64_t articleId, std::int64_t current) {
  if (isBot(ctx.req.get("User-Agent", ""))) return current;
  auto c = ctx.platform.db.conn();
  std::int64_t day = std::time(nullptr) / 86400;
  std::int64_t views = Repo(c).addVisitorView(articleId, visitorKey(ctx), day);
  return views ? views : current;
}

}  // namespace mw::blog
