#include "delivery/reports.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <ctime>
#include <limits>

#include "delivery/engagement_view.h"
#include "delivery/report_query.h"
#include "mailings/repo.h"
#include "web/csv.h"
#include "web/format.h"
#include "web/guards.h"
#include "web/pager.h"

namespace mw::delivery {
namespace {

using web::Ctx;
using web::Data;
using web::HttpError;

// The log's pager counts up to 10,000 (or just past the page shown), as the client list does.
constexpr std::int64_t kCountCap = 10'001;
// The per-mailing table shows this many rows, in the order asked for.
constexpr int kMailingRows = 100;
// Exports read the log by keyset in chunks of this many rows.
constexpr int kChunk = 5000;

// Exports and the API refuse a bad period with its first reason (pages show both beside the
// fields).
void requireValid(const Ctx& ctx, const LogQuery& q) {
  const auto& p = q.period;
  if (!p.ok()) throw HttpError(400, ctx.t(p.fromError.empty() ? p.toError : p.fromError));
}

// A manager reads any mailing's log; everyone else only their own (the owner is in the query).
AttemptFilter mailingFilter(Ctx& ctx, const LogQuery& q, const mailings::Mailing& m) {
  return q.filter(m.id, ctx.user->has("manager") ? 0 : ctx.user->id);
}

Data logRows(Ctx& ctx, const std::vector<AttemptRow>& rows) {
  auto tz = web::zoneOf(ctx);
  Data items(Data::type::list);
  for (const auto& a : rows) {
    Data r;
    r.set("at", formatHumanSeconds(a.at, *tz));
    r.set("at_iso", formatIso8601(a.at, *tz));
    r.set("mailing_id", std::to_string(a.mailingId));
    r.set("mailing_name", a.mailingName);
    r.set("email", a.email);
    r.set("success", a.status == "success");
    r.set("retry", !a.final);
    r.set("code", a.code ? std::to_string(a.code) : std::string("—"));
    r.set("reply", a.reply);
    if (!a.bounce.empty()) {
      // "hard 5.1.1: text": the kind (hard, soft, complaint) in the reader's language.
      auto end = a.bounce.find_first_of(" :");
      r.set("bounce", ctx.t("bounce_kind_" + a.bounce.substr(0, end)) +
                          (end == std::string::npos ? "" : a.bounce.substr(end)));
    }
    items.push_back(r);
  }
  return items;
}

// The log's rows of the page asked for, its pager and the count shown above it.
void addLog(Ctx& ctx, AttemptLog& log, const LogQuery& q, const AttemptFilter& f,
            const std::string& path, Data& d) {
  auto pager = web::Pager::from(ctx, 50);
  std::int64_t cap = std::max<std::int64_t>(kCountCap, pager.offset() + pager.perPage + 1);
  pager.total = log.countUpTo(f, cap);
  pager.atLeast = pager.total == cap;
  if (pager.atLeast) pager.total = cap - 1;
  d.set("items", logRows(ctx, log.page(f, pager.offset(), pager.perPage)));
  d.set("has_items", pager.total > 0);
  d.set("log_count", ctx.tn(pager.atLeast ? "attempts_found_more" : "attempts_found", pager.total));
  d.set("pagination", pager.toData(q.link(path)));
}

// The export: what the log shows under the same filter, every page of it, newest first.
void sendCsv(Ctx& ctx, AttemptLog& log, const AttemptFilter& f, const std::string& filename) {
  auto tz = web::zoneOf(ctx);
  char sep = web::csvSeparator(ctx.query("sep"), ctx.lang);
  std::string s(1, sep);
  std::string out = std::string(web::kCsvBom) + "time" + s + "mailing_id" + s + "mailing" + s +
                    "email" + s + "status" + s + "code" + s + "reply" + s + "final\r\n";
  std::vector<AttemptRow> rows;
  do {
    rows = log.chunk(f, rows.empty() ? nullptr : &rows.back(), kChunk);
    for (const auto& a : rows) {
      out += formatIso8601(a.at, *tz) + s + std::to_string(a.mailingId) + s +
             web::csvField(a.mailingName) + s + web::csvField(a.email) + s + a.status + s +
             std::to_string(a.code) + s + web::csvField(a.reply) + s + (a.final ? "yes" : "no") +
             "\r\n";
    }
  } while (rows.size() == static_cast<std::size_t>(kChunk));
  ctx.res.set("Content-Disposition", "attachment; filename=\"" + filename + "\"");
  ctx.text(out, "text/csv; charset=utf-8", 200);
}

void reportsPage(Ctx& ctx) {
  auto q = readQuery(ctx, "30d", false);
  Data d;
  d.set("title", ctx.t("reports_title"));
  d.set("filter", filterForm(ctx, q, "/reports", "/reports/attempts.csv"));
  if (!q.period.ok()) return ctx.html("delivery/reports", d, 422);
  auto c = ctx.platform.db.conn();
  AttemptLog log(c);
  auto f = q.filter(0, ctx.user->id);
  auto totals = log.totals(f);
  d.set("has_stats", true);
  d.set("attempts", std::to_string(totals.attempts));
  d.set("success", std::to_string(totals.success));
  d.set("failure", std::to_string(totals.failure));
  d.set("success_rate", rateText(ctx, totals.success, totals.attempts));
  d.set("last_reply", totals.lastReply.empty() ? std::string("—") : totals.lastReply);
  d.set("period_text", periodText(ctx, q.period));
  d.set("mailings", mailingTable(ctx, q, log.byMailing(f, q.sort, q.descending, kMailingRows)));
  d.set("has_chart", totals.attempts > 0);
  d.set("chart", chartJson(ctx, log, f, q.period.last.number() - q.period.first.number() < 2));
  // Issue 13.5: what became of the period's messages, a card each, by day on a second chart.
  auto days = engagementDays(ctx, c, f);
  d.set("engagement", engagementCards(ctx, days.total));
  d.set("has_engagement_chart", days.total.sent > 0);
  d.set("engagement_chart", engagementChartJson(ctx, days));
  d.set("summary_csv", q.link("/reports/summary.csv"));
  addLog(ctx, log, q, q.logFilter(f), "/reports", d);
  ctx.html("delivery/reports", d);
}

void reportsCsv(Ctx& ctx) {
  auto q = readQuery(ctx, "30d", false);
  requireValid(ctx, q);
  auto c = ctx.platform.db.conn();
  AttemptLog log(c);
  sendCsv(ctx, log, q.logFilter(q.filter(0, ctx.user->id)), "attempts.csv");
}

// The period's engagement a day per row (the filter's status and address do not apply).
void summaryCsv(Ctx& ctx) {
  auto q = readQuery(ctx, "30d", false);
  requireValid(ctx, q);
  auto c = ctx.platform.db.conn();
  auto days = engagementDays(ctx, c, q.filter(0, ctx.user->id));
  ctx.res.set("Content-Disposition", "attachment; filename=\"summary.csv\"");
  ctx.text(engagementCsv(days, web::csvSeparator(ctx.query("sep"), ctx.lang)),
           "text/csv; charset=utf-8", 200);
}

void attemptsPage(Ctx& ctx) {
  auto c = ctx.platform.db.conn();
  auto m = viewable(ctx, c);
  auto q = readQuery(ctx, "all", true);
  std::string path = "/mailings/" + std::to_string(m.id) + "/attempts";
  Data d;
  d.set("title", ctx.t("attempts_title") + " — " + m.name);
  d.set("id", std::to_string(m.id));
  d.set("name", m.name);
  d.set("filter", filterForm(ctx, q, path, path + ".csv"));
  if (!q.period.ok()) return ctx.html("delivery/attempts", d, 422);
  AttemptLog log(c);
  addLog(ctx, log, q, q.logFilter(mailingFilter(ctx, q, m)), path, d);
  d.set("has_log", true);
  ctx.html("delivery/attempts", d);
}

// A mailing's log as the export and the API ask for it: the mailing (404 unless viewable) and
// the filter, refused when the period is bad.
struct MailingLog {
  mailings::Mailing mailing;
  AttemptFilter filter;
};

MailingLog mailingLog(Ctx& ctx, db::Conn& c) {
  auto m = viewable(ctx, c);
  auto q = readQuery(ctx, "all", true);
  requireValid(ctx, q);
  return {m, q.logFilter(mailingFilter(ctx, q, m))};
}

void attemptsCsvPage(Ctx& ctx) {
  auto c = ctx.platform.db.conn();
  auto [m, f] = mailingLog(ctx, c);
  AttemptLog log(c);
  sendCsv(ctx, log, f, "mailing-" + std::to_string(m.id) + "-attempts.csv");
}

// API: the same filters; dates are days of the user's zone.
void apiAttempts(Ctx& ctx) {
  auto c = ctx.platform.db.conn();
  auto f = mailingLog(ctx, c).filter;
  AttemptLog log(c);
  auto pager = web::Pager::from(ctx, 50);
  Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
  for (const auto& a : log.page(f, pager.offset(), pager.perPage)) {
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
    o->set("id", a.id);
    o->set("time", web::isoTime(ctx, a.at));
    o->set("mailing_id", a.mailingId);
    o->set("client_id", a.clientId);
    o->set("email", a.email);
    o->set("status", a.status);
    o->set("code", a.code);
    o->set("reply", a.reply);
    o->set("final", a.final);
    o->set("bounce", a.bounce);
    items->add(o);
  }
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
  o->set("items", items);
  o->set("total", log.countUpTo(f, std::numeric_limits<std::int64_t>::max()));
  ctx.json(o);
}

void apiReports(Ctx& ctx) {
  auto q = readQuery(ctx, "30d", false);
  requireValid(ctx, q);
  auto c = ctx.platform.db.conn();
  AttemptLog log(c);
  auto f = q.filter(0, ctx.user->id);
  auto totals = log.totals(f);
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
  o->set("from", formatDate(q.period.first));
  o->set("to", formatDate(q.period.last));
  o->set("attempts", totals.attempts);
  o->set("success", totals.success);
  o->set("failure", totals.failure);
  addEngagementJson(engagementDays(ctx, c, f).total, *o);
  Poco::JSON::Array::Ptr rows = new Poco::JSON::Array;
  for (const auto& m : log.byMailing(f, q.sort, q.descending, kMailingRows)) {
    Poco::JSON::Object::Ptr r = new Poco::JSON::Object;
    r->set("mailing_id", m.mailingId);
    r->set("name", m.name);
    r->set("attempts", m.attempts);
    r->set("success", m.success);
    r->set("failure", m.failure);
    r->set("success_rate", m.attempts ? static_cast<double>(m.success) / m.attempts : 0.0);
    rows->add(r);
  }
  o->set("mailings", rows);
  ctx.json(o);
}

}  // namespace

// The mailing if the user owns it, or any mailing for a manager; 404 otherwise.
mailings::Mailing viewable(web::Ctx& ctx, db::Conn& c) {
  mailings::Repo repo(c);
  auto m =
      ctx.user->has("manager") ? repo.getAny(ctx.idParam()) : repo.get(ctx.user->id, ctx.idParam());
  if (!m) throw web::HttpError(404, ctx.t("error_not_found"));
  return *m;
}

void installReports(web::Platform& p) {
  p.get("/reports", reportsPage, web::signedIn());
  p.get("/reports/attempts.csv", reportsCsv, web::signedIn());
  p.get("/reports/summary.csv", summaryCsv, web::signedIn());
  p.get("/mailings/{id}/attempts", attemptsPage, web::signedIn());
  p.get("/mailings/{id}/attempts.csv", attemptsCsvPage, web::signedIn());
  p.get("/api/v1/mailings/{id}/attempts", apiAttempts, web::signedIn());
  p.get("/api/v1/reports", apiReports, web::signedIn());
  installRecipients(p);
}

}  // namespace mw::delivery
