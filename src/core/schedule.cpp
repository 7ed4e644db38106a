#include "core/schedule.h"

#include <algorithm>

namespace mw {

std::optional<Periodicity> parsePeriodicity(std::string_view s) {
  if (s == "once") return Periodicity::Once;
  if (s == "daily") return Periodicity::Daily;
  if (s == "weekly") return Periodicity::Weekly;
  if (s == "monthly") return Periodicity::Monthly;
  return std::nullopt;
}

const char* toString(Periodicity p) {
  switch (p) {
    case Periodicity::Once:
      return "once";
    case Periodicity::Daily:
      return "daily";
    case Periodicity::Weekly:
      return "weekly";
    case Periodicity::Monthly:
      return "monthly";
  }
  return "once";
}

std::int64_t occurrence(std::int64_t startUtc, Periodicity p, std::int64_t n, const TimeZone& tz) {
  if (n <= 0 || p == Periodicity::Once) return startUtc;
  LocalDateTime l = toLocal(startUtc, tz);
  if (p == Periodicity::Monthly) {
    std::int64_t months = (l.month - 1) + n;
    int day = l.day;
    l.year += static_cast<int>(months / 12);
    l.month = static_cast<int>(months % 12) + 1;
    l.day = std::min(day, daysInMonth(l.year, l.month));
  } else {
    std::int64_t days =
        daysFromCivil(l.year, l.month, l.day) + n * (p == Periodicity::Daily ? 1 : 7);
    // Back to a civil date through the epoch arithmetic of toLocal on a UTC midnight.
    LocalDateTime d = toLocal(days * 86400, *TimeZone::get("UTC"));
    l.year = d.year;
    l.month = d.month;
    l.day = d.day;
  }
  return tz.toUtc(l);
}

namespace {

// A first guess of how many periods fit between start and t; the callers correct it.
std::int64_t estimate(std::int64_t startUtc, Periodicity p, std::int64_t t) {
  if (t <= startUtc) return 0;
  std::int64_t span = t - startUtc;
  switch (p) {
    case Periodicity::Daily:
      return span / 86400;
    case Periodicity::Weekly:
      return span / (7 * 86400);
    case Periodicity::Monthly:
      return span / (31LL * 86400);
    default:
      return 0;
  }
}

}  // namespace

std::optional<std::int64_t> nextOccurrenceAfter(std::int64_t startUtc, Periodicity p,
                                                std::optional<std::int64_t> endUtc,
                                                std::int64_t afterUtc, const TimeZone& tz) {
  std::optional<std::int64_t> found;
  if (p == Periodicity::Once) {
    if (startUtc > afterUtc) found = startUtc;
  } else {
    std::int64_t n = std::max<std::int64_t>(0, estimate(startUtc, p, afterUtc) - 2);
    while (occurrence(startUtc, p, n, tz) <= afterUtc) ++n;
    found = occurrence(startUtc, p, n, tz);
  }
  if (found && endUtc && *found > *endUtc) return std::nullopt;
  return found;
}

std::optional<std::int64_t> latestDueOccurrence(std::int64_t startUtc, Periodicity p,
                                                std::optional<std::int64_t> endUtc,
                                                std::int64_t nowUtc, const TimeZone& tz) {
  std::int64_t limit = endUtc ? std::min(*endUtc, nowUtc) : nowUtc;
  if (startUtc > limit) return std::nullopt;
  if (p == Periodicity::Once) return startUtc;
  std::int64_t n = std::max<std::int64_t>(0, estimate(startUtc, p, limit) - 2);
  while (occurrence(startUtc, p, n + 1, tz) <= limit) ++n;
  return occurrence(startUtc, p, n, tz);
}

}  // namespace mw
