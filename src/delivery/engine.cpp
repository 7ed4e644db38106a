#include "delivery/engine.h"

#include <Poco/URI.h>
#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <iostream>
#include <map>

#include "bounces/record.h"
#include "bounces/token.h"
#include "core/mail/mime.h"
#include "core/mail/smtp.h"
#include "core/mailer.h"
#include "core/security.h"
#include "delivery/compose.h"
#include "delivery/metrics.h"
#include "delivery/unsubscribe.h"
#include "messages/render.h"
#include "tracking/send.h"

namespace mw::delivery {

namespace {

double steadySeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

class SmtpTransport : public Transport {
 public:
  explicit SmtpTransport(mail::SmtpSettings s) : conn_(std::move(s)) {}
  SendResult open() override { return convert(conn_.open()); }
  SendResult send(const std::string& from, const std::string& rcpt,
                  const std::string& bytes) override {
    return convert(conn_.send(from, rcpt, bytes));
  }
  std::vector<SendResult> sendMany(const std::vector<mail::Envelope>& batch,
                                   const std::function<void()>& pace,
                                   const OnResult& onResult) override {
    std::vector<SendResult> out;
    mail::OnReply onReply;
    if (onResult)
      onReply = [&](std::size_t k, const mail::SmtpReply& r) { onResult(k, convert(r)); };
    for (const auto& r : conn_.sendMany(batch, pace, onReply)) out.push_back(convert(r));
    return out;
  }
  void close() override { conn_.close(); }
  bool isOpen() const override { return conn_.isOpen(); }

 private:
  static SendResult convert(const mail::SmtpReply& r) { return {r.code, r.text}; }
  mail::SmtpConnection conn_;
};

// The failures the bounce rules look at (issue 13), with whether a retry follows (as record()).
std::vector<bounces::SmtpOutcome> smtpOutcomes(const std::vector<Outcome>& outcomes,
                                               const RetryPolicy& policy) {
  std::vector<bounces::SmtpOutcome> out;
  for (const auto& o : outcomes) {
    if (o.success || o.code == 0) continue;
    const Job& j = o.job;
    out.push_back({j,  // as its DeliveryRef
                   o.code, o.reply, !o.temporary || j.attempts + 1 >= policy.maxAttempts, o.at});
  }
  return out;
}

std::string newWorkerId() {
  unsigned char raw[8];
  randombytes_buf(raw, sizeof raw);
  char hex[17];
  sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
  return hex;
}

}  // namespace

Engine::Engine(const Config& cfg, db::Database& db, Door& door, RelayTransportFactory transports)
    : cfg_(cfg),
      db_(db),
      door_(door),
      transports_(std::move(transports)),
      workerId_(newWorkerId()),
      fromDomain_(domainOf(cfg.defaultFromEmail)) {
  retry_.maxAttempts = std::max(1, cfg.retryMax);
  retry_.baseSeconds = cfg.retryBaseSeconds;
  leaseSeconds_ = cfg.workerLeaseSeconds;
  recorder_ = std::make_unique<Recorder>(
      db_, retry_, [this] { return writeLock(); },
      [this](std::size_t n) { inFlight_ -= static_cast<std::int64_t>(n); },
      // Issue 13: bounces in the SMTP dialogue, in the same transaction as their outcomes; the
      // owners of mailings paused by them are told once it is committed.
      [this](db::Conn& c, const std::vector<Outcome>& group) {
        return bounces::recordSmtp(c, cfg_.bounces, smtpOutcomes(group, retry_));
      },
      [this](db::Conn& c, const std::vector<bounces::PauseNotice>& paused) {
        bounces::notifyPaused(cfg_, c, paused, mailRoad());
      });
  if (!transports_)
    transports_ = [](const mail::SmtpSettings& s) { return std::make_unique<SmtpTransport>(s); };
  relays_ = std::make_unique<RelaySet>(cfg_, db_, workerId_);
  destinations_ = std::make_unique<Destinations>(destinationLimits(cfg_.destinationLimits),
                                                 cfg_.redisUrl, workerId_);
  slotCount_ = static_cast<std::size_t>(std::max(1, cfg.sendConcurrency));
  conns_.resize(slotCount_);
  secondsPerMessage_.assign(slotCount_, 0.0);
}

Engine::~Engine() {
  stop();
}

void Engine::start(bool scheduler) {
  scheduler_ = scheduler;
  startSlots(std::nullopt);
  beat_ = std::thread([this] { beatLoop(); });
  thread_ = std::thread([this] { loop(); });
}

void Engine::startSlots(std::optional<std::int64_t> runId) {
  {
    std::lock_guard lock(mutex_);
    slotsStopping_ = false;
  }
  for (std::size_t s = 0; s < slotCount_; ++s)
    slots_.emplace_back([this, s, runId] { slotLoop(s, runId); });
}

// Each slot finishes (sends and records) the batch it holds before it ends.
void Engine::stopSlots() {
  {
    std::lock_guard lock(mutex_);
    slotsStopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : slots_) t.join();
  slots_.clear();
}

void Engine::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  stopSlots();
  if (!recorder_->flush())
    std::cerr << "delivery: the database did not take the last outcomes; they will be re-queued\n";
  for (std::size_t slot = 0; slot < conns_.size(); ++slot)
    while (!conns_[slot].empty()) dropConnection(slot, conns_[slot].begin()->first);
  {
    std::lock_guard lock(beatMutex_);
    beatStopping_ = true;
  }
  beatCv_.notify_all();
  if (beat_.joinable()) beat_.join();
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
    ++wakes_;
  }
  cv_.notify_all();
}

// SQLite has one writer at a time, and a connection that finds the lock taken sleeps in its busy
// handler for 1, 2, 5, 10... ms. The sender's threads queue here instead and wake at once.
std::unique_lock<std::mutex> Engine::writeLock() {
  if (db_.dialect() != db::Dialect::SQLite) return {};
  return std::unique_lock<std::mutex>(sqliteWrites_);
}

bool Engine::stoppingSlots() {
  std::lock_guard lock(mutex_);
  return slotsStopping_;
}

void Engine::handBack(db::Conn& c, const Prepared& p, std::size_t from) {
  std::vector<std::int64_t> ids;
  for (std::size_t i = from; i < p.outcomes.size(); ++i)
    ids.push_back(p.outcomes[i].job.deliveryId);
  if (ids.empty()) return;
  {
    auto lock = writeLock();
    Queue(c).release(ids);
  }
  inFlight_ -= static_cast<std::int64_t>(ids.size());
}

// Whether a run may not start another SMTP transaction (paused, disabled, cancelled), read
// from the database at most every 200 ms per run, so a pause reaches every worker within a second.
bool Engine::halted(db::Conn& c, std::int64_t runId) {
  double now = steadySeconds();
  {
    std::lock_guard lock(haltMutex_);
    auto it = haltChecks_.find(runId);
    if (it != haltChecks_.end() && now - it->second.first < 0.2) return it->second.second;
  }
  bool halted = Queue(c).halted(runId);
  std::lock_guard lock(haltMutex_);
  haltChecks_[runId] = {now, halted};
  return halted;
}

void Engine::slotLoop(std::size_t slot, std::optional<std::int64_t> runId) {
  std::uint64_t seen = 0;
  while (true) {
    {
      std::lock_guard lock(mutex_);
      if (slotsStopping_) return;
      seen = wakes_;
    }
    std::size_t handled = 0;
    try {
      handled = sendBatch(slot, runId);
    } catch (const Poco::Exception& e) {
      std::cerr << "delivery: " << e.displayText() << "\n";
    } catch (const std::exception& e) {
      std::cerr << "delivery: " << e.what() << "\n";
    }
    if (handled) continue;
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, std::chrono::milliseconds(250),
                 [&] { return slotsStopping_ || wakes_ != seen; });
  }
}

// A batch is about a second of this slot's sending, 16 to 400 messages: 400 keeps the per-batch
// database work small per message on loopback (bench/delivery, SQLite, 4 sessions: 25 gave 0.43
// of smtp-source, 100 gave 0.51, 400 gave 0.73), while a relay 10 ms away gets ~100, so every
// slot has work to the end of a run. With SEND_RATE a batch holds at most one second's worth.
int Engine::batchLimit(std::size_t slot) const {
  double perMessage = secondsPerMessage_[slot];
  int limit = perMessage > 0 ? static_cast<int>(std::clamp(1.0 / perMessage, 16.0, 400.0)) : 50;
  if (cfg_.sendRate > 0)
    limit = std::max(1, std::min(limit, static_cast<int>(cfg_.sendRate / double(slotCount_))));
  return limit;
}

// What the slots hold, for releaseStranded(): from the claim until the batch is done with.
Engine::Holding::Holding(Engine& e, const std::vector<Job>& jobs) : engine(e) {
  std::lock_guard lock(engine.heldMutex_);
  for (const auto& j : jobs) {
    engine.held_.insert(j.deliveryId);
    ids.push_back(j.deliveryId);
  }
}

Engine::Holding::~Holding() {
  std::lock_guard lock(engine.heldMutex_);
  for (auto id : ids) engine.held_.erase(id);
}

std::size_t Engine::sendBatch(std::size_t slot, std::optional<std::int64_t> runId) {
  // At most ~100 outcomes per slot waiting for their commit before a new claim.
  recorder_->waitBelow(100 * slotCount_);
  auto c = db_.conn();
  std::vector<Job> jobs;
  {
    auto lock = writeLock();
    jobs = Queue(c).claim(workerId_, batchLimit(slot), nowEpoch(), runId);
  }
  if (jobs.empty()) return 0;
  const std::size_t claimed = jobs.size();
  Holding holding(*this, jobs);
  inFlight_ += static_cast<std::int64_t>(claimed);
  // Jobs of a run paused, disabled or cancelled since they were queued go back unsent: no new
  // SMTP transaction starts for them (the check is at most 200 ms old, a batch about a second).
  std::vector<std::int64_t> held;
  std::erase_if(jobs, [&](const Job& j) {
    if (!halted(c, j.runId)) return false;
    held.push_back(j.deliveryId);
    return true;
  });
  if (!held.empty()) {
    {
      auto lock = writeLock();
      Queue(c).release(held);
    }
    inFlight_ -= static_cast<std::int64_t>(held.size());
  }
  // Issue 14.2: the batch holds one connection per limited destination until it is done.
  DestinationLeases leases;
  struct GiveBack {
    Destinations& d;
    DestinationLeases& l;
    ~GiveBack() { d.release(l); }
  } giveBack{*destinations_, leases};
  admitDestinations(c, jobs, leases);
  if (!jobs.empty()) transmit(c, slot, prepare(c, jobs));
  return claimed;
}

// Composes each job's message; a job whose mailing is gone or whose template fails is recorded
// as failed at once.
Engine::Prepared Engine::prepare(db::Conn& c, const std::vector<Job>& jobs) {
  std::map<std::int64_t, Mailing> mailings;
  for (const auto& j : jobs) {
    if (mailings.count(j.mailingId)) continue;
    Mailing& m = mailings[j.mailingId];
    m.content = door_.content(c, j.mailingId);
    // Templates parsed once per mailing and batch; its HTML too when tracked (trackTemplate).
    if (m.content.trackOpens || m.content.trackClicks)
      m.tracked =
          tracking::trackTemplate(m.content.html, m.content.trackOpens, m.content.trackClicks);
    m.content.compile(m.tracked.usable ? m.tracked.html : "");
  }
  Prepared p;
  tracking::Tracker tracker(cfg_, c, [this] { return writeLock(); });
  for (const auto& job : jobs) {
    Outcome o;
    o.job = job;
    o.at = nowEpoch();
    if (!mailings[job.mailingId].content.found) {
      o.reply = "mailing or message no longer exists";
      recorder_->add(std::move(o));
      continue;
    }
    try {
      compose(p, std::move(o), mailings[job.mailingId], tracker);
    } catch (const messages::TemplateError& e) {
      // A template that got past the checks (old rows, /admin, SQL) fails its delivery with the
      // reason, never the process.
      o.reply = std::string("message template rejected: ") + e.what();
      recorder_->add(std::move(o));
    } catch (const std::exception& e) {
      // Anything else (the links table out of reach, say): tried again later.
      o.temporary = true;
      o.reply = std::string("sender error: ") + e.what();
      recorder_->add(std::move(o));
    }
  }
  return p;
}

// One job's message, tracked, signed and added to p (o is moved from only on success).
void Engine::compose(Prepared& p, Outcome&& o, const Mailing& m, tracking::Tracker& tracker) {
  const Job& job = o.job;
  const Content& content = m.content;
  // Issue 13: the Message-ID and the envelope sender (VERP) name the delivery, signed.
  const std::string token = bounces::deliveryToken(cfg_.secretKey, job.deliveryId);
  ComposeSettings settings{cfg_.defaultFromEmail,
                           unsubscribeLink(cfg_, job.clientId, job.deliveryId),
                           bounces::deliveryMessageId(cfg_.secretKey, job.deliveryId, fromDomain_)};
  tracking::Target target{job.deliveryId, job.mailingId, content.trackOpens, content.trackClicks,
                          settings.unsubscribeUrl};
  settings.htmlValues = tracker.htmlValues(m.tracked, target, nowEpoch());
  auto msg = delivery::compose(job, content, settings);
  tracker.apply(msg, target, nowEpoch(), m.tracked.usable);
  // Relays that echo metadata in their webhooks (Postmark) name the delivery with it.
  msg.headers.push_back({"X-PM-Metadata-mw-token", token});
  // SendGrid returns unique_args in each event of its Event Webhook.
  msg.headers.push_back({"X-SMTPAPI", R"({"unique_args":{"mw-token":")" + token + "\"}}"});
  std::string bytes = mail::renderMime(msg, nowEpoch());
  if (finish_) bytes = finish_(cfg_.defaultFromEmail, std::move(bytes));  // DKIM
  const std::string sender = cfg_.bounces.address.empty()
                                 ? cfg_.defaultFromEmail
                                 : bounces::verpAddress(cfg_.bounces.address, token);
  p.envelopes.push_back({sender, job.email, std::move(bytes)});
  p.relayOf.push_back(content.relayId);
  o.messageId = msg.messageId;
  p.outcomes.push_back(std::move(o));
}

// Sends in steps of about 100 ms of this slot's sending; each step is marked "sending" just
// before it starts, so a worker killed mid-batch leaves only that step in doubt (the rest is
// merely "claimed" and goes back unsent), and each outcome goes to the recorder as its reply
// arrives.
void Engine::transmit(db::Conn& c, std::size_t slot, Prepared p) {
  const std::size_t n = p.envelopes.size();
  const double perMessage = secondsPerMessage_[slot];
  const std::size_t step =
      perMessage > 0 ? static_cast<std::size_t>(std::clamp(0.1 / perMessage, 4.0, 100.0)) : 10;
  const double t0 = steadySeconds();
  std::vector<bool> handed(n, false);  // with the recorder, or not ours any more
  try {
    for (std::size_t at = 0; at < n; at += step) {
      if (stoppingSlots()) {
        // Shutting down (SIGTERM): the open transactions are finished; the rest of the batch,
        // never started, is handed back to the queue for the other workers.
        for (std::size_t i = at; i < n; ++i) handed[i] = true;
        handBack(c, p, at);
        break;
      }
      const std::size_t end = std::min(n, at + step);
      std::vector<std::int64_t> ids;
      for (std::size_t i = at; i < end; ++i) ids.push_back(p.outcomes[i].job.deliveryId);
      std::vector<std::int64_t> started;
      {
        auto lock = writeLock();
        started = Queue(c).startSending(workerId_, ids);
      }
      std::vector<std::size_t> todo;  // indexes into p of the step's messages still ours
      for (std::size_t i = at; i < end; ++i) {
        if (std::find(started.begin(), started.end(), ids[i - at]) == started.end()) {
          --inFlight_;  // given to another worker meanwhile: not ours to send or record
          handed[i] = true;
          continue;
        }
        todo.push_back(i);
      }
      sendRouted(slot, p, std::move(todo), handed);
    }
  } catch (const std::exception& e) {
    // Whatever was not handed over goes back to the queue as a temporary failure.
    for (std::size_t i = 0; i < n; ++i) {
      if (handed[i]) continue;
      Outcome o = p.outcomes[i];
      o.temporary = true;
      o.reply = std::string("sender error: ") + e.what();
      recorder_->add(std::move(o));
    }
    throw;
  }
  dropIdleConnections(slot);
  if (n > 0 && cfg_.sendRate <= 0)
    secondsPerMessage_[slot] = (steadySeconds() - t0) / static_cast<double>(n);
}

}  // namespace mw::delivery
