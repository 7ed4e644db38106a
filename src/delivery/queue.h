#pragma once
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "bounces/store.h"
#include "core/db.h"

namespace mw::delivery {

constexpr const char* kInterruptedRepeatedly = "interrupted repeatedly";

// One recipient of one run, claimed by a sender: the delivery as the bounces domain names it
// (its ids and address), with what the sender needs besides.
struct Job : bounces::DeliveryRef {
  std::string name;
  int attempts = 0;  // before this one
};

struct Outcome {
  Job job;
  bool success = false;
  bool temporary = false;  // a failure worth retrying
  int code = 0;
  std::string reply;
  std::string messageId;
  std::int64_t at = 0;
  std::string relay;  // the relay's name (metrics); "" when it never reached one
};

// One delivery that waits for its destination (issue 14.2): queued again for `at` (epoch
// seconds), not as an attempt.
struct Deferral {
  std::int64_t deliveryId = 0;
  std::int64_t at = 0;
};

struct RetryPolicy {
  int maxAttempts = 5;
  int baseSeconds = 60;
};

struct RunProgress {
  std::int64_t runId = 0;
  std::int64_t total = 0;
  std::int64_t sent = 0;
  std::int64_t failed = 0;
  std::int64_t pending = 0;  // waiting, retrying or being sent
  std::int64_t createdAt = 0;
  std::optional<std::int64_t> finishedAt;
  std::string trigger;
};

struct Stats {
  std::int64_t attempts = 0;
  std::int64_t success = 0;
  std::int64_t failure = 0;
  std::string lastReply;
  std::optional<std::int64_t> lastAt;
};

struct AttemptRow {
  std::int64_t id = 0;
  std::int64_t mailingId = 0;
  std::string mailingName;
  std::int64_t clientId = 0;
  std::string email;
  std::int64_t at = 0;
  std::string status;
  int code = 0;
  std::string reply;
  bool final = true;
  std::string bounce;  // issue 13: "hard 5.1.1: <the report's text>" of its delivery, or ""
};

struct SeriesPoint {
  std::int64_t bucket = 0;  // start of the hour or day, UTC
  std::int64_t success = 0;
  std::int64_t failure = 0;
};

// After "SELECT ...": the recipients of mailing $1 (owner $2) as of now (queue.cpp).
const std::string& recipientsFrom(const db::Conn& c);

// All SQL of the delivery queue, runs and attempt log.
class Queue {
 public:
  explicit Queue(db::Conn& c) : c_(c) {}

  // A run of the mailing with one pending delivery per subscribed recipient (set-based fill).
  std::int64_t createRun(std::int64_t mailingId, std::int64_t ownerId, const std::string& trigger,
                         std::optional<std::int64_t> occurrence, std::int64_t now);
  // Marks up to `limit` ready deliveries as claimed by `worker` and returns them. Deliveries
  // of disabled mailings or blocked owners stay queued.
  std::vector<Job> claim(const std::string& worker, int limit, std::int64_t now,
                         std::optional<std::int64_t> runId = std::nullopt);
  // Claimed -> sending, just before their SMTP transactions start; returns the ids still this
  // worker's (one given back meanwhile is not sent). Only a delivery that was sending when its
  // worker died can have gone out, so only those count as interrupted and are logged.
  std::vector<std::int64_t> startSending(const std::string& worker,
                                         const std::vector<std::int64_t>& ids);
  // Records outcomes: attempts rows, delivery states (sent, failed, or pending with back-off).
  // A delivery already sent or failed stays so, and its outcome is not counted again: a worker
  // that was thought dead (its lease ran out while the database kept it waiting) reports a
  // message that another worker sent again meanwhile (the fleet test counted 5,013 of 5,000).
  void record(const std::vector<Outcome>& outcomes, const RetryPolicy& policy, std::int64_t now);
  // Gives back deliveries claimed by workers whose heartbeat stopped; returns those that were
  // being sent (they may have gone out). One that was given back maxInterruptions times already
  // is failed with the reason kInterruptedRepeatedly instead.
  std::vector<std::int64_t> recoverOrphans(std::int64_t now, int leaseSeconds,
                                           int maxInterruptions = 3);
  void heartbeat(const std::string& worker, std::int64_t now);
  // Deliveries that `worker` (alive) claimed before `before` and no slot of it holds (`held`):
  // a claim committed whose answer was lost with its connection (pg_terminate_backend). Queued
  // again; returns how many. Safe against a slow claim: a slot sends only what startSending()
  // finds still claimed by it.
  std::size_t releaseStranded(const std::string& worker, std::int64_t before,
                              const std::set<std::int64_t>& held);
  // A worker that stops: its claimed but unstarted deliveries are queued again at once.
  void forgetWorker(const std::string& worker);
  // Runs with nothing left to send get finished_at; returns their mailing ids.
  std::vector<std::int64_t> finishRuns(std::int64_t now);
  bool hasReady(std::int64_t now, std::optional<std::int64_t> runId = std::nullopt);
  bool runDone(std::int64_t runId);
  std::optional<std::int64_t> nextRetryAt(std::optional<std::int64_t> runId = std::nullopt);

  std::optional<RunProgress> lastRun(std::int64_t mailingId);
  std::optional<RunProgress> run(std::int64_t runId);
  Stats stats(std::optional<std::int64_t> mailingId, std::optional<std::int64_t> ownerId);

  // Issue 11 (control.cpp). A run of the mailing for part of its last run's recipients:
  // audience "unsent" (not sent in the last run) or "failed" (failed in it); still subscribed.
  std::int64_t createRunFrom(std::int64_t mailingId, std::int64_t ownerId,
                             const std::string& audience, std::int64_t now);
  // How many recipients a run for that audience ("all", "unsent", "failed") would have.
  std::int64_t countAudience(std::int64_t mailingId, std::int64_t ownerId,
                             const std::string& audience);
  // Issue 12 (erase.cpp): a deletion request. The client's address in the owner's deliveries and
  // attempt log becomes `alias` and its name is dropped; the rows stay, so counts do not change.
  void eraseAddress(std::int64_t owner, std::int64_t clientId, const std::string& email,
                    const std::string& alias);
  // Cancels the mailing's open runs: what is waiting will not be sent. Returns deliveries dropped.
  std::size_t cancelRuns(std::int64_t mailingId, std::int64_t now);
  // True when no new SMTP transaction of that run may start: paused, disabled or cancelled.
  bool halted(std::int64_t runId);
  // A test send of a mailing in the attempt log (is_test = 1: never counted in statistics).
  void recordTest(std::int64_t mailingId, std::int64_t ownerId, std::int64_t clientId,
                  const std::string& email, bool ok, int code, const std::string& reply);
  // Gives back claimed deliveries that were not sent (pending again, or cancelled with the run).
  void release(const std::vector<std::int64_t>& deliveryIds);
  // Gives back claimed deliveries whose destination is full, each due again at its time.
  void defer(const std::string& worker, const std::vector<Deferral>& later);

 private:
  // Adds a batch of outcomes to the counters of their runs (counters.cpp), in record()'s
  // transaction.
  void countOutcomes(const std::vector<Outcome>& outcomes, const RetryPolicy& policy,
                     std::int64_t now);
  // Recounts the cancelled deliveries of the mailing's cancelled runs (0: of every open one).
  void recountCancelled(std::int64_t mailingId);
  db::Conn& c_;
};

}  // namespace mw::delivery
