// Run counters (issue 12): a run's progress and a mailing's statistics read a few rows of runs,
// never a run's deliveries or attempts. Every change of a delivery's final state adds to them in
// the transaction that makes it.
#include <algorithm>
#include <map>

#include "delivery/engagement_counts.h"
#include "delivery/queue.h"

namespace mw::delivery {
namespace {

constexpr const char* kRunCols =
    "SELECT id, total, sent, failed, cancelled, created_at, finished_at, trigger\n"
    "FROM runs\n";

RunProgress progressOf(const db::Row& r) {
  RunProgress p;
  p.runId = r["id"].i();
  p.total = r["total"].i();
  p.sent = r["sent"].i();
  p.failed = r["failed"].i();
  p.pending = std::max<std::int64_t>(0, p.total - p.sent - p.failed - r["cancelled"].i());
  p.createdAt = r["created_at"].i();
  p.finishedAt = r["finished_at"].opt();
  p.trigger = r["trigger"].s();
  return p;
}

}  // namespace

void Queue::countOutcomes(const std::vector<Outcome>& outcomes, const RetryPolicy& policy,
                          std::int64_t now) {
  struct Delta {
    std::int64_t sent = 0, failed = 0, ok = 0, bad = 0, lastAt = 0;
    std::string lastReply;
  };
  std::map<std::int64_t, Delta> byRun;
  std::vector<Settled> settled;
  for (const auto& o : outcomes) {
    auto& d = byRun[o.job.runId];
    bool retried = !o.success && o.temporary && o.job.attempts + 1 < policy.maxAttempts;
    if (!retried)  // done_at is `now` (Queue::record)
      settled.push_back({o.job.deliveryId, o.job.mailingId, o.job.ownerId, now, o.success});
    d.sent += o.success;
    d.failed += !o.success && !retried;
    d.ok += o.success;
    d.bad += !o.success;
    std::int64_t at = o.at ? o.at : now;
    if (at >= d.lastAt) {
      d.lastAt = at;
      d.lastReply = ((o.code ? std::to_string(o.code) + " " : "") + o.reply).substr(0, 1000);
    }
  }
  for (const auto& [run, d] : byRun)
    c_.exec(
        "UPDATE runs\n"
        "SET sent = sent + $2, failed = failed + $3,\n"
        "    attempts_ok = attempts_ok + $4, attempts_failed = attempts_failed + $5,\n"
        "    last_at = $6, last_reply = $7\n"
        "WHERE id = $1",
        {run, d.sent, d.failed, d.ok, d.bad, d.lastAt, d.lastReply});
  countSettled(c_, settled);
}

void Queue::recountCancelled(std::int64_t mailingId) {
  c_.exec(
      "UPDATE runs\n"
      "SET cancelled = (SELECT COUNT(*) FROM deliveries d\n"
      "                 WHERE d.run_id = runs.id AND d.status = 'cancelled')\n"
      "WHERE cancelled_at IS NOT NULL\n"
      "  AND ($1 = 0 OR mailing_id = $1)\n"
      "  AND (finished_at IS NULL OR $1 <> 0)",
      {mailingId});
}

std::optional<RunProgress> Queue::lastRun(std::int64_t mailingId) {
  auto r = c_.one(std::string(kRunCols) +
                      "WHERE mailing_id = $1\n"
                      "ORDER BY id DESC\n"
                      "LIMIT 1",
                  {mailingId});
  if (!r) return std::nullopt;
  return progressOf(*r);
}

std::optional<RunProgress> Queue::run(std::int64_t runId) {
  auto r = c_.one(std::string(kRunCols) + "WHERE id = $1", {runId});
  if (!r) return std::nullopt;
  return progressOf(*r);
}

Stats Queue::stats(std::optional<std::int64_t> mailingId, std::optional<std::int64_t> ownerId) {
  Stats s;
  // Only the clauses asked for, so that runs_mailing or runs_owner serves them ("$1 = 0 OR
  // mailing_id = $1" read every run of every mailing: a daily mailing adds 365 a year).
  db::Params p;
  std::string where = "FROM runs\nWHERE 1 = 1\n";
  if (mailingId) {
    p.emplace_back(*mailingId);
    where += "  AND mailing_id = $" + std::to_string(p.size()) + "\n";
  }
  if (ownerId) {
    p.emplace_back(*ownerId);
    where += "  AND owner_id = $" + std::to_string(p.size()) + "\n";
  }
  auto r = c_.one(
      "SELECT COALESCE(SUM(attempts_ok), 0) AS success,\n"
      "       COALESCE(SUM(attempts_failed), 0) AS failure,\n"
      "       MAX(last_at) AS last_at\n" +
          where,
      p);
  if (r) {
    s.success = (*r)["success"].i();
    s.failure = (*r)["failure"].i();
    s.attempts = s.success + s.failure;
    s.lastAt = (*r)["last_at"].opt();
  }
  if (auto last = c_.one("SELECT last_reply\n" + where +
                             "  AND last_at IS NOT NULL\n"
                             "ORDER BY last_at DESC, id DESC\n"
                             "LIMIT 1",
                         p))
    s.lastReply = (*last)["last_reply"].s();
  return s;
}

}  // namespace mw::delivery
