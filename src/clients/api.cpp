// The clients API: /api/v1/clients.
#include <Poco/JSON/Array.h>

#include <memory>

#include "clients/bulk.h"
#include "clients/common.h"
#include "clients/groups.h"
#include "clients/module.h"
#include "clients/validate.h"
#include "web/form.h"
#include "web/guards.h"
#include "web/pager.h"

namespace mw::clients {
namespace {

using web::Ctx;
using web::FormState;
using web::HttpError;

void apiList(Ctx& ctx) {
  auto conn = ctx.platform.db.conn();
  Repo repo(conn);
  auto f = listFilter(ctx, conn, false);
  auto pager = web::Pager::from(ctx);
  Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
  for (const auto& c :
       repo.list(ctx.user->id, f.q, pager.offset(), pager.perPage, f.groupId, f.status))
    items->add(toJson(ctx, c));
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
  o->set("items", items);
  o->set("total", repo.count(ctx.user->id, f.q, f.groupId, f.status));
  ctx.json(o);
}

std::string str(const Poco::JSON::Object::Ptr& body, const std::string& key, bool& present,
                bool& badType) {
  badType = false;
  present = body->has(key);
  if (!present) return "";
  auto v = body->get(key);
  if (v.isEmpty()) return "";
  if (!v.isString()) {
    badType = true;
    return "";
  }
  return v.extract<std::string>();
}

// Applies the JSON fields present in the body; false after answering 409/422 with field errors.
bool applyJson(Ctx& ctx, Repo& repo, Client& c) {
  auto body = ctx.jsonBody();
  bool present = false;
  FormState types;
  for (const char* key : {"email", "full_name", "comment"}) {
    bool bad = false;
    std::string v = str(body, key, present, bad);
    if (bad) types.error(key, "must be a string");
    if (!present) continue;
    if (std::string(key) == "email")
      c.email = normalizeEmail(v);
    else if (std::string(key) == "full_name")
      c.fullName = web::clean(v);
    else
      c.comment = web::clean(v, true);
  }
  if (!types.ok()) {
    ctx.json(types.toJson(), 422);
    return false;
  }
  auto f = check(ctx, repo, c);
  if (!f.ok()) {
    bool duplicate =
        f.errors().size() == 1 && f.hasError("email") && repo.emailTaken(c.ownerId, c.email, c.id);
    ctx.json(f.toJson(), duplicate ? 409 : 422);
    return false;
  }
  return true;
}

void apiCreate(Ctx& ctx) {
  auto conn = ctx.platform.db.conn();
  Repo repo(conn);
  Client c;
  c.ownerId = ctx.user->id;
  if (!applyJson(ctx, repo, c)) return;
  c.id = repo.create(c);
  ctx.json(toJson(ctx, *repo.get(c.ownerId, c.id)), 201);
}

void apiGet(Ctx& ctx) {
  auto conn = ctx.platform.db.conn();
  Repo repo(conn);
  ctx.json(toJson(ctx, load(ctx, repo)));
}

void apiPatch(Ctx& ctx) {
  auto conn = ctx.platform.db.conn();
  Repo repo(conn);
  Client c = load(ctx, repo);
  if (!applyJson(ctx, repo, c)) return;
  repo.update(c);
  ctx.json(toJson(ctx, *repo.get(c.ownerId, c.id)));
}

void apiDelete(Ctx& ctx, const Hooks& h) {
  auto conn = ctx.platform.db.conn();
  Repo repo(conn);
  Client c = load(ctx, repo);
  removeClient(conn, c, h);
  ctx.noContent();
}

void apiErase(Ctx& ctx, const Hooks& h) {
  auto conn = ctx.platform.db.conn();
  Repo repo(conn);
  Client c = load(ctx, repo);
  eraseClient(conn, c, h, ctx.platform.cfg.secretKey);
  ctx.noContent();
}

// 200 with the client, whether it was unsubscribed or not (then nothing changes).
void apiResubscribe(Ctx& ctx) {
  auto conn = ctx.platform.db.conn();
  Repo repo(conn);
  Client c = load(ctx, repo);
  repo.resubscribe(c.ownerId, c.id, ctx.user->id);
  ctx.json(toJson(ctx, *repo.get(c.ownerId, c.id)));
}

void apiImport(Ctx& ctx) {
  std::string text;
  if (const auto* f = ctx.file("file")) {
    if (f->truncated) throw HttpError(413, "file too large");
    text = f->bytes;
  } else {
    text = ctx.form("csv");
  }
  std::int64_t group = parseId(ctx.form("group_id"));
  if (group > 0) {
    auto conn = ctx.platform.db.conn();
    if (!GroupRepo(conn).get(ctx.user->id, group)) group = -1;
  }
  if (group < 0) throw HttpError(422, "group_id: not your group");
  auto r = runImport(ctx, text, group);
  if (!r.parsed.error.empty()) throw HttpError(422, ctx.t(r.parsed.error));
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
  o->set("imported", r.imported);
  o->set("existing", r.existing);
  Poco::JSON::Array::Ptr rej = new Poco::JSON::Array;
  for (const auto& x : r.parsed.rejected) {
    Poco::JSON::Object::Ptr row = new Poco::JSON::Object;
    row->set("line", x.line);
    row->set("value", x.value);
    row->set("reason", ctx.t(x.reason));
    rej->add(row);
  }
  o->set("rejected", rej);
  ctx.json(o);
}

}  // namespace

void installApi(web::Platform& p, const std::shared_ptr<const Hooks>& h) {
  p.get("/api/v1/clients", apiList, web::signedIn());
  p.post("/api/v1/clients", apiCreate, web::signedIn());
  p.post("/api/v1/clients/import", apiImport, web::signedIn());
  p.get("/api/v1/clients/export", exportCsv, web::signedIn());
  p.get("/api/v1/clients/{id}", apiGet, web::signedIn());
  p.patch("/api/v1/clients/{id}", apiPatch, web::signedIn());
  p.del(
      "/api/v1/clients/{id}", [h](Ctx& ctx) { apiDelete(ctx, *h); }, web::signedIn());
  p.post(
      "/api/v1/clients/{id}/erase", [h](Ctx& ctx) { apiErase(ctx, *h); }, web::signedIn());
  p.post("/api/v1/clients/{id}/resubscribe", apiResubscribe, web::signedIn());
}

}  // namespace mw::clients
