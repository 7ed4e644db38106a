#include "web/format.h"

#include <Poco/Net/NameValueCollection.h>

#include <cctype>

namespace mw::web {

std::string browserZone(const Ctx& ctx) {
  Poco::Net::NameValueCollection cookies;
  ctx.req.getCookies(cookies);
  std::string name = cookies.get("tz", "");
  if (name.size() > 64 || name.find("..") != std::string::npos) return "";
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '/' && c != '_' && c != '-' &&
        c != '+')
      return "";
  return name.empty() || !TimeZone::get(name) ? std::string() : name;
}

// Once per request: a page of 50 mailings asks 200 times, and each lookup takes a global lock.
std::shared_ptr<const TimeZone> zoneOf(const Ctx& ctx) {
  auto& tz = ctx.zoneCache();
  if (tz) return tz;
  if (ctx.user) tz = TimeZone::get(ctx.user->timeZone);
  if (!tz) {
    std::string browser = browserZone(ctx);
    if (!browser.empty()) tz = TimeZone::get(browser);
  }
  if (!tz) tz = TimeZone::get("UTC");
  return tz;
}

std::string humanTime(const Ctx& ctx, std::optional<std::int64_t> utc) {
  return utc ? formatHuman(*utc, *zoneOf(ctx)) : std::string("—");
}

std::string isoTime(const Ctx& ctx, std::optional<std::int64_t> utc) {
  return utc ? formatIso8601(*utc, *zoneOf(ctx)) : std::string();
}

}  // namespace mw::web
