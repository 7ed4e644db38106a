#include "delivery/engagement_counts.h"

#include <ctime>
#include <map>
#include <unordered_map>
#include <utility>

namespace mw::delivery {
namespace {

std::int64_t bucketOf(std::int64_t at) {
  return at / kCountBucket * kCountBucket;
}

void addCounts(db::Conn& c, std::int64_t mailing, std::int64_t owner, std::int64_t bucket,
               const Engagement& d) {
  c.exec(R"(INSERT INTO engagement_counts(mailing_id, bucket, owner_id, sent, delivered, opened,
                              opened_machine, clicked, bounced_hard, bounced_soft,
                              complained, unsubscribed)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
ON CONFLICT (mailing_id, bucket) DO UPDATE
SET sent = engagement_counts.sent + excluded.sent,
    delivered = engagement_counts.delivered + excluded.delivered,
    opened = engagement_counts.opened + excluded.opened,
    opened_machine = engagement_counts.opened_machine + excluded.opened_machine,
    clicked = engagement_counts.clicked + excluded.clicked,
    bounced_hard = engagement_counts.bounced_hard + excluded.bounced_hard,
    bounced_soft = engagement_counts.bounced_soft + excluded.bounced_soft,
    complained = engagement_counts.complained + excluded.complained,
    unsubscribed = engagement_counts.unsubscribed + excluded.unsubscribed)",
         {mailing, bucket, owner, d.sent, d.delivered, d.opened, d.openedMachine, d.clicked,
          d.bouncedHard, d.bouncedSoft, d.complained, d.unsubscribed});
}

// What was recorded of these deliveries before they settled, one statement per 500: 'o' opened
// by a person, 'm' by proxies only, 'c' clicked, 'u' unsubscribed through its link, else the
// bounce's kind. Reads other domains' tables, here only: tracking_opens.delivery_id (primary
// key) and opens; tracking_clicks.delivery_id (first column of its primary key);
// bounces.delivery_id and kind (its unique (delivery_id, kind) index).
std::vector<std::pair<std::int64_t, std::string>> earlierEvents(db::Conn& c,
                                                                const std::vector<Settled>& settled,
                                                                std::size_t start,
                                                                std::size_t end) {
  db::Params ids;
  for (std::size_t i = start; i < end; ++i) ids.emplace_back(settled[i].deliveryId);
  const std::string in = "(" + db::placeholders(1, db::padList(ids, ids.size())) + ")";
  const std::string sql = R"(SELECT delivery_id, CASE WHEN opens > 0 THEN 'o' ELSE 'm' END AS what
FROM tracking_opens
WHERE delivery_id IN )" + in +
                          R"(
UNION ALL
SELECT DISTINCT delivery_id, 'c'
FROM tracking_clicks
WHERE delivery_id IN )" + in +
                          R"(
UNION ALL
SELECT delivery_id, kind
FROM bounces
WHERE delivery_id IN )" + in +
                          R"(
UNION ALL
SELECT delivery_id, 'u'
FROM unsubscriptions
WHERE delivery_id IN )" + in;
  std::vector<std::pair<std::int64_t, std::string>> out;
  for (const auto& r : c.query(sql, ids)) out.emplace_back(r["delivery_id"].i(), r["what"].s());
  return out;
}

// The change one event makes to its delivery's row.
void apply(Engagement& e, const std::string& what, bool sent) {
  if (what == "hard") ++e.bouncedHard;
  if (what == "soft") ++e.bouncedSoft;
  if (what == "complaint") ++e.complained;
  if (!sent) return;
  if (what == "o") ++e.opened;
  if (what == "m") ++e.openedMachine;
  if (what == "c") ++e.clicked;
  if (what == "u") ++e.unsubscribed;
}

}  // namespace

void countSettled(db::Conn& c, const std::vector<Settled>& settled) {
  if (settled.empty()) return;
  struct Row {
    std::int64_t owner = 0;
    Engagement counts;
  };
  std::map<std::pair<std::int64_t, std::int64_t>, Row> rows;  // (mailing, bucket)
  std::unordered_map<std::int64_t, const Settled*> byId;
  for (const auto& s : settled) {
    auto& row = rows[{s.mailingId, bucketOf(s.doneAt)}];
    row.owner = s.ownerId;
    ++row.counts.sent;
    row.counts.delivered += s.sent;
    byId[s.deliveryId] = &s;
  }
  for (std::size_t start = 0; start < settled.size(); start += 500)
    for (const auto& [id, what] :
         earlierEvents(c, settled, start, std::min(settled.size(), start + 500))) {
      const auto* s = byId[id];
      if (s) apply(rows[{s->mailingId, bucketOf(s->doneAt)}].counts, what, s->sent);
    }
  for (const auto& [key, row] : rows) addCounts(c, key.first, row.owner, key.second, row.counts);
}

void countEvent(db::Conn& c, std::int64_t deliveryId, const Engagement& delta, bool ifSent) {
  auto r = c.one(std::string("SELECT mailing_id, owner_id, status, done_at\n"
                             "FROM deliveries\n"
                             "WHERE id = $1") +
                     (c.postgres() ? "\nFOR UPDATE" : ""),
                 {deliveryId});
  if (!r || !(*r)["done_at"].opt()) return;
  auto status = (*r)["status"].s();
  if (status != "sent" && (ifSent || status != "failed")) return;
  addCounts(c, (*r)["mailing_id"].i(), (*r)["owner_id"].i(), bucketOf((*r)["done_at"].i()), delta);
}

void countUnsubscription(db::Conn& c, std::int64_t deliveryId, std::int64_t clientId) {
  lockDelivery(c, deliveryId);
  // The delivery must be the client's: the token names both, and a delivery of another client
  // (or none, when its mailing was deleted) records nothing.
  auto added = c.query(R"(INSERT INTO unsubscriptions(delivery_id, mailing_id, at)
SELECT id, mailing_id, $3
FROM deliveries
WHERE id = $1
  AND client_id = $2
ON CONFLICT (delivery_id) DO NOTHING
RETURNING delivery_id)",
                       {deliveryId, clientId, static_cast<std::int64_t>(std::time(nullptr))});
  if (added.empty()) return;
  Engagement delta;
  delta.unsubscribed = 1;
  countEvent(c, deliveryId, delta, true);
}

void lockDelivery(db::Conn& c, std::int64_t deliveryId) {
  if (c.postgres())
    c.query(
        "SELECT id\n"
        "FROM deliveries\n"
        "WHERE id = $1\n"
        "FOR UPDATE",
        {deliveryId});
}

}  // namespace mw::delivery
