// The date range of a report page: ?range=7d|30d|month|all, or ?from=&to= (YYYY-MM-DD, both days
// included), read as days of the reader's time zone.
#pragma once
#include <cstdint>
#include <string>

#include "core/date.h"
#include "web/context.h"

namespace mw::web {

struct Period {
  std::string preset;              // "7d", "30d", "month", "all" or "custom"
  std::int64_t from = 0, to = 0;   // UTC [from, to); from 0 with "all"
  Date first, last;                // the local days shown (first unset with "all")
  std::string fromError, toError;  // translation keys, "" when fine
  bool ok() const { return fromError.empty() && toError.empty(); }
  // The days as the form's date fields show them ("" for the start of "all").
  std::string fromText() const { return preset == "all" ? "" : formatDate(first); }
  std::string toText() const { return formatDate(last); }
  // The query parameters that give this period back: "range=7d" or "from=...&to=...".
  std::string query() const;
};

// A custom range spans at most this many days: a year and a day, so "the same day last year"
// fits, and the daily chart stays under 367 points.
constexpr int kMaxPeriodDays = 367;

// `fallback` is used when no range is asked for; "all" is offered only where allowAll.
Period periodOf(const Ctx& ctx, const std::string& fallback, bool allowAll, std::int64_t now);

}  // namespace mw::web
