// The scheduler's side of the engine: due mailings become runs, and the housekeeping that keeps
// a fleet honest (the lease's heartbeat, orphans of dead workers queued again, finished runs
// closed). The sending side (slots: claim, compose, send, record) is in engine.cpp.
#include "delivery/engine.h"

#include <Poco/Exception.h>

#include <chrono>
#include <iostream>
#include <thread>

namespace mw::delivery {

std::int64_t Engine::sendNow(std::int64_t mailingId, const std::string& audience) {
  auto c = db_.conn();
  auto m = door_.mailing(c, mailingId);
  if (!m) throw std::runtime_error("no mailing with id " + std::to_string(mailingId));
  std::int64_t now = nowEpoch();
  db::Tx tx(c);
  std::int64_t run = audience == "all"
                         ? Queue(c).createRun(m->id, m->ownerId, "manual", std::nullopt, now)
                         : Queue(c).createRunFrom(m->id, m->ownerId, audience, now);
  // A one-off mailing sent by hand is done once this run is: nothing stays scheduled.
  door_.runStarted(c, m->id, now, m->once);
  tx.commit();
  if (changed_) changed_();
  wake();
  return run;
}

int Engine::scheduleDue(std::int64_t now) {
  auto c = db_.conn();
  const int started = door_.startDue(c, now, 100, [&](const Door::Due& m) {
    Queue(c).createRun(m.id, m.ownerId, "schedule", m.occurrence, now);
  });
  if (started && changed_) changed_();
  return started;
}

void Engine::housekeeping(std::int64_t now) {
  auto c = db_.conn();
  Queue q(c);
  q.heartbeat(workerId_, now);
  // Each one may reach its recipient twice: it was in an SMTP transaction when its worker died.
  for (auto id : q.recoverOrphans(now, leaseSeconds_, cfg_.maxInterruptions))
    std::cerr << "delivery: re-queued delivery " << id
              << " of a stopped worker (it was being sent, so it may arrive twice)\n";
  // Claimed at least 10 s ago (a batch is about a second) and held by no slot of this worker.
  std::set<std::int64_t> held;
  {
    std::lock_guard lock(heldMutex_);
    held = held_;
  }
  if (auto n = q.releaseStranded(workerId_, now - 10, held))
    std::cerr << "delivery: queued again " << n
              << " deliveries this worker had claimed without knowing (the claim's answer was "
                 "lost with its connection)\n";
  relays_->persist(c);  // the admin page's state of each relay, a second old at most
  auto finished = q.finishRuns(now);
  for (auto id : finished) door_.runEnded(c, id);
  if (!finished.empty() && changed_) changed_();
}

// The lease's heartbeat, every second on its own thread and connection, until the worker is gone
// (after its last outcomes are recorded). The scheduler's thread can wait many seconds on a row
// lock while another process fills a run, and when the beat waited with it, the others took the
// worker for dead and sent its messages again while it was still sending them.
void Engine::beatLoop() {
  bool failing = false;
  std::unique_lock lock(beatMutex_);
  while (!beatStopping_) {
    lock.unlock();
    try {
      auto c = db_.conn();
      Queue(c).heartbeat(workerId_, nowEpoch());
      failing = false;
    } catch (const Poco::Exception& e) {
      if (!failing) std::cerr << "delivery: heartbeat: " << e.displayText() << "\n";  // once
      failing = true;
    } catch (const std::exception& e) {
      if (!failing) std::cerr << "delivery: heartbeat: " << e.what() << "\n";
      failing = true;
    }
    lock.lock();
    beatCv_.wait_for(lock, std::chrono::seconds(1), [this] { return beatStopping_; });
  }
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
      if (scheduler_ && scheduleDue(now) > 0) wake();  // the slots send the new runs
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
  startSlots(runId);
  try {
    while (true) {
      std::int64_t now = nowEpoch();
      if (now != lastHeartbeat_) {
        tryHousekeeping(now);
        lastHeartbeat_ = now;
      }
      auto c = db_.conn();
      Queue q(c);
      if (runId && q.runDone(*runId)) break;
      // A claimed batch is no longer ready; stopSlots() below waits for it to be recorded.
      if (!waitForRetries && inFlight_ == 0 && !q.hasReady(now, runId)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  } catch (...) {
    stopSlots();
    recorder_->flush();
    throw;
  }
  stopSlots();
  recorder_->flush();
  tryHousekeeping(nowEpoch());
}

// A busy database (another process's long transaction) skips one beat rather than abort a send:
// the lease (leaseSeconds_) outlasts several.
void Engine::tryHousekeeping(std::int64_t now) {
  try {
    housekeeping(now);
  } catch (const Poco::Exception& e) {
    std::cerr << "delivery: housekeeping: " << e.displayText() << "\n";
  }
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

}  // namespace mw::delivery
