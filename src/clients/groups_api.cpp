// /api/v1/groups: recipient groups and their members, owned like clients.
#include <Poco/JSON/Array.h>

#include <set>

#include "clients/common.h"
#include "clients/groups.h"
#include "clients/module.h"
#include "web/form.h"
#include "web/format.h"
#include "web/guards.h"
#include "web/pager.h"

namespace mw::clients {
namespace {

using web::Ctx;
using web::FormState;
using web::HttpError;

Poco::JSON::Object::Ptr toJson(Ctx& ctx, const Group& g) {
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
  o->set("id", g.id);
  o->set("name", g.name);
  o->set("description", g.description);
  o->set("clients_count", g.clientsCount);
  o->set("created_at", web::isoTime(ctx, g.createdAt));
  o->set("updated_at", web::isoTime(ctx, g.updatedAt));
  return o;
}

// Applies name/description present in the body; false after answering 409/422.
bool applyJson(Ctx& ctx, GroupRepo& repo, Group& g) {
  auto body = ctx.jsonBody();
  FormState f;
  for (const char* key : {"name", "description"}) {
    if (!body->has(key)) continue;
    auto v = body->get(key);
    if (!v.isString()) {
      f.error(key, "must be a string");
      continue;
    }
    std::string s = web::clean(v.extract<std::string>(), std::string(key) == "description");
    (std::string(key) == "name" ? g.name : g.description) = s;
  }
  if (f.ok() && g.name.empty()) f.error("name", ctx.t("error_required"));
  if (f.ok() && g.name.size() > 200) f.error("name", "at most 200 characters");
  if (f.ok() && g.description.size() > 2000) f.error("description", "at most 2000 characters");
  if (!f.ok()) {
    ctx.json(f.toJson(), 422);
    return false;
  }
  if (repo.nameTaken(g.ownerId, g.name, g.id)) {
    f.error("name", "a group with this name exists");
    ctx.json(f.toJson(), 409);
    return false;
  }
  return true;
}

void apiList(Ctx& ctx) {
  auto conn = ctx.platform.db.conn();
  GroupRepo repo(conn);
  auto pager = web::Pager::from(ctx);
  Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
  for (const auto& g : repo.list(ctx.user->id, pager.offset(), pager.perPage))
    items->add(toJson(ctx, g));
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
  o->set("items", items);
  o->set("total", repo.count(ctx.user->id));
  ctx.json(o);
}

void apiCreate(Ctx& ctx) {
  auto conn = ctx.platform.db.conn();
  GroupRepo repo(conn);
  Group g;
  g.ownerId = ctx.user->id;
  if (!applyJson(ctx, repo, g)) return;
  g.id = repo.create(g);
  ctx.json(toJson(ctx, *repo.get(g.ownerId, g.id)), 201);
}

void apiGet(Ctx& ctx) {
  auto conn = ctx.platform.db.conn();
  GroupRepo repo(conn);
  ctx.json(toJson(ctx, loadGroup(ctx, repo)));
}

void apiPatch(Ctx& ctx) {
  auto conn = ctx.platform.db.conn();
  GroupRepo repo(conn);
  Group g = loadGroup(ctx, repo);
  if (!applyJson(ctx, repo, g)) return;
  repo.update(g);
  ctx.json(toJson(ctx, *repo.get(g.ownerId, g.id)));
}

void apiDelete(Ctx& ctx) {
  auto conn = ctx.platform.db.conn();
  GroupRepo repo(conn);
  Group g = loadGroup(ctx, repo);
  repo.remove(g.ownerId, g.id);
  ctx.noContent();
}

// {"client_ids": [...]} of the body: 422 unless a non-empty array of the user's client ids.
std::vector<std::int64_t> clientIds(Ctx& ctx, GroupRepo& repo) {
  auto body = ctx.jsonBody();
  auto arr = body->getArray("client_ids");
  if (!arr || arr->size() == 0)
    throw HttpError(422, "client_ids must be a non-empty array of client ids");
  std::vector<std::int64_t> ids;
  for (size_t i = 0; i < arr->size(); ++i) {
    auto v = arr->get(i);
    if (!v.isInteger()) throw HttpError(422, "client_ids must be integers");
    ids.push_back(v.convert<std::int64_t>());
  }
  std::set<std::int64_t> distinct(ids.begin(), ids.end());
  if (repo.ownedClients(ctx.user->id, ids) != static_cast<std::int64_t>(distinct.size()))
    throw HttpError(422, "client_ids: not your client");
  return ids;
}

// {"filter": {"q": "...", "group_id": N, "status": "active|unsubscribed|bounced|complained"}}: 422
// on bad fields or another user's group.
ClientFilter filterOf(Ctx& ctx, GroupRepo& repo, const Poco::JSON::Object::Ptr& f) {
  ClientFilter out;
  if (f->has("q")) {
    auto v = f->get("q");
    if (!v.isString()) throw HttpError(422, "filter.q must be a string");
    out.q = web::clean(v.extract<std::string>());
  }
  if (f->has("status")) {
    auto v = f->get("status");
    out.status = v.isString() ? v.extract<std::string>() : "?";
    if (!knownStatus(out.status))
      throw HttpError(422, "filter.status must be active, unsubscribed, bounced or complained");
  }
  if (f->has("group_id")) {
    auto v = f->get("group_id");
    if (!v.isInteger() || !repo.get(ctx.user->id, v.convert<std::int64_t>()))
      throw HttpError(422, "filter.group_id: not your group");
    out.groupId = v.convert<std::int64_t>();
  }
  return out;
}

void members(Ctx& ctx, bool add) {
  auto conn = ctx.platform.db.conn();
  GroupRepo repo(conn);
  Group g = loadGroup(ctx, repo);
  auto body = ctx.jsonBody();
  std::int64_t changed = 0;
  if (auto f = body->getObject("filter")) {
    auto filter = filterOf(ctx, repo, f);
    db::Tx tx(conn);
    changed = add ? repo.addMatching(g.ownerId, g.id, filter)
                  : repo.removeMatching(g.ownerId, g.id, filter);
    tx.commit();
    auto o = toJson(ctx, *repo.get(g.ownerId, g.id));
    o->set(add ? "added" : "removed", changed);
    return ctx.json(o);
  }
  auto ids = clientIds(ctx, repo);
  db::Tx tx(conn);
  changed = add ? repo.addMembers(g.ownerId, g.id, ids) : repo.removeMembers(g.ownerId, g.id, ids);
  tx.commit();
  auto o = toJson(ctx, *repo.get(g.ownerId, g.id));
  o->set(add ? "added" : "removed", changed);
  ctx.json(o);
}

}  // namespace

void installGroups(web::Platform& p) {
  p.get("/api/v1/groups", apiList, web::signedIn());
  p.post("/api/v1/groups", apiCreate, web::signedIn());
  p.get("/api/v1/groups/{id}", apiGet, web::signedIn());
  p.patch("/api/v1/groups/{id}", apiPatch, web::signedIn());
  p.del("/api/v1/groups/{id}", apiDelete, web::signedIn());
  p.post(
      "/api/v1/groups/{id}/clients", [](Ctx& ctx) { members(ctx, true); }, web::signedIn());
  p.del(
      "/api/v1/groups/{id}/clients", [](Ctx& ctx) { members(ctx, false); }, web::signedIn());
}

}  // namespace mw::clients
