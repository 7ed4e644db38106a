#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/time.h"
#include "web/context.h"

namespace mw::web {

// The browser's IANA zone from the `tz` cookie static/app.js sets, "" when absent or unknown.
std::string browserZone(const Ctx& ctx);
// The signed-in user's time zone; for visitors the browser's (tz cookie), else UTC.
std::shared_ptr<const TimeZone> zoneOf(const Ctx& ctx);
std::string humanTime(const Ctx& ctx, std::optional<std::int64_t> utc);  // "—" when none
std::string isoTime(const Ctx& ctx, std::optional<std::int64_t> utc);    // "" when none

}  // namespace mw::web
