// Deliberate sending (issue 11): runs for part of the last run's recipients, cancel, and the
// checks that stop a paused or cancelled run between two SMTP transactions.
#include <ctime>
#include <map>
#include <set>
#include <sstream>

#include "delivery/queue.h"

namespace mw::delivery {
namespace {

// The delivery statuses of the last run that a partial run sends to again.
std::string statusFilter(const std::string& audience) {
  return audience == "failed" ? "d.status = 'failed'" : "d.status <> 'sent'";
}

// Deliveries $3, $4... queued again for $1 (epoch seconds) while worker $2 still holds them and
// their run was not cancelled meanwhile.
// COALESCE: by the ids, not by deliveries_queue's status (see Queue::startSending).
constexpr const char* kDefer = R"(
UPDATE deliveries
SET status = 'pending',
    claimed_by = NULL,
    next_attempt_at = $1
WHERE COALESCE(status, '') = 'claimed'
  AND claimed_by = $2
  AND NOT EXISTS (SELECT 1 FROM runs r
                  WHERE r.id = deliveries.run_id
                    AND r.cancelled_at IS NOT NULL)
  AND id IN )";

constexpr const char* kLastRun = "(SELECT MAX(id) FROM runs WHERE mailing_id = $1)";

}  // namespace

std::int64_t Queue::createRunFrom(std::int64_t mailingId, std::int64_t ownerId,
                                  const std::string& audience, std::int64_t now) {
  std::int64_t runId = c_.insert(
      "INSERT INTO runs(mailing_id, owner_id, trigger, created_at)\n"
      "VALUES ($1, $2, $3, $4)\n"
      "RETURNING id",
      {mailingId, ownerId, "manual-" + audience, now});
  auto filled = c_.exec(
      "INSERT INTO deliveries(run_id, mailing_id, owner_id, client_id, email, name, status,\n"
      "                       next_attempt_at)\n"
      "SELECT $1, d.mailing_id, d.owner_id, c.id, c.email, c.full_name, 'pending', $2\n"
      "FROM deliveries d\n"
      "JOIN clients c ON c.id = d.client_id\n"
      "WHERE d.run_id = (SELECT MAX(id) FROM runs WHERE mailing_id = $3 AND id < $1)\n"
      "  AND c.unsubscribed_at IS NULL\n"
      "  AND c.stopped_at IS NULL\n"
      "  AND " +
          statusFilter(audience),
      {runId, now, mailingId});
  c_.exec(
      "UPDATE runs\n"
      "SET total = $1, finished_at = CASE WHEN $1 = 0 THEN CAST($2 AS BIGINT) ELSE NULL END\n"
      "WHERE id = $3",
      {static_cast<long long>(filled), now, runId});
  return runId;
}

std::int64_t Queue::countAudience(std::int64_t mailingId, std::int64_t ownerId,
                                  const std::string& audience) {
  if (audience == "all")
    return c_.scalar(std::string("SELECT COUNT(*)\n") + recipientsFrom(c_), {mailingId, ownerId});
  return c_.scalar(std::string("SELECT COUNT(*)\n"
                               "FROM deliveries d\n"
                               "JOIN clients c ON c.id = d.client_id\n"
                               "WHERE d.run_id = ") +
                       kLastRun +
                       "\n"
                       "  AND c.unsubscribed_at IS NULL\n"
                       "  AND c.stopped_at IS NULL\n"
                       "  AND c.stopped_at IS NULL\n"
                       "  AND " +
                       statusFilter(audience),
                   {mailingId});
}

std::size_t Queue::cancelRuns(std::int64_t mailingId, std::int64_t now) {
  db::Tx tx(c_);
  c_.exec(
      "UPDATE runs\n"
      "SET cancelled_at = $1\n"
      "WHERE mailing_id = $2\n"
      "  AND finished_at IS NULL",
      {now, mailingId});
  auto n = c_.exec(
      "UPDATE deliveries\n"
      "SET status = 'cancelled', done_at = $1, claimed_by = NULL\n"
      "WHERE mailing_id = $2\n"
      "  AND status = 'pending'",
      {now, mailingId});
  recountCancelled(mailingId);
  tx.commit();
  return n;
}

// Foreign columns: mailings.id, is_paused, is_active (the mailings domain).
bool Queue::halted(std::int64_t runId) {
  return c_.scalar(R"(
           SELECT COUNT(*)
           FROM runs r
           JOIN mailings m ON m.id = r.mailing_id
           WHERE r.id = $1
             AND (m.is_paused = 1 OR m.is_active = 0 OR r.cancelled_at IS NOT NULL))",
                   {runId}) > 0;
}

std::size_t Queue::releaseStranded(const std::string& worker, std::int64_t before,
                                   const std::set<std::int64_t>& held) {
  std::vector<std::int64_t> stranded;
  for (const auto& r : c_.query("SELECT id FROM deliveries\n"
                                "WHERE status = 'claimed'\n"
                                "  AND claimed_by = $1\n"
                                "  AND claimed_at < $2",
                                {worker, before}))
    if (!held.count(r["id"].i())) stranded.push_back(r["id"].i());
  if (!stranded.empty()) release(stranded);
  return stranded.size();
}

void Queue::release(const std::vector<std::int64_t>& ids) {
  db::Tx tx(c_);
  for (auto id : ids) {
    auto released = c_.exec(
        "UPDATE deliveries\n"
        "SET status = CASE WHEN EXISTS (SELECT 1 FROM runs r WHERE r.id = deliveries.run_id\n"
        "                               AND r.cancelled_at IS NOT NULL)\n"
        "             THEN 'cancelled' ELSE 'pending' END,\n"
        "    claimed_by = NULL\n"
        "WHERE id = $1\n"
        "  AND status IN ('claimed', 'sending')",
        {id});
    // A delivery of a run cancelled while it was claimed counts with the run's cancelled ones.
    if (released > 0)
      c_.exec(
          "UPDATE runs\n"
          "SET cancelled = cancelled + 1\n"
          "WHERE id = (SELECT run_id FROM deliveries WHERE id = $1 AND status = 'cancelled')",
          {id});
  }
  tx.commit();
}

void Queue::defer(const std::string& worker, const std::vector<Deferral>& later) {
  // One statement per second they are put off to: a batch spreads over a few dozen.
  std::map<std::int64_t, std::vector<std::int64_t>> byTime;
  for (const auto& d : later) byTime[d.at].push_back(d.deliveryId);
  std::set<std::int64_t> moved;
  db::Tx tx(c_);
  for (const auto& [at, ids] : byTime) {
    for (std::size_t from = 0; from < ids.size(); from += 500) {
      std::size_t n = std::min<std::size_t>(500, ids.size() - from);
      db::Params params{at, worker};
      for (std::size_t i = 0; i < n; ++i) params.emplace_back(ids[from + i]);
      n = db::padList(params, n);
      auto rows =
          c_.query(std::string(kDefer) + "(" + db::placeholders(3, n) + ")\nRETURNING id", params);
      for (const auto& r : rows) moved.insert(r["id"].i());
    }
  }
  tx.commit();
  // Those of a run cancelled meanwhile: as release() does (counted with its cancelled ones).
  std::vector<std::int64_t> rest;
  for (const auto& d : later)
    if (!moved.count(d.deliveryId)) rest.push_back(d.deliveryId);
  if (!rest.empty()) release(rest);
}

void Queue::recordTest(std::int64_t mailingId, std::int64_t ownerId, std::int64_t clientId,
                       const std::string& email, bool ok, int code, const std::string& reply) {
  c_.exec(
      "INSERT INTO attempts(delivery_id, run_id, mailing_id, owner_id, client_id, email, at,\n"
      "                     status, code, reply, final, is_test)\n"
      "VALUES (0, 0, $1, $2, $3, $4, $5, $6, $7, $8, 1, 1)",
      {mailingId, ownerId, clientId, email, static_cast<std::int64_t>(std::time(nullptr)),
       ok ? "success" : "failure", code, ("test send: " + reply).substr(0, 1000)});
}

}  // namespace mw::delivery
