#include "delivery/engine.h"

#include <Poco/URI.h>
#include <sodium.h>

#include <chrono>
#include <exception>
#include <iostream>
#include <map>

#include "core/mail/mime.h"
#include "core/mail/smtp.h"
#include "core/mailer.h"
#include "core/security.h"
#include "delivery/unsubscribe.h"
#include "mailings/repo.h"
#include "messages/render.h"
#include "messages/repo.h"
#include "users/repo.h"

namespace mw::delivery {

// What every recipient of one mailing shares: the message templates and the sender.
struct Prepared {
  bool found = false;
  std::string subject, text, html;
  std::string fromName;
  std::string replyTo;
};

namespace {

std::int64_t nowEpoch() {
  return static_cast<std::int64_t>(std::time(nullptr));
}

double steadySeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string domainOf(const std::string& email) {
  auto at = email.find('@');
  return at == std::string::npos ? "localhost" : email.substr(at + 1);
}

class SmtpTransport : public Transport {
 public:
  explicit SmtpTransport(mail::SmtpSettings s) : conn_(std::move(s)) {}
  SendResult open() override { return convert(conn_.open()); }
  SendResult send(const std::string& from, const std::string& rcpt,
                  const std::string& bytes) override {
    return convert(conn_.send(from, rcpt, bytes));
  }
  void close() override { conn_.close(); }
  bool isOpen() const override { return conn_.isOpen(); }

 private:
  static SendResult convert(const mail::SmtpReply& r) { return {r.code, r.text}; }
  mail::SmtpConnection conn_;
};

std::string newWorkerId() {
  unsigned char raw[8];
  randombytes_buf(raw, sizeof raw);
  char hex[17];
  sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
  return hex;
}

}  // namespace

Engine::Engine(const Config& cfg, db::Database& db, TransportFactory transports)
    : cfg_(cfg), db_(db), transports_(std::move(transports)), workerId_(newWorkerId()) {
  retry_.maxAttempts = std::max(1, cfg.retryMax);
  retry_.baseSeconds = cfg.retryBaseSeconds;
  const char* lease = std::getenv("WORKER_LEASE_SECONDS");
  leaseSeconds_ = lease ? std::max(2, std::atoi(lease)) : 30;
  if (!transports_) {
    auto s = smtpSettings(cfg);
    transports_ = [s] { return std::make_unique<SmtpTransport>(s); };
  }
  for (int i = 0; i < cfg.sendConcurrency; ++i) pool_.push_back(transports_());
}

Engine::~Engine() {
  stop();
}

void Engine::start(bool scheduler) {
  scheduler_ = scheduler;
  thread_ = std::thread([this] { loop(); });
}

void Engine::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  for (auto& t : pool_)
    if (t->isOpen()) t->close();
  try {
    auto c = db_.conn();
    Queue(c).forgetWorker(workerId_);
  } catch (...) {
  }
}

void Engine::wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  cv_.notify_all();
}

std::int64_t Engine::sendNow(std::int64_t mailingId) {
  auto c = db_.conn();
  mailings::Repo mailings(c);
  auto m = mailings.getAny(mailingId, false);
  if (!m) throw std::runtime_error("no mailing with id " + std::to_string(mailingId));
  std::int64_t now = nowEpoch();
  db::Tx tx(c);
  std::int64_t run = Queue(c).createRun(m->id, m->ownerId, "manual", std::nullopt, now);
  mailings.markRunStarted(m->id, now);
  // A one-off mailing sent by hand is done once this run is: nothing stays scheduled.
  if (m->periodicity == "once")
    c.exec("UPDATE mailings SET next_run_at = NULL WHERE id = $1", {m->id});
  tx.commit();
  if (changed_) changed_();
  wake();
  return run;
}

int Engine::scheduleDue(std::int64_t now) {
  auto c = db_.conn();
  mailings::Repo mailings(c);
  int started = 0;
  for (const auto& m : mailings.due(now, 100)) {
    db::Tx tx(c);
    // Only the process whose update wins starts the run: no double sending across workers.
    if (!mailings.advance(m, now)) continue;
    Queue(c).createRun(m.id, m.ownerId, "schedule", m.nextRunAt, now);
    tx.commit();
    ++started;
  }
  if (started && changed_) changed_();
  return started;
}

void Engine::housekeeping(std::int64_t now) {
  auto c = db_.conn();
  Queue q(c);
  q.heartbeat(workerId_, now);
  if (auto n = q.recoverOrphans(now, leaseSeconds_))
    std::cerr << "delivery: re-queued " << n << " deliveries of stopped workers\n";
  mailings::Repo mailings(c);
  auto finished = q.finishRuns(now);
  for (auto id : finished) mailings.completeIfDone(id);
  if (!finished.empty() && changed_) changed_();
}

void Engine::loop() {
  while (true) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
    }
    std::int64_t now = nowEpoch();
    try {
      if (now != lastHeartbeat_) {
        housekeeping(now);
        lastHeartbeat_ = now;
      }
      if (scheduler_ && scheduleDue(now) > 0) {
        // fall through to sending at once
      }
      while (processBatch(std::nullopt) > 0) {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
        if (nowEpoch() != lastHeartbeat_) break;  // keep the heartbeat and schedule fresh
      }
    } catch (const Poco::Exception& e) {
      std::cerr << "delivery: " << e.displayText() << "\n";
    } catch (const std::exception& e) {
      std::cerr << "delivery: " << e.what() << "\n";
    }
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, std::chrono::milliseconds(250), [this] { return stopping_ || woken_; });
    woken_ = false;
  }
}

void Engine::drain(std::optional<std::int64_t> runId, bool waitForRetries) {
  while (true) {
    std::int64_t now = nowEpoch();
    if (now != lastHeartbeat_) {
      housekeeping(now);
      lastHeartbeat_ = now;
    }
    if (processBatch(runId) > 0) continue;
    auto c = db_.conn();
    Queue q(c);
    if (runId && q.runDone(*runId)) break;
    if (!waitForRetries) {
      if (!runId) break;
      if (!q.hasReady(nowEpoch(), runId)) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  housekeeping(nowEpoch());
}

RunSummary Engine::summary(std::int64_t runId) {
  auto c = db_.conn();
  auto p = Queue(c).run(runId);
  RunSummary s;
  if (!p) return s;
  s.runId = p->runId;
  s.total = p->total;
  s.sent = p->sent;
  s.failed = p->failed;
  s.pending = p->pending;
  return s;
}

void Engine::pace() {
  if (cfg_.sendRate <= 0) return;
  double wait = 0;
  {
    std::lock_guard lock(rateMutex_);
    double now = steadySeconds();
    nextSendAt_ = std::max(nextSendAt_, now);
    wait = nextSendAt_ - now;
    nextSendAt_ += 1.0 / cfg_.sendRate;
  }
  if (wait > 0) std::this_thread::sleep_for(std::chrono::duration<double>(wait));
}

Outcome Engine::sendOne(std::size_t slot, const Job& job, const Prepared& p) {
  Outcome o;
  o.job = job;
  if (!p.found) {
    o.code = 0;
    o.reply = "mailing or message no longer exists";
    return o;
  }
  std::string unsubscribeUrl = unsubscribeLink(cfg_, job.clientId);
  auto r = messages::render(p.subject, p.text, p.html,
                            messages::Recipient{job.name, job.email, unsubscribeUrl});
  mail::OutgoingMessage msg;
  msg.from = {p.fromName, cfg_.defaultFromEmail};
  msg.to = {job.name, job.email};
  msg.subject = r.subject;
  msg.text = r.text;
  msg.html = r.html;
  if (msg.text.empty() && msg.html.empty()) msg.text = " ";
  msg.messageId = mail::generateMessageId(domainOf(cfg_.defaultFromEmail));
  msg.headers.push_back({"List-Unsubscribe", "<" + unsubscribeUrl + ">"});
  msg.headers.push_back({"List-Unsubscribe-Post", "List-Unsubscribe=One-Click"});
  if (!p.replyTo.empty()) msg.headers.push_back({"Reply-To", p.replyTo});
  msg.headers.push_back({"X-Mailwright-Mailing", std::to_string(job.mailingId)});
  std::string bytes = mail::renderMime(msg, nowEpoch());
  o.messageId = msg.messageId;
  auto& t = *pool_[slot];
  SendResult res;
  if (!t.isOpen()) res = t.open();
  if (t.isOpen()) {
    pace();
    res = t.send(cfg_.defaultFromEmail, job.email, bytes);
  }
  o.at = nowEpoch();
  o.code = res.code;
  o.reply = res.text;
  o.success = res.ok();
  o.temporary = !o.success && res.temporary();
  return o;
}

namespace {

struct Claimed {
  std::vector<Job> jobs;
  std::map<std::int64_t, Prepared> prepared;
};

// SQLite has one writer at a time, and a connection that finds the lock taken sleeps in its busy
// handler for 1, 2, 5, 10... ms. The sender's threads queue here instead and wake at once.
std::unique_lock<std::mutex> sqliteWriteLock(const db::Database& db) {
  static std::mutex writes;
  if (db.dialect() != db::Dialect::SQLite) return {};
  return std::unique_lock<std::mutex>(writes);
}

}  // namespace

std::size_t Engine::processBatch(std::optional<std::int64_t> runId) {
  const std::size_t slots = pool_.size();
  // Every connection slot claims, sends and records its own small batches, so one slot's
  // database work overlaps the others' SMTP instead of stalling all of them between batches.
  // 400 per batch keeps the per-batch database work small per message (bench/delivery, SQLite,
  // 4 sessions: 25 gave 0.43 of smtp-source, 100 gave 0.51, 400 gave 0.73); a killed process
  // repeats at most one batch per slot. With SEND_RATE a batch holds one second's worth.
  int limit = 400;
  if (cfg_.sendRate > 0)
    limit = std::max(1, std::min(limit, static_cast<int>(cfg_.sendRate / double(slots))));
  // What the recipients of one mailing share is read once per call, not once per batch.
  std::mutex cacheMutex;
  std::map<std::int64_t, Prepared> cache;
  auto load = [&](db::Conn& c, std::int64_t mailingId) {
    Prepared p;
    mailings::Repo mailings(c);
    if (auto m = mailings.getAny(mailingId, false)) {
      if (auto msg = messages::Repo(c).byIdForDelivery(m->messageId)) {
        p.found = true;
        p.subject = msg->subject;
        p.text = msg->bodyText;
        p.html = msg->bodyHtml;
      }
      if (auto owner = users::Repo(c).byId(m->ownerId)) {
        p.fromName = owner->name.empty() ? "Mailwright" : owner->name;
        p.replyTo = owner->email;
      }
    }
    return p;
  };
  auto claim = [&](db::Conn& c, Claimed& out) {
    {
      auto lock = sqliteWriteLock(db_);
      out.jobs = Queue(c).claim(workerId_, limit, nowEpoch(), runId);
    }
    out.prepared.clear();
    for (const auto& j : out.jobs) {
      if (out.prepared.count(j.mailingId)) continue;
      {
        std::lock_guard lock(cacheMutex);
        if (auto it = cache.find(j.mailingId); it != cache.end()) {
          out.prepared[j.mailingId] = it->second;
          continue;
        }
      }
      Prepared p = load(c, j.mailingId);
      std::lock_guard lock(cacheMutex);
      cache[j.mailingId] = p;
      out.prepared[j.mailingId] = std::move(p);
    }
  };
  Claimed first;
  {
    auto c = db_.conn();
    claim(c, first);
  }
  if (first.jobs.empty()) return 0;  // idle: no threads
  // Each call returns within about a second, so the callers keep the heartbeat and schedule.
  const double deadline = steadySeconds() + 1.0;
  std::atomic<std::size_t> handled{0};
  std::mutex errorMutex;
  std::exception_ptr error;
  auto work = [&](std::size_t slot, Claimed batch) {
    try {
      auto c = db_.conn();     // one pooled connection per slot for the whole call
      bool fresh = slot == 0;  // slot 0 starts with the batch claimed above
      while (true) {
        if (!fresh) claim(c, batch);
        fresh = false;
        if (batch.jobs.empty()) break;
        std::vector<Outcome> outcomes;
        outcomes.reserve(batch.jobs.size());
        for (const auto& job : batch.jobs)
          outcomes.push_back(sendOne(slot, job, batch.prepared.at(job.mailingId)));
        {
          auto lock = sqliteWriteLock(db_);
          Queue(c).record(outcomes, retry_, nowEpoch());
        }
        handled += batch.jobs.size();
        if (steadySeconds() > deadline) break;
        std::lock_guard lock(mutex_);
        if (stopping_) break;
      }
    } catch (...) {
      std::lock_guard lock(errorMutex);
      if (!error) error = std::current_exception();
    }
  };
  std::vector<std::thread> threads;
  for (std::size_t s = 1; s < slots; ++s) threads.emplace_back(work, s, Claimed{});
  work(0, std::move(first));
  for (auto& t : threads) t.join();
  if (error) std::rethrow_exception(error);
  return handled;
}

}  // namespace mw::delivery
