#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

#include "core/time.h"

namespace mw {

enum class Periodicity { Once, Daily, Weekly, Monthly };
std::optional<Periodicity> parsePeriodicity(std::string_view s);
const char* toString(Periodicity p);

// Occurrence n (0 = the start) in the zone's wall clock: a daily 09:00 mailing stays at 09:00
// across DST changes; monthly keeps the start's day, clamped to shorter months (31 -> 30 -> 28).
std::int64_t occurrence(std::int64_t startUtc, Periodicity p, std::int64_t n, const TimeZone& tz);
// The first occurrence strictly after `afterUtc` and not after the end.
std::optional<std::int64_t> nextOccurrenceAfter(std::int64_t startUtc, Periodicity p,
                                                std::optional<std::int64_t> endUtc,
                                                std::int64_t afterUtc, const TimeZone& tz);
// The latest occurrence at or before `nowUtc` (and the end): what a late scheduler owes.
std::optional<std::int64_t> latestDueOccurrence(std::int64_t startUtc, Periodicity p,
                                                std::optional<std::int64_t> endUtc,
                                                std::int64_t nowUtc, const TimeZone& tz);

}  // namespace mw
