#include "web/period.h"

#include "web/format.h"

namespace mw::web {

std::string Period::query() const {
  if (preset != "custom") return "range=" + preset;
  return "from=" + formatDate(first) + "&to=" + formatDate(last);
}

namespace {

// A custom range: both days given as dates, the first not after the last, at most a year long.
void readCustom(const Ctx& ctx, Period& p, const Date& today) {
  auto from = parseDate(ctx.query("from"));
  auto toText = ctx.query("to");
  auto to = toText.empty() ? std::optional<Date>(today) : parseDate(toText);
  if (!from) p.fromError = ctx.query("from").empty() ? "error_required" : "error_date_invalid";
  if (!to) p.toError = "error_date_invalid";
  if (from) p.first = *from;
  if (to) p.last = *to;
  if (!from || !to) return;
  if (to->number() < from->number())
    p.toError = "error_period_order";
  else if (to->number() - from->number() + 1 > kMaxPeriodDays)
    p.toError = "error_period_too_long";
}

}  // namespace

Period periodOf(const Ctx& ctx, const std::string& fallback, bool allowAll, std::int64_t now) {
  auto tz = zoneOf(ctx);
  Date today = dateOf(now, *tz);
  Period p;
  p.preset = ctx.query("range");
  bool known = p.preset == "7d" || p.preset == "30d" || p.preset == "month" ||
               p.preset == "custom" || (allowAll && p.preset == "all");
  if (!known) p.preset = ctx.query("from").empty() && ctx.query("to").empty() ? fallback : "custom";
  p.last = today;
  if (p.preset == "7d") p.first = today.plusDays(-6);
  if (p.preset == "30d") p.first = today.plusDays(-29);
  if (p.preset == "month") p.first = Date{today.year, today.month, 1};
  // The filter form sends the shown dates with the preset's name: dates changed by hand win.
  if (p.preset != "custom" &&
      (ctx.query("from") != p.fromText() || ctx.query("to") != p.toText()) &&
      !(ctx.query("from").empty() && ctx.query("to").empty()))
    p.preset = "custom";
  if (p.preset == "custom") readCustom(ctx, p, today);
  if (!p.ok()) return p;
  p.from = p.preset == "all" ? 0 : startOfDay(p.first, *tz);
  p.to = startOfDay(p.last.plusDays(1), *tz);
  return p;
}

}  // namespace mw::web
