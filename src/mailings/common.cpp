// What the mailing pages and the mailing API share: JSON, checks, loading, starting a run.
#include "mailings/common.h"

#include <ctime>

#include "clients/groups.h"
#include "clients/repo.h"
#include "mailings/validate.h"
#include "messages/repo.h"
#include "web/form.h"
#include "web/format.h"

namespace mw::mailings {

using web::Ctx;
using web::FormState;
using web::HttpError;

Poco::JSON::Object::Ptr toJson(Ctx& ctx, const Mailing& m) {
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
  o->set("id", m.id);
  o->set("name", m.name);
  o->set("message_id", m.messageId);
  // Ids of picked clients up to kEchoedIds; beyond, GET /api/v1/mailings/{id}/clients pages them
  // (echoing a million ids made the answer 8 MB).
  o->set("clients_count", static_cast<std::int64_t>(m.clientIds.size()));
  if (m.clientIds.size() <= kEchoedIds) {
    Poco::JSON::Array::Ptr ids = new Poco::JSON::Array;
    for (auto id : m.clientIds) ids->add(id);
    o->set("client_ids", ids);
  }
  Poco::JSON::Array::Ptr groups = new Poco::JSON::Array;
  for (auto id : m.groupIds) groups->add(id);
  o->set("group_ids", groups);
  o->set("all_clients", m.allClients);
  o->set("track_opens", m.trackOpens);
  o->set("track_clicks", m.trackClicks);
  o->set("relay_id", m.relayId ? Poco::Dynamic::Var(*m.relayId) : Poco::Dynamic::Var());
  o->set("start_at", web::isoTime(ctx, m.startAt));
  o->set("end_at", m.endAt ? Poco::Dynamic::Var(web::isoTime(ctx, m.endAt)) : Poco::Dynamic::Var());
  o->set("periodicity", m.periodicity);
  o->set("status", m.paused ? "paused" : m.status);
  o->set("pause_reason", m.pauseReason);
  o->set("is_active", m.active);
  o->set("last_run_at",
         m.lastRunAt ? Poco::Dynamic::Var(web::isoTime(ctx, m.lastRunAt)) : Poco::Dynamic::Var());
  o->set("next_run_at",
         m.nextRunAt ? Poco::Dynamic::Var(web::isoTime(ctx, m.nextRunAt)) : Poco::Dynamic::Var());
  o->set("owner_id", m.ownerId);
  o->set("created_at", web::isoTime(ctx, m.createdAt));
  o->set("updated_at", web::isoTime(ctx, m.updatedAt));
  return o;
}

// Field checks plus: the message is the user's own and every client is the user's own.
FormState check(Ctx& ctx, db::Conn& conn, const Mailing& m) {
  FormState f;
  for (const auto& [field, key] : validate(m, std::time(nullptr))) f.error(field, ctx.t(key));
  if (m.messageId > 0 && !messages::Repo(conn).get(m.ownerId, m.messageId))
    f.error("message_id", ctx.t("error_message_choose"));
  if (!m.clientIds.empty()) {
    auto owned = clients::Repo(conn).byIds(m.ownerId, m.clientIds);
    if (owned.size() != m.clientIds.size()) f.error("client_ids", ctx.t("error_clients_choose"));
  }
  clients::GroupRepo groups(conn);
  for (auto g : m.groupIds)
    if (!groups.get(m.ownerId, g)) {
      f.error("group_ids", ctx.t("error_groups_choose"));
      break;
    }
  return f;
}

Mailing load(Ctx& ctx, db::Conn& conn) {
  auto m = Repo(conn).get(ctx.user->id, ctx.idParam());
  if (!m) throw HttpError(404, ctx.t("error_not_found"));
  return *m;
}

// Managers may look at any mailing; everyone else only at their own.
Mailing loadViewable(Ctx& ctx, db::Conn& conn) {
  Repo repo(conn);
  auto m =
      ctx.user->has("manager") ? repo.getAny(ctx.idParam()) : repo.get(ctx.user->id, ctx.idParam());
  if (!m) throw HttpError(404, ctx.t("error_not_found"));
  return *m;
}

// Starting a run only queues it: the page never waits for SMTP.
std::int64_t startNow(Ctx& ctx, const DeliveryHooks& hooks, const Mailing& m,
                      const std::string& audience) {
  if (!m.active) throw HttpError(409, ctx.t("error_mailing_disabled"));
  if (audience != "all" && audience != "unsent" && audience != "failed")
    throw HttpError(422, ctx.t("error_audience"));
  if (audience != "all" && !m.lastRunAt) throw HttpError(409, ctx.t("error_audience_no_run"));
  if (!hooks.sendNow || !hooks.sendAudience) throw HttpError(503, ctx.t("error_internal"));
  return audience == "all" ? hooks.sendNow(m.id) : hooks.sendAudience(m.id, audience);
}

void setActive(Ctx& ctx, bool active, bool api) {
  auto conn = ctx.platform.db.conn();
  Repo repo(conn);
  auto m = repo.getAny(ctx.idParam());
  if (!m) throw HttpError(404, ctx.t("error_not_found"));
  repo.setActive(m->id, active);
  if (api) {
    m->active = active;
    return ctx.json(toJson(ctx, *m));
  }
  ctx.flash("success", ctx.t(active ? "flash_mailing_enabled" : "flash_mailing_disabled"));
  ctx.redirect(web::clean(ctx.form("next")) == "view" ? "/mailings/" + std::to_string(m->id)
                                                      : "/manage/mailings");
}

void merge(FormState& into, const FormState& from) {
  for (const auto& [k, v] : from.errors()) into.error(k, v);
}

}  // namespace mw::mailings
