#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/db.h"

namespace mw::mailings {

struct Mailing {
  std::int64_t id = 0;
  std::int64_t ownerId = 0;
  std::string ownerEmail;  // filled by manager queries
  std::string name;
  std::int64_t messageId = 0;
  std::string messageSubject;
  std::int64_t startAt = 0;
  std::optional<std::int64_t> endAt;
  std::string periodicity = "once";  // once, daily, weekly, monthly
  std::string timezone = "UTC";      // the owner's zone when saved; periods follow its clock
  std::string status = "created";    // created, running, completed
  bool active = true;
  bool paused = false;      // issue 11: shown as status "paused"; no new SMTP transaction starts
  std::string pauseReason;  // issue 13.4: why it paused itself ("" when paused by hand)
  std::optional<std::int64_t> lastRunAt;
  std::optional<std::int64_t> nextRunAt;
  std::int64_t createdAt = 0;
  std::int64_t updatedAt = 0;
  std::vector<std::int64_t> clientIds;  // picked one by one (small lists)
  std::vector<std::int64_t> groupIds;   // issue 12: members as of each run's start
  bool allClients = false;              // every client of the owner, as of each run's start
  bool trackOpens = true;               // issue 13: a pixel in HTML messages
  bool trackClicks = true;              // issue 13: links rewritten to counted redirects
  std::optional<std::int64_t> relayId;  // issue 14.1: the relay named; none: spread by weight
  // Someone to send to: picked clients, a group or all clients.
  bool hasAudience() const { return allClients || !clientIds.empty() || !groupIds.empty(); }
};

// The next send time and status implied by a mailing's schedule at `now`.
void computeSchedule(Mailing& m, std::int64_t now);

// All SQL of the mailings domain.
class Repo {
 public:
  explicit Repo(db::Conn& c) : c_(c) {}
  std::optional<Mailing> get(std::int64_t owner, std::int64_t id);
  // Managers, scheduler. Without withClients, clientIds stays empty: the sender needs only the
  // message and the owner, and reading 20,000 ids per batch of 100 was its hot spot.
  std::optional<Mailing> getAny(std::int64_t id, bool withClients = true);
  std::vector<Mailing> list(std::optional<std::int64_t> owner, const std::string& search,
                            const std::string& status, int offset, int limit);
  std::int64_t count(std::optional<std::int64_t> owner, const std::string& search,
                     const std::string& status);
  std::int64_t create(Mailing& m);
  bool update(const Mailing& m);
  bool remove(std::int64_t owner, std::int64_t id);
  bool setActive(std::int64_t id, bool active);
  bool setPaused(std::int64_t id, bool paused);  // resuming forgets the pause's reason
  // Issue 13.4: pauses a mailing that is not paused yet, with the reason; false otherwise.
  bool autoPause(std::int64_t id, const std::string& reason);
  std::vector<std::int64_t> clientIds(std::int64_t mailingId);
  std::vector<std::int64_t> groupIds(std::int64_t mailingId);
  std::vector<std::string> namesUsingClient(std::int64_t owner, std::int64_t clientId);
  // Drops deleted clients from the owner's mailings' recipient lists.
  void forgetClients(std::int64_t owner, const std::vector<std::int64_t>& clientIds);
  std::vector<std::string> namesUsingMessage(std::int64_t owner, std::int64_t messageId);
  std::int64_t total(std::optional<std::int64_t> owner);
  std::int64_t running(std::optional<std::int64_t> owner);

  // Scheduler: mailings whose next send time has come (active, owner not blocked).
  std::vector<Mailing> due(std::int64_t now, int limit);
  // Moves a due mailing's schedule on (m as read by due()); false when another process already
  // did, so exactly one process starts each run.
  bool advance(const Mailing& m, std::int64_t ranAt);
  // A run started outside the schedule ("send now").
  // A run started at ranAt (by hand, or by the schedule); a one-off mailing sent by hand keeps
  // nothing scheduled afterwards.
  void markRunStarted(std::int64_t id, std::int64_t ranAt, bool unschedule = false);
  // Completed once nothing is scheduled and its last run ended (called by the sender).
  void completeIfDone(std::int64_t id);
  // Marks running mailings whose schedule has ended as completed.
  void completeFinished(std::int64_t now);

 private:
  db::Conn& c_;
  void saveClients(std::int64_t id, const std::vector<std::int64_t>& clientIds);
  void saveGroups(std::int64_t id, const std::vector<std::int64_t>& groupIds);
};

}  // namespace mw::mailings
