// The delivery engine's door to the other domains (issue 14.7): mailings' schedules and
// states, their messages and their owners, through those domains' own repositories.
#include "app/delivery_door.h"

#include "mailings/repo.h"
#include "messages/repo.h"
#include "users/repo.h"

namespace mw::app {

std::optional<delivery::Door::Mailing> DeliveryDoor::mailing(db::Conn& c, std::int64_t id) {
  auto m = mailings::Repo(c).getAny(id, false);
  if (!m) return std::nullopt;
  return Mailing{m->id, m->ownerId, m->periodicity == "once"};
}

int DeliveryDoor::startDue(db::Conn& c, std::int64_t now, int limit, const StartRun& startRun) {
  mailings::Repo mailings(c);
  int started = 0;
  for (const auto& m : mailings.due(now, limit)) {
    db::Tx tx(c);
    // Only the process whose update wins starts the run: no double sending across workers.
    if (!mailings.advance(m, now)) continue;
    startRun(Due{m.id, m.ownerId, m.nextRunAt});
    tx.commit();
    ++started;
  }
  return started;
}

void DeliveryDoor::runStarted(db::Conn& c, std::int64_t mailingId, std::int64_t at,
                              bool unschedule) {
  mailings::Repo(c).markRunStarted(mailingId, at, unschedule);
}

void DeliveryDoor::runEnded(db::Conn& c, std::int64_t mailingId) {
  mailings::Repo(c).completeIfDone(mailingId);
}

delivery::Content DeliveryDoor::content(db::Conn& c, std::int64_t mailingId) {
  delivery::Content p;
  auto m = mailings::Repo(c).getAny(mailingId, false);
  if (!m) return p;
  p.relayId = m->relayId;
  if (auto msg = messages::Repo(c).byIdForDelivery(m->messageId)) {
    p.found = true;
    p.subject = msg->subject;
    p.text = msg->bodyText;
    p.html = msg->bodyHtml;
  }
  p.trackOpens = m->trackOpens;
  p.trackClicks = m->trackClicks;
  if (auto owner = users::Repo(c).byId(m->ownerId)) {
    p.fromName = owner->name.empty() ? "Mailwright" : owner->name;
    p.replyTo = owner->email;
  }
  return p;
}

}  // namespace mw::app
