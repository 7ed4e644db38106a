#include "delivery/engagement_view.h"

#include <Poco/JSON/Array.h>

#include <cstdio>
#include <sstream>

#include "core/date.h"
#include "delivery/report_query.h"
#include "web/csv.h"
#include "web/format.h"

namespace mw::delivery {
namespace {

// 900 s: a local day starts on a quarter hour in every zone (+05:45 in Nepal), so buckets of
// this size always fall in one local day (as the attempts' chart does).
constexpr std::int64_t kQuarter = 900;

std::string isoDay(const Date& d) {
  char b[16];
  std::snprintf(b, sizeof b, "%04d-%02d-%02d", d.year, d.month, d.day);
  return b;
}

std::string humanDay(const std::string& iso) {  // "2026-12-07" -> "07.12.2026"
  return iso.substr(8, 2) + "." + iso.substr(5, 2) + "." + iso.substr(0, 4);
}

}  // namespace

EngagementDays engagementDays(web::Ctx& ctx, db::Conn& c, const AttemptFilter& f) {
  auto tz = web::zoneOf(ctx);
  EngagementDays out;
  Date day = dateOf(f.from, *tz), last = dateOf(f.to - 1, *tz);
  const auto first = day.number();
  for (; day.number() <= last.number(); day = day.plusDays(1)) out.days.push_back(isoDay(day));
  out.values.resize(out.days.size());
  for (const auto& p : engagementSeries(c, f, kQuarter)) {
    auto index = dateOf(p.bucket, *tz).number() - first;
    if (index < 0 || index >= static_cast<std::int64_t>(out.days.size())) continue;
    out.values[static_cast<std::size_t>(index)].add(p);
    out.total.add(p);
  }
  return out;
}

web::Data engagementCards(const web::Ctx& ctx, const Engagement& e) {
  struct Card {
    const char* id;
    const char* label;
    std::int64_t n;
    std::int64_t of;
  };
  const Card cards[] = {
      {"sent", "stat_sent", e.sent, 0},
      {"delivered", "stat_delivered", e.delivered, e.sent},
      {"opened", "tracking_opened", e.opened, e.delivered},
      {"opened-machine", "tracking_opened_machine", e.openedMachine, e.delivered},
      {"clicked", "tracking_clicked", e.clicked, e.delivered},
      {"bounced-hard", "stat_bounced_hard", e.bouncedHard, e.sent},
      {"bounced-soft", "stat_bounced_soft", e.bouncedSoft, e.sent},
      {"complained", "stat_complained", e.complained, e.delivered},
      {"unsubscribed", "stat_unsubscribed", e.unsubscribed, e.delivered},
  };
  web::Data list(web::Data::type::list);
  for (const auto& card : cards) {
    web::Data d;
    d.set("id", std::string(card.id));
    d.set("label", ctx.t(card.label));
    d.set("value", std::to_string(card.n));
    d.set("has_rate", std::string(card.id) != "sent");
    d.set("rate", rateText(ctx, card.n, card.of));
    list.push_back(d);
  }
  return list;
}

std::string engagementChartJson(const web::Ctx& ctx, const EngagementDays& d) {
  Poco::JSON::Array labels, datasets;
  for (const auto& day : d.days) labels.add(humanDay(day));
  struct Line {
    const char* label;
    const char* color;
    std::int64_t Engagement::*field;
  };
  // Bootstrap's secondary, primary, teal, red and orange: told apart by colour and by legend.
  const Line lines[] = {{"stat_sent", "#6c757d", &Engagement::sent},
                        {"tracking_opened", "#0d6efd", &Engagement::opened},
                        {"tracking_clicked", "#20c997", &Engagement::clicked},
                        {"chart_bounced", "#dc3545", nullptr},
                        {"stat_complained", "#fd7e14", &Engagement::complained}};
  for (const auto& line : lines) {
    Poco::JSON::Array data;
    for (const auto& v : d.values)
      data.add(line.field ? v.*line.field : v.bouncedHard + v.bouncedSoft);
    Poco::JSON::Object set;
    set.set("label", ctx.t(line.label));
    set.set("color", std::string(line.color));
    set.set("data", data);
    datasets.add(set);
  }
  Poco::JSON::Object o;
  o.set("type", "line");
  o.set("labels", labels);
  o.set("datasets", datasets);
  std::ostringstream out;
  o.stringify(out);
  return out.str();
}

std::string engagementCsv(const EngagementDays& d, char sep) {
  const std::string s(1, sep);
  auto row = [&](const std::string& first, const Engagement& e) {
    std::string out = first;
    for (auto n : {e.sent, e.delivered, e.opened, e.openedMachine, e.clicked, e.bouncedHard,
                   e.bouncedSoft, e.complained, e.unsubscribed})
      out += s + std::to_string(n);
    return out + "\r\n";
  };
  std::string out = std::string(web::kCsvBom) + "date" + s + "sent" + s + "delivered" + s +
                    "opened" + s + "opened_machine" + s + "clicked" + s + "bounced_hard" + s +
                    "bounced_soft" + s + "complained" + s + "unsubscribed\r\n";
  for (std::size_t i = 0; i < d.days.size(); ++i) out += row(d.days[i], d.values[i]);
  return out + row("total", d.total);
}

void addEngagementJson(const Engagement& e, Poco::JSON::Object& o) {
  o.set("sent", e.sent);
  o.set("delivered", e.delivered);
  o.set("opened", e.opened);
  o.set("opened_machine", e.openedMachine);
  o.set("clicked", e.clicked);
  o.set("bounced_hard", e.bouncedHard);
  o.set("bounced_soft", e.bouncedSoft);
  o.set("complained", e.complained);
  o.set("unsubscribed", e.unsubscribed);
}

}  // namespace mw::delivery
