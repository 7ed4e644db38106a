#include "tracking/repo.h"

#include "core/security.h"
#include "delivery/engagement_counts.h"

namespace mw::tracking {

std::int64_t Repo::linkId(std::int64_t mailingId, const std::string& url, std::int64_t now) {
  std::string hash = security::sha256Hex(url);
  c_.exec(
      "INSERT INTO tracking_links(mailing_id, url_hash, url, created_at)\n"
      "VALUES ($1, $2, $3, $4)\n"
      "ON CONFLICT (mailing_id, url_hash) DO NOTHING",
      {mailingId, hash, url, now});
  return c_.scalar(
      "SELECT id\n"
      "FROM tracking_links\n"
      "WHERE mailing_id = $1\n"
      "  AND url_hash = $2",
      {mailingId, hash});
}

std::optional<std::string> Repo::linkUrl(std::int64_t linkId, std::int64_t mailingId) {
  auto r = c_.one(
      "SELECT url\n"
      "FROM tracking_links\n"
      "WHERE id = $1\n"
      "  AND mailing_id = $2",
      {linkId, mailingId});
  if (!r) return std::nullopt;
  return (*r)["url"].s();
}

// The reports count a delivery's first open by a person (opened) and, until then, its first by a
// proxy (opened machine); the upsert's RETURNING tells which one this was, under the row's lock.
void Repo::recordOpen(std::int64_t deliveryId, std::int64_t mailingId, bool machine,
                      const std::string& userAgent, std::int64_t now) {
  std::optional<std::int64_t> human = machine ? std::nullopt : std::optional(now);
  std::optional<std::int64_t> proxy = machine ? std::optional(now) : std::nullopt;
  db::Tx tx(c_);
  // The user agent kept is the first person's (else the first proxy's).
  auto r = c_.one(
      "INSERT INTO tracking_opens(delivery_id, mailing_id, opens, machine_opens,\n"
      "                           first_open_at, first_machine_at, last_at, user_agent)\n"
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)\n"
      "ON CONFLICT (delivery_id) DO UPDATE\n"
      "SET opens = tracking_opens.opens + excluded.opens,\n"
      "    machine_opens = tracking_opens.machine_opens + excluded.machine_opens,\n"
      "    first_open_at = COALESCE(tracking_opens.first_open_at, excluded.first_open_at),\n"
      "    first_machine_at = COALESCE(tracking_opens.first_machine_at,\n"
      "                                excluded.first_machine_at),\n"
      "    last_at = excluded.last_at,\n"
      "    user_agent = CASE WHEN tracking_opens.opens = 0 AND excluded.opens > 0\n"
      "                      THEN excluded.user_agent ELSE tracking_opens.user_agent END\n"
      "RETURNING opens, machine_opens",
      {deliveryId, mailingId, machine ? 0 : 1, machine ? 1 : 0, human, proxy, now,
       userAgent.substr(0, 300)});
  delivery::Engagement delta;
  auto opens = r ? (*r)["opens"].i() : 0, machineOpens = r ? (*r)["machine_opens"].i() : 0;
  if (!machine && opens == 1) {
    delta.opened = 1;
    delta.openedMachine = machineOpens > 0 ? -1 : 0;  // it counted as a proxy's until now
  } else if (machine && opens == 0 && machineOpens == 1) {
    delta.openedMachine = 1;
  }
  if (delta.opened || delta.openedMachine) delivery::countEvent(c_, deliveryId, delta, true);
  tx.commit();
}

// The reports count a delivery's first click, on any of its links: "first" reads the delivery's
// other rows, so its clicks are taken one at a time (lockDelivery).
void Repo::recordClick(std::int64_t deliveryId, std::int64_t mailingId, std::int64_t linkId,
                       std::int64_t now) {
  db::Tx tx(c_);
  delivery::lockDelivery(c_, deliveryId);
  auto r = c_.one(
      "INSERT INTO tracking_clicks(delivery_id, link_id, mailing_id, clicks, first_at, last_at)\n"
      "VALUES ($1, $2, $3, 1, $4, $4)\n"
      "ON CONFLICT (delivery_id, link_id) DO UPDATE\n"
      "SET clicks = tracking_clicks.clicks + 1,\n"
      "    last_at = excluded.last_at\n"
      "RETURNING clicks",
      {deliveryId, linkId, mailingId, now});
  if (r && (*r)["clicks"].i() == 1 &&
      c_.scalar("SELECT COUNT(*)\n"
                "FROM tracking_clicks\n"
                "WHERE delivery_id = $1",
                {deliveryId}) == 1) {
    delivery::Engagement delta;
    delta.clicked = 1;
    delivery::countEvent(c_, deliveryId, delta, true);
  }
  tx.commit();
}

OpenStats Repo::opens(std::int64_t mailingId) {
  OpenStats s;
  // A row exists only once its delivery was opened: opens = 0 means proxies alone opened it.
  auto r = c_.one(
      "SELECT COALESCE(SUM(CASE WHEN opens > 0 THEN 1 ELSE 0 END), 0) AS opened,\n"
      "       COALESCE(SUM(CASE WHEN opens = 0 THEN 1 ELSE 0 END), 0) AS opened_machine,\n"
      "       COALESCE(SUM(opens), 0) AS opens,\n"
      "       COALESCE(SUM(machine_opens), 0) AS machine_opens\n"
      "FROM tracking_opens\n"
      "WHERE mailing_id = $1",
      {mailingId});
  if (r) {
    s.opened = (*r)["opened"].i();
    s.openedMachine = (*r)["opened_machine"].i();
    s.opens = (*r)["opens"].i();
    s.machineOpens = (*r)["machine_opens"].i();
  }
  return s;
}

ClickStats Repo::clicks(std::int64_t mailingId, int linkLimit) {
  ClickStats s;
  if (auto r = c_.one("SELECT COUNT(DISTINCT delivery_id) AS clicked,\n"
                      "       COALESCE(SUM(clicks), 0) AS clicks\n"
                      "FROM tracking_clicks\n"
                      "WHERE mailing_id = $1",
                      {mailingId})) {
    s.clicked = (*r)["clicked"].i();
    s.clicks = (*r)["clicks"].i();
  }
  for (const auto& r : c_.query("SELECT l.id, l.url,\n"
                                "       COUNT(c.delivery_id) AS uniq,\n"
                                "       COALESCE(SUM(c.clicks), 0) AS total\n"
                                "FROM tracking_links l\n"
                                "LEFT JOIN tracking_clicks c ON c.link_id = l.id\n"
                                "WHERE l.mailing_id = $1\n"
                                "GROUP BY l.id, l.url\n"
                                "ORDER BY total DESC, l.id\n"
                                "LIMIT $2",
                                {mailingId, linkLimit}))
    s.links.push_back({r["id"].i(), r["url"].s(), r["uniq"].i(), r["total"].i()});
  return s;
}

}  // namespace mw::tracking
