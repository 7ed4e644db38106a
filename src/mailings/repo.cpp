#include "mailings/repo.h"

#include "core/db_each.h"

#include <algorithm>
#include <ctime>
#include <sstream>

#include "core/schedule.h"
#include "core/time.h"

namespace mw::mailings {
namespace {

constexpr const char* kCols =
    "m.id, m.owner_id, u.email AS owner_email, m.name, m.message_id, COALESCE(g.subject, '') AS "
    "message_subject, m.start_at, m.end_at, m.periodicity, m.timezone, m.status, m.is_active, "
    "m.last_run_at, m.next_run_at, m.created_at, m.updated_at, m.is_paused, m.all_clients, "
    "m.track_opens, m.track_clicks, m.pause_reason, m.relay_id";
constexpr const char* kFrom =
    " FROM mailings m JOIN users u ON u.id = m.owner_id LEFT JOIN messages g ON g.id = "
    "m.message_id ";

Mailing fromRow(const db::Row& r) {
  Mailing m;
  m.id = r["id"].i();
  m.ownerId = r["owner_id"].i();
  m.ownerEmail = r["owner_email"].s();
  m.name = r["name"].s();
  m.messageId = r["message_id"].i();
  m.messageSubject = r["message_subject"].s();
  m.startAt = r["start_at"].i();
  m.endAt = r["end_at"].opt();
  m.periodicity = r["periodicity"].s();
  m.timezone = r["timezone"].s();
  m.status = r["status"].s();
  m.active = r["is_active"].b();
  m.lastRunAt = r["last_run_at"].opt();
  m.nextRunAt = r["next_run_at"].opt();
  m.createdAt = r["created_at"].i();
  m.updatedAt = r["updated_at"].i();
  m.paused = r["is_paused"].b();
  m.pauseReason = r["pause_reason"].s();
  m.allClients = r["all_clients"].b();
  m.trackOpens = r["track_opens"].b();
  m.trackClicks = r["track_clicks"].b();
  m.relayId = r["relay_id"].opt();
  return m;
}

long long now() {
  return static_cast<long long>(std::time(nullptr));
}

std::shared_ptr<const TimeZone> zone(const std::string& name) {
  auto tz = TimeZone::get(name);
  return tz ? tz : TimeZone::get("UTC");
}

}  // namespace

void computeSchedule(Mailing& m, std::int64_t at) {
  auto per = parsePeriodicity(m.periodicity).value_or(Periodicity::Once);
  auto tz = zone(m.timezone);
  std::optional<std::int64_t> next;
  if (!m.lastRunAt) {
    // Never sent: the start itself (at once when it is past), unless the schedule already ended.
    if (!m.endAt || *m.endAt >= at) next = m.startAt;
  } else {
    next = nextOccurrenceAfter(m.startAt, per, m.endAt, *m.lastRunAt, *tz);
  }
  m.nextRunAt = next;
  if (next)
    m.status = m.lastRunAt ? "running" : "created";
  else if (!m.lastRunAt)
    m.status = "completed";
  // With runs behind it and nothing ahead, the sender completes it when the last run ends.
}

std::optional<Mailing> Repo::get(std::int64_t owner, std::int64_t id) {
  auto r = c_.one(std::string("SELECT ") + kCols + kFrom + "WHERE m.id = $1 AND m.owner_id = $2",
                  {id, owner});
  if (!r) return std::nullopt;
  Mailing m = fromRow(*r);
  m.clientIds = clientIds(m.id);
  m.groupIds = groupIds(m.id);
  return m;
}

std::optional<Mailing> Repo::getAny(std::int64_t id, bool withClients) {
  auto r = c_.one(std::string("SELECT ") + kCols + kFrom + "WHERE m.id = $1", {id});
  if (!r) return std::nullopt;
  Mailing m = fromRow(*r);
  if (withClients) {
    m.clientIds = clientIds(m.id);
    m.groupIds = groupIds(m.id);
  }
  return m;
}

namespace {

// The WHERE of list() and count(), with only the clauses asked for: "($1 = 0 OR m.owner_id = $1)"
// kept SQLite from mailings_owner (owner_id, id), so every page of one owner's list read every
// owner's mailings, and counted them all again (EXPLAIN QUERY PLAN: SCAN m).
std::string listFilter(std::optional<std::int64_t> owner, const std::string& search,
                       const std::string& status, db::Params& params) {
  std::string where = "WHERE 1 = 1\n";
  if (owner) {
    params.emplace_back(*owner);
    where += "  AND m.owner_id = $" + std::to_string(params.size()) + "\n";
  }
  if (!search.empty()) {
    params.emplace_back(db::containsPattern(search));
    const std::string p = "$" + std::to_string(params.size());
    where += "  AND (LOWER(m.name) LIKE LOWER(" + p + ") ESCAPE '\\'\n" +
             "       OR LOWER(u.email) LIKE LOWER(" + p + ") ESCAPE '\\')\n";
  }
  if (!status.empty()) {
    params.emplace_back(status);
    where += "  AND m.status = $" + std::to_string(params.size()) + "\n";
  }
  return where;
}

}  // namespace

std::vector<Mailing> Repo::list(std::optional<std::int64_t> owner, const std::string& search,
                                const std::string& status, int offset, int limit) {
  db::Params params;
  std::string where = listFilter(owner, search, status, params);
  params.emplace_back(limit);
  const std::string limitAt = "$" + std::to_string(params.size());
  params.emplace_back(offset);
  const std::string offsetAt = "$" + std::to_string(params.size());
  std::vector<Mailing> out;
  for (const auto& r : c_.query(std::string("SELECT ") + kCols + kFrom + "\n" + where +
                                    "ORDER BY m.id DESC\n"
                                    "LIMIT " +
                                    limitAt + " OFFSET " + offsetAt,
                                params))
    out.push_back(fromRow(r));
  return out;
}

std::int64_t Repo::count(std::optional<std::int64_t> owner, const std::string& search,
                         const std::string& status) {
  db::Params params;
  std::string where = listFilter(owner, search, status, params);
  return c_.scalar(std::string("SELECT COUNT(*)") + kFrom + "\n" + where, params);
}

void Repo::saveClients(std::int64_t id, const std::vector<std::int64_t>& clientIds) {
  c_.exec("DELETE FROM mailing_clients WHERE mailing_id = $1", {id});
  for (size_t start = 0; start < clientIds.size(); start += 400) {
    size_t end = std::min(clientIds.size(), start + 400);
    std::ostringstream sql;
    sql << "INSERT INTO mailing_clients(mailing_id, client_id) VALUES ";
    db::Params params{id};
    for (size_t i = start; i < end; ++i) {
      sql << (i > start ? ", " : "") << "($1, $" << params.size() + 1 << ")";
      params.emplace_back(clientIds[i]);
    }
    c_.exec(sql.str() + " ON CONFLICT DO NOTHING", params);
  }
}

void Repo::saveGroups(std::int64_t id, const std::vector<std::int64_t>& groupIds) {
  c_.exec("DELETE FROM mailing_groups WHERE mailing_id = $1", {id});
  for (auto g : groupIds)
    c_.exec(
        "INSERT INTO mailing_groups(mailing_id, group_id)\n"
        "VALUES ($1, $2)\n"
        "ON CONFLICT DO NOTHING",
        {id, g});
}

std::int64_t Repo::create(Mailing& m) {
  db::Tx tx(c_);
  long long ts = now();
  m.id = c_.insert(
      "INSERT INTO mailings(owner_id, name, message_id, start_at, end_at, periodicity, timezone, "
      "status, is_active, next_run_at, created_at, updated_at, all_clients, track_opens, "
      "track_clicks, relay_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12, "
      "$13, $14, $15) RETURNING id",
      {m.ownerId, m.name, m.messageId, m.startAt, m.endAt, m.periodicity, m.timezone, m.status,
       m.active, m.nextRunAt, ts, m.allClients, m.trackOpens, m.trackClicks, m.relayId});
  saveClients(m.id, m.clientIds);
  saveGroups(m.id, m.groupIds);
  tx.commit();
  return m.id;
}

bool Repo::update(const Mailing& m) {
  db::Tx tx(c_);
  bool found =
      c_.exec(
          "UPDATE mailings SET name = $1, message_id = $2, start_at = $3, end_at = $4, "
          "periodicity = $5, timezone = $6, status = $7, next_run_at = $8, updated_at = "
          "$9, all_clients = $12, track_opens = $13, track_clicks = $14, relay_id = $15 WHERE id = "
          "$10 AND owner_id = $11",
          {m.name, m.messageId, m.startAt, m.endAt, m.periodicity, m.timezone, m.status,
           m.nextRunAt, now(), m.id, m.ownerId, m.allClients, m.trackOpens, m.trackClicks,
           m.relayId}) > 0;
  if (!found) return false;
  saveClients(m.id, m.clientIds);
  saveGroups(m.id, m.groupIds);
  tx.commit();
  return true;
}

bool Repo::remove(std::int64_t owner, std::int64_t id) {
  return c_.exec("DELETE FROM mailings WHERE id = $1 AND owner_id = $2", {id, owner}) > 0;
}

bool Repo::setActive(std::int64_t id, bool active) {
  return c_.exec("UPDATE mailings SET is_active = $1, updated_at = $2 WHERE id = $3",
                 {active, now(), id}) > 0;
}

std::vector<std::int64_t> Repo::clientIds(std::int64_t mailingId) {
  std::vector<std::int64_t> out;
  for (const auto& r :
       c_.query("SELECT client_id FROM mailing_clients WHERE mailing_id = $1 ORDER BY client_id",
                {mailingId}))
    out.push_back(r[0].i());
  return out;
}

std::vector<std::int64_t> Repo::groupIds(std::int64_t mailingId) {
  std::vector<std::int64_t> out;
  for (const auto& r :
       c_.query("SELECT group_id FROM mailing_groups WHERE mailing_id = $1 ORDER BY group_id",
                {mailingId}))
    out.push_back(r[0].i());
  return out;
}

std::vector<std::string> Repo::namesUsingClient(std::int64_t owner, std::int64_t clientId) {
  std::vector<std::string> out;
  for (const auto& r : c_.query(
           "SELECT m.name FROM mailings m JOIN mailing_clients mc ON mc.mailing_id = m.id WHERE "
           "m.owner_id = $1 AND mc.client_id = $2 ORDER BY m.name",
           {owner, clientId}))
    out.push_back(r[0].s());
  return out;
}

void Repo::forgetClients(std::int64_t owner, const std::vector<std::int64_t>& clientIds) {
  db::eachIdChunk({owner}, clientIds,
                  [&](const db::Params& params, const std::string& in) {
                    return c_.exec(R"(DELETE FROM mailing_clients
WHERE client_id IN ()" + in + R"()
  AND mailing_id IN (SELECT id FROM mailings WHERE owner_id = $1))",
                                   params);
                  });
}

std::vector<std::string> Repo::namesUsingMessage(std::int64_t owner, std::int64_t messageId) {
  std::vector<std::string> out;
  for (const auto& r :
       c_.query("SELECT name FROM mailings WHERE message_id = $2 AND ($1 = 0 OR owner_id = $1) "
                "ORDER BY name",
                {owner, messageId}))
    out.push_back(r[0].s());
  return out;
}

std::int64_t Repo::total(std::optional<std::int64_t> owner) {
  return c_.scalar("SELECT COUNT(*) FROM mailings WHERE ($1 = 0 OR owner_id = $1)",
                   {owner.value_or(0)});
}

std::int64_t Repo::running(std::optional<std::int64_t> owner) {
  return c_.scalar(
      "SELECT COUNT(*) FROM mailings WHERE status = 'running' AND is_active = 1 AND ($1 = 0 OR "
      "owner_id = $1)",
      {owner.value_or(0)});
}

std::vector<Mailing> Repo::due(std::int64_t at, int limit) {
  std::vector<Mailing> out;
  for (const auto& r : c_.query(std::string("SELECT ") + kCols + kFrom +
                                    "WHERE m.next_run_at IS NOT NULL AND m.next_run_at <= $1 AND "
                                    "m.is_active = 1 AND u.is_blocked = 0 AND m.status <> "
                                    "'completed' ORDER BY m.next_run_at LIMIT $2",
                                {at, limit}))
    out.push_back(fromRow(r));
  return out;
}

bool Repo::advance(const Mailing& m, std::int64_t ranAt) {
  auto per = parsePeriodicity(m.periodicity).value_or(Periodicity::Once);
  auto tz = zone(m.timezone);
  // The run stands for the latest occurrence that has come: a missed period is caught up with
  // one run, never skipped and never sent as a burst.
  auto occurrence = latestDueOccurrence(m.startAt, per, m.endAt, ranAt, *tz);
  if (!occurrence || (m.nextRunAt && *occurrence < *m.nextRunAt)) occurrence = m.nextRunAt;
  auto next =
      occurrence ? nextOccurrenceAfter(m.startAt, per, m.endAt, *occurrence, *tz) : std::nullopt;
  return c_.exec(
             "UPDATE mailings SET last_run_at = $1, next_run_at = $2, status = 'running', "
             "updated_at = $1 WHERE id = $3 AND next_run_at = $4",
             {ranAt, next, m.id, m.nextRunAt.value_or(-1)}) > 0;
}

void Repo::markRunStarted(std::int64_t id, std::int64_t ranAt, bool unschedule) {
  if (unschedule) c_.exec("UPDATE mailings SET next_run_at = NULL WHERE id = $1", {id});
  c_.exec(
      "UPDATE mailings SET last_run_at = $1, status = CASE WHEN status = 'created' AND "
      "next_run_at IS NULL THEN 'running' WHEN status = 'completed' THEN 'running' WHEN status = "
      "'created' THEN 'running' ELSE status END, updated_at = $1 WHERE id = $2",
      {ranAt, id});
}

void Repo::completeIfDone(std::int64_t id) {
  c_.exec(
      "UPDATE mailings SET status = 'completed', updated_at = $1 WHERE id = $2 AND next_run_at "
      "IS NULL AND status = 'running'",
      {now(), id});
}

void Repo::completeFinished(std::int64_t at) {
  c_.exec(
      "UPDATE mailings SET status = 'completed', next_run_at = NULL, updated_at = $1 WHERE status "
      "<> 'completed' AND end_at IS NOT NULL AND end_at < $1 AND (next_run_at IS NULL OR "
      "next_run_at > end_at)",
      {at});
}

bool Repo::setPaused(std::int64_t id, bool paused) {
  return c_.exec(
             "UPDATE mailings\n"
             "SET is_paused = $1, updated_at = $2,\n"
             "    pause_reason = CASE WHEN $1 = 0 THEN '' ELSE pause_reason END\n"
             "WHERE id = $3",
             {paused ? 1 : 0, static_cast<std::int64_t>(std::time(nullptr)), id}) > 0;
}

bool Repo::autoPause(std::int64_t id, const std::string& reason) {
  return c_.exec(
             "UPDATE mailings\n"
             "SET is_paused = 1, pause_reason = $1, updated_at = $2\n"
             "WHERE id = $3\n"
             "  AND is_paused = 0",
             {reason, static_cast<std::int64_t>(std::time(nullptr)), id}) > 0;
}

}  // namespace mw::mailings
