#include <Poco/JSON/Array.h>

#include <algorithm>
#include <ctime>
#include <set>

#include "clients/groups.h"
#include "clients/repo.h"
#include "core/time.h"
#include "mailings/module.h"
#include "mailings/picker.h"
#include "mailings/repo.h"
#include "mailings/validate.h"
#include "messages/repo.h"
#include "web/form.h"
#include "web/format.h"
#include "web/guards.h"
#include "web/pager.h"

namespace mw::mailings {
namespace {

using web::Ctx;
using web::Data;
using web::FormState;
using web::HttpError;

DeliveryHooks hooks;

const std::vector<std::string> kPeriods{"once", "daily", "weekly", "monthly"};
const std::vector<std::string> kStatuses{"created", "running", "completed"};

Data statusData(Ctx& ctx, const Mailing& m) {
  Data d;
  std::string status = m.paused ? "paused" : m.status;
  d.set("status", status);
  d.set("status_label", ctx.t("status_" + status));
  d.set("paused", m.paused);
  d.set("status_class", status == "running"     ? "text-bg-success"
                        : status == "completed" ? "text-bg-secondary"
                        : status == "paused"    ? "text-bg-warning"
                                                : "text-bg-info");
  return d;
}

Data rowData(Ctx& ctx, const Mailing& m) {
  Data d = statusData(ctx, m);
  d.set("id", std::to_string(m.id));
  d.set("name", m.name);
  d.set("owner_email", m.ownerEmail);
  d.set("message_subject", m.messageSubject);
  d.set("periodicity_label", ctx.t("period_" + m.periodicity));
  d.set("start", web::humanTime(ctx, m.startAt));
  d.set("end", web::humanTime(ctx, m.endAt));
  d.set("last_run", web::humanTime(ctx, m.lastRunAt));
  d.set("next_run", web::humanTime(ctx, m.nextRunAt));
  d.set("active", m.active);
  d.set("clients_count", std::to_string(m.clientIds.size()));
  d.set("clients_text", ctx.tn("recipients", static_cast<long long>(m.clientIds.size())));
  return d;
}

Poco::JSON::Object::Ptr toJson(Ctx& ctx, const Mailing& m) {
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
  o->set("id", m.id);
  o->set("name", m.name);
  o->set("message_id", m.messageId);
  Poco::JSON::Array::Ptr ids = new Poco::JSON::Array;
  for (auto id : m.clientIds) ids->add(id);
  o->set("client_ids", ids);
  Poco::JSON::Array::Ptr groups = new Poco::JSON::Array;
  for (auto id : m.groupIds) groups->add(id);
  o->set("group_ids", groups);
  o->set("all_clients", m.allClients);
  o->set("start_at", web::isoTime(ctx, m.startAt));
  o->set("end_at", m.endAt ? Poco::Dynamic::Var(web::isoTime(ctx, m.endAt)) : Poco::Dynamic::Var());
  o->set("periodicity", m.periodicity);
  o->set("status", m.paused ? "paused" : m.status);
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

std::vector<std::int64_t> parseIds(const std::vector<std::string>& values) {
  std::set<std::int64_t> ids;
  for (const auto& v : values) {
    try {
      size_t used = 0;
      long long id = std::stoll(v, &used);
      if (used == v.size() && id > 0) ids.insert(id);
    } catch (...) {
    }
  }
  return {ids.begin(), ids.end()};
}

void listPage(Ctx& ctx, bool manage) {
  auto conn = ctx.platform.db.conn();
  Repo repo(conn);
  std::string q = web::clean(ctx.query("q"));
  std::string status = ctx.query("status");
  if (std::find(kStatuses.begin(), kStatuses.end(), status) == kStatuses.end()) status.clear();
  std::optional<std::int64_t> owner;
  if (!manage) owner = ctx.user->id;
  auto pager = web::Pager::from(ctx);
  pager.total = repo.count(owner, q, status);
  Data items(Data::type::list);
  web::reserve(items, static_cast<std::size_t>(pager.perPage));
  for (auto& m : repo.list(owner, q, status, pager.offset(), pager.perPage)) {
    Data row = rowData(ctx, m);
    row.set("own", m.ownerId == ctx.user->id);
    web::append(items, std::move(row));
  }
  Data statuses(Data::type::list);
  for (const auto& s : kStatuses) {
    Data o;
    o.set("value", s);
    o.set("label", ctx.t("status_" + s));
    o.set("selected", s == status);
    statuses.push_back(o);
  }
  std::string base = manage ? "/manage/mailings" : "/mailings";
  std::string pageBase = base;
  if (!q.empty()) pageBase = web::withParam(pageBase, "q", q);
  if (!status.empty()) pageBase = web::withParam(pageBase, "status", status);
  Data d;
  d.set("title", ctx.t(manage ? "manage_mailings_title" : "mailings_title"));
  d.set("manage", manage);
  d.set("base", base);
  d.set("q", q);
  d.set("statuses", statuses);
  web::put(d, "items", std::move(items));
  d.set("has_items", pager.total > 0);
  d.set("searching", !q.empty() || !status.empty());
  d.set("pagination", pager.toData(pageBase));
  ctx.html("mailings/list", d);
}

void showForm(Ctx& ctx, db::Conn& conn, const Mailing& m, const FormState& f,
              const std::string& action, bool isNew, int status) {
  auto tz = web::zoneOf(ctx);
  Data d;
  d.set("title", ctx.t(isNew ? "mailing_new_title" : "mailing_edit_title"));
  d.set("action", action);
  d.set("is_new", isNew);
  d.set("form", f.toData());
  d.set("name", m.name);
  d.set("start_at", f.value("start_at").empty() && m.startAt ? formatLocalInput(m.startAt, *tz)
                                                             : f.value("start_at"));
  d.set("end_at",
        f.value("end_at").empty() && m.endAt ? formatLocalInput(*m.endAt, *tz) : f.value("end_at"));
  d.set("timezone", tz->name());
  Data periods(Data::type::list);
  for (const auto& p : kPeriods) {
    Data o;
    o.set("value", p);
    o.set("label", ctx.t("period_" + p));
    o.set("selected", p == m.periodicity);
    periods.push_back(o);
  }
  d.set("periods", periods);
  Data msgs(Data::type::list);
  for (const auto& msg : messages::Repo(conn).all(m.ownerId)) {
    Data o;
    o.set("value", std::to_string(msg.id));
    o.set("label", msg.subject);
    o.set("selected", msg.id == m.messageId);
    msgs.push_back(o);
  }
  d.set("has_messages", !msgs.is_empty_list());
  d.set("messages", msgs);
  addAudienceChoices(ctx, conn, m, d);
  ctx.html("mailings/form", d, status);
}

// Reads the form into m; field errors (bad dates) go to f.
void fromForm(Ctx& ctx, Mailing& m, FormState& f) {
  auto tz = web::zoneOf(ctx);
  m.name = web::clean(ctx.form("name"));
  // Strict: "12abc" is no message id (it would pick message 12).
  auto messageIds = parseIds({ctx.form("message_id")});
  m.messageId = messageIds.empty() ? 0 : messageIds.front();
  m.clientIds = parseIds(ctx.formAll("client_ids"));
  m.groupIds = parseIds(ctx.formAll("group_ids"));
  m.allClients = ctx.form("all_clients") == "1";
  m.periodicity = ctx.form("periodicity", "once");
  m.timezone = tz->name();
  std::string start = web::clean(ctx.form("start_at"));
  std::string end = web::clean(ctx.form("end_at"));
  f.set("start_at", start);
  f.set("end_at", end);
  if (start.empty()) {
    m.startAt = std::time(nullptr);  // empty start means now
  } else if (auto local = parseLocalDateTime(start)) {
    m.startAt = tz->toUtc(*local);
  } else {
    f.error("start_at", ctx.t("error_datetime"));
  }
  m.endAt.reset();
  if (!end.empty()) {
    if (auto local = parseLocalDateTime(end))
      m.endAt = tz->toUtc(*local);
    else
      f.error("end_at", ctx.t("error_datetime"));
  }
}

void merge(FormState& into, const FormState& from) {
  for (const auto& [k, v] : from.errors()) into.error(k, v);
}

void newPage(Ctx& ctx) {
  auto conn = ctx.platform.db.conn();
  Mailing m;
  m.ownerId = ctx.user->id;
  m.startAt = std::time(nullptr);
  showForm(ctx, conn, m, FormState(), "/mailings", true, 200);
}

void createSubmit(Ctx& ctx) {
  auto conn = ctx.platform.db.conn();
  Mailing m;
  m.ownerId = ctx.user->id;
  FormState f;
  fromForm(ctx, m, f);
  merge(f, check(ctx, conn, m));
  if (!f.ok()) return showForm(ctx, conn, m, f, "/mailings", true, 422);
  computeSchedule(m, std::time(nullptr));
  Repo(conn).create(m);
  ctx.flash("success",
            ctx.t(m.nextRunAt && *m.nextRunAt <= std::time(nullptr) ? "flash_mailing_started"
                                                                    : "flash_mailing_created"));
  ctx.redirect("/mailings/" + std::to_string(m.id));
}

void viewPage(Ctx& ctx) {
  auto conn = ctx.platform.db.conn();
  Mailing m = loadViewable(ctx, conn);
  Data d = rowData(ctx, m);
  d.set("title", m.name);
  d.set("own", m.ownerId == ctx.user->id);
  d.set("test_action", "/mailings/" + std::to_string(m.id) + "/test");
  d.set("is_manager", ctx.user->has("manager"));
  d.set("message_id", std::to_string(m.messageId));
  d.set("period_is_once", m.periodicity == "once");
  // Who a run started now would reach: picked clients, groups and all clients, resolved.
  if (hooks.countAudience)
    d.set("clients_text", ctx.tn("recipients", hooks.countAudience(m.id, "all")));
  d.set("all_clients", m.allClients);
  Data groups(Data::type::list);
  clients::GroupRepo groupRepo(conn);
  for (auto g : m.groupIds)
    if (auto group = groupRepo.get(m.ownerId, g)) groups.push_back(Data(group->name));
  d.set("has_groups", !groups.is_empty_list());
  d.set("groups", groups);
  // The first 200 picked clients (a list of a million is a group's job, not this page's).
  std::vector<std::int64_t> shown(m.clientIds.begin(),
                                  m.clientIds.begin() + std::min<size_t>(m.clientIds.size(), 200));
  Data recipients(Data::type::list);
  for (const auto& c : clients::Repo(conn).byIds(m.ownerId, shown)) {
    Data o;
    o.set("email", c.email);
    o.set("full_name", c.fullName);
    o.set("unsubscribed", c.unsubscribedAt.has_value());
    recipients.push_back(o);
  }
  d.set("recipients", recipients);
  if (hooks.describe) hooks.describe(ctx, m.id, d);
  ctx.html("mailings/view", d);
}

void editPage(Ctx& ctx) {
  auto conn = ctx.platform.db.conn();
  Mailing m = load(ctx, conn);
  showForm(ctx, conn, m, FormState(), "/mailings/" + std::to_string(m.id), false, 200);
}

void updateSubmit(Ctx& ctx) {
  auto conn = ctx.platform.db.conn();
  Mailing m = load(ctx, conn);
  FormState f;
  fromForm(ctx, m, f);
  merge(f, check(ctx, conn, m));
  if (!f.ok()) return showForm(ctx, conn, m, f, "/mailings/" + std::to_string(m.id), false, 422);
  computeSchedule(m, std::time(nullptr));
  Repo(conn).update(m);
  ctx.flash("success", ctx.t("flash_mailing_saved"));
  ctx.redirect("/mailings/" + std::to_string(m.id));
}

void deletePage(Ctx& ctx) {
  auto conn = ctx.platform.db.conn();
  Mailing m = load(ctx, conn);
  Data d = rowData(ctx, m);
  d.set("title", ctx.t("mailing_delete_title"));
  ctx.html("mailings/delete", d);
}

void deleteSubmit(Ctx& ctx) {
  auto conn = ctx.platform.db.conn();
  Mailing m = load(ctx, conn);
  Repo(conn).remove(m.ownerId, m.id);
  ctx.flash("success", ctx.t("flash_mailing_deleted"));
  ctx.redirect("/mailings");
}

// Starting a run only queues it: the page never waits for SMTP.
std::int64_t startNow(Ctx& ctx, const Mailing& m, const std::string& audience = "all") {
  if (!m.active) throw HttpError(409, ctx.t("error_mailing_disabled"));
  if (audience != "all" && audience != "unsent" && audience != "failed")
    throw HttpError(422, ctx.t("error_audience"));
  if (audience != "all" && !m.lastRunAt) throw HttpError(409, ctx.t("error_audience_no_run"));
  if (!hooks.sendNow || !hooks.sendAudience) throw HttpError(503, ctx.t("error_internal"));
  return audience == "all" ? hooks.sendNow(m.id) : hooks.sendAudience(m.id, audience);
}

void sendSubmit(Ctx& ctx) {
  auto conn = ctx.platform.db.conn();
  Mailing m = load(ctx, conn);
  std::string audience = web::clean(ctx.form("audience"));
  startNow(ctx, m, audience.empty() ? "all" : audience);
  ctx.flash("success", ctx.t("flash_mailing_sending"));
  ctx.redirect("/mailings/" + std::to_string(m.id));
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

// API

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

bool applyJson(Ctx& ctx, db::Conn& conn, Mailing& m, bool creating) {
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

void apiCreate(Ctx& ctx) {
  auto conn = ctx.platform.db.conn();
  Mailing m;
  m.ownerId = ctx.user->id;
  if (!applyJson(ctx, conn, m, true)) return;
  computeSchedule(m, std::time(nullptr));
  Repo repo(conn);
  repo.create(m);
  ctx.json(toJson(ctx, *repo.get(m.ownerId, m.id)), 201);
}

void apiGet(Ctx& ctx) {
  auto conn = ctx.platform.db.conn();
  ctx.json(toJson(ctx, loadViewable(ctx, conn)));
}

void apiPatch(Ctx& ctx) {
  auto conn = ctx.platform.db.conn();
  Mailing m = load(ctx, conn);
  bool wasActive = m.active;
  if (!applyJson(ctx, conn, m, false)) return;
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

void apiSend(Ctx& ctx) {
  auto conn = ctx.platform.db.conn();
  Mailing m = load(ctx, conn);
  auto body = ctx.jsonBody();
  std::string audience = "all";
  if (body->has("audience")) {
    auto v = body->get("audience");
    audience = v.isString() ? v.extract<std::string>() : "?";
  }
  std::int64_t run = startNow(ctx, m, audience);
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
  o->set("mailing_id", m.id);
  o->set("run_id", run);
  o->set("status", "queued");
  ctx.json(o, 202);
}

}  // namespace

void install(web::Platform& p, DeliveryHooks h) {
  hooks = std::move(h);
  p.get(
      "/mailings", [](Ctx& ctx) { listPage(ctx, false); }, web::signedIn());
  p.get(
      "/manage/mailings", [](Ctx& ctx) { listPage(ctx, true); }, web::role("manager"));
  p.get("/mailings/new", newPage, web::signedIn());
  p.get("/mailings/picker", pickerFragment, web::signedIn());
  p.post("/mailings", createSubmit, web::signedIn());
  p.get("/mailings/{id}", viewPage, web::signedIn());
  p.get("/mailings/{id}/edit", editPage, web::signedIn());
  p.post("/mailings/{id}", updateSubmit, web::signedIn());
  p.get("/mailings/{id}/delete", deletePage, web::signedIn());
  p.post("/mailings/{id}/delete", deleteSubmit, web::signedIn());
  p.post("/mailings/{id}/send", sendSubmit, web::signedIn());
  installControl(p, hooks);
  p.post(
      "/mailings/{id}/disable", [](Ctx& ctx) { setActive(ctx, false, false); },
      web::role("manager"));
  p.post(
      "/mailings/{id}/enable", [](Ctx& ctx) { setActive(ctx, true, false); }, web::role("manager"));
  p.get("/api/v1/mailings", apiList, web::signedIn());
  p.post("/api/v1/mailings", apiCreate, web::signedIn());
  p.get("/api/v1/mailings/{id}", apiGet, web::signedIn());
  p.patch("/api/v1/mailings/{id}", apiPatch, web::signedIn());
  p.del("/api/v1/mailings/{id}", apiDelete, web::signedIn());
  p.post("/api/v1/mailings/{id}/send", apiSend, web::signedIn());
  p.post(
      "/api/v1/mailings/{id}/disable", [](Ctx& ctx) { setActive(ctx, false, true); },
      web::role("manager"));
  p.post(
      "/api/v1/mailings/{id}/enable", [](Ctx& ctx) { setActive(ctx, true, true); },
      web::role("manager"));
}

}  // namespace mw::mailings
