#include <Poco/JSON/Array.h>

#include "core/time.h"
#include "users/accounts.h"
#include "users/module.h"
#include "users/repo.h"
#include "web/form.h"
#include "web/guards.h"

namespace mw::users {
namespace {

using web::Ctx;

Poco::JSON::Object::Ptr toJson(const User& u, const TimeZone& tz) {
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
  o->set("id", u.id);
  o->set("email", u.email);
  o->set("username", u.username);
  o->set("name", u.name);
  o->set("is_verified", u.verified);
  o->set("is_blocked", u.blocked);
  Poco::JSON::Array::Ptr roles = new Poco::JSON::Array;
  for (const auto& r : u.roles) roles->add(r);
  o->set("roles", roles);
  o->set("created_at", formatIso8601(u.createdAt, tz));
  return o;
}

std::shared_ptr<const TimeZone> zoneOf(const Ctx& ctx) {
  auto tz = TimeZone::get(ctx.user ? ctx.user->timeZone : "UTC");
  return tz ? tz : TimeZone::get("UTC");
}

void listUsers(Ctx& ctx) {
  int perPage = ctx.queryInt("per_page", 20, 1, 100);
  int page = ctx.queryInt("page", 1, 1, 1000000);
  std::string q = web::clean(ctx.query("q"));
  auto c = ctx.platform.db.conn();
  Repo repo(c);
  auto tz = zoneOf(ctx);
  Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
  for (const auto& u : repo.list(q, (page - 1) * perPage, perPage)) items->add(toJson(u, *tz));
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
  o->set("items", items);
  o->set("total", repo.count(q));
  ctx.json(o);
}

void setBlocked(Ctx& ctx, bool blocked) {
  auto c = ctx.platform.db.conn();
  Repo repo(c);
  auto u = repo.byId(ctx.idParam());
  if (!u) throw web::HttpError(404, "user not found");
  if (u->id == ctx.user->id) throw web::HttpError(409, "you cannot block yourself");
  if (blocked && u->roles.count("admin") && !ctx.user->has("admin"))
    throw web::HttpError(403, "only an admin may block an admin");
  repo.setBlocked(u->id, blocked);
  if (blocked) web::SessionStore::destroyAllOf(c, u->id);
  u->blocked = blocked;
  ctx.json(toJson(*u, *zoneOf(ctx)));
}

}  // namespace

void installApi(web::Platform& p) {
  p.get("/api/v1/users", listUsers, web::role("manager"));
  p.post(
      "/api/v1/users/{id}/block", [](Ctx& ctx) { setBlocked(ctx, true); }, web::role("manager"));
  p.post(
      "/api/v1/users/{id}/unblock", [](Ctx& ctx) { setBlocked(ctx, false); }, web::role("manager"));
}

}  // namespace mw::users
