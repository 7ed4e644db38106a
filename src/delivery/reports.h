// Reports (issue 16.5): the attempt log with its filters and export, the per-mailing table and
// the chart over a period of the reader's days.
#pragma once
#include <cstdint>
#include <string>

#include "delivery/log.h"
#include "mailings/repo.h"
#include "web/platform.h"

namespace mw::delivery {

// {labels, success, failure, ...} for Chart.js over the filter's [from, to): one point per local
// day, or per hour when `hourly`, every point present (zeros included).
std::string chartJson(web::Ctx& ctx, AttemptLog& log, const AttemptFilter& f, bool hourly);
// The chart of a mailing's panel: its last 30 days, or its last 48 hours while that is all of it.
std::string mailingChartJson(web::Ctx& ctx, AttemptLog& log, std::int64_t mailingId);

// The mailing of the path's id if the user owns it, or any mailing for a manager; else 404.
mailings::Mailing viewable(web::Ctx& ctx, db::Conn& c);

// GET /reports, /reports/attempts.csv, /mailings/{id}/attempts[.csv], their API.
void installReports(web::Platform& p);
// GET /mailings/{id}/recipients and its API: each recipient's timeline (recipients.cpp).
void installRecipients(web::Platform& p);

}  // namespace mw::delivery
