// Issue 13.5 on /reports: the engagement figures as cards (numbers and rates), a chart of them per
// day and a CSV of the same days.
#pragma once
#include <Poco/JSON/Object.h>

#include <string>
#include <vector>

#include "delivery/engagement.h"
#include "web/context.h"

namespace mw::delivery {

// The period's figures a local day each, every day of [f.from, f.to) present (zeros included).
struct EngagementDays {
  std::vector<std::string> days;  // YYYY-MM-DD
  std::vector<Engagement> values;
  Engagement total;
};
EngagementDays engagementDays(web::Ctx& ctx, db::Conn& c, const AttemptFilter& f);

// Cards: each figure with its rate; bounces are rated of the messages sent, the rest of those
// delivered (accepted by the recipient's server).
web::Data engagementCards(const web::Ctx& ctx, const Engagement& e);
// {labels, datasets: [{label, data, color}]}: sent, opened, clicked, bounced, complained.
std::string engagementChartJson(const web::Ctx& ctx, const EngagementDays& d);
// date,sent,delivered,opened,opened_machine,clicked,bounced_hard,bounced_soft,complained,
// unsubscribed: a row per day, then the total.
std::string engagementCsv(const EngagementDays& d, char sep);
void addEngagementJson(const Engagement& e, Poco::JSON::Object& o);

}  // namespace mw::delivery
