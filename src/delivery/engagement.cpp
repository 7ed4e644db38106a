#include "delivery/engagement.h"

namespace mw::delivery {

void Engagement::add(const Engagement& o) {
  sent += o.sent;
  delivered += o.delivered;
  opened += o.opened;
  openedMachine += o.openedMachine;
  clicked += o.clicked;
  bouncedHard += o.bouncedHard;
  bouncedSoft += o.bouncedSoft;
  complained += o.complained;
  unsubscribed += o.unsubscribed;
}

namespace {

// The one statement reading other domains' tables for /reports. Foreign columns:
// tracking_opens.delivery_id (primary key), opens (0: only proxies' prefetches opened it);
// tracking_clicks.delivery_id (first column of its primary key); bounces.delivery_id, kind (its
// unique (delivery_id, kind) index); clients.id, unsubscribed_at (an unsubscription after the
// send counts, as on the mailing's page).
constexpr const char* kSeries = R"(
SELECT (a.at / $1) * $1 AS bucket,
       COUNT(*) AS sent,
       SUM(CASE WHEN a.status = 'success' THEN 1 ELSE 0 END) AS delivered,
       SUM(CASE WHEN a.status = 'success'
                 AND EXISTS (SELECT 1 FROM tracking_opens o
                             WHERE o.delivery_id = a.delivery_id
                               AND o.opens > 0) THEN 1 ELSE 0 END) AS opened,
       SUM(CASE WHEN a.status = 'success'
                 AND EXISTS (SELECT 1 FROM tracking_opens o
                             WHERE o.delivery_id = a.delivery_id
                               AND o.opens = 0) THEN 1 ELSE 0 END) AS opened_machine,
       SUM(CASE WHEN a.status = 'success'
                 AND EXISTS (SELECT 1 FROM tracking_clicks k
                             WHERE k.delivery_id = a.delivery_id) THEN 1 ELSE 0 END) AS clicked,
       SUM(CASE WHEN EXISTS (SELECT 1 FROM bounces b
                             WHERE b.delivery_id = a.delivery_id
                               AND b.kind = 'hard') THEN 1 ELSE 0 END) AS bounced_hard,
       SUM(CASE WHEN EXISTS (SELECT 1 FROM bounces b
                             WHERE b.delivery_id = a.delivery_id
                               AND b.kind = 'soft') THEN 1 ELSE 0 END) AS bounced_soft,
       SUM(CASE WHEN EXISTS (SELECT 1 FROM bounces b
                             WHERE b.delivery_id = a.delivery_id
                               AND b.kind = 'complaint') THEN 1 ELSE 0 END) AS complained,
       SUM(CASE WHEN a.status = 'success'
                 AND EXISTS (SELECT 1 FROM clients c
                             WHERE c.id = a.client_id
                               AND c.unsubscribed_at >= a.at) THEN 1 ELSE 0 END) AS unsubscribed
FROM attempts a
WHERE a.final = 1
  AND a.is_test = 0
)";

}  // namespace

std::vector<Engagement> engagementSeries(db::Conn& c, const AttemptFilter& f,
                                         std::int64_t bucketSeconds) {
  db::Params params{bucketSeconds};
  std::string sql = kSeries;
  // Only the clauses needed, so that the (owner_id, at) or (mailing_id, at) index serves it.
  auto add = [&](const std::string& clause, std::int64_t v) {
    params.emplace_back(v);
    sql += "  AND " + clause + std::to_string(params.size()) + "\n";
  };
  if (f.mailingId) add("a.mailing_id = $", f.mailingId);
  if (f.ownerId) add("a.owner_id = $", f.ownerId);
  if (f.from) add("a.at >= $", f.from);
  if (f.to) add("a.at < $", f.to);
  sql += "GROUP BY (a.at / $1) * $1\nORDER BY bucket";
  std::vector<Engagement> out;
  for (const auto& r : c.query(sql, params))
    out.push_back({r["bucket"].i(), r["sent"].i(), r["delivered"].i(), r["opened"].i(),
                   r["opened_machine"].i(), r["clicked"].i(), r["bounced_hard"].i(),
                   r["bounced_soft"].i(), r["complained"].i(), r["unsubscribed"].i()});
  return out;
}

}  // namespace mw::delivery
