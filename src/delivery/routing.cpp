// The engine over several relays (issue 14.1): each message goes to the relay its mailing names,
// else by weight; a relay that cannot be reached or answers 421 is set aside (RelaySet::failed)
// and the messages it did not take go to the others within the same step.
#include <chrono>
#include <ctime>
#include <thread>

#include "core/mailer.h"
#include "delivery/engine.h"
#include "delivery/metrics.h"

namespace mw::delivery {
namespace {

double steadyNow() {
  return RateWindow::now();
}

// The relay's fault rather than the message's: no reply at all, or 421 (closing).
bool relayFault(const SendResult& r) {
  return r.code == 0 || r.code == 421;
}

}  // namespace

// SEND_RATE: an even pace over all relays, each message reserving the next 1/rate s (a late
// thread does not push the others back, so the rate holds on average: bench/relays A). The
// relays' own rates are sliding windows (RateWindow) that hold at the relay.
mail::SmtpSettings Engine::testRoute(std::optional<std::int64_t> relayId) {
  relays_->refresh(true);  // a relay added a second ago is the one the sender expects
  bool busy = false;
  RelayPtr relay = relays_->route(relayId, {}, busy);
  return relay ? relay->smtp : smtpSettings(cfg_);
}

void Engine::pace() {
  if (cfg_.sendRate <= 0) return;
  double wait = 0;
  {
    std::lock_guard lock(rateMutex_);
    double now = steadyNow();
    nextSendAt_ = std::max(nextSendAt_, now);
    wait = nextSendAt_ - now;
    nextSendAt_ += 1.0 / cfg_.sendRate;
  }
  if (wait > 0) std::this_thread::sleep_for(std::chrono::duration<double>(wait));
}

// Jobs whose destination is full wait for it (issue 14.2): queued again, spread at its pace,
// not as attempts.
void Engine::admitDestinations(db::Conn& c, std::vector<Job>& jobs, DestinationLeases& leases) {
  auto later = destinations_->admit(jobs, leases, nowEpoch());
  if (later.empty()) return;
  {
    auto lock = writeLock();
    Queue(c).defer(workerId_, later);
  }
  inFlight_ -= static_cast<std::int64_t>(later.size());
  observeDeferred(later.size());
}

Transport* Engine::connection(std::size_t slot, const RelayPtr& relay) {
  auto& mine = conns_[slot];
  auto it = mine.find(relay->id);
  if (it != mine.end() && it->second.relay == relay) {
    it->second.used = true;
    return it->second.transport.get();
  }
  if (it != mine.end()) dropConnection(slot, relay->id);  // the relay was edited
  if (!relays_->lease(relay)) return nullptr;
  auto& rc = mine[relay->id];
  rc.relay = relay;
  rc.transport = transports_(relay->smtp);
  rc.used = true;
  return rc.transport.get();
}

void Engine::dropConnection(std::size_t slot, std::int64_t relayId) {
  auto& mine = conns_[slot];
  auto it = mine.find(relayId);
  if (it == mine.end()) return;
  if (it->second.transport->isOpen()) it->second.transport->close();
  relays_->release(it->second.relay);
  mine.erase(it);
}

// A relay of few connections (max_connections below SEND_CONCURRENCY) is not held by a slot
// that had nothing for it in its last batch.
void Engine::dropIdleConnections(std::size_t slot) {
  std::vector<std::int64_t> idle;
  for (auto& [id, rc] : conns_[slot]) {
    if (!rc.used && rc.relay->maxConnections < static_cast<int>(slotCount_)) idle.push_back(id);
    rc.used = false;
  }
  for (auto id : idle) dropConnection(slot, id);
}

// Sends `members` over one relay in pieces its window allows at once (SEND_RATE paces within
// them), so that no message waits inside a pipelined batch for the next one's place. Messages
// the relay failed to take (no reply, 421) go to `todo` when they may move; returns that
// failure, "" when none.
std::string Engine::sendGroup(Transport& t, const RelayPtr& relay,
                              const std::vector<std::size_t>& members, bool canMove, Prepared& p,
                              std::vector<bool>& handed, std::vector<std::size_t>& todo) {
  std::string fault;
  int faultCode = 0;
  for (std::size_t at = 0; at < members.size() && fault.empty();) {
    const std::size_t n = relay->window->acquire(members.size() - at);
    std::vector<mail::Envelope> batch;
    for (std::size_t k = at; k < at + n; ++k) batch.push_back(std::move(p.envelopes[members[k]]));
    std::size_t settled = 0;
    const double t0 = steadyNow();
    try {
      t.sendMany(
          batch, [this] { pace(); },
          [&](std::size_t k, const SendResult& r) {
            relay->window->settle();
            ++settled;
            const std::size_t i = members[at + k];
            // "Slow down" from where the message was going (issue 14.2).
            if (r.code == 421 || r.code == 451) destinations_->slowDown(batch[k].to);
            if (relayFault(r)) {
              fault = r.text.empty() ? std::to_string(r.code) : r.text;
              faultCode = r.code;
              if (canMove && (!p.relayOf[i] || *p.relayOf[i] != relay->id)) {
                p.envelopes[i] = batch[k];  // to another relay
                todo.push_back(i);
                return;
              }
            }
            Outcome& o = p.outcomes[i];
            o.code = r.code;
            o.reply = r.text;
            o.success = r.ok();
            o.temporary = !o.success && r.temporary();
            o.at = static_cast<std::int64_t>(std::time(nullptr));
            o.relay = relay->name;
            handed[i] = true;
            recorder_->add(o);
          });
    } catch (...) {
      for (; settled < n; ++settled) relay->window->settle();
      throw;
    }
    for (; settled < n; ++settled) relay->window->settle();
    observeBatch({}, retry_, steadyNow() - t0, batch.size(), relay->name);
    at += n;
    if (fault.empty()) continue;
    // The rest of the group, never started, goes elsewhere too, or gets the relay's failure.
    for (std::size_t k = at; k < members.size(); ++k) {
      const std::size_t i = members[k];
      if (canMove && (!p.relayOf[i] || *p.relayOf[i] != relay->id)) {
        todo.push_back(i);
        continue;
      }
      Outcome& o = p.outcomes[i];
      o.code = faultCode;
      o.reply = fault;
      o.temporary = true;
      o.at = static_cast<std::int64_t>(std::time(nullptr));
      o.relay = relay->name;
      handed[i] = true;
      recorder_->add(o);
    }
  }
  return fault;
}

void Engine::sendRouted(std::size_t slot, Prepared& p, std::vector<std::size_t> todo,
                        std::vector<bool>& handed) {
  std::set<std::int64_t> skip;  // relays failed or full during this step
  relays_->refresh();
  while (!todo.empty()) {
    std::map<std::int64_t, std::pair<RelayPtr, std::vector<std::size_t>>> groups;
    for (auto i : todo) {
      bool namedBusy = false;
      auto relay = relays_->route(p.relayOf[i], skip, namedBusy);
      if (relay) {
        groups[relay->id].first = relay;
        groups[relay->id].second.push_back(i);
        continue;
      }
      // No relay for it now: tried again after the retry delay, like any temporary failure.
      Outcome& o = p.outcomes[i];
      o.temporary = true;
      o.code = 0;
      o.reply =
          namedBusy ? "the relay named by the mailing failed or is busy" : "no relay available";
      o.at = static_cast<std::int64_t>(std::time(nullptr));
      handed[i] = true;
      recorder_->add(o);
    }
    todo.clear();
    for (auto& [id, group] : groups) {
      auto& [relay, members] = group;
      const bool canMove = relays_->canMove(skip, id);
      bool named = false;
      for (auto i : members) named = named || (p.relayOf[i] && *p.relayOf[i] == id);
      // max_connections reached by other slots: unnamed mail goes to the others at once; mail
      // that has nowhere else to go waits up to a second for a connection, then is retried.
      Transport* t = connection(slot, relay);
      for (int waited = 0; !t && (named || !canMove) && waited < 100; ++waited) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        t = connection(slot, relay);
      }
      if (!t) {
        skip.insert(id);
        todo.insert(todo.end(), members.begin(), members.end());
        continue;
      }
      std::string fault = sendGroup(*t, relay, members, canMove, p, handed, todo);
      if (fault.empty()) {
        relays_->succeeded(relay);
        continue;
      }
      relays_->failed(relay, fault);
      skip.insert(id);
      dropConnection(slot, id);
    }
  }
}

}  // namespace mw::delivery
