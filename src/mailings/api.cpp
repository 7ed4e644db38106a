// The mailing API: /api/v1/mailings (list, create, get, patch, delete, send, enable, disable).
#include <Poco/JSON/Array.h>

#include <algorithm>
#include <ctime>
#include <set>

#include "clients/repo.h"
#include "core/time.h"
#include "mailings/common.h"
#include "web/form.h"
#include "web/format.h"
#include "web/guards.h"
#include "web/pager.h"

namespace mw::mailings {
namespace {

using web::Ctx;
using web::FormState;
using web::HttpError;

void apiList(Ctx& ctx) {
  auto conn = ctx.platform.db.conn();
  Repo repo(conn);
  std::string q = web::clean(ctx.query("q"));
  std::string status = ctx.query("status");
  // Managers may list everyone's with ?all=1.
  std::optional<std::int64_t> owner = ctx.user->id;
  if (ctx.query("all") == "1") {
    web::requireRole(ctx, "manager");
    owner.reset();
  }
  auto pager = web::Pager::from(ctx);
  Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
  for (auto& m : repo.list(owner, q, status, pager.offset(), pager.perPage)) {
    m.clientIds = repo.clientIds(m.id);
    items->add(toJson(ctx, m));
  }
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
  o->set("items", items);
  o->set("total", repo.count(owner, q, status));
  ctx.json(o);
}

std::optional<std::int64_t> isoField(Ctx& ctx, const Poco::Dynamic::Var& v, const std::string& key,
                                     FormState& f) {
  if (v.isEmpty()) return std::nullopt;
  if (!v.isString()) {
    f.error(key, "must be an ISO 8601 string");
    return std::nullopt;
  }
  auto t = parseIso8601(v.extract<std::string>());
  if (!t) f.error(key, ctx.t("error_iso_datetime"));
  return t;
}

// A JSON integer that fits an id; nullopt otherwise (also for 2^64-1, which Poco reads as
// unsigned and would throw on conversion).
std::optional<std::int64_t> jsonId(const Poco::Dynamic::Var& v) {
  if (!v.isInteger()) return std::nullopt;
  try {
    return v.convert<std::int64_t>();
  } catch (const Poco::Exception&) {
    return std::nullopt;
  }
}

// body[field]: an array of positive integers, into out (sorted, distinct); else an error on f.
void readIds(const Poco::JSON::Object::Ptr& body, const std::string& field,
             std::vector<std::int64_t>& out, FormState& f) {
  auto arr = body->getArray(field);
  if (!arr) {
    f.error(field, "must be an array of integers");
    return;
  }
  std::set<std::int64_t> ids;
  for (size_t i = 0; i < arr->size(); ++i) {
    auto id = jsonId(arr->get(static_cast<unsigned>(i)));
    if (!id) {
      f.error(field, "must be an array of integers");
      return;
    }
    ids.insert(*id);
  }
  out.assign(ids.begin(), ids.end());
}

// "relay": a relay's name or id, or null for none (traffic spread by weight); 422 when unknown.
void readRelay(Ctx& ctx, const Poco::Dynamic::Var& v, Mailing& m, FormState& f,
               const DeliveryHooks& hooks) {
  if (v.isEmpty()) {
    m.relayId.reset();
    return;
  }
  std::string key = v.isString() ? v.extract<std::string>() : "";
  if (auto id = jsonId(v)) key = std::to_string(*id);
  auto found = key.empty() || !hooks.findRelay ? std::nullopt : hooks.findRelay(key);
  if (found)
    m.relayId = found;
  else
    f.error("relay", ctx.t("error_relay_unknown"));
}

bool applyJson(Ctx& ctx, db::Conn& conn, Mailing& m, bool creating, const DeliveryHooks& hooks) {
  auto body = ctx.jsonBody();
  FormState f;
  if (body->has("name")) {
    auto v = body->get("name");
    if (!v.isString())
      f.error("name", "must be a string");
    else
      m.name = web::clean(v.extract<std::string>());
  }
  if (body->has("message_id")) {
    if (auto id = jsonId(body->get("message_id")))
      m.messageId = *id;
    else
      f.error("message_id", "must be an integer");
  }
  if (body->has("client_ids")) readIds(body, "client_ids", m.clientIds, f);
  if (body->has("group_ids")) readIds(body, "group_ids", m.groupIds, f);
  if (body->has("all_clients")) {
    auto v = body->get("all_clients");
    if (!v.isBoolean())
      f.error("all_clients", "must be true or false");
    else
      m.allClients = v.extract<bool>();
  }
  for (auto [field, flag] :
       {std::pair{"track_opens", &m.trackOpens}, std::pair{"track_clicks", &m.trackClicks}}) {
    if (!body->has(field)) continue;
    auto v = body->get(field);
    if (!v.isBoolean())
      f.error(field, "must be true or false");
    else
      *flag = v.extract<bool>();
  }
  if (body->has("relay")) readRelay(ctx, body->get("relay"), m, f, hooks);
  if (body->has("start_at")) {
    if (auto t = isoField(ctx, body->get("start_at"), "start_at", f)) m.startAt = *t;
  } else if (creating) {
    m.startAt = std::time(nullptr);
  }
  if (body->has("end_at")) m.endAt = isoField(ctx, body->get("end_at"), "end_at", f);
  if (body->has("periodicity")) {
    auto v = body->get("periodicity");
    if (!v.isString())
      f.error("periodicity", "must be a string");
    else
      m.periodicity = v.extract<std::string>();
  }
  if (body->has("is_active") && !f.hasError("is_active")) {
    // The active flag belongs to managers (SPEC: a manager may disable).
    auto v = body->get("is_active");
    if (!v.isBoolean())
      f.error("is_active", "must be true or false");
    else if (v.extract<bool>() != m.active && !ctx.user->has("manager"))
      throw HttpError(403, "only a manager may disable or enable a mailing");
    else
      m.active = v.extract<bool>();
  }
  m.timezone = web::zoneOf(ctx)->name();
  merge(f, check(ctx, conn, m));
  if (!f.ok()) {
    ctx.json(f.toJson(), 422);
    return false;
  }
  return true;
}

void apiCreate(Ctx& ctx, const DeliveryHooks& hooks) {
  auto conn = ctx.platform.db.conn();
  Mailing m;
  m.ownerId = ctx.user->id;
  if (!applyJson(ctx, conn, m, true, hooks)) return;
  computeSchedule(m, std::time(nullptr));
  Repo repo(conn);
  repo.create(m);
  ctx.json(toJson(ctx, *repo.get(m.ownerId, m.id)), 201);
}

void apiGet(Ctx& ctx) {
  auto conn = ctx.platform.db.conn();
  ctx.json(toJson(ctx, loadViewable(ctx, conn)));
}

void apiPatch(Ctx& ctx, const DeliveryHooks& hooks) {
  auto conn = ctx.platform.db.conn();
  Mailing m = load(ctx, conn);
  bool wasActive = m.active;
  if (!applyJson(ctx, conn, m, false, hooks)) return;
  computeSchedule(m, std::time(nullptr));
  Repo repo(conn);
  repo.update(m);
  if (m.active != wasActive) repo.setActive(m.id, m.active);
  ctx.json(toJson(ctx, *repo.get(m.ownerId, m.id)));
}

void apiDelete(Ctx& ctx) {
  auto conn = ctx.platform.db.conn();
  Mailing m = load(ctx, conn);
  Repo(conn).remove(m.ownerId, m.id);
  ctx.noContent();
}

void apiSend(Ctx& ctx, const DeliveryHooks& hooks) {
  auto conn = ctx.platform.db.conn();
  Mailing m = load(ctx, conn);
  auto body = ctx.jsonBody();
  std::string audience = "all";
  if (body->has("audience")) {
    auto v = body->get("audience");
    audience = v.isString() ? v.extract<std::string>() : "?";
  }
  std::int64_t run = startNow(ctx, hooks, m, audience);
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
  o->set("mailing_id", m.id);
  o->set("run_id", run);
  o->set("status", "queued");
  ctx.json(o, 202);
}

// GET /api/v1/mailings/{id}/clients: its picked clients, a page at a time (?page=&per_page=).
void apiClients(Ctx& ctx) {
  auto conn = ctx.platform.db.conn();
  Mailing m = loadViewable(ctx, conn);
  auto pager = web::Pager::from(ctx, 100);
  pager.total = static_cast<std::int64_t>(m.clientIds.size());
  auto from = std::min<std::size_t>(m.clientIds.size(), static_cast<std::size_t>(pager.offset()));
  auto to =
      std::min<std::size_t>(m.clientIds.size(), from + static_cast<std::size_t>(pager.perPage));
  std::vector<std::int64_t> page(m.clientIds.begin() + from, m.clientIds.begin() + to);
  Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
  for (const auto& c : clients::Repo(conn).byIds(m.ownerId, page)) {
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
    o->set("id", c.id);
    o->set("email", c.email);
    o->set("full_name", c.fullName);
    o->set("unsubscribed", c.unsubscribedAt.has_value());
    items->add(o);
  }
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
  o->set("items", items);
  o->set("total", pager.total);
  ctx.json(o);
}

}  // namespace

void installApi(web::Platform& p, std::shared_ptr<const DeliveryHooks> hooks) {
  p.get("/api/v1/mailings", apiList, web::signedIn());
  p.post(
      "/api/v1/mailings", [hooks](Ctx& ctx) { apiCreate(ctx, *hooks); }, web::signedIn());
  p.get("/api/v1/mailings/{id}", apiGet, web::signedIn());
  p.get("/api/v1/mailings/{id}/clients", apiClients, web::signedIn());
  p.patch(
      "/api/v1/mailings/{id}", [hooks](Ctx& ctx) { apiPatch(ctx, *hooks); }, web::signedIn());
  p.del("/api/v1/mailings/{id}", apiDelete, web::signedIn());
  p.post(
      "/api/v1/mailings/{id}/send", [hooks](Ctx& ctx) { apiSend(ctx, *hooks); }, web::signedIn());
  p.post(
      "/api/v1/mailings/{id}/disable", [](Ctx& ctx) { setActive(ctx, false, true); },
      web::role("manager"));
  p.post(
      "/api/v1/mailings/{id}/enable", [](Ctx& ctx) { setActive(ctx, true, true); },
      web::role("manager"));
}

}  // namespace mw::mailings
