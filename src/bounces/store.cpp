#include "bounces/store.h"

#include <cstdio>

#include "clients/repo.h"
#include "delivery/engagement_counts.h"
#include "mailings/repo.h"

namespace mw::bounces {

std::optional<DeliveryRef> Store::delivery(std::int64_t deliveryId) {
  auto r = c_.one(
      "SELECT id, run_id, mailing_id, owner_id, client_id, email\n"
      "FROM deliveries\n"
      "WHERE id = $1",
      {deliveryId});
  if (!r) return std::nullopt;
  return DeliveryRef{(*r)["id"].i(),       (*r)["run_id"].i(),    (*r)["mailing_id"].i(),
                     (*r)["owner_id"].i(), (*r)["client_id"].i(), (*r)["email"].s()};
}

bool Store::record(const Event& e) {
  if (e.kind == Kind::None || e.delivery.deliveryId <= 0) return false;
  db::Tx tx(c_);
  // ON CONFLICT without a target: either unique key (delivery and kind, or event key).
  auto n = c_.exec(
      "INSERT INTO bounces(delivery_id, run_id, mailing_id, owner_id, client_id, kind, source,\n"
      "                    status_code, text, event_key, at)\n"
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)\n"
      "ON CONFLICT DO NOTHING",
      {e.delivery.deliveryId, e.delivery.runId, e.delivery.mailingId, e.delivery.ownerId,
       e.delivery.clientId, std::string(kindName(e.kind)), e.source, e.status.substr(0, 32),
       e.text.substr(0, 1000),
       e.eventKey.empty() ? std::optional<std::string>() : std::optional(e.eventKey.substr(0, 300)),
       e.at});
  if (n == 0) return false;
  // The first of its kind for the delivery (the key above): the reports count it.
  delivery::Engagement delta;
  delta.bouncedHard = e.kind == Kind::Hard;
  delta.bouncedSoft = e.kind == Kind::Soft;
  delta.complained = e.kind == Kind::Complaint;
  delivery::countEvent(c_, e.delivery.deliveryId, delta, false);
  applyRules(e);
  tx.commit();
  return true;
}

// One hard bounce (BOUNCE_HARD_LIMIT) or one complaint (COMPLAINT_LIMIT) stops the client; so do
// three soft bounces (BOUNCE_SOFT_LIMIT) within 30 days (BOUNCE_SOFT_DAYS).
void Store::applyRules(const Event& e) {
  std::int64_t since = 0;
  int limit = cfg_.hardLimit;
  std::string reason = "bounced";
  if (e.kind == Kind::Complaint) {
    limit = cfg_.complaintLimit;
    reason = "complained";
  } else if (e.kind == Kind::Soft) {
    limit = cfg_.softLimit;
    since = e.at - static_cast<std::int64_t>(cfg_.softDays) * 86400;
  }
  auto count = c_.scalar(
      "SELECT COUNT(*)\n"
      "FROM bounces\n"
      "WHERE client_id = $1\n"
      "  AND kind = $2\n"
      "  AND at >= $3",
      {e.delivery.clientId, std::string(kindName(e.kind)), since});
  if (count >= limit) clients::Repo(c_).stop(e.delivery.ownerId, e.delivery.clientId, reason, e.at);
}

std::vector<PauseNotice> Store::checkPause(const std::vector<std::int64_t>& mailingIds) {
  std::vector<PauseNotice> out;
  for (auto mailingId : mailingIds) {
    // The last deliveries done, newest first, by the attempt log's (run_id, id) index: a run's
    // final attempts are its finished deliveries in the order they finished.
    auto r = c_.one(
        "SELECT COUNT(*) AS n,\n"
        "       COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM bounces b\n"
        "                                      WHERE b.delivery_id = w.delivery_id\n"
        "                                        AND b.kind = 'hard') THEN 1 ELSE 0 END), 0)\n"
        "         AS hard,\n"
        "       COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM bounces b\n"
        "                                      WHERE b.delivery_id = w.delivery_id\n"
        "                                        AND b.kind = 'complaint') THEN 1 ELSE 0 END), 0)\n"
        "         AS complaints\n"
        "FROM (SELECT a.delivery_id\n"
        "      FROM attempts a\n"
        "      WHERE a.run_id IN (SELECT r.id\n"
        "                         FROM runs r\n"
        "                         WHERE r.mailing_id = $1\n"
        "                           AND r.finished_at IS NULL\n"
        "                           AND r.cancelled_at IS NULL)\n"
        "        AND a.final = 1\n"
        "        AND a.is_test = 0\n"
        "      ORDER BY a.id DESC\n"
        "      LIMIT $2) w",
        {mailingId, cfg_.pauseWindow});
    if (!r) continue;
    std::int64_t n = (*r)["n"].i();
    if (n == 0 || n < cfg_.pauseMinDeliveries) continue;
    double hard = 100.0 * static_cast<double>((*r)["hard"].i()) / static_cast<double>(n);
    double complaints =
        100.0 * static_cast<double>((*r)["complaints"].i()) / static_cast<double>(n);
    char reason[200];
    if (hard > cfg_.pauseHardPercent)
      std::snprintf(reason, sizeof reason,
                    "hard bounces %.1f%% of the last %lld deliveries (limit %g%%)", hard,
                    static_cast<long long>(n), cfg_.pauseHardPercent);
    else if (complaints > cfg_.pauseComplaintPercent)
      std::snprintf(reason, sizeof reason,
                    "complaints %.2f%% of the last %lld deliveries (limit %g%%)", complaints,
                    static_cast<long long>(n), cfg_.pauseComplaintPercent);
    else
      continue;
    if (mailings::Repo(c_).autoPause(mailingId, reason)) out.push_back({mailingId, reason});
  }
  return out;
}

bool Store::seen(const std::string& eventKey, std::int64_t now) {
  return c_.exec(
             "INSERT INTO webhook_events(event_key, at)\n"
             "VALUES ($1, $2)\n"
             "ON CONFLICT DO NOTHING",
             {eventKey.substr(0, 300), now}) == 0;
}

MailingBounces Store::forMailing(std::int64_t mailingId) {
  MailingBounces m;
  for (const auto& r : c_.query("SELECT kind, COUNT(*) AS n\n"
                                "FROM bounces\n"
                                "WHERE mailing_id = $1\n"
                                "GROUP BY kind",
                                {mailingId})) {
    auto kind = r["kind"].s();
    (kind == "hard" ? m.hard : kind == "soft" ? m.soft : m.complaints) = r["n"].i();
  }
  // Unsubscriptions through this mailing's links, from the reports' counters (reading the
  // mailing's deliveries took a scan of a million rows for a million-recipient mailing).
  delivery::AttemptFilter f;
  f.mailingId = mailingId;
  for (const auto& e : delivery::engagementSeries(c_, f, delivery::kCountBucket))
    m.unsubscribed += e.unsubscribed;
  return m;
}

std::string Store::describe(std::int64_t deliveryId) {
  std::string out;
  for (const auto& r : c_.query("SELECT kind, status_code, text\n"
                                "FROM bounces\n"
                                "WHERE delivery_id = $1\n"
                                "ORDER BY id",
                                {deliveryId})) {
    if (!out.empty()) out += "; ";
    out += r["kind"].s();
    if (!r["status_code"].s().empty()) out += " " + r["status_code"].s();
    if (!r["text"].s().empty()) out += ": " + r["text"].s();
  }
  return out;
}

}  // namespace mw::bounces
