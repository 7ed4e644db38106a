#include "delivery/relays.h"

#include <Poco/Exception.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <iostream>

#include "core/mailer.h"
#include "core/redis.h"
#include "core/security.h"
#include "delivery/relays_repo.h"

namespace mw::delivery {
namespace {

RelayPtr envRelay(const Config& cfg) {
  auto r = std::make_shared<Relay>();
  r->name = "default";
  r->smtp = smtpSettings(cfg);
  // Every slot may hold a connection, as before relays; SEND_RATE is the engine's own pace.
  r->maxConnections = std::max(1, cfg.sendConcurrency);
  r->version = "env";
  r->window = std::make_shared<RelayWindow>(Rate{}, nullptr, "", "");
  return r;
}

// What a relay's behaviour depends on: an unchanged row keeps its relay (and its window).
std::string rowVersion(const RelayRow& row) {
  return row.name + "|" + row.host + "|" + std::to_string(row.port) + "|" + row.tls + "|" +
         row.username + "|" + row.sealedPassword + "|" + std::to_string(row.maxConnections) + "|" +
         rateText(row.rate) + "|" + std::to_string(row.weight);
}

// windowKey: the relays' windows' key prefix in Redis (RelaySet::windowKey_).
RelayPtr fromRow(const Config& cfg, const RelayRow& row, RedisLink* redis,
                 const std::string& windowKey, const std::string& holder) {
  auto r = std::make_shared<Relay>();
  r->id = row.id;
  r->name = row.name;
  r->smtp = smtpSettings(cfg);  // timeout, TLS checks and HELO name as the environment's
  r->smtp.host = row.host;
  r->smtp.port = row.port;
  r->smtp.startTls = row.tls == "starttls";
  r->smtp.ssl = row.tls == "ssl";
  r->smtp.user = row.username;
  r->smtp.password.clear();
  if (!row.sealedPassword.empty()) {
    auto plain = security::unseal(cfg.secretKey, row.sealedPassword);
    if (plain)
      r->smtp.password = *plain;
    else
      std::cerr << "relays: the password of relay " << row.name
                << " cannot be unsealed (another SECRET_KEY?); it logs in without one\n";
  }
  r->maxConnections = std::max(1, row.maxConnections);
  r->weight = std::max(0, row.weight);
  r->version = rowVersion(row);
  r->window = std::make_shared<RelayWindow>(row.rate, redis,
                                            windowKey + std::to_string(row.id) + ":sent", holder);
  return r;
}

}  // namespace

RelaySet::RelaySet(const Config& cfg, db::Database& db, std::string holder)
    : cfg_(cfg),
      db_(db),
      holder_(std::move(holder)),
      // Relay ids are per database: the key names the database too, so that installations (and
      // tests) sharing one Redis never share a window.
      windowKey_("mw:relay:" + security::sha256Hex(cfg.databaseUrl).substr(0, 12) + ":") {
  if (!cfg_.redisUrl.empty()) redis_ = std::make_unique<RedisLink>(cfg_.redisUrl, "relays");
  relays_.push_back(envRelay(cfg_));
}

RelaySet::~RelaySet() = default;

void RelaySet::refresh(bool force) {
  std::lock_guard lock(mutex_);
  double now = RateWindow::now();
  if (!force && now - loadedAt_ < 2.0) return;
  loadedAt_ = now;
  try {
    load();
  } catch (const Poco::Exception& e) {
    std::cerr << "relays: " << e.displayText() << "\n";  // the last set stays
  }
}

void RelaySet::load() {
  auto c = db_.conn();
  auto rows = RelayRepo(c).list();
  std::vector<RelayPtr> next;
  for (const auto& row : rows) {
    auto old = std::find_if(relays_.begin(), relays_.end(),
                            [&](const RelayPtr& r) { return r->id == row.id; });
    // Compared before building: building unseals the password (a key derivation), every 2 s.
    if (old != relays_.end() && (*old)->version == rowVersion(row)) {
      next.push_back(*old);
      continue;
    }
    auto fresh = fromRow(cfg_, row, redis_.get(), windowKey_, holder_);
    if (old != relays_.end()) {  // edited: its health goes on
      fresh->failures = (*old)->failures;
      fresh->backoffUntil = (*old)->backoffUntil;
      fresh->backoffUntilEpoch = (*old)->backoffUntilEpoch;
      fresh->lastError = (*old)->lastError;
      fresh->lastErrorAt = (*old)->lastErrorAt;
    }
    next.push_back(fresh);
  }
  if (next.empty()) {
    if (relays_.size() == 1 && relays_[0]->id == 0) return;
    next.push_back(envRelay(cfg_));
  }
  relays_ = std::move(next);
}

RelayPtr RelaySet::route(std::optional<std::int64_t> named, const std::set<std::int64_t>& skip,
                         bool& namedBusy) {
  namedBusy = false;
  std::lock_guard lock(mutex_);
  const double now = RateWindow::now();
  if (named) {
    // A mailing that names a relay uses it even while it backs off: its messages get that
    // relay's own replies (temporary failures, retried) and never go elsewhere.
    for (const auto& r : relays_) {
      if (r->id != *named) continue;
      namedBusy = skip.count(r->id) > 0;
      return namedBusy ? nullptr : r;
    }
    // A relay deleted since the mailing named it: the others carry its mail.
  }
  // Smooth weighted round robin (nginx): over any N picks each relay gets its share within one.
  RelayPtr best;
  long total = 0;
  for (const auto& r : relays_) {
    if (r->backoffUntil > now || skip.count(r->id) || r->weight <= 0) continue;
    r->current += r->weight;
    total += r->weight;
    if (!best || r->current > best->current) best = r;
  }
  if (best) {
    best->current -= total;
    return best;
  }
  // Every relay is backing off (the environment's single relay, say): the one back soonest is
  // tried, so messages get a real reply rather than wait without an attempt.
  for (const auto& r : relays_) {
    if (skip.count(r->id) || r->weight <= 0) continue;
    if (!best || r->backoffUntil < best->backoffUntil) best = r;
  }
  return best;
}

bool RelaySet::canMove(const std::set<std::int64_t>& skip, std::int64_t from) {
  std::lock_guard lock(mutex_);
  for (const auto& r : relays_)
    if (r->id != from && !skip.count(r->id) && r->weight > 0) return true;
  return false;
}

bool RelaySet::lease(const RelayPtr& r) {
  std::lock_guard lock(mutex_);
  if (r->leases >= r->maxConnections) return false;
  ++r->leases;
  return true;
}

void RelaySet::release(const RelayPtr& r) {
  std::lock_guard lock(mutex_);
  r->leases = std::max(0, r->leases - 1);
}

void RelaySet::failed(const RelayPtr& r, const std::string& error) {
  std::lock_guard lock(mutex_);
  const double now = RateWindow::now();
  if (r->backoffUntil > now) return;  // the other slots' news of the same failure
  r->failures = std::min(r->failures + 1, 16);
  double wait = std::min(300.0, 5.0 * std::pow(2.0, r->failures - 1));
  r->backoffUntil = now + wait;
  r->backoffUntilEpoch = static_cast<std::int64_t>(std::time(nullptr) + std::lround(wait));
  r->lastError = error;
  r->lastErrorAt = static_cast<std::int64_t>(std::time(nullptr));
  r->dirty = true;
  std::cerr << "relays: " << r->name << " set aside for " << wait << " s: " << error << "\n";
}

void RelaySet::succeeded(const RelayPtr& r) {
  std::lock_guard lock(mutex_);
  if (r->failures == 0) return;
  r->failures = 0;
  r->dirty = true;
}

void RelaySet::persist(db::Conn& c) {
  std::vector<RelayRow> rows;
  {
    std::lock_guard lock(mutex_);
    const double now = RateWindow::now();
    for (const auto& r : relays_) {
      if (r->id == 0) continue;
      const std::int64_t sent = r->window->inWindow();
      if (!r->dirty && sent == r->persistedSent) continue;
      RelayRow row;
      row.id = r->id;
      row.backoffUntil = r->backoffUntil > now ? r->backoffUntilEpoch : 0;
      row.lastError = r->lastError;
      row.lastErrorAt = r->lastErrorAt;
      row.windowSent = sent;
      r->persistedSent = sent;
      row.stateAt = static_cast<std::int64_t>(std::time(nullptr));
      rows.push_back(row);
      r->dirty = false;
    }
  }
  RelayRepo repo(c);
  for (const auto& row : rows) repo.saveState(row);
}

}  // namespace mw::delivery
