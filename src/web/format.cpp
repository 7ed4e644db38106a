#include "web/format.h"

namespace mw::web {

std::shared_ptr<const TimeZone> zoneOf(const Ctx& ctx) {
  std::shared_ptr<const TimeZone> tz;
  if (ctx.user) tz = TimeZone::get(ctx.user->timeZone);
  return tz ? tz : TimeZone::get("UTC");
}

std::string humanTime(const Ctx& ctx, std::optional<std::int64_t> utc) {
  return utc ? formatHuman(*utc, *zoneOf(ctx)) : std::string("—");
}

std::string isoTime(const Ctx& ctx, std::optional<std::int64_t> utc) {
  return utc ? formatIso8601(*utc, *zoneOf(ctx)) : std::string();
}

}  // namespace mw::web
