#include "core/date.h"

#include <cstdio>

namespace mw {

Date Date::fromNumber(std::int64_t days) {
  Date d;
  civilFromDays(days, d.year, d.month, d.day);
  return d;
}

std::optional<Date> parseDate(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  int parts[3] = {0, 0, 0};
  const std::size_t starts[3] = {0, 5, 8}, lengths[3] = {4, 2, 2};
  for (int i = 0; i < 3; ++i)
    for (std::size_t k = starts[i]; k < starts[i] + lengths[i]; ++k) {
      if (s[k] < '0' || s[k] > '9') return std::nullopt;
      parts[i] = parts[i] * 10 + (s[k] - '0');
    }
  Date d{parts[0], parts[1], parts[2]};
  if (d.year < 1970 || d.month < 1 || d.month > 12 || d.day < 1 ||
      d.day > daysInMonth(d.year, d.month))
    return std::nullopt;
  return d;
}

std::string formatDate(const Date& d) {
  char b[16];
  std::snprintf(b, sizeof b, "%04d-%02d-%02d", d.year, d.month, d.day);
  return b;
}

Date dateOf(std::int64_t utc, const TimeZone& tz) {
  auto l = toLocal(utc, tz);
  return {l.year, l.month, l.day};
}

std::int64_t startOfDay(const Date& d, const TimeZone& tz) {
  return tz.toUtc({d.year, d.month, d.day, 0, 0, 0});
}

std::string formatHumanSeconds(std::int64_t utc, const TimeZone& tz) {
  auto l = toLocal(utc, tz);
  char b[32];
  std::snprintf(b, sizeof b, "%02d.%02d.%04d %02d:%02d:%02d", l.day, l.month, l.year, l.hour,
                l.minute, l.second);
  return b;
}

}  // namespace mw
