#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <ctime>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/config.h"
#include "core/db.h"
#include "core/mailer.h"
#include "delivery/destinations.h"
#include "delivery/door.h"
#include "delivery/queue.h"
#include "delivery/recorder.h"
#include "delivery/relays.h"
#include "delivery/transport.h"
#include "tracking/send.h"

namespace mw::delivery {

// Seconds since the epoch: the clock every queue row is stamped with.
inline std::int64_t nowEpoch() {
  return static_cast<std::int64_t>(std::time(nullptr));
}

struct RunSummary {
  std::int64_t runId = 0;
  std::int64_t total = 0;
  std::int64_t sent = 0;
  std::int64_t failed = 0;
  std::int64_t pending = 0;
};

// The scheduler and the sender: turns due mailings into runs, and runs into SMTP transactions
// over long-lived connection slots (one thread and one reused connection each, started once),
// each claiming, composing, sending (pipelined) and recording its own batches. Any number of
// engines may share one database.
class Engine {
 public:
  // `door` (the other domains, src/app) outlives the engine.
  Engine(const Config& cfg, db::Database& db, Door& door, RelayTransportFactory transports = {});
  ~Engine();

  void start(bool scheduler);  // background thread: schedule every second, send what is ready
  void stop();
  void wake();  // new work was queued
  Destinations& destinations() { return *destinations_; }
  // Called after this engine changed mailing statuses (a run started or a mailing completed).
  void onMailingsChanged(std::function<void()> hook) { changed_ = std::move(hook); }
  // The last step of every message before SMTP (DKIM signing): (sender address, MIME bytes) ->
  // the bytes to send. Set before start(); called from every slot's thread at once.
  using Finisher = std::function<std::string(const std::string& from, std::string bytes)>;
  void finishMessagesWith(Finisher f) { finish_ = std::move(f); }
  const Finisher& finisher() const { return finish_; }
  // The SMTP settings a test send or account mail takes: those of the relay `relayId` names,
  // else of one picked by weight among those not backing off (as a mailing's messages would be).
  mail::SmtpSettings testRoute(std::optional<std::int64_t> relayId);
  // Account mail's road (verification, resets, pause notices): a relay picked as for a test
  // send, finished (signed) as every message is.
  MailRoad mailRoad() {
    return {[this] { return testRoute(std::nullopt); }, finish_};
  }

  // Queues a run of the mailing now (the "send now" button, the API, the CLI).
  // audience: "all", or "unsent" / "failed" of the last run (issue 11).
  std::int64_t sendNow(std::int64_t mailingId, const std::string& audience = "all");
  // Starts runs for every mailing whose time has come; returns how many.
  int scheduleDue(std::int64_t now);
  // Sends until nothing is ready (or until the run is done, waiting out its retries when asked).
  void drain(std::optional<std::int64_t> runId, bool waitForRetries);
  RunSummary summary(std::int64_t runId);
  const std::string& workerId() const { return workerId_; }
  std::int64_t attemptsInFlight() const { return inFlight_; }

 private:
  const Config& cfg_;
  db::Database& db_;
  Door& door_;
  RelayTransportFactory transports_;
  std::function<void()> changed_;
  Finisher finish_;
  std::string workerId_;
  const std::string fromDomain_;  // of DEFAULT_FROM_EMAIL: every Message-ID names it
  RetryPolicy retry_;
  int leaseSeconds_;
  std::size_t slotCount_ = 1;
  std::unique_ptr<RelaySet> relays_;
  std::unique_ptr<Destinations> destinations_;
  std::mutex rateMutex_;   // SEND_RATE: one message per 1/rate s over all relays, as reserved
  double nextSendAt_ = 0;  // steady-clock seconds
  // Per slot (only its thread): its open connection to each relay it uses.
  struct RelayConn {
    RelayPtr relay;
    std::unique_ptr<Transport> transport;
    bool used = false;  // in the current batch
  };
  std::vector<std::map<std::int64_t, RelayConn>> conns_;
  std::thread thread_;
  std::thread beat_;  // the lease's heartbeat (beatLoop)
  std::mutex beatMutex_;
  std::condition_variable beatCv_;
  bool beatStopping_ = false;  // under beatMutex_
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool woken_ = false;
  bool scheduler_ = false;
  std::int64_t lastHeartbeat_ = 0;
  std::mutex haltMutex_;
  std::map<std::int64_t, std::pair<double, bool>> haltChecks_;  // run -> (checked at, halted)
  std::vector<std::thread> slots_;
  bool slotsStopping_ = false;  // under mutex_
  std::uint64_t wakes_ = 0;     // under mutex_: slots wait for a change
  std::atomic<std::int64_t> inFlight_{0};
  std::mutex heldMutex_;
  std::set<std::int64_t> held_;  // under heldMutex_: claimed by a slot and not yet done with
  std::vector<double> secondsPerMessage_;  // per slot, of its last batch; only its thread
  std::mutex sqliteWrites_;
  std::unique_ptr<Recorder> recorder_;  // last: its thread stops first

  // Messages of one batch, composed: outcomes[i] is envelopes[i]'s, to be filled by the reply.
  struct Prepared {
    std::vector<mail::Envelope> envelopes;
    std::vector<Outcome> outcomes;
    std::vector<std::optional<std::int64_t>> relayOf;  // the relay each one's mailing names
  };

  struct Holding {  // RAII: jobs in held_ for the life of a batch
    Engine& engine;
    std::vector<std::int64_t> ids;
    Holding(Engine& e, const std::vector<Job>& jobs);
    ~Holding();
  };
  void loop();
  void beatLoop();
  void housekeeping(std::int64_t now);
  void tryHousekeeping(std::int64_t now);
  void startSlots(std::optional<std::int64_t> runId);
  void stopSlots();
  void slotLoop(std::size_t slot, std::optional<std::int64_t> runId);
  // Claims, composes, sends and records one batch; returns how many jobs it handled.
  std::size_t sendBatch(std::size_t slot, std::optional<std::int64_t> runId);
  int batchLimit(std::size_t slot) const;
  // What every message of one mailing in a batch shares.
  struct Mailing {
    Content content;
    tracking::TrackedTemplate tracked;  // usable: content's HTML compiled from it
  };
  Prepared prepare(db::Conn& c, const std::vector<Job>& jobs);
  void compose(Prepared& p, Outcome&& o, const Mailing& m, tracking::Tracker& tracker);
  void transmit(db::Conn& c, std::size_t slot, Prepared p);
  std::unique_lock<std::mutex> writeLock();
  bool stoppingSlots();
  // Gives back p's deliveries from `from` on, claimed and never started.
  void handBack(db::Conn& c, const Prepared& p, std::size_t from);
  void pace();
  void admitDestinations(db::Conn& c, std::vector<Job>& jobs, DestinationLeases& leases);
  // Sends p's messages `todo` over the relays (issue 14.1): each to the relay its mailing names
  // or by weight; those of a relay that fails to connect or answers 421 go to the others.
  void sendRouted(std::size_t slot, Prepared& p, std::vector<std::size_t> todo,
                  std::vector<bool>& handed);
  std::string sendGroup(Transport& t, const RelayPtr& relay,
                        const std::vector<std::size_t>& members, bool canMove, Prepared& p,
                        std::vector<bool>& handed, std::vector<std::size_t>& todo);
  Transport* connection(std::size_t slot, const RelayPtr& relay);  // nullptr: relay full
  void dropConnection(std::size_t slot, std::int64_t relayId);
  void dropIdleConnections(std::size_t slot);
  bool halted(db::Conn& c, std::int64_t runId);
};

}  // namespace mw::delivery
