#include <Poco/JSON/Array.h>

#include "messages/module.h"
#include "messages/render.h"
#include "messages/repo.h"
#include "messages/template_text.h"
#include "web/form.h"
#include "web/format.h"
#include "web/guards.h"
#include "web/pager.h"

namespace mw::messages {
namespace {

using web::Ctx;
using web::Data;
using web::FormState;
using web::HttpError;

UsageLookup usage;

const Recipient kSample{"Иван Петров", "ivan.petrov@example.com", "https://example.com/u/sample"};

Data rowData(Ctx& ctx, const Message& m) {
  Data d;
  d.set("id", std::to_string(m.id));
  d.set("subject", m.subject);
  std::string excerpt = m.bodyText.substr(0, 140);
  while (!excerpt.empty() && (static_cast<unsigned char>(excerpt.back()) & 0xC0) == 0x80)
    excerpt.pop_back();  // do not cut a UTF-8 sequence
  if (!excerpt.empty() && (static_cast<unsigned char>(excerpt.back()) & 0xC0) == 0xC0)
    excerpt.pop_back();
  d.set("excerpt", excerpt + (m.bodyText.size() > 140 ? "…" : ""));
  d.set("has_html", !m.bodyHtml.empty());
  d.set("shared", m.shared);
  d.set("owner_name", m.ownerName);
  d.set("updated", web::humanTime(ctx, m.updatedAt));
  return d;
}

Poco::JSON::Object::Ptr toJson(Ctx& ctx, const Message& m) {
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
  o->set("id", m.id);
  o->set("subject", m.subject);
  o->set("body_text", m.bodyText);
  o->set("body_html", m.bodyHtml);
  o->set("is_shared", m.shared);
  o->set("created_at", web::isoTime(ctx, m.createdAt));
  o->set("updated_at", web::isoTime(ctx, m.updatedAt));
  return o;
}

FormState check(Ctx& ctx, const Message& m) {
  FormState f;
  f.set("subject", m.subject);
  f.set("body_text", m.bodyText);
  f.set("body_html", m.bodyHtml);
  if (m.subject.empty())
    f.error("subject", ctx.t("error_required"));
  else if (web::utf8Length(m.subject) > 250)
    f.error("subject", ctx.t("error_too_long"));
  if (m.bodyText.empty() && m.bodyHtml.empty()) f.error("body_text", ctx.t("error_body_required"));
  for (auto [field, value] : {std::pair<const char*, const std::string*>{"subject", &m.subject},
                              {"body_text", &m.bodyText},
                              {"body_html", &m.bodyHtml}}) {
    if (f.hasError(field)) continue;
    auto issue = checkTemplate(*value);
    if (!issue.ok()) f.error(field, explain(ctx, issue));
  }
  return f;
}

Message load(Ctx& ctx, Repo& repo) {
  auto m = repo.get(ctx.user->id, ctx.idParam());
  if (!m) throw HttpError(404, ctx.t("error_not_found"));
  return *m;
}

void listPage(Ctx& ctx) {
  auto conn = ctx.platform.db.conn();
  Repo repo(conn);
  std::string q = web::clean(ctx.query("q"));
  auto pager = web::Pager::from(ctx);
  pager.total = repo.count(ctx.user->id, q);
  Data items(Data::type::list);
  for (const auto& m : repo.list(ctx.user->id, q, pager.offset(), pager.perPage))
    items.push_back(rowData(ctx, m));
  Data d;
  d.set("title", ctx.t("messages_title"));
  d.set("q", q);
  d.set("items", items);
  d.set("has_items", pager.total > 0);
  d.set("searching", !q.empty());
  d.set("pagination", pager.toData(q.empty() ? "/messages" : web::withParam("/messages", "q", q)));
  ctx.html("messages/list", d);
}

void libraryPage(Ctx& ctx) {
  auto conn = ctx.platform.db.conn();
  Repo repo(conn);
  std::string q = web::clean(ctx.query("q"));
  auto pager = web::Pager::from(ctx);
  pager.total = repo.countShared(ctx.user->id, q);
  Data items(Data::type::list);
  for (const auto& m : repo.shared(ctx.user->id, q, pager.offset(), pager.perPage))
    items.push_back(rowData(ctx, m));
  Data d;
  d.set("title", ctx.t("library_title"));
  d.set("q", q);
  d.set("items", items);
  d.set("has_items", pager.total > 0);
  d.set("pagination", pager.toData(q.empty() ? "/messages/library"
                                             : web::withParam("/messages/library", "q", q)));
  ctx.html("messages/library", d);
}

void showForm(Ctx& ctx, const FormState& f, const std::string& action, bool isNew, bool shared,
              int status) {
  Data d;
  d.set("title", ctx.t(isNew ? "message_new_title" : "message_edit_title"));
  d.set("form", f.toData());
  d.set("action", action);
  d.set("is_new", isNew);
  d.set("shared", shared);
  ctx.html("messages/form", d, status);
}

Message fromForm(Ctx& ctx, Message m) {
  m.subject = web::clean(ctx.form("subject"));
  m.bodyText = web::clean(ctx.form("body_text"), true);
  m.bodyHtml = ctx.form("body_html");
  if (web::clean(m.bodyHtml, true).empty()) m.bodyHtml.clear();
  m.shared = !ctx.form("is_shared").empty();
  return m;
}

void newPage(Ctx& ctx) {
  FormState f;
  f.set("body_text", ctx.t("message_default_body"));
  showForm(ctx, f, "/messages", true, false, 200);
}

void createSubmit(Ctx& ctx) {
  Message m;
  m.ownerId = ctx.user->id;
  m = fromForm(ctx, m);
  auto f = check(ctx, m);
  if (!f.ok()) return showForm(ctx, f, "/messages", true, m.shared, 422);
  auto conn = ctx.platform.db.conn();
  std::int64_t id = Repo(conn).create(m);
  ctx.flash("success", ctx.t("flash_message_created"));
  ctx.redirect("/messages/" + std::to_string(id));
}

void viewPage(Ctx& ctx) {
  auto conn = ctx.platform.db.conn();
  Repo repo(conn);
  auto m = repo.readable(ctx.user->id, ctx.idParam());
  if (!m) throw HttpError(404, ctx.t("error_not_found"));
  Rendered r;
  std::string broken;
  try {
    r = render(m->subject, m->bodyText, m->bodyHtml, kSample);
  } catch (const TemplateError& e) {
    broken = ctx.t("message_preview_broken") + " " + explain(ctx, e.issue());
  }
  Data d = rowData(ctx, *m);
  d.set("preview_broken", broken);
  d.set("test_action", "/messages/" + std::to_string(m->id) + "/test");
  d.set("title", m->subject);
  d.set("own", m->ownerId == ctx.user->id);
  d.set("preview_subject", r.subject);
  d.set("preview_text", r.text);
  d.set("has_text", !r.text.empty());
  ctx.html("messages/view", d);
}

// The rendered HTML part alone, for a sandboxed iframe on the message page.
void previewHtml(Ctx& ctx) {
  auto conn = ctx.platform.db.conn();
  Repo repo(conn);
  auto m = repo.readable(ctx.user->id, ctx.idParam());
  if (!m) throw HttpError(404, ctx.t("error_not_found"));
  Rendered r;
  try {
    r = render(m->subject, m->bodyText, m->bodyHtml, kSample);
  } catch (const TemplateError& e) {
    r.html = "<p>" + ctx.t("message_preview_broken") + "</p>";
  }
  ctx.res.set("Content-Security-Policy",
              "sandbox; default-src 'none'; img-src * data:; style-src 'unsafe-inline'; "
              "frame-ancestors 'self'");
  ctx.res.set("X-Frame-Options", "SAMEORIGIN");
  ctx.text(r.html, "text/html; charset=utf-8", 200);
}

void editPage(Ctx& ctx) {
  auto conn = ctx.platform.db.conn();
  Repo repo(conn);
  Message m = load(ctx, repo);
  FormState f;
  f.set("subject", m.subject);
  f.set("body_text", m.bodyText);
  f.set("body_html", m.bodyHtml);
  showForm(ctx, f, "/messages/" + std::to_string(m.id), false, m.shared, 200);
}

void updateSubmit(Ctx& ctx) {
  auto conn = ctx.platform.db.conn();
  Repo repo(conn);
  Message m = fromForm(ctx, load(ctx, repo));
  auto f = check(ctx, m);
  if (!f.ok()) return showForm(ctx, f, "/messages/" + std::to_string(m.id), false, m.shared, 422);
  repo.update(m);
  ctx.flash("success", ctx.t("flash_message_saved"));
  ctx.redirect("/messages/" + std::to_string(m.id));
}

void copySubmit(Ctx& ctx) {
  auto conn = ctx.platform.db.conn();
  Repo repo(conn);
  auto m = repo.readable(ctx.user->id, ctx.idParam());
  if (!m) throw HttpError(404, ctx.t("error_not_found"));
  Message copy = *m;
  copy.ownerId = ctx.user->id;
  copy.shared = false;
  std::int64_t id = repo.create(copy);
  ctx.flash("success", ctx.t("flash_message_copied"));
  ctx.redirect("/messages/" + std::to_string(id) + "/edit");
}

void deletePage(Ctx& ctx) {
  auto conn = ctx.platform.db.conn();
  Repo repo(conn);
  Message m = load(ctx, repo);
  Data d = rowData(ctx, m);
  d.set("title", ctx.t("message_delete_title"));
  auto names = usage ? usage(m.ownerId, m.id) : std::vector<std::string>{};
  Data list(Data::type::list);
  for (const auto& n : names) list.push_back(Data(n));
  d.set("used_by", list);
  d.set("in_use", !names.empty());
  ctx.html("messages/delete", d);
}

void deleteSubmit(Ctx& ctx) {
  auto conn = ctx.platform.db.conn();
  Repo repo(conn);
  Message m = load(ctx, repo);
  if (usage && !usage(m.ownerId, m.id).empty()) {
    ctx.flash("danger", ctx.t("error_message_in_use"));
    return ctx.redirect("/messages/" + std::to_string(m.id) + "/delete");
  }
  repo.remove(m.ownerId, m.id);
  ctx.flash("success", ctx.t("flash_message_deleted"));
  ctx.redirect("/messages");
}

// API

void apiList(Ctx& ctx) {
  auto conn = ctx.platform.db.conn();
  Repo repo(conn);
  std::string q = web::clean(ctx.query("q"));
  auto pager = web::Pager::from(ctx);
  bool library = ctx.query("shared") == "1";
  Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
  auto rows = library ? repo.shared(ctx.user->id, q, pager.offset(), pager.perPage)
                      : repo.list(ctx.user->id, q, pager.offset(), pager.perPage);
  for (const auto& m : rows) items->add(toJson(ctx, m));
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
  o->set("items", items);
  o->set("total", library ? repo.countShared(ctx.user->id, q) : repo.count(ctx.user->id, q));
  ctx.json(o);
}

bool applyJson(Ctx& ctx, Message& m) {
  auto body = ctx.jsonBody();
  FormState types;
  for (const char* key : {"subject", "body_text", "body_html"}) {
    if (!body->has(key)) continue;
    auto v = body->get(key);
    if (!v.isEmpty() && !v.isString()) {
      types.error(key, "must be a string");
      continue;
    }
    std::string s = v.isEmpty() ? "" : v.extract<std::string>();
    if (std::string(key) == "subject")
      m.subject = web::clean(s);
    else if (std::string(key) == "body_text")
      m.bodyText = web::clean(s, true);
    else
      m.bodyHtml = s;
  }
  if (body->has("is_shared")) {
    auto v = body->get("is_shared");
    if (!v.isBoolean())
      types.error("is_shared", "must be true or false");
    else
      m.shared = v.extract<bool>();
  }
  if (!types.ok()) {
    ctx.json(types.toJson(), 422);
    return false;
  }
  auto f = check(ctx, m);
  if (!f.ok()) {
    ctx.json(f.toJson(), 422);
    return false;
  }
  return true;
}

void apiCreate(Ctx& ctx) {
  Message m;
  m.ownerId = ctx.user->id;
  if (!applyJson(ctx, m)) return;
  auto conn = ctx.platform.db.conn();
  Repo repo(conn);
  m.id = repo.create(m);
  ctx.json(toJson(ctx, *repo.get(m.ownerId, m.id)), 201);
}

void apiGet(Ctx& ctx) {
  auto conn = ctx.platform.db.conn();
  Repo repo(conn);
  auto m = repo.readable(ctx.user->id, ctx.idParam());
  if (!m) throw HttpError(404, "message not found");
  ctx.json(toJson(ctx, *m));
}

void apiPatch(Ctx& ctx) {
  auto conn = ctx.platform.db.conn();
  Repo repo(conn);
  Message m = load(ctx, repo);
  if (!applyJson(ctx, m)) return;
  repo.update(m);
  ctx.json(toJson(ctx, *repo.get(m.ownerId, m.id)));
}

void apiDelete(Ctx& ctx) {
  auto conn = ctx.platform.db.conn();
  Repo repo(conn);
  Message m = load(ctx, repo);
  if (usage) {
    auto names = usage(m.ownerId, m.id);
    if (!names.empty()) {
      std::string list;
      for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
      throw HttpError(409, "message is used by mailings: " + list);
    }
  }
  repo.remove(m.ownerId, m.id);
  ctx.noContent();
}

}  // namespace

void install(web::Platform& p, UsageLookup mailingsUsing) {
  usage = std::move(mailingsUsing);
  p.get("/messages", listPage, web::signedIn());
  p.get("/messages/library", libraryPage, web::signedIn());
  p.get("/messages/new", newPage, web::signedIn());
  p.post("/messages", createSubmit, web::signedIn());
  p.get("/messages/{id}", viewPage, web::signedIn());
  p.get("/messages/{id}/preview.html", previewHtml, web::signedIn());
  p.get("/messages/{id}/edit", editPage, web::signedIn());
  p.post("/messages/{id}", updateSubmit, web::signedIn());
  p.post("/messages/{id}/copy", copySubmit, web::signedIn());
  p.get("/messages/{id}/delete", deletePage, web::signedIn());
  p.post("/messages/{id}/delete", deleteSubmit, web::signedIn());
  p.get("/api/v1/messages", apiList, web::signedIn());
  p.post("/api/v1/messages", apiCreate, web::signedIn());
  p.get("/api/v1/messages/{id}", apiGet, web::signedIn());
  p.patch("/api/v1/messages/{id}", apiPatch, web::signedIn());
  p.del("/api/v1/messages/{id}", apiDelete, web::signedIn());
}

}  // namespace mw::messages
