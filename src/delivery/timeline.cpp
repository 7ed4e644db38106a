#include "delivery/timeline.h"

#include <algorithm>
#include <map>

namespace mw::delivery {
namespace {

// A search reads at most this many of the run's deliveries per page: a rare address in a run of a
// million would otherwise be looked for in all of it at once (4 s measured). A page that ends
// there without filling up carries on from the window's end.
constexpr std::int64_t kSearchWindow = 50'000;

// The page's deliveries by the (mailing_id, id) index (migration 0019). Foreign columns:
// clients.id, unsubscribed_at (the clients domain), an unsubscription after the send.
db::Rows deliveriesPage(db::Conn& c, std::int64_t mailingId, std::int64_t cursor,
                        const std::string& search, std::int64_t windowEnd, int limit) {
  db::Params p{mailingId, cursor};
  std::string sql =
      "SELECT d.id, d.email, d.status, d.done_at, c.unsubscribed_at\n"
      "FROM deliveries d\n"
      "LEFT JOIN clients c ON c.id = d.client_id\n"
      "  AND c.unsubscribed_at >= d.done_at\n"
      "WHERE d.mailing_id = $1\n"
      "  AND d.id > $2\n";
  if (!search.empty()) {
    p.emplace_back(db::likeContaining(search));
    sql += "  AND LOWER(d.email) LIKE $3 ESCAPE '!'\n";
    p.emplace_back(windowEnd);
    sql += "  AND d.id <= $4\n";
  }
  p.emplace_back(limit);
  sql += "ORDER BY d.id\nLIMIT $" + std::to_string(p.size());
  return c.query(sql, p);
}

// What other domains recorded about the page's deliveries, each by its delivery_id key.
// Foreign columns: tracking_opens.delivery_id (primary key), opens, machine_opens,
// first_open_at, first_machine_at; tracking_clicks.delivery_id (first column of the primary
// key), link_id, clicks, first_at; tracking_links.id, url; bounces.delivery_id (unique
// (delivery_id, kind)), kind, status_code, text, at.
void addEvents(db::Conn& c, const db::Params& ids, std::map<std::int64_t, RecipientTimeline*>& by) {
  const std::string in = "(" + db::placeholders(1, ids.size()) + ")";
  for (const auto& r : c.query("SELECT delivery_id, opens, machine_opens, first_open_at,\n"
                               "       first_machine_at\n"
                               "FROM tracking_opens\n"
                               "WHERE delivery_id IN " +
                                   in,
                               ids)) {
    auto& events = by[r["delivery_id"].i()]->events;
    if (auto at = r["first_open_at"].opt()) events.push_back({"opened", *at, "", r["opens"].i()});
    if (auto at = r["first_machine_at"].opt())
      events.push_back({"opened_machine", *at, "", r["machine_opens"].i()});
  }
  for (const auto& r : c.query("SELECT k.delivery_id, k.clicks, k.first_at, l.url\n"
                               "FROM tracking_clicks k\n"
                               "JOIN tracking_links l ON l.id = k.link_id\n"
                               "WHERE k.delivery_id IN " +
                                   in,
                               ids))
    by[r["delivery_id"].i()]->events.push_back(
        {"clicked", r["first_at"].i(), r["url"].s(), r["clicks"].i()});
  for (const auto& r : c.query("SELECT delivery_id, kind, status_code, text, at\n"
                               "FROM bounces\n"
                               "WHERE delivery_id IN " +
                                   in,
                               ids)) {
    auto code = r["status_code"].s();
    by[r["delivery_id"].i()]->events.push_back(
        {r["kind"].s(), r["at"].i(), (code.empty() ? "" : code + " ") + r["text"].s(), 0});
  }
}

}  // namespace

TimelinePage recipientTimelines(db::Conn& c, std::int64_t mailingId, std::int64_t cursor,
                                const std::string& search, int limit) {
  TimelinePage page;
  std::int64_t windowEnd = 0;
  bool moreAfterWindow = false;
  if (!search.empty()) {
    auto w = c.one(
        "SELECT MAX(id) AS last, COUNT(*) AS n\n"
        "FROM (SELECT id\n"
        "      FROM deliveries\n"
        "      WHERE mailing_id = $1\n"
        "        AND id > $2\n"
        "      ORDER BY id\n"
        "      LIMIT $3) w",
        {mailingId, cursor, kSearchWindow});
    if (!w || !(*w)["last"].opt()) return page;
    windowEnd = *(*w)["last"].opt();
    moreAfterWindow = (*w)["n"].i() == kSearchWindow;
  }
  // One more than shown: whether a next page exists, without counting the run.
  auto rows = deliveriesPage(c, mailingId, cursor, search, windowEnd, limit + 1);
  for (const auto& r : rows) {
    if (static_cast<int>(page.items.size()) == limit) {
      page.nextCursor = page.items.back().deliveryId;
      break;
    }
    RecipientTimeline t{r["id"].i(), r["email"].s(), r["status"].s(), {}};
    auto done = r["done_at"].opt();
    if (done && (t.status == "sent" || t.status == "failed"))
      t.events.push_back({t.status, *done, "", 0});
    if (auto at = r["unsubscribed_at"].opt()) t.events.push_back({"unsubscribed", *at, "", 0});
    page.items.push_back(std::move(t));
  }
  if (!page.nextCursor && moreAfterWindow) page.nextCursor = windowEnd;
  if (page.items.empty()) return page;
  std::map<std::int64_t, RecipientTimeline*> by;
  db::Params ids;
  for (auto& t : page.items) {
    by[t.deliveryId] = &t;
    ids.emplace_back(t.deliveryId);
  }
  addEvents(c, ids, by);
  // In time order; the send first when an event shares its second (an SMTP bounce).
  for (auto& t : page.items)
    std::stable_sort(t.events.begin(), t.events.end(),
                     [](const TimelineEvent& a, const TimelineEvent& b) { return a.at < b.at; });
  return page;
}

}  // namespace mw::delivery
