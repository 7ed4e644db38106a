#include <Poco/JSON/Array.h>

#include <ctime>
#include <sstream>

#include "bounces/store.h"
#include "clients/repo.h"
#include "delivery/engagement_counts.h"
#include "delivery/module.h"
#include "delivery/queue.h"
#include "delivery/relays_repo.h"
#include "delivery/reports.h"
#include "delivery/test_send.h"
#include "delivery/unsubscribe.h"
#include "mailings/repo.h"
#include "tracking/module.h"
#include "web/form.h"
#include "web/format.h"
#include "web/guards.h"

namespace mw::delivery {
namespace {

using web::Ctx;
using web::Data;
using web::HttpError;

std::string percent(std::int64_t part, std::int64_t whole) {
  return std::to_string(whole ? part * 100 / whole : 0);
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
  // Issue 13: bounces and complaints, as numbers and as rates of the messages accepted.
  auto b = bounces::Store(c, ctx.platform.cfg.bounces).forMailing(mailingId);
  auto rate = [&](std::int64_t n) {
    char out[16];
    std::snprintf(out, sizeof out, "%.1f%%",
                  s.success ? 100.0 * double(n) / double(s.success) : 0.0);
    return std::string(out);
  };
  for (auto [key, n] :
       {std::pair{"bounced_hard", b.hard}, std::pair{"bounced_soft", b.soft},
        std::pair{"complained", b.complaints}, std::pair{"unsubscribed", b.unsubscribed}}) {
    stats.set(key, std::to_string(n));
    stats.set(std::string(key) + "_rate", rate(n));
  }
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
  AttemptLog log(c);
  d.set("chart", mailingChartJson(ctx, log, mailingId));
  tracking::describe(c, mailingId, s.success, d);
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
  auto s = q.stats(m.id, std::nullopt);
  auto o = statsJson(s);
  tracking::addStats(c, m.id, s.success, *o);
  auto b = bounces::Store(c, ctx.platform.cfg.bounces).forMailing(m.id);
  o->set("bounced_hard", b.hard);
  o->set("bounced_soft", b.soft);
  o->set("complained", b.complaints);
  o->set("unsubscribed", b.unsubscribed);
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

// Unsubscribe: GET shows a confirmation (link scanners must not unsubscribe anyone);
// POST unsubscribes, including RFC 8058 one-click POSTs from mail clients.
void unsubscribePage(Ctx& ctx) {
  auto token = readUnsubscribeToken(ctx.platform.cfg, ctx.params["token"]);
  if (!token) throw HttpError(404, ctx.t("unsubscribe_invalid"));
  Data d;
  d.set("title", ctx.t("unsubscribe_title"));
  d.set("token", ctx.params["token"]);
  ctx.html("delivery/unsubscribe", d);
}

void unsubscribeSubmit(Ctx& ctx) {
  auto token = readUnsubscribeToken(ctx.platform.cfg, ctx.params["token"]);
  if (!token) throw HttpError(404, ctx.t("unsubscribe_invalid"));
  auto c = ctx.platform.db.conn();
  db::Tx tx(c);
  // Counted for the message whose link it was, when it is what unsubscribed the client.
  if (clients::Repo(c).unsubscribe(token->clientId) && token->deliveryId)
    countUnsubscription(c, token->deliveryId, token->clientId);
  tx.commit();
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
  p.get("/api/v1/mailings/{id}/stats", apiStats, web::signedIn());
  p.get("/unsubscribe/{token}", unsubscribePage);
  p.post("/unsubscribe/{token}", unsubscribeSubmit);
  p.csrfExempt("/unsubscribe/");
  installTestSend(p, engine);
  installReports(p);
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
  installRelays(p);
  installDestinations(p, engine.destinations());
  hooks.findRelay = [&p](const std::string& key) -> std::optional<std::int64_t> {
    auto c = p.db.conn();
    RelayRepo relays(c);
    if (auto r = relays.byName(key)) return r->id;
    if (key.find_first_not_of("0123456789") != std::string::npos || key.size() > 18)
      return std::nullopt;
    if (auto r = relays.byId(std::stoll(key))) return r->id;
    return std::nullopt;
  };
  hooks.relayChoices = [&p] {
    auto c = p.db.conn();
    std::vector<std::pair<std::int64_t, std::string>> out;
    for (const auto& r : RelayRepo(c).list()) out.emplace_back(r.id, r.name);
    return out;
  };
  return hooks;
}

}  // namespace mw::delivery
