// Pages of recipient groups (issue 12): list, create, edit, delete. Members are managed from the
// client list (bulk actions) and the import; the API is in groups_api.cpp.
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
using web::Data;
using web::FormState;
using web::HttpError;

void listPage(Ctx& ctx) {
  auto conn = ctx.platform.db.conn();
  GroupRepo repo(conn);
  auto pager = web::Pager::from(ctx);
  pager.total = repo.count(ctx.user->id);
  Data items(Data::type::list);
  for (const auto& g : repo.list(ctx.user->id, pager.offset(), pager.perPage)) {
    Data o;
    o.set("id", std::to_string(g.id));
    o.set("name", g.name);
    o.set("description", g.description);
    o.set("count_text", ctx.tn("clients_count", g.clientsCount));
    items.push_back(o);
  }
  Data d;
  d.set("title", ctx.t("groups_title"));
  d.set("items", items);
  d.set("has_items", pager.total > 0);
  d.set("pagination", pager.toData("/groups"));
  ctx.html("groups/list", d);
}

void showForm(Ctx& ctx, const FormState& f, const std::string& action, bool isNew, int status) {
  Data d;
  d.set("title", ctx.t(isNew ? "group_new_title" : "group_edit_title"));
  d.set("form", f.toData());
  d.set("action", action);
  ctx.html("groups/form", d, status);
}

// Reads and checks the form into g; the form state carries the values and errors.
FormState fromForm(Ctx& ctx, GroupRepo& repo, Group& g) {
  g.name = web::clean(ctx.form("name"));
  g.description = web::clean(ctx.form("description"), true);
  FormState f;
  f.set("name", g.name);
  f.set("description", g.description);
  if (g.name.empty())
    f.error("name", ctx.t("error_required"));
  else if (web::utf8Length(g.name) > 200)
    f.error("name", ctx.t("error_too_long"));
  else if (repo.nameTaken(g.ownerId, g.name, g.id))
    f.error("name", ctx.t("error_group_exists"));
  if (web::utf8Length(g.description) > 2000) f.error("description", ctx.t("error_too_long"));
  return f;
}

void newPage(Ctx& ctx) {
  showForm(ctx, FormState(), "/groups", true, 200);
}

void createSubmit(Ctx& ctx) {
  auto conn = ctx.platform.db.conn();
  GroupRepo repo(conn);
  Group g;
  g.ownerId = ctx.user->id;
  auto f = fromForm(ctx, repo, g);
  if (!f.ok()) return showForm(ctx, f, "/groups", true, 422);
  auto id = repo.create(g);
  ctx.flash("success", ctx.t("flash_group_saved"));
  ctx.redirect("/clients?group_id=" + std::to_string(id));
}

void editPage(Ctx& ctx) {
  auto conn = ctx.platform.db.conn();
  GroupRepo repo(conn);
  Group g = loadGroup(ctx, repo);
  FormState f;
  f.set("name", g.name);
  f.set("description", g.description);
  showForm(ctx, f, "/groups/" + std::to_string(g.id), false, 200);
}

void updateSubmit(Ctx& ctx) {
  auto conn = ctx.platform.db.conn();
  GroupRepo repo(conn);
  Group g = loadGroup(ctx, repo);
  auto f = fromForm(ctx, repo, g);
  if (!f.ok()) return showForm(ctx, f, "/groups/" + std::to_string(g.id), false, 422);
  repo.update(g);
  ctx.flash("success", ctx.t("flash_group_saved"));
  ctx.redirect("/groups");
}

void deletePage(Ctx& ctx) {
  auto conn = ctx.platform.db.conn();
  GroupRepo repo(conn);
  Group g = loadGroup(ctx, repo);
  Data d;
  d.set("title", ctx.t("group_delete_title"));
  d.set("id", std::to_string(g.id));
  d.set("name", g.name);
  d.set("count_text", ctx.tn("clients_count", g.clientsCount));
  ctx.html("groups/delete", d);
}

void deleteSubmit(Ctx& ctx) {
  auto conn = ctx.platform.db.conn();
  GroupRepo repo(conn);
  Group g = loadGroup(ctx, repo);
  repo.remove(g.ownerId, g.id);  // its clients stay; mailings to it lose it
  ctx.flash("success", ctx.t("flash_group_deleted"));
  ctx.redirect("/groups");
}

}  // namespace

void installGroupPages(web::Platform& p) {
  p.get("/groups", listPage, web::signedIn());
  p.get("/groups/new", newPage, web::signedIn());
  p.post("/groups", createSubmit, web::signedIn());
  p.get("/groups/{id}/edit", editPage, web::signedIn());
  p.post("/groups/{id}", updateSubmit, web::signedIn());
  p.get("/groups/{id}/delete", deletePage, web::signedIn());
  p.post("/groups/{id}/delete", deleteSubmit, web::signedIn());
}

}  // namespace mw::clients
