// Calendar days, for reports that count by the reader's days rather than by UTC ones.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/time.h"

namespace mw {

struct Date {
  int year = 1970, month = 1, day = 1;
  std::int64_t number() const { return daysFromCivil(year, month, day); }  // days since 1970-01-01
  static Date fromNumber(std::int64_t days);
  Date plusDays(std::int64_t n) const { return fromNumber(number() + n); }
  bool operator==(const Date&) const = default;
};

// YYYY-MM-DD, as <input type="date"> sends it: a real calendar day of the years 1970-9999.
std::optional<Date> parseDate(std::string_view text);
std::string formatDate(const Date& d);  // YYYY-MM-DD
// The day `utc` falls on in the zone, and the UTC instant that local day starts.
Date dateOf(std::int64_t utc, const TimeZone& tz);
std::int64_t startOfDay(const Date& d, const TimeZone& tz);
// 24.11.2026 15:04:05: formatHuman with seconds, for logs where order within a minute matters.
std::string formatHumanSeconds(std::int64_t utc, const TimeZone& tz);

}  // namespace mw
