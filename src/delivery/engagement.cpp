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

// The counters of migration 0020 (delivery/engagement_counts.cpp), quarter hours regrouped by $1.
constexpr const char* kSeries = R"(
SELECT (bucket / $1) * $1 AS bucket,
       SUM(sent) AS sent,
       SUM(delivered) AS delivered,
       SUM(opened) AS opened,
       SUM(opened_machine) AS opened_machine,
       SUM(clicked) AS clicked,
       SUM(bounced_hard) AS bounced_hard,
       SUM(bounced_soft) AS bounced_soft,
       SUM(complained) AS complained,
       SUM(unsubscribed) AS unsubscribed
FROM engagement_counts
WHERE 1 = 1
)";

}  // namespace

std::vector<Engagement> engagementSeries(db::Conn& c, const AttemptFilter& f,
                                         std::int64_t bucketSeconds) {
  db::Params params{bucketSeconds};
  std::string sql = kSeries;
  // Only the clauses needed, so that the (mailing_id, bucket) or (owner_id, bucket) index serves.
  auto add = [&](const std::string& clause, std::int64_t v) {
    params.emplace_back(v);
    sql += "  AND " + clause + std::to_string(params.size()) + "\n";
  };
  if (f.mailingId) add("mailing_id = $", f.mailingId);
  if (f.ownerId) add("owner_id = $", f.ownerId);
  if (f.from) add("bucket >= $", f.from);
  if (f.to) add("bucket < $", f.to);
  sql += "GROUP BY (bucket / $1) * $1\nORDER BY 1";
  std::vector<Engagement> out;
  for (const auto& r : c.query(sql, params))
    out.push_back({r["bucket"].i(), r["sent"].i(), r["delivered"].i(), r["opened"].i(),
                   r["opened_machine"].i(), r["clicked"].i(), r["bounced_hard"].i(),
                   r["bounced_soft"].i(), r["complained"].i(), r["unsubscribed"].i()});
  return out;
}

}  // namespace mw::delivery
