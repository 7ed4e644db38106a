#include "users/module.h"
#include "users/repo.h"
#include "web/form.h"
#include "web/format.h"
#include "web/guards.h"
#include "web/pager.h"

namespace mw::users {
namespace {

using web::Ctx;
using web::Data;

void usersPage(Ctx& ctx) {
  auto c = ctx.platform.db.conn();
  Repo repo(c);
  std::string q = web::clean(ctx.query("q"));
  auto pager = web::Pager::from(ctx);
  pager.total = repo.count(q);
  Data items(Data::type::list);
  for (const auto& u : repo.list(q, pager.offset(), pager.perPage)) {
    Data row;
    row.set("id", std::to_string(u.id));
    row.set("email", u.email);
    row.set("username", u.username);
    row.set("name", u.name);
    row.set("verified", u.verified);
    row.set("blocked", u.blocked);
    row.set("self", u.id == ctx.user->id);
    row.set("joined", web::humanTime(ctx, u.createdAt));
    row.set("last_login", web::humanTime(ctx, u.lastLoginAt));
    Data roles(Data::type::list);
    for (const auto& r : u.roles) roles.push_back(Data(ctx.t("role_" + r)));
    row.set("roles", roles);
    items.push_back(row);
  }
  Data d;
  d.set("title", ctx.t("manage_users_title"));
  d.set("q", q);
  d.set("items", items);
  d.set("has_items", pager.total > 0);
  d.set("pagination",
        pager.toData(q.empty() ? "/manage/users" : web::withParam("/manage/users", "q", q)));
  ctx.html("users/manage", d);
}

void setBlocked(Ctx& ctx, bool blocked) {
  auto c = ctx.platform.db.conn();
  Repo repo(c);
  auto u = repo.byId(ctx.idParam());
  if (!u) throw web::HttpError(404, ctx.t("error_not_found"));
  if (u->id == ctx.user->id) {
    ctx.flash("danger", ctx.t("error_block_self"));
    return ctx.redirect("/manage/users");
  }
  if (blocked && u->roles.count("admin") && !ctx.user->has("admin"))
    throw web::HttpError(403, ctx.t("error_forbidden"));
  repo.setBlocked(u->id, blocked);
  if (blocked) web::SessionStore::destroyAllOf(c, u->id);
  ctx.flash("success", ctx.t(blocked ? "flash_user_blocked" : "flash_user_unblocked"));
  ctx.redirect("/manage/users");
}

}  // namespace

void installManage(web::Platform& p) {
  p.get("/manage/users", usersPage, web::role("manager"));
  p.post(
      "/manage/users/{id}/block", [](Ctx& ctx) { setBlocked(ctx, true); }, web::role("manager"));
  p.post(
      "/manage/users/{id}/unblock", [](Ctx& ctx) { setBlocked(ctx, false); }, web::role("manager"));
}

}  // namespace mw::users
