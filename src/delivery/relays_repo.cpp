#include "delivery/relays_repo.h"

namespace mw::delivery {
namespace {

const char* kColumns =
    "SELECT id, name, host, port, tls, username, password, max_connections, rate_count,\n"
    "rate_seconds, weight, backoff_until, last_error, last_error_at, window_sent, state_at,\n"
    "created_at\n"
    "FROM relays\n";

RelayRow fromRow(const db::Row& r) {
  RelayRow x;
  x.id = r["id"].i();
  x.name = r["name"].s();
  x.host = r["host"].s();
  x.port = static_cast<int>(r["port"].i());
  x.tls = r["tls"].s();
  x.username = r["username"].s();
  x.sealedPassword = r["password"].s();
  x.maxConnections = static_cast<int>(r["max_connections"].i());
  x.rate = {r["rate_count"].i(), r["rate_seconds"].i()};
  x.weight = static_cast<int>(r["weight"].i());
  x.backoffUntil = r["backoff_until"].i();
  x.lastError = r["last_error"].s();
  x.lastErrorAt = r["last_error_at"].i();
  x.windowSent = r["window_sent"].i();
  x.stateAt = r["state_at"].i();
  x.createdAt = r["created_at"].i();
  return x;
}

}  // namespace

std::vector<RelayRow> RelayRepo::list() {
  std::vector<RelayRow> out;
  for (const auto& r : c_.query(std::string(kColumns) + "ORDER BY name ASC"))
    out.push_back(fromRow(r));
  return out;
}

std::optional<RelayRow> RelayRepo::byName(const std::string& name) {
  auto r = c_.one(std::string(kColumns) + "WHERE name = $1", {name});
  if (!r) return std::nullopt;
  return fromRow(*r);
}

std::optional<RelayRow> RelayRepo::byId(std::int64_t id) {
  auto r = c_.one(std::string(kColumns) + "WHERE id = $1", {id});
  if (!r) return std::nullopt;
  return fromRow(*r);
}

std::int64_t RelayRepo::add(const RelayRow& r) {
  return c_.insert(
      "INSERT INTO relays (name, host, port, tls, username, password, max_connections,\n"
      "rate_count, rate_seconds, weight, created_at)\n"
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)\n"
      "RETURNING id",
      {r.name, r.host, r.port, r.tls, r.username, r.sealedPassword, r.maxConnections, r.rate.count,
       r.rate.seconds, r.weight, r.createdAt});
}

bool RelayRepo::update(const RelayRow& r, bool setPassword) {
  return c_.exec(
             "UPDATE relays\n"
             "SET name = $1, host = $2, port = $3, tls = $4, username = $5,\n"
             "    password = CASE WHEN $6 = 1 THEN $7 ELSE password END,\n"
             "    max_connections = $8, rate_count = $9, rate_seconds = $10, weight = $11\n"
             "WHERE id = $12",
             {r.name, r.host, r.port, r.tls, r.username, setPassword ? 1 : 0, r.sealedPassword,
              r.maxConnections, r.rate.count, r.rate.seconds, r.weight, r.id}) > 0;
}

bool RelayRepo::remove(std::int64_t id) {
  return c_.exec(
             "DELETE FROM relays\n"
             "WHERE id = $1",
             {id}) > 0;
}

void RelayRepo::saveState(const RelayRow& r) {
  c_.exec(
      "UPDATE relays\n"
      "SET backoff_until = $1, last_error = $2, last_error_at = $3, window_sent = $4,\n"
      "state_at = $5\n"
      "WHERE id = $6",
      {r.backoffUntil, r.lastError, r.lastErrorAt, r.windowSent, r.stateAt, r.id});
}

}  // namespace mw::delivery
