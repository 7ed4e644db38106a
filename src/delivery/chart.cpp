#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <cstdio>
#include <ctime>
#include <sstream>

#include "core/date.h"
#include "delivery/reports.h"
#include "web/format.h"

namespace mw::delivery {
namespace {

// 900 s: a local day starts on a quarter hour in every zone (+05:45 in Nepal), so buckets of
// this size always fall in one local day. A year of them is at most 35,136 rows.
constexpr std::int64_t kQuarter = 900;

std::string label(const LocalDateTime& l, bool hourly) {
  char b[32];
  if (hourly)
    std::snprintf(b, sizeof b, "%02d.%02d %02d:%02d", l.day, l.month, l.hour, l.minute);
  else
    std::snprintf(b, sizeof b, "%02d.%02d.%04d", l.day, l.month, l.year);
  return b;
}

}  // namespace

std::string chartJson(web::Ctx& ctx, AttemptLog& log, const AttemptFilter& f, bool hourly) {
  auto tz = web::zoneOf(ctx);
  std::vector<std::string> labels;
  std::vector<std::int64_t> ok, failed;
  std::int64_t first = 0;  // hourly: the UTC hour of the first point; daily: its day number
  if (hourly) {
    first = f.from / 3600 * 3600;
    for (std::int64_t h = first; h < f.to; h += 3600)
      labels.push_back(label(toLocal(h, *tz), true));
  } else {
    Date day = dateOf(f.from, *tz), last = dateOf(f.to - 1, *tz);
    first = day.number();
    for (; day.number() <= last.number(); day = day.plusDays(1))
      labels.push_back(label({day.year, day.month, day.day}, false));
  }
  ok.assign(labels.size(), 0);
  failed.assign(labels.size(), 0);
  for (const auto& p : log.series(f, hourly ? 3600 : kQuarter)) {
    auto index = hourly ? (p.bucket - first) / 3600 : dateOf(p.bucket, *tz).number() - first;
    if (index < 0 || index >= static_cast<std::int64_t>(labels.size())) continue;
    ok[index] += p.success;
    failed[index] += p.failure;
  }
  Poco::JSON::Array jl, js, jf;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    jl.add(labels[i]);
    js.add(ok[i]);
    jf.add(failed[i]);
  }
  Poco::JSON::Object o;
  o.set("labels", jl);
  o.set("success", js);
  o.set("failure", jf);
  o.set("success_label", ctx.t("chart_success"));
  o.set("failure_label", ctx.t("chart_failure"));
  std::ostringstream out;
  o.stringify(out);
  return out.str();
}

std::string mailingChartJson(web::Ctx& ctx, AttemptLog& log, std::int64_t mailingId) {
  auto tz = web::zoneOf(ctx);
  std::int64_t now = std::time(nullptr);
  AttemptFilter f;
  f.mailingId = mailingId;
  f.to = now + 1;
  // Young mailings (nothing before the last 48 hours) are shown by the hour.
  f.from = now - 48 * 3600;
  AttemptFilter before = f;
  before.from = 0;
  before.to = f.from;
  bool young = log.countUpTo(before, 1) == 0;
  if (!young) f.from = startOfDay(dateOf(now, *tz).plusDays(-29), *tz);
  return chartJson(ctx, log, f, young);
}

}  // namespace mw::delivery
