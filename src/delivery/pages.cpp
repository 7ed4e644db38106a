#include <Poco/JSON/Array.h>

#include <ctime>
#include <sstream>

#include "clients/csv.h"
#include "clients/repo.h"
#include "delivery/module.h"
#include "delivery/queue.h"
#include "delivery/test_send.h"
#include "delivery/unsubscribe.h"
#include "mailings/repo.h"
#include "web/form.h"
#include "web/format.h"
#include "web/guards.h"
#include "web/pager.h"

namespace mw::delivery {
namespace {

using web::Ctx;
using web::Data;
using web::HttpError;

// The mailing if the user owns it, or any mailing for a manager; 404 otherwise.
mailings::Mailing viewable(Ctx& ctx, db::Conn& c) {
  mailings::Repo repo(c);
  auto m =
      ctx.user->has("manager") ? repo.getAny(ctx.idParam()) : repo.get(ctx.user->id, ctx.idParam());
  if (!m) throw HttpError(404, ctx.t("error_not_found"));
  return *m;
}

std::string percent(std::int64_t part, std::int64_t whole) {
  return std::to_string(whole ? part * 100 / whole : 0);
}

// Daily buckets over the last 30 days, or hourly over the last 48 hours for young mailings.
std::string chartJson(Ctx& ctx, Queue& q, std::optional<std::int64_t> mailing,
                      std::optional<std::int64_t> owner) {
  std::int64_t now = std::time(nullptr);
  auto hourly = q.series(mailing, owner, 3600, now - 48 * 3600);
  bool useHours = !hourly.empty() && hourly.front().bucket > now - 48 * 3600 &&
                  q.series(mailing, owner, 86400, now - 30 * 86400).size() <= 2;
  auto points = useHours ? hourly : q.series(mailing, owner, 86400, now - 30 * 86400);
  Poco::JSON::Object o;
  Poco::JSON::Array labels, ok, failed;
  auto tz = web::zoneOf(ctx);
  for (const auto& p : points) {
    auto local = toLocal(p.bucket, *tz);
    char buf[32];
    if (useHours)
      std::snprintf(buf, sizeof buf, "%02d.%02d %02d:00", local.day, local.month, local.hour);
    else
      std::snprintf(buf, sizeof buf, "%02d.%02d.%04d", local.day, local.month, local.year);
    labels.add(std::string(buf));
    ok.add(p.success);
    failed.add(p.failure);
  }
  o.set("labels", labels);
  o.set("success", ok);
  o.set("failure", failed);
  o.set("success_label", ctx.t("chart_success"));
  o.set("failure_label", ctx.t("chart_failure"));
  std::ostringstream out;
  o.stringify(out);
  return out.str();
}

void describe(Ctx& ctx, std::int64_t mailingId, Data& d) {
  auto c = ctx.platform.db.conn();
  Queue q(c);
  auto s = q.stats(mailingId, std::nullopt);
  Data stats;
  stats.set("attempts", std::to_string(s.attempts));
  stats.set("success", std::to_string(s.success));
  stats.set("failure", std::to_string(s.failure));
  stats.set("last_reply", s.lastReply.empty() ? std::string("—") : s.lastReply);
  stats.set("last_at", web::humanTime(ctx, s.lastAt));
  d.set("stats", stats);
  d.set("has_attempts", s.attempts > 0);
  if (auto run = q.lastRun(mailingId)) {
    Data r;
    r.set("id", std::to_string(run->runId));
    r.set("total", std::to_string(run->total));
    r.set("total_word", ctx.tn("letters", run->total));
    r.set("sent", std::to_string(run->sent));
    r.set("failed", std::to_string(run->failed));
    r.set("pending", std::to_string(run->pending));
    r.set("sent_pct", percent(run->sent, run->total));
    r.set("failed_pct", percent(run->failed, run->total));
    r.set("done", run->finishedAt.has_value());
    r.set("started", web::humanTime(ctx, run->createdAt));
    r.set("finished", web::humanTime(ctx, run->finishedAt));
    r.set("trigger_label", ctx.t("trigger_" + run->trigger));
    d.set("run", r);
    d.set("live", !run->finishedAt.has_value());
  }
  d.set("chart", chartJson(ctx, q, mailingId, std::nullopt));
}

void panel(Ctx& ctx) {
  auto c = ctx.platform.db.conn();
  auto m = viewable(ctx, c);
  Data d;
  d.set("id", std::to_string(m.id));
  describe(ctx, m.id, d);
  d.set("status_label", ctx.t("status_" + m.status));
  d.set("last_run", web::humanTime(ctx, m.lastRunAt));
  d.set("next_run", web::humanTime(ctx, m.nextRunAt));
  web::Data page = d;
  ctx.platform.addPageData(ctx, page);
  ctx.text(ctx.platform.templates.render("delivery/_mailing_panel", page),
           "text/html; charset=utf-8", 200);
}

Data attemptRows(Ctx& ctx, const std::vector<AttemptRow>& rows) {
  Data items(Data::type::list);
  for (const auto& a : rows) {
    Data r;
    r.set("at", web::humanTime(ctx, a.at));
    r.set("mailing_id", std::to_string(a.mailingId));
    r.set("mailing_name", a.mailingName);
    r.set("email", a.email);
    r.set("success", a.status == "success");
    r.set("retry", !a.final);
    r.set("code", a.code ? std::to_string(a.code) : std::string("—"));
    r.set("reply", a.reply);
    items.push_back(r);
  }
  return items;
}

void attemptsPage(Ctx& ctx) {
  auto c = ctx.platform.db.conn();
  auto m = viewable(ctx, c);
  Queue q(c);
  auto pager = web::Pager::from(ctx, 50);
  pager.total = q.countAttempts(m.id, std::nullopt);
  Data d;
  d.set("title", ctx.t("attempts_title") + " — " + m.name);
  d.set("id", std::to_string(m.id));
  d.set("name", m.name);
  d.set("items", attemptRows(ctx, q.attempts(m.id, std::nullopt, pager.offset(), pager.perPage)));
  d.set("has_items", pager.total > 0);
  d.set("pagination", pager.toData("/mailings/" + std::to_string(m.id) + "/attempts"));
  ctx.html("delivery/attempts", d);
}

std::string attemptsCsv(Ctx& ctx, Queue& q, std::optional<std::int64_t> mailing,
                        std::optional<std::int64_t> owner) {
  std::string out = "\xEF\xBB\xBFtime,mailing_id,mailing,email,status,code,reply,final\r\n";
  auto tz = web::zoneOf(ctx);
  for (int offset = 0;; offset += 5000) {
    auto rows = q.attempts(mailing, owner, offset, 5000);
    for (const auto& a : rows) {
      out += formatIso8601(a.at, *tz) + "," + std::to_string(a.mailingId) + "," +
             clients::csvField(a.mailingName) + "," + clients::csvField(a.email) + "," + a.status +
             "," + std::to_string(a.code) + "," + clients::csvField(a.reply) + "," +
             (a.final ? "yes" : "no") + "\r\n";
    }
    if (rows.size() < 5000) break;
  }
  return out;
}

void attemptsCsvPage(Ctx& ctx) {
  auto c = ctx.platform.db.conn();
  auto m = viewable(ctx, c);
  Queue q(c);
  ctx.res.set("Content-Disposition",
              "attachment; filename=\"mailing-" + std::to_string(m.id) + "-attempts.csv\"");
  ctx.text(attemptsCsv(ctx, q, m.id, std::nullopt), "text/csv; charset=utf-8", 200);
}

void reportsPage(Ctx& ctx) {
  auto c = ctx.platform.db.conn();
  Queue q(c);
  auto s = q.stats(std::nullopt, ctx.user->id);
  auto pager = web::Pager::from(ctx, 50);
  pager.total = q.countAttempts(std::nullopt, ctx.user->id);
  Data d;
  d.set("title", ctx.t("reports_title"));
  d.set("attempts", std::to_string(s.attempts));
  d.set("success", std::to_string(s.success));
  d.set("failure", std::to_string(s.failure));
  d.set("last_reply", s.lastReply.empty() ? std::string("—") : s.lastReply);
  d.set("chart", chartJson(ctx, q, std::nullopt, ctx.user->id));
  d.set("items",
        attemptRows(ctx, q.attempts(std::nullopt, ctx.user->id, pager.offset(), pager.perPage)));
  d.set("has_items", pager.total > 0);
  d.set("pagination", pager.toData("/reports"));
  ctx.html("delivery/reports", d);
}

void reportsCsv(Ctx& ctx) {
  auto c = ctx.platform.db.conn();
  Queue q(c);
  ctx.res.set("Content-Disposition", "attachment; filename=\"attempts.csv\"");
  ctx.text(attemptsCsv(ctx, q, std::nullopt, ctx.user->id), "text/csv; charset=utf-8", 200);
}

// API

Poco::JSON::Object::Ptr statsJson(const Stats& s) {
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
  o->set("attempts", s.attempts);
  o->set("success", s.success);
  o->set("failure", s.failure);
  o->set("last_reply", s.lastReply);
  return o;
}

void apiStats(Ctx& ctx) {
  auto c = ctx.platform.db.conn();
  auto m = viewable(ctx, c);
  Queue q(c);
  auto o = statsJson(q.stats(m.id, std::nullopt));
  if (auto run = q.lastRun(m.id)) {
    Poco::JSON::Object::Ptr r = new Poco::JSON::Object;
    r->set("id", run->runId);
    r->set("total", run->total);
    r->set("sent", run->sent);
    r->set("failed", run->failed);
    r->set("pending", run->pending);
    r->set("finished", run->finishedAt.has_value());
    o->set("last_run", r);
  }
  ctx.json(o);
}

void apiAttempts(Ctx& ctx) {
  auto c = ctx.platform.db.conn();
  auto m = viewable(ctx, c);
  Queue q(c);
  auto pager = web::Pager::from(ctx, 50);
  Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
  for (const auto& a : q.attempts(m.id, std::nullopt, pager.offset(), pager.perPage)) {
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
    items->add(o);
  }
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
  o->set("items", items);
  o->set("total", q.countAttempts(m.id, std::nullopt));
  ctx.json(o);
}

// Unsubscribe: GET shows a confirmation (link scanners must not unsubscribe anyone);
// POST unsubscribes, including RFC 8058 one-click POSTs from mail clients.
void unsubscribePage(Ctx& ctx) {
  auto client = clientFromUnsubscribeToken(ctx.platform.cfg, ctx.params["token"]);
  if (!client) throw HttpError(404, ctx.t("unsubscribe_invalid"));
  Data d;
  d.set("title", ctx.t("unsubscribe_title"));
  d.set("token", ctx.params["token"]);
  ctx.html("delivery/unsubscribe", d);
}

void unsubscribeSubmit(Ctx& ctx) {
  auto client = clientFromUnsubscribeToken(ctx.platform.cfg, ctx.params["token"]);
  if (!client) throw HttpError(404, ctx.t("unsubscribe_invalid"));
  auto c = ctx.platform.db.conn();
  clients::Repo(c).unsubscribe(*client);
  if (ctx.form("List-Unsubscribe") == "One-Click")
    return ctx.text("unsubscribed\n", "text/plain", 200);
  Data d;
  d.set("title", ctx.t("unsubscribe_title"));
  d.set("done", true);
  ctx.html("delivery/unsubscribe", d);
}

}  // namespace

mailings::DeliveryHooks install(web::Platform& p, Engine& engine) {
  p.get("/mailings/{id}/panel", panel, web::signedIn());
  p.get("/mailings/{id}/attempts", attemptsPage, web::signedIn());
  p.get("/mailings/{id}/attempts.csv", attemptsCsvPage, web::signedIn());
  p.get("/reports", reportsPage, web::signedIn());
  p.get("/reports/attempts.csv", reportsCsv, web::signedIn());
  p.get("/api/v1/mailings/{id}/stats", apiStats, web::signedIn());
  p.get("/api/v1/mailings/{id}/attempts", apiAttempts, web::signedIn());
  p.get("/unsubscribe/{token}", unsubscribePage);
  p.post("/unsubscribe/{token}", unsubscribeSubmit);
  p.csrfExempt("/unsubscribe/");
  installTestSend(p);
  mailings::DeliveryHooks hooks;
  hooks.sendNow = [&engine](std::int64_t id) { return engine.sendNow(id); };
  hooks.describe = describe;
  hooks.sendAudience = [&engine](std::int64_t id, const std::string& audience) {
    return engine.sendNow(id, audience);
  };
  hooks.countAudience = [&p](std::int64_t id, std::int64_t owner, const std::string& audience) {
    auto c = p.db.conn();
    return Queue(c).countAudience(id, owner, audience);
  };
  hooks.cancel = [&p, &engine](std::int64_t id) {
    auto c = p.db.conn();
    auto n = Queue(c).cancelRuns(id, std::time(nullptr));
    engine.wake();
    return n;
  };
  return hooks;
}

}  // namespace mw::delivery
