// Issue 13.5: GET /mailings/{id}/recipients and /api/v1/mailings/{id}/recipients?cursor=&q=: each
// recipient's timeline (timeline.h), a page at a time, searchable by address. Only the mailing's
// owner (or a manager) sees it; anyone else gets 404.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <algorithm>

#include "core/date.h"
#include "delivery/reports.h"
#include "delivery/timeline.h"
#include "web/format.h"
#include "web/guards.h"
#include "web/pager.h"
#include "web/text.h"

namespace mw::delivery {
namespace {

using web::Ctx;
using web::Data;

// 50 recipients a page by default; the API may ask for 1 to 200.
constexpr int kPerPage = 50;
constexpr int kMaxPerPage = 200;

struct Ask {
  std::int64_t cursor = 0;
  std::string q;
  int limit = kPerPage;
};

// A cursor or limit that is not a number starts from the first page; a search longer than an
// address (254 bytes) or not UTF-8 searches nothing rather than fail.
Ask askOf(const Ctx& ctx) {
  Ask a;
  try {
    a.cursor = std::max<std::int64_t>(0, std::stoll(ctx.query("cursor", "0")));
  } catch (...) {
  }
  try {
    a.limit = std::clamp(std::stoi(ctx.query("limit", "50")), 1, kMaxPerPage);
  } catch (...) {
  }
  a.q = web::clean(ctx.query("q"));
  if (a.q.size() > 254 || !web::validUtf8(a.q)) a.q.clear();
  return a;
}

std::string pageUrl(std::int64_t id, const Ask& a, std::int64_t cursor) {
  std::string url = "/mailings/" + std::to_string(id) + "/recipients";
  if (!a.q.empty()) url = web::withParam(url, "q", a.q);
  if (cursor) url = web::withParam(url, "cursor", std::to_string(cursor));
  return url;
}

Data eventData(const Ctx& ctx, const TimelineEvent& e) {
  auto tz = web::zoneOf(ctx);
  Data d;
  d.set("label", ctx.t("timeline_" + e.type));
  d.set("at", formatHumanSeconds(e.at, *tz));
  d.set("at_iso", formatIso8601(e.at, *tz));
  d.set("detail", e.detail);
  d.set("has_detail", !e.detail.empty());
  d.set("is_link", e.type == "clicked");
  d.set("count", e.count > 1 ? "×" + std::to_string(e.count) : std::string());
  bool bad = e.type == "hard" || e.type == "soft" || e.type == "complaint" || e.type == "failed";
  d.set("icon", e.type == "sent"           ? "bi-send"
                : e.type == "clicked"      ? "bi-cursor"
                : bad                      ? "bi-exclamation-octagon text-danger"
                : e.type == "unsubscribed" ? "bi-x-circle"
                                           : "bi-envelope-open");
  return d;
}

void recipientsPage(Ctx& ctx) {
  auto c = ctx.platform.db.conn();
  auto m = viewable(ctx, c);
  auto a = askOf(ctx);
  a.limit = kPerPage;
  auto page = recipientTimelines(c, m.id, a.cursor, a.q, a.limit);
  Data d;
  d.set("title", ctx.t("timeline_title") + " — " + m.name);
  d.set("id", std::to_string(m.id));
  d.set("name", m.name);
  d.set("q", a.q);
  Data items(Data::type::list);
  for (const auto& t : page.items) {
    Data r;
    r.set("delivery_id", std::to_string(t.deliveryId));
    r.set("email", t.email);
    r.set("status", ctx.t("delivery_status_" + t.status));
    Data events(Data::type::list);
    for (const auto& e : t.events) events.push_back(eventData(ctx, e));
    r.set("events", events);
    r.set("has_events", !t.events.empty());
    items.push_back(r);
  }
  d.set("items", items);
  d.set("has_items", !page.items.empty());
  d.set("has_next", page.nextCursor != 0);
  d.set("next_url", pageUrl(m.id, a, page.nextCursor));
  d.set("not_first", a.cursor != 0);
  d.set("first_url", pageUrl(m.id, a, 0));
  ctx.html("delivery/recipients", d);
}

void apiRecipients(Ctx& ctx) {
  auto c = ctx.platform.db.conn();
  auto m = viewable(ctx, c);
  auto a = askOf(ctx);
  auto page = recipientTimelines(c, m.id, a.cursor, a.q, a.limit);
  Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
  for (const auto& t : page.items) {
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
    o->set("delivery_id", t.deliveryId);
    o->set("email", t.email);
    o->set("status", t.status);
    Poco::JSON::Array::Ptr events = new Poco::JSON::Array;
    for (const auto& e : t.events) {
      Poco::JSON::Object::Ptr ev = new Poco::JSON::Object;
      ev->set("type", e.type);
      ev->set("at", web::isoTime(ctx, e.at));
      if (!e.detail.empty()) ev->set(e.type == "clicked" ? "url" : "text", e.detail);
      if (e.count) ev->set("count", e.count);
      events->add(ev);
    }
    o->set("events", events);
    items->add(o);
  }
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
  o->set("items", items);
  if (page.nextCursor)
    o->set("next_cursor", std::to_string(page.nextCursor));
  else
    o->set("next_cursor", Poco::Dynamic::Var());
  ctx.json(o);
}

}  // namespace

void installRecipients(web::Platform& p) {
  p.get("/mailings/{id}/recipients", recipientsPage, web::signedIn());
  p.get("/api/v1/mailings/{id}/recipients", apiRecipients, web::signedIn());
}

}  // namespace mw::delivery
