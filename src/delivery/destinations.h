#pragma once
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/rate_window.h"
#include "delivery/queue.h"

namespace mw {
class RedisLink;
}

namespace mw::delivery {

// Per-destination limits (issue 14.2): mailbox providers throttle a sender that opens too many
// connections or sends too fast to them, whatever relay it goes through.
struct DestinationLimit {
  std::vector<std::string> domains;  // the first names the group; "*" is every other domain
  int connections = 0;               // SMTP transactions to it at once, over all senders; 0: any
  Rate rate;                         // messages per period over all senders; count 0: any
  bool limited() const { return connections > 0 || rate.count > 0; }
};

// DESTINATION_LIMITS when unset. Starting points to be tuned per sender, not the providers'
// published figures (they publish none): the big Russian and US mailbox providers get a few
// connections and a steady pace; every other domain is not limited.
extern const char* const kDefaultDestinationLimits;

// "gmail.com|googlemail.com:20:3000/m; yandex.ru:10:1200/m; *:0:0": entries split by ';',
// each DOMAINS:CONNECTIONS:RATE (RATE as for relays: N/s, N/m, N/h, N/d, N/Ks; 0 for none).
// Throws std::runtime_error naming the entry that is wrong.
std::vector<DestinationLimit> parseDestinationLimits(const std::string& text);
// The setting's entries, then the defaults' for every domain it does not name: setting
// "mail.ru:2:100/m" keeps the limits of gmail.com and the others ("gmail.com:0:0" lifts one).
std::vector<DestinationLimit> destinationLimits(const std::string& setting);

// The places taken for one batch: its connections are held until it is given back.
struct DestinationLeases {
  struct Held {
    std::string name;   // the destination
    std::string lease;  // its id in Redis; "" when counted by this process
  };
  std::vector<Held> held;
};

// The destinations' windows and connection counts: shared through Redis when REDIS_URL is set
// (every process of a fleet sees the same counts; one script call per destination and batch),
// else per process (the embedded default runs one sender). When Redis is unreachable the
// process counts alone until it is back.
class Destinations {
 public:
  Destinations(std::vector<DestinationLimit> limits, const std::string& redisUrl,
               std::string holder);
  ~Destinations();

  // Keeps in `jobs` those that may be sent now, taking their places (and one connection per
  // limited destination, held in `leases` until release()); returns the others, each with the
  // time its destination will have room, spread at the destination's pace.
  std::vector<Deferral> admit(std::vector<Job>& jobs, DestinationLeases& leases, std::int64_t now);
  void release(DestinationLeases& leases);
  // A 421 or 451 from a destination: its rate is halved (down to 1/8) for 10 minutes.
  void slowDown(const std::string& email);
  // The group a domain belongs to and its limit (nullptr: not limited).
  const DestinationLimit* limitOf(const std::string& domain, std::string& name) const;

  struct State {
    std::string name;
    const DestinationLimit* limit = nullptr;
    std::int64_t inWindow = 0;
    double factor = 1;  // below 1 while slowed down
  };
  const std::vector<DestinationLimit>& limits() const { return limits_; }
  std::size_t windowsKept();  // this process's own windows (tests)
  // The named groups (not "*"), for the admin page.
  std::vector<State> states();

 private:
  struct Grant {
    std::size_t granted = 0;
    double first = 0;    // seconds until the first of the others is due
    double spacing = 0;  // seconds between the others (the destination's current pace)
    bool leased = false;
    std::string lease;  // in Redis; "" when counted here
  };
  struct Local {
    std::deque<double> times;  // sends within the window, oldest first
    int connections = 0;
    double factor = 1;
    double slowUntil = 0;
    double cursor = 0;   // when the next deferred message is due (steady seconds)
    double seconds = 0;  // its window
  };
  std::vector<DestinationLimit> limits_;
  std::string holder_;
  std::unique_ptr<RedisLink> redis_;
  std::mutex mutex_;
  std::map<std::string, Local> local_;  // under mutex_
  std::uint64_t leaseCounter_ = 0;      // under mutex_
  std::uint64_t admissions_ = 0;        // under mutex_
  void forgetIdle(double now);          // under mutex_
  Grant take(const std::string& name, const DestinationLimit& limit, std::size_t wanted);
  bool takeShared(const std::string& name, const DestinationLimit& limit, std::size_t wanted,
                  Grant& g);
  Grant takeLocal(const std::string& name, const DestinationLimit& limit, std::size_t wanted);
};

}  // namespace mw::delivery
