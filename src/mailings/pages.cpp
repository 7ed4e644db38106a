#include <Poco/JSON/Array.h>

#include <algorithm>
#include <ctime>
#include <set>

#include "clients/groups.h"
#include "clients/repo.h"
#include "core/time.h"
#include "mailings/common.h"
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

const std::vector<std::string> kPeriods{"once", "daily", "weekly", "monthly"};
const std::vector<std::string> kStatuses{"created", "running", "completed"};

Data statusData(Ctx& ctx, const Mailing& m) {
  Data d;
  std::string status = m.paused ? "paused" : m.status;
  d.set("status", status);
  d.set("status_label", ctx.t("status_" + status));
  d.set("paused", m.paused);
  if (m.paused && !m.pauseReason.empty()) d.set("pause_reason", m.pauseReason);
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

// Issue 14.1: the relay choice, shown once an admin has added relays.
void addRelayChoices(const DeliveryHooks& hooks, const Mailing& m, Data& d) {
  Data relays(Data::type::list);
  if (hooks.relayChoices)
    for (const auto& [id, name] : hooks.relayChoices()) {
      Data o;
      o.set("value", std::to_string(id));
      o.set("label", name);
      o.set("selected", m.relayId == id);
      relays.push_back(o);
    }
  d.set("has_relays", !relays.is_empty_list());
  d.set("relays", relays);
}

void showForm(Ctx& ctx, db::Conn& conn, const DeliveryHooks& hooks, const Mailing& m,
              const FormState& f, const std::string& action, bool isNew, int status) {
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
  d.set("track_opens", m.trackOpens);
  d.set("track_clicks", m.trackClicks);
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
  addAudienceChoices(conn, m, d);
  addRelayChoices(hooks, m, d);
  ctx.html("mailings/form", d, status);
}

// Reads the form into m; field errors (bad dates) go to f.
void fromForm(Ctx& ctx, const DeliveryHooks& hooks, Mailing& m, FormState& f) {
  auto tz = web::zoneOf(ctx);
  m.name = web::clean(ctx.form("name"));
  // Strict: "12abc" is no message id (it would pick message 12).
  auto messageIds = parseIds({ctx.form("message_id")});
  m.messageId = messageIds.empty() ? 0 : messageIds.front();
  m.clientIds = parseIds(ctx.formAll("client_ids"));
  m.groupIds = parseIds(ctx.formAll("group_ids"));
  m.allClients = ctx.form("all_clients") == "1";
  m.trackOpens = ctx.form("track_opens") == "1";
  m.trackClicks = ctx.form("track_clicks") == "1";
  m.periodicity = ctx.form("periodicity", "once");
  m.timezone = tz->name();
  std::string relay = web::clean(ctx.form("relay"));
  m.relayId.reset();
  if (!relay.empty()) {
    m.relayId = hooks.findRelay ? hooks.findRelay(relay) : std::nullopt;
    if (!m.relayId) f.error("relay", ctx.t("error_relay_unknown"));
  }
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

void newPage(Ctx& ctx, const DeliveryHooks& hooks) {
  auto conn = ctx.platform.db.conn();
  Mailing m;
  m.ownerId = ctx.user->id;
  m.startAt = 0;  // an empty field, as its help says: "leave it empty to start now"
  showForm(ctx, conn, hooks, m, FormState(), "/mailings", true, 200);
}

void createSubmit(Ctx& ctx, const DeliveryHooks& hooks) {
  auto conn = ctx.platform.db.conn();
  Mailing m;
  m.ownerId = ctx.user->id;
  FormState f;
  fromForm(ctx, hooks, m, f);
  merge(f, check(ctx, conn, m));
  if (!f.ok()) return showForm(ctx, conn, hooks, m, f, "/mailings", true, 422);
  computeSchedule(m, std::time(nullptr));
  Repo(conn).create(m);
  ctx.flash("success",
            ctx.t(m.nextRunAt && *m.nextRunAt <= std::time(nullptr) ? "flash_mailing_started"
                                                                    : "flash_mailing_created"));
  ctx.redirect("/mailings/" + std::to_string(m.id));
}

void viewPage(Ctx& ctx, const DeliveryHooks& hooks) {
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
    d.set("clients_text", ctx.tn("recipients", hooks.countAudience(m.id, m.ownerId, "all")));
  d.set("all_clients", m.allClients);
  d.set("track_opens", m.trackOpens);
  d.set("track_clicks", m.trackClicks);
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

void editPage(Ctx& ctx, const DeliveryHooks& hooks) {
  auto conn = ctx.platform.db.conn();
  Mailing m = load(ctx, conn);
  showForm(ctx, conn, hooks, m, FormState(), "/mailings/" + std::to_string(m.id), false, 200);
}

void updateSubmit(Ctx& ctx, const DeliveryHooks& hooks) {
  auto conn = ctx.platform.db.conn();
  Mailing m = load(ctx, conn);
  FormState f;
  fromForm(ctx, hooks, m, f);
  merge(f, check(ctx, conn, m));
  if (!f.ok())
    return showForm(ctx, conn, hooks, m, f, "/mailings/" + std::to_string(m.id), false, 422);
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

void sendSubmit(Ctx& ctx, const DeliveryHooks& hooks) {
  auto conn = ctx.platform.db.conn();
  Mailing m = load(ctx, conn);
  std::string audience = web::clean(ctx.form("audience"));
  startNow(ctx, hooks, m, audience.empty() ? "all" : audience);
  ctx.flash("success", ctx.t("flash_mailing_sending"));
  ctx.redirect("/mailings/" + std::to_string(m.id));
}

}  // namespace

void install(web::Platform& p, DeliveryHooks h) {
  auto hooks = std::make_shared<const DeliveryHooks>(std::move(h));
  p.get(
      "/mailings", [](Ctx& ctx) { listPage(ctx, false); }, web::signedIn());
  p.get(
      "/manage/mailings", [](Ctx& ctx) { listPage(ctx, true); }, web::role("manager"));
  p.get(
      "/mailings/new", [hooks](Ctx& ctx) { newPage(ctx, *hooks); }, web::signedIn());
  p.get("/mailings/picker", pickerFragment, web::signedIn());
  p.post(
      "/mailings", [hooks](Ctx& ctx) { createSubmit(ctx, *hooks); }, web::signedIn());
  p.get(
      "/mailings/{id}", [hooks](Ctx& ctx) { viewPage(ctx, *hooks); }, web::signedIn());
  p.get(
      "/mailings/{id}/edit", [hooks](Ctx& ctx) { editPage(ctx, *hooks); }, web::signedIn());
  p.post(
      "/mailings/{id}", [hooks](Ctx& ctx) { updateSubmit(ctx, *hooks); }, web::signedIn());
  p.get("/mailings/{id}/delete", deletePage, web::signedIn());
  p.post("/mailings/{id}/delete", deleteSubmit, web::signedIn());
  p.post(
      "/mailings/{id}/send", [hooks](Ctx& ctx) { sendSubmit(ctx, *hooks); }, web::signedIn());
  installControl(p, *hooks);
  p.post(
      "/mailings/{id}/disable", [](Ctx& ctx) { setActive(ctx, false, false); },
      web::role("manager"));
  p.post(
      "/mailings/{id}/enable", [](Ctx& ctx) { setActive(ctx, true, false); }, web::role("manager"));
  installApi(p, hooks);
}

}  // namespace mw::mailings
