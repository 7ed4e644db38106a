// The schedule and time parsers: ISO 8601, datetime-local input, periodicity, and the
// occurrences computed from what they accept.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/schedule.h"
#include "core/time.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto utc = mw::parseIso8601(text);
  auto local = mw::parseLocalDateTime(text);
  auto period = mw::parsePeriodicity(text.substr(0, text.find(' ')));
  auto tz = mw::TimeZone::get("Europe/Moscow");
  // Before 1970 some zones had offsets with seconds (local mean time), which ISO 8601 output
  // rounds to minutes: the round trip is checked from 1970 on.
  if (utc && tz && *utc >= 0) {
    auto back = mw::parseIso8601(mw::formatIso8601(*utc, *tz));
    if (!back || *back != *utc) std::abort();  // formatting and parsing agree
    for (auto p : {mw::Periodicity::Daily, mw::Periodicity::Monthly}) {
      auto next = mw::nextOccurrenceAfter(*utc, p, *utc + 86400 * 400, *utc + 3600, *tz);
      if (next && (*next <= *utc + 3600 || *next > *utc + 86400 * 400)) std::abort();
    }
  }
  if (local && tz) (void)tz->toUtc(*local);
  (void)period;
  return 0;
}
