#include "delivery/queue.h"

#include "core/db_each.h"
#include "delivery/engagement_counts.h"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

namespace mw::delivery {
using db::placeholders;

// The recipients of mailing $1 (owner $2) as of now, after "FROM": its picked clients, the members
// of its groups and, with all_clients, every client of the owner; unsubscribed clients are left
// out, and so are those stopped by a bounce or a complaint (issue 13). One row per client, and
// clients are unique per (owner, email): one message per address whatever the overlap. The ids are
// gathered first and each is looked up in clients by key. PostgreSQL plans joins from table
// statistics, which autovacuum refreshes only a while after an import: with clients estimated at
// one row, it put a scan of clients outside and the 5,000 ids inside a nested loop, and the fill
// took 29 s (the fleet test, both as "c.id IN (...)" and as a join). There the lookup is a LATERAL
// subquery that OFFSET 0 keeps from being flattened, so the ids always drive it, whatever the
// statistics say, and in the order of the ids (a hash of them went out in a random order, where
// SQLite sends in the order the clients were added). "c.owner_id + 0" keeps SQLite off the owner
// index, which would scan all of the owner's clients (a million) for a mailing to ten of them.
// Foreign columns: mailings.owner_id, all_clients; mailing_clients.mailing_id, client_id;
// mailing_groups.mailing_id, group_id; client_group_members.group_id, client_id; clients.id,
// owner_id, email, full_name, unsubscribed_at, stopped_at.
const char* const kRecipientIds = R"(FROM (
    SELECT mc.client_id AS id
    FROM mailing_clients mc
    WHERE mc.mailing_id = $1
  UNION
    SELECT cgm.client_id
    FROM mailing_groups mg
    JOIN client_group_members cgm ON cgm.group_id = mg.group_id
    WHERE mg.mailing_id = $1
  UNION
    SELECT a.id
    FROM mailings m
    JOIN clients a ON a.owner_id = m.owner_id
    WHERE m.id = $1
      AND m.all_clients = 1)";

const char* const kRecipientsKept = R"(
WHERE c.owner_id + 0 = $2
  AND c.unsubscribed_at IS NULL
  AND c.stopped_at IS NULL)";

const std::string& recipientsFrom(const db::Conn& c) {
  static const std::string sqlite = std::string(kRecipientIds) + R"() r
JOIN clients c ON c.id = r.id)" + kRecipientsKept;
  static const std::string postgres = std::string(kRecipientIds) + R"(
    ORDER BY 1) r
CROSS JOIN LATERAL (
    SELECT x.id, x.email, x.full_name, x.owner_id, x.unsubscribed_at, x.stopped_at
    FROM clients x
    WHERE x.id = r.id
    OFFSET 0) c)" + kRecipientsKept;
  return c.postgres() ? postgres : sqlite;
}

std::int64_t Queue::createRun(std::int64_t mailingId, std::int64_t ownerId,
                              const std::string& trigger, std::optional<std::int64_t> occurrence,
                              std::int64_t now) {
  std::int64_t runId = c_.insert(
      "INSERT INTO runs(mailing_id, owner_id, trigger, occurrence_at, created_at) VALUES ($1, $2, "
      "$3, $4, $5) RETURNING id",
      {mailingId, ownerId, trigger, occurrence, now});
  auto filled =
      c_.exec(std::string("INSERT INTO deliveries(run_id, mailing_id, owner_id, client_id, "
                          "email, name, status,\n"
                          "                       next_attempt_at)\n"
                          "SELECT $3, $1, $2, c.id, c.email, c.full_name, 'pending', $4\n") +
                  recipientsFrom(c_),
              {mailingId, ownerId, runId, now});
  // PostgreSQL plans the claims from table statistics, which autovacuum refreshes only later: a
  // big run just added to a small table was claimed by sequential scans (279 msg/s at 50,000).
  if (c_.postgres() && filled >= 10'000) c_.exec("ANALYZE deliveries");
  c_.exec(
      "UPDATE runs SET total = $1, finished_at = CASE WHEN $1 = 0 THEN CAST($2 AS BIGINT) ELSE "
      "NULL END WHERE "
      "id = $3",
      {static_cast<long long>(filled), now, runId});
  return runId;
}

std::vector<Job> Queue::claim(const std::string& worker, int limit, std::int64_t now,
                              std::optional<std::int64_t> runId) {
  // In the order of deliveries_queue (status, next_attempt_at, id), so that the LIMIT stops the
  // scan: "ORDER BY d.id" sorted all pending rows on every claim (a million at a time, seconds
  // under the write lock, long enough to starve the heartbeat: "database is locked").
  // Foreign columns: mailings.id, owner_id, is_active, is_paused (the mailings domain);
  // users.id, is_blocked (the users domain).
  std::string pick = R"(
    SELECT d.id
    FROM deliveries d
    JOIN mailings m ON m.id = d.mailing_id
    JOIN users u ON u.id = m.owner_id
    WHERE d.status = 'pending'
      AND d.next_attempt_at <= $2
      AND m.is_active = 1
      AND m.is_paused = 0
      AND u.is_blocked = 0
      AND ($4 = 0 OR d.run_id = $4)
    ORDER BY d.next_attempt_at, d.id
    LIMIT $3)";
  if (c_.postgres()) pick += " FOR UPDATE OF d SKIP LOCKED";
  db::Tx tx(c_);
  auto rows = c_.query(
      "UPDATE deliveries SET status = 'claimed', claimed_by = $1, claimed_at = $2 WHERE id IN (" +
          pick + ") RETURNING id, run_id, mailing_id, owner_id, client_id, email, name, attempts",
      {worker, now, limit, runId.value_or(0)});
  tx.commit();
  std::vector<Job> jobs;
  jobs.reserve(rows.size());
  for (const auto& r : rows) {
    jobs.push_back({r["id"].i(), r["run_id"].i(), r["mailing_id"].i(), r["owner_id"].i(),
                    r["client_id"].i(), r["email"].s(), r["name"].s(),
                    static_cast<int>(r["attempts"].i())});
  }
  std::sort(jobs.begin(), jobs.end(),
            [](const Job& a, const Job& b) { return a.deliveryId < b.deliveryId; });
  return jobs;
}

std::vector<std::int64_t> Queue::startSending(const std::string& worker,
                                              const std::vector<std::int64_t>& ids) {
  std::vector<std::int64_t> started;
  for (std::size_t at = 0; at < ids.size(); at += 500) {
    std::size_t n = std::min<std::size_t>(500, ids.size() - at);
    db::Params params{worker};
    for (std::size_t i = 0; i < n; ++i) params.emplace_back(ids[at + i]);
    n = db::padList(params, n);
    // COALESCE keeps SQLite on the ids: given "status = 'claimed'" it read every claimed row
    // of every slot through deliveries_queue for each step (EXPLAIN QUERY PLAN, past 4 ids).
    auto rows = c_.query(
        "UPDATE deliveries\n"
        "SET status = 'sending'\n"
        "WHERE id IN (" +
            placeholders(2, n) +
            ")\n"
            "  AND COALESCE(status, '') = 'claimed'\n"
            "  AND claimed_by = $1\n"
            "RETURNING id",
        params);
    for (const auto& r : rows) started.push_back(r["id"].i());
  }
  return started;
}

void Queue::record(const std::vector<Outcome>& outcomes, const RetryPolicy& policy,
                   std::int64_t now) {
  if (outcomes.empty()) return;
  db::Tx tx(c_);
  if (!c_.postgres()) {
    // SQLite: two statements prepared once and stepped per outcome. Multi-row VALUES with 1,100
    // ?NNN parameters and one UPDATE per Message-ID cost more than the sending of the batch.
    db::execEach(
        c_,
        "INSERT INTO attempts(delivery_id, run_id, mailing_id, owner_id, client_id, email, at, "
        "status, code, reply, final) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        outcomes.size(), [&](std::size_t i) -> db::Params {
          const auto& o = outcomes[i];
          bool final = o.success || !o.temporary || o.job.attempts + 1 >= policy.maxAttempts;
          return {o.job.deliveryId,
                  o.job.runId,
                  o.job.mailingId,
                  o.job.ownerId,
                  o.job.clientId,
                  o.job.email,
                  o.at ? o.at : now,
                  o.success ? "success" : "failure",
                  o.code,
                  o.reply.substr(0, 1000),
                  final ? 1 : 0};
        });
    std::vector<std::size_t> changed;
    db::execEach(
        c_,
        "UPDATE deliveries\n"
        "SET status = $1, attempts = attempts + 1, done_at = COALESCE($2, done_at),\n"
        "    next_attempt_at = COALESCE($3, next_attempt_at),\n"
        "    message_id = COALESCE($4, message_id), claimed_by = NULL\n"
        "WHERE id = $5\n"
        "  AND status NOT IN ('sent', 'failed')",
        outcomes.size(),
        [&](std::size_t i) -> db::Params {
          const auto& o = outcomes[i];
          std::optional<std::int64_t> retryAt;
          if (!o.success && o.temporary && o.job.attempts + 1 < policy.maxAttempts) {
            int attempt = o.job.attempts + 1;
            // Exponential back-off: base, 2x base, 4x base, ...
            retryAt =
                now + (static_cast<std::int64_t>(policy.baseSeconds) << std::min(attempt - 1, 20));
          }
          std::optional<std::string> messageId;
          if (o.success && !o.messageId.empty()) messageId = o.messageId;
          return {o.success ? "sent"
                  : retryAt ? "pending"
                            : "failed",
                  retryAt ? std::optional<std::int64_t>() : std::optional<std::int64_t>(now),
                  retryAt, messageId, o.job.deliveryId};
        },
        &changed);
    std::vector<Outcome> counted;
    for (std::size_t i = 0; i < outcomes.size(); ++i)
      if (changed[i]) counted.push_back(outcomes[i]);
    countOutcomes(counted, policy, now);
    tx.commit();
    return;
  }
  // The attempt log, in multi-row inserts.
  constexpr size_t kBatch = 200;
  for (size_t start = 0; start < outcomes.size(); start += kBatch) {
    size_t end = std::min(outcomes.size(), start + kBatch);
    std::ostringstream sql;
    sql << "INSERT INTO attempts(delivery_id, run_id, mailing_id, owner_id, client_id, email, at, "
           "status, code, reply, final) VALUES ";
    db::Params params;
    for (size_t i = start; i < end; ++i) {
      const auto& o = outcomes[i];
      bool final = o.success || !o.temporary || o.job.attempts + 1 >= policy.maxAttempts;
      sql << (i > start ? ", " : "") << "(" << placeholders(params.size() + 1, 11) << ")";
      params.emplace_back(o.job.deliveryId);
      params.emplace_back(o.job.runId);
      params.emplace_back(o.job.mailingId);
      params.emplace_back(o.job.ownerId);
      params.emplace_back(o.job.clientId);
      params.emplace_back(o.job.email);
      params.emplace_back(o.at ? o.at : now);
      params.emplace_back(o.success ? "success" : "failure");
      params.emplace_back(o.code);
      params.emplace_back(o.reply.substr(0, 1000));
      params.emplace_back(final ? 1 : 0);
    }
    c_.exec(sql.str(), params);
  }
  // Delivery states, grouped so that each group is one statement.
  std::vector<std::int64_t> sent, failed;
  std::map<int, std::vector<std::int64_t>> retryByAttempt;
  for (const auto& o : outcomes) {
    if (o.success)
      sent.push_back(o.job.deliveryId);
    else if (o.temporary && o.job.attempts + 1 < policy.maxAttempts)
      retryByAttempt[o.job.attempts + 1].push_back(o.job.deliveryId);
    else
      failed.push_back(o.job.deliveryId);
  }
  // Only a delivery not yet settled moves (see countOutcomes' caller below); `moved` collects it.
  std::set<std::int64_t> moved;
  auto update = [&](const std::string& set, db::Params head, const std::vector<std::int64_t>& ids) {
    for (size_t start = 0; start < ids.size(); start += 500) {
      size_t end = std::min(ids.size(), start + 500);
      db::Params params = head;
      for (size_t i = start; i < end; ++i) params.emplace_back(ids[i]);
      for (const auto& r : c_.query("UPDATE deliveries\n"
                                    "SET " +
                                        set +
                                        "\n"
                                        "WHERE id IN (" +
                                        placeholders(head.size() + 1, end - start) +
                                        ")\n"
                                        "  AND status NOT IN ('sent', 'failed')\n"
                                        "RETURNING id",
                                    params))
        moved.insert(r["id"].i());
    }
  };
  update("status = 'sent', attempts = attempts + 1, done_at = $1, claimed_by = NULL", {now}, sent);
  update("status = 'failed', attempts = attempts + 1, done_at = $1, claimed_by = NULL", {now},
         failed);
  for (const auto& [attempt, ids] : retryByAttempt) {
    // Exponential back-off: base, 2x base, 4x base, ...
    std::int64_t delay = static_cast<std::int64_t>(policy.baseSeconds) << std::min(attempt - 1, 20);
    update("status = 'pending', attempts = attempts + 1, next_attempt_at = $1, claimed_by = NULL",
           {now + delay}, ids);
  }
  // Message-IDs of sent mail, for support questions ("did it go out?"): one statement for the
  // group, not one round trip per message (which kept the recorder seconds behind under load).
  std::vector<const Outcome*> named;
  for (const auto& o : outcomes)
    if (o.success && !o.messageId.empty()) named.push_back(&o);
  for (size_t start = 0; start < named.size(); start += 500) {
    size_t end = std::min(named.size(), start + 500);
    std::ostringstream values;
    db::Params params;
    for (size_t i = start; i < end; ++i) {
      values << (i > start ? ", " : "") << "(CAST($" << params.size() + 1 << " AS BIGINT), $"
             << params.size() + 2 << ")";
      params.emplace_back(named[i]->job.deliveryId);
      params.emplace_back(named[i]->messageId);
    }
    c_.exec(
        "UPDATE deliveries\n"
        "SET message_id = v.message_id\n"
        "FROM (VALUES " +
            values.str() +
            ") AS v(id, message_id)\n"
            "WHERE deliveries.id = v.id",
        params);
  }
  std::vector<Outcome> counted;
  for (const auto& o : outcomes)
    if (moved.count(o.job.deliveryId)) counted.push_back(o);
  countOutcomes(counted, policy, now);
  tx.commit();
}

std::vector<std::int64_t> Queue::recoverOrphans(std::int64_t now, int leaseSeconds,
                                                int maxInterruptions) {
  db::Tx tx(c_);
  const char* orphan =
      "  AND (claimed_by IS NULL\n"
      "       OR claimed_by NOT IN (SELECT id FROM workers WHERE heartbeat_at >= $1))";
  // Claimed but never started: simply queued again, nothing of them went out.
  c_.exec(std::string("UPDATE deliveries\n"
                      "SET status = 'pending', claimed_by = NULL\n"
                      "WHERE status = 'claimed'\n") +
              orphan,
          {now - leaseSeconds});
  // Started: the message may have gone out before its worker died, so it may now go twice;
  // the caller logs each one. Up to maxInterruptions times; then it is failed, so one that
  // kills its sender cannot stop the run.
  // A killed worker never says goodbye (forgetWorker): its row goes after a day, when nothing
  // can still wait on its lease (the fleet test leaves one row per kill).
  c_.exec("DELETE FROM workers WHERE heartbeat_at < $1", {now - 86400});
  std::vector<std::int64_t> requeued;
  for (const auto& r : c_.query(std::string("SELECT id FROM deliveries\n"
                                            "WHERE status = 'sending'\n") +
                                    orphan,
                                {now - leaseSeconds}))
    requeued.push_back(r["id"].i());
  if (requeued.empty()) {
    tx.commit();
    return requeued;
  }
  c_.exec(std::string(
              "UPDATE deliveries\n"
              "SET status = CASE WHEN interruptions + 1 >= $2 THEN 'failed' ELSE 'pending' END,\n"
              "    done_at = CASE WHEN interruptions + 1 >= $2 THEN $3 ELSE done_at END,\n"
              "    interruptions = interruptions + 1,\n"
              "    claimed_by = NULL\n"
              "WHERE status = 'sending'\n") +
              orphan,
          {now - leaseSeconds, maxInterruptions, now});
  // The run counters and the reports' take the deliveries failed here (those not yet logged as
  // interrupted: the attempts below mark them).
  std::vector<Settled> settled;
  std::map<std::int64_t, std::int64_t> failedByRun;
  for (const auto& r : c_.query("SELECT d.id, d.run_id, d.mailing_id, d.owner_id\n"
                                "FROM deliveries d\n"
                                "WHERE d.status = 'failed'\n"
                                "  AND d.done_at = $2\n"
                                "  AND d.interruptions >= $1\n"
                                "  AND NOT EXISTS (SELECT 1 FROM attempts a WHERE a.delivery_id = "
                                "d.id AND a.reply = $3)",
                                {maxInterruptions, now, std::string(kInterruptedRepeatedly)})) {
    settled.push_back({r["id"].i(), r["mailing_id"].i(), r["owner_id"].i(), now, false});
    ++failedByRun[r["run_id"].i()];
  }
  for (const auto& [run, n] : failedByRun)
    c_.exec(
        "UPDATE runs\n"
        "SET failed = failed + $2, attempts_failed = attempts_failed + $2,\n"
        "    last_at = $3, last_reply = $4\n"
        "WHERE id = $1",
        {run, n, now, std::string(kInterruptedRepeatedly)});
  countSettled(c_, settled);
  c_.exec(
      "INSERT INTO attempts(delivery_id, run_id, mailing_id, owner_id, client_id, email, at,\n"
      "                     status, code, reply, final)\n"
      "SELECT d.id, d.run_id, d.mailing_id, d.owner_id, d.client_id, d.email, $2,\n"
      "       'failure', 0, $3, 1\n"
      "FROM deliveries d\n"
      "WHERE d.status = 'failed'\n"
      "  AND d.done_at = $2\n"
      "  AND d.interruptions >= $1\n"
      "  AND NOT EXISTS (SELECT 1 FROM attempts a WHERE a.delivery_id = d.id AND a.reply = $3)",
      {maxInterruptions, now, std::string(kInterruptedRepeatedly)});
  tx.commit();
  return requeued;
}

void Queue::heartbeat(const std::string& worker, std::int64_t now) {
  c_.exec(
      "INSERT INTO workers(id, heartbeat_at) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET "
      "heartbeat_at = excluded.heartbeat_at",
      {worker, now});
}

void Queue::forgetWorker(const std::string& worker) {
  db::Tx tx(c_);
  // What it claimed but never started goes back to the queue now, not after its lease.
  c_.exec(
      "UPDATE deliveries\n"
      "SET status = 'pending', claimed_by = NULL\n"
      "WHERE status = 'claimed'\n"
      "  AND claimed_by = $1",
      {worker});
  c_.exec("DELETE FROM workers WHERE id = $1", {worker});
  tx.commit();
}

std::vector<std::int64_t> Queue::finishRuns(std::int64_t now) {
  std::vector<std::int64_t> mailings;
  auto rows = c_.query(
      "UPDATE runs SET finished_at = $1 WHERE finished_at IS NULL AND NOT EXISTS (SELECT 1 FROM "
      "deliveries d WHERE d.run_id = runs.id AND d.status IN ('pending', 'claimed', 'sending')) "
      "RETURNING "
      "mailing_id",
      {now});
  for (const auto& r : rows) mailings.push_back(r[0].i());
  return mailings;
}

bool Queue::hasReady(std::int64_t now, std::optional<std::int64_t> runId) {
  return c_.scalar(
             "SELECT COUNT(*) FROM (SELECT d.id FROM deliveries d JOIN mailings m ON m.id = "
             "d.mailing_id JOIN users u ON u.id = m.owner_id WHERE d.status = 'pending' AND "
             "d.next_attempt_at <= $1 AND m.is_active = 1 AND m.is_paused = 0 AND u.is_blocked = 0 "
             "AND ($2 = 0 OR "
             "d.run_id = $2) LIMIT 1) x",
             {now, runId.value_or(0)}) > 0;
}

bool Queue::runDone(std::int64_t runId) {
  return c_.scalar(
             "SELECT COUNT(*) FROM deliveries WHERE run_id = $1 AND status IN ('pending', "
             "'claimed', 'sending')",
             {runId}) == 0;
}

std::optional<std::int64_t> Queue::nextRetryAt(std::optional<std::int64_t> runId) {
  auto row = c_.one(
      "SELECT MIN(next_attempt_at) FROM deliveries WHERE status = 'pending' AND ($1 = 0 OR "
      "run_id = $1)",
      {runId.value_or(0)});
  return row ? (*row)[0].opt() : std::nullopt;
}

}  // namespace mw::delivery
