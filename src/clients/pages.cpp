#include <Poco/JSON/Array.h>

#include <memory>

#include "clients/bulk.h"
#include "clients/csv.h"
#include "clients/groups.h"
#include "clients/module.h"
#include "clients/repo.h"
#include "clients/validate.h"
#include "core/security.h"
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

constexpr std::size_t kMaxCsv = 8 * 1024 * 1024;

using HooksPtr = std::shared_ptr<const Hooks>;

// Erases the client for a deletion request (152-ФЗ, GDPR): deleted, and its address in the
// owner's history replaced by a keyed hash that cannot be turned back into the address, so that
// the history still counts one recipient per former address.
void eraseClient(Ctx& ctx, db::Conn& conn, const Client& c, const Hooks& h) {
  std::string alias =
      "erased-" + security::sha256Hex(ctx.platform.cfg.secretKey + "\n" + c.email).substr(0, 20) +
      "@erased.invalid";
  db::Tx tx(conn);
  if (h.onErase) h.onErase(conn, c.ownerId, c.id, c.email, alias);
  if (h.onRemove) h.onRemove(conn, c.ownerId, c.id);
  Repo(conn).remove(c.ownerId, c.id);
  tx.commit();
}

Data rowData(Ctx& ctx, const Client& c) {
  Data d;
  d.set("id", std::to_string(c.id));
  d.set("email", c.email);
  d.set("full_name", c.fullName);
  d.set("comment", c.comment);
  d.set("unsubscribed", c.unsubscribedAt.has_value());
  d.set("unsubscribed_at", web::humanTime(ctx, c.unsubscribedAt));
  d.set("created", web::humanTime(ctx, c.createdAt));
  return d;
}

Poco::JSON::Object::Ptr toJson(Ctx& ctx, const Client& c) {
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
  o->set("id", c.id);
  o->set("email", c.email);
  o->set("full_name", c.fullName);
  o->set("comment", c.comment);
  o->set("unsubscribed", c.unsubscribedAt.has_value());
  if (c.resubscribedAt) {
    o->set("resubscribed_at", web::isoTime(ctx, *c.resubscribedAt));
    o->set("resubscribed_by", c.resubscribedBy.value_or(0));
  }
  o->set("created_at", web::isoTime(ctx, c.createdAt));
  o->set("updated_at", web::isoTime(ctx, c.updatedAt));
  return o;
}

// Validation and uniqueness for pages and API alike.
FormState check(Ctx& ctx, Repo& repo, const Client& c) {
  FormState f;
  f.set("email", c.email);
  f.set("full_name", c.fullName);
  f.set("comment", c.comment);
  for (const auto& [field, key] : validate(c)) f.error(field, ctx.t(key));
  if (!f.hasError("email") && repo.emailTaken(c.ownerId, c.email, c.id))
    f.error("email", ctx.t("error_client_exists"));
  return f;
}

Client load(Ctx& ctx, Repo& repo) {
  auto c = repo.get(ctx.user->id, ctx.idParam());
  if (!c) throw HttpError(404, ctx.t("error_not_found"));
  return *c;
}

void listPage(Ctx& ctx) {
  auto conn = ctx.platform.db.conn();
  Repo repo(conn);
  auto filter = listFilter(ctx, conn, false);
  auto pager = web::Pager::from(ctx);
  pager.total = repo.count(ctx.user->id, filter.q, filter.groupId, filter.status);
  Data items(Data::type::list);
  for (const auto& c : repo.list(ctx.user->id, filter.q, pager.offset(), pager.perPage,
                                 filter.groupId, filter.status))
    items.push_back(rowData(ctx, c));
  Data groups(Data::type::list);
  for (const auto& g : GroupRepo(conn).list(ctx.user->id, 0, 1000)) {
    Data o;
    o.set("id", std::to_string(g.id));
    o.set("name", g.name);
    o.set("selected", g.id == filter.groupId);
    groups.push_back(o);
  }
  Data d;
  d.set("title", ctx.t("clients_title"));
  d.set("q", filter.q);
  d.set("group_id", filter.groupId > 0 ? std::to_string(filter.groupId) : std::string());
  d.set("status", filter.status);
  d.set("status_active", filter.status == "active");
  d.set("status_unsubscribed", filter.status == "unsubscribed");
  d.set("groups", groups);
  d.set("has_groups", !groups.is_empty_list());
  d.set("items", items);
  d.set("has_items", pager.total > 0);
  d.set("matching_text", ctx.tn("clients_matching", pager.total));
  d.set("searching", filter.any());
  d.set("pagination", pager.toData(filter.on("/clients")));
  ctx.html("clients/list", d);
}

void showForm(Ctx& ctx, const FormState& f, const std::string& action, bool isNew, int status) {
  Data d;
  d.set("title", ctx.t(isNew ? "client_new_title" : "client_edit_title"));
  d.set("form", f.toData());
  d.set("action", action);
  d.set("is_new", isNew);
  ctx.html("clients/form", d, status);
}

Client fromForm(Ctx& ctx, Client c) {
  c.email = normalizeEmail(ctx.form("email"));
  c.fullName = web::clean(ctx.form("full_name"));
  c.comment = web::clean(ctx.form("comment"), true);
  return c;
}

void newPage(Ctx& ctx) {
  showForm(ctx, FormState(), "/clients", true, 200);
}

void createSubmit(Ctx& ctx) {
  auto conn = ctx.platform.db.conn();
  Repo repo(conn);
  Client c;
  c.ownerId = ctx.user->id;
  c = fromForm(ctx, c);
  auto f = check(ctx, repo, c);
  if (!f.ok()) return showForm(ctx, f, "/clients", true, 422);
  repo.create(c);
  ctx.flash("success", ctx.t("flash_client_created"));
  ctx.redirect(ctx.form("another").empty() ? "/clients" : "/clients/new");
}

void editPage(Ctx& ctx) {
  auto conn = ctx.platform.db.conn();
  Repo repo(conn);
  Client c = load(ctx, repo);
  FormState f;
  f.set("email", c.email);
  f.set("full_name", c.fullName);
  f.set("comment", c.comment);
  showForm(ctx, f, "/clients/" + std::to_string(c.id), false, 200);
}

void updateSubmit(Ctx& ctx) {
  auto conn = ctx.platform.db.conn();
  Repo repo(conn);
  Client c = fromForm(ctx, load(ctx, repo));
  auto f = check(ctx, repo, c);
  if (!f.ok()) return showForm(ctx, f, "/clients/" + std::to_string(c.id), false, 422);
  repo.update(c);
  ctx.flash("success", ctx.t("flash_client_saved"));
  ctx.redirect("/clients");
}

void deletePage(Ctx& ctx, const Hooks& h) {
  auto conn = ctx.platform.db.conn();
  Repo repo(conn);
  Client c = load(ctx, repo);
  Data d = rowData(ctx, c);
  d.set("title", ctx.t("client_delete_title"));
  auto using_ = h.mailingsUsing ? h.mailingsUsing(c.ownerId, c.id) : std::vector<std::string>{};
  Data names(Data::type::list);
  for (const auto& n : using_) names.push_back(Data(n));
  d.set("used_by", names);
  d.set("in_use", !using_.empty());
  ctx.html("clients/delete", d);
}

void deleteSubmit(Ctx& ctx, const Hooks& h) {
  auto conn = ctx.platform.db.conn();
  Repo repo(conn);
  Client c = load(ctx, repo);
  if (ctx.form("erase") == "1") {
    eraseClient(ctx, conn, c, h);
    ctx.flash("success", ctx.t("flash_client_erased"));
  } else {
    removeClient(conn, c, h);
    ctx.flash("success", ctx.t("flash_client_deleted"));
  }
  ctx.redirect("/clients");
}

void resubscribe(Ctx& ctx) {
  auto conn = ctx.platform.db.conn();
  Repo repo(conn);
  Client c = load(ctx, repo);
  repo.resubscribe(c.ownerId, c.id, ctx.user->id);
  ctx.flash("success", ctx.t("flash_client_resubscribed"));
  ctx.redirect("/clients/" + std::to_string(c.id) + "/edit");
}

struct ImportResult {
  std::int64_t imported = 0;
  std::int64_t existing = 0;
  ParsedCsv parsed;
};

// group > 0: every row of the file (new or existing client) goes into that group too.
ImportResult runImport(Ctx& ctx, const std::string& text, std::int64_t group = 0) {
  ImportResult r;
  r.parsed = parseClientsCsv(text);
  if (!r.parsed.error.empty()) return r;
  auto conn = ctx.platform.db.conn();
  Repo repo(conn);
  db::Tx tx(conn);
  r.imported = repo.insertMany(ctx.user->id, r.parsed.rows);
  if (group > 0) {
    std::vector<std::string> emails;
    emails.reserve(r.parsed.rows.size());
    for (const auto& row : r.parsed.rows) emails.push_back(row.email);
    GroupRepo(conn).addByEmails(ctx.user->id, group, emails);
  }
  tx.commit();
  // PostgreSQL plans from statistics that autovacuum refreshes only later: filling a run right
  // after an import of 50,000 clients took 140 s by nested loops planned for an empty table.
  if (conn.postgres() && r.parsed.rows.size() >= 10'000)
    conn.exec("ANALYZE clients, client_group_members");
  r.existing = static_cast<std::int64_t>(r.parsed.rows.size()) - r.imported;
  return r;
}

void importPage(Ctx& ctx) {
  Data d;
  d.set("title", ctx.t("clients_import_title"));
  ctx.html("clients/import", d);
}

void importSubmit(Ctx& ctx) {
  const web::UploadedFile* file = ctx.file("file");
  Data d;
  d.set("title", ctx.t("clients_import_title"));
  std::string error;
  if (!file || file->bytes.empty())
    error = "error_file_required";
  else if (file->truncated || file->bytes.size() > kMaxCsv)
    error = "error_file_too_large";
  ImportResult r;
  if (error.empty()) {
    r = runImport(ctx, file->bytes);
    error = r.parsed.error;
  }
  if (!error.empty()) {
    d.set("error", ctx.t(error));
    return ctx.html("clients/import", d, 422);
  }
  d.set("done", true);
  d.set("imported", std::to_string(r.imported));
  d.set("existing", std::to_string(r.existing));
  d.set("rejected_count", std::to_string(r.parsed.rejected.size()));
  Data rej(Data::type::list);
  for (const auto& x : r.parsed.rejected) {
    Data row;
    row.set("line", std::to_string(x.line));
    row.set("value", x.value);
    row.set("reason", ctx.t(x.reason));
    rej.push_back(row);
  }
  d.set("rejected", rej);
  d.set("has_rejected", !r.parsed.rejected.empty());
  ctx.html("clients/import", d);
}

void exportCsv(Ctx& ctx) {
  auto conn = ctx.platform.db.conn();
  Repo repo(conn);
  ctx.res.set("Content-Disposition", "attachment; filename=\"clients.csv\"");
  ctx.text(exportClientsCsv(repo.all(ctx.user->id)), "text/csv; charset=utf-8", 200);
}

// API

// ?group_id= of the list: 0 when absent, 404 unless the user has that group.
std::int64_t groupParam(Ctx& ctx, db::Conn& conn) {
  std::string raw = ctx.query("group_id");
  if (raw.empty()) return 0;
  std::int64_t id = 0;
  for (char ch : raw) {
    if (ch < '0' || ch > '9' || id > 1'000'000'000'000)
      throw HttpError(404, ctx.t("error_not_found"));
    id = id * 10 + (ch - '0');
  }
  if (id == 0 || !GroupRepo(conn).get(ctx.user->id, id))
    throw HttpError(404, ctx.t("error_not_found"));
  return id;
}

void apiList(Ctx& ctx) {
  auto conn = ctx.platform.db.conn();
  Repo repo(conn);
  std::string q = web::clean(ctx.query("q"));
  std::int64_t group = groupParam(ctx, conn);
  auto pager = web::Pager::from(ctx);
  Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
  for (const auto& c : repo.list(ctx.user->id, q, pager.offset(), pager.perPage, group))
    items->add(toJson(ctx, c));
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
  o->set("items", items);
  o->set("total", repo.count(ctx.user->id, q, group));
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
  eraseClient(ctx, conn, c, h);
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
  std::int64_t group = 0;
  if (std::string raw = ctx.form("group_id"); !raw.empty()) {
    auto conn = ctx.platform.db.conn();
    for (char ch : raw)
      if (ch < '0' || ch > '9' || raw.size() > 15) throw HttpError(422, "group_id: not your group");
    group = std::stoll(raw);
    if (!GroupRepo(conn).get(ctx.user->id, group)) throw HttpError(422, "group_id: not your group");
  }
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

void install(web::Platform& p, Hooks hooks) {
  auto h = std::make_shared<const Hooks>(std::move(hooks));
  p.get("/clients", listPage, web::signedIn());
  p.post(
      "/clients/bulk", [h](Ctx& ctx) { bulkSubmit(ctx, *h); }, web::signedIn());
  p.get("/clients/new", newPage, web::signedIn());
  p.post("/clients", createSubmit, web::signedIn());
  p.get("/clients/import", importPage, web::signedIn());
  p.post("/clients/import", importSubmit, web::signedIn());
  p.get("/clients/export.csv", exportCsv, web::signedIn());
  p.get(
      "/clients/{id}",
      [](Ctx& ctx) { ctx.redirect("/clients/" + std::to_string(ctx.idParam()) + "/edit"); },
      web::signedIn());
  p.get("/clients/{id}/edit", editPage, web::signedIn());
  p.post("/clients/{id}", updateSubmit, web::signedIn());
  p.get(
      "/clients/{id}/delete", [h](Ctx& ctx) { deletePage(ctx, *h); }, web::signedIn());
  p.post(
      "/clients/{id}/delete", [h](Ctx& ctx) { deleteSubmit(ctx, *h); }, web::signedIn());
  p.post("/clients/{id}/resubscribe", resubscribe, web::signedIn());
  installGroups(p);
  installGroupPages(p);
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
