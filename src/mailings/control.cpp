// Deliberate sending (issue 11): the "send now" confirmation with its audiences, and pause,
// resume and cancel of a running mailing by its owner or a manager, pages and API.
#include "mailings/module.h"
#include "mailings/repo.h"
#include "web/form.h"
#include "web/guards.h"

namespace mw::mailings {
namespace {

using web::Ctx;
using web::Data;
using web::HttpError;

// The owner's mailing, or anyone's for a manager; 404 otherwise.
Mailing controllable(Ctx& ctx, Repo& repo) {
  auto m = repo.get(ctx.user->id, ctx.idParam());
  if (!m && ctx.user->has("manager")) m = repo.getAny(ctx.idParam(), false);
  if (!m) throw HttpError(404, ctx.t("error_not_found"));
  return *m;
}

void confirmPage(Ctx& ctx, const DeliveryHooks& hooks) {
  auto conn = ctx.platform.db.conn();
  auto m = Repo(conn).get(ctx.user->id, ctx.idParam());
  if (!m) throw HttpError(404, ctx.t("error_not_found"));
  if (!m->active) throw HttpError(409, ctx.t("error_mailing_disabled"));
  Data d;
  d.set("title", ctx.t("send_confirm_title"));
  d.set("id", std::to_string(m->id));
  d.set("name", m->name);
  d.set("has_run", m->lastRunAt.has_value());
  for (const char* audience : {"all", "unsent", "failed"}) {
    auto n = hooks.countAudience ? hooks.countAudience(m->id, m->ownerId, audience) : 0;
    d.set(std::string("count_") + audience, std::to_string(n));
  }
  ctx.html("mailings/confirm", d);
}

// action: "pause", "resume" or "cancel".
void control(Ctx& ctx, const DeliveryHooks& hooks, const std::string& action, bool api) {
  auto conn = ctx.platform.db.conn();
  Repo repo(conn);
  Mailing m = controllable(ctx, repo);
  std::size_t cancelled = 0;
  if (action == "pause") repo.setPaused(m.id, true);
  if (action == "resume" || action == "cancel") repo.setPaused(m.id, false);
  if (action == "cancel" && hooks.cancel) cancelled = hooks.cancel(m.id);
  if (api) {
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
    auto now = repo.getAny(m.id, false);
    o->set("id", m.id);
    o->set("status", now && now->paused ? "paused" : (now ? now->status : m.status));
    if (action == "cancel") o->set("cancelled", static_cast<std::int64_t>(cancelled));
    return ctx.json(o);
  }
  ctx.flash("success", ctx.t("flash_mailing_" + action));
  ctx.redirect("/mailings/" + std::to_string(m.id));
}

}  // namespace

void installControl(web::Platform& p, const DeliveryHooks& hooks) {
  p.get(
      "/mailings/{id}/confirm", [hooks](Ctx& ctx) { confirmPage(ctx, hooks); }, web::signedIn());
  for (std::string action : {"pause", "resume", "cancel"}) {
    p.post(
        "/mailings/{id}/" + action,
        [hooks, action](Ctx& ctx) { control(ctx, hooks, action, false); }, web::signedIn());
    p.post(
        "/api/v1/mailings/{id}/" + action,
        [hooks, action](Ctx& ctx) { control(ctx, hooks, action, true); }, web::signedIn());
  }
}

}  // namespace mw::mailings
