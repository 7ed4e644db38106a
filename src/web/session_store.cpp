#include "web/session_store.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <cctype>
#include <ctime>
#include <sstream>

#include "core/security.h"

namespace mw::web {
namespace {

std::string rawSha256(const std::string& data) {
  std::string hex = security::sha256Hex(data);
  std::string raw;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    raw += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  return raw;
}

}  // namespace

SessionStore::SessionStore(db::Database& db, const std::string& secret)
    : db_(db), key_(rawSha256(secret)) {}

std::string SessionStore::newId() {
  return security::randomToken(32);
}

bool SessionStore::validId(const std::string& s) {
  if (s.size() != 43) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  return true;
}

std::string SessionStore::mac(const std::string& purpose, const std::string& value) const {
  return security::base64UrlEncode(security::hmacSha256(key_, purpose + ":" + value));
}

std::string SessionStore::csrfFor(const std::string& sid) const {
  return mac("csrf", sid);
}

std::string SessionStore::rowKey(const std::string& sid) const {
  return mac("session", sid);
}

std::int64_t SessionStore::userOf(const std::string& sid) {
  if (!validId(sid)) return 0;
  auto c = db_.conn();
  auto row = c.one(R"(SELECT user_id, expires_at
FROM sessions
WHERE id = $1)",
                   {rowKey(sid)});
  if (!row || (*row)["user_id"].isNull()) return 0;
  if ((*row)["expires_at"].i() < std::time(nullptr)) {
    c.exec("DELETE FROM sessions WHERE id = $1", {rowKey(sid)});
    return 0;
  }
  return (*row)["user_id"].i();
}

void SessionStore::create(const std::string& sid, std::int64_t userId, bool remember) {
  auto c = db_.conn();
  std::int64_t now = std::time(nullptr);
  c.exec(
      R"(INSERT INTO sessions(id, user_id, flashes, remember, created_at, expires_at)
VALUES ($1, $2, '', $3, $4, $5))",
      {rowKey(sid), userId, remember, now, now + (remember ? kRememberSeconds : kSessionSeconds)});
}

void SessionStore::destroy(const std::string& sid) {
  if (!validId(sid)) return;
  auto c = db_.conn();
  c.exec("DELETE FROM sessions WHERE id = $1", {rowKey(sid)});
}

void SessionStore::destroyAllOf(std::int64_t userId) {
  auto c = db_.conn();
  destroyAllOf(c, userId);
}

void SessionStore::destroyAllOf(db::Conn& c, std::int64_t userId) {
  c.exec("DELETE FROM sessions WHERE user_id = $1", {userId});
}

int SessionStore::purgeExpired(std::int64_t now) {
  auto c = db_.conn();
  return static_cast<int>(c.exec(R"(DELETE FROM sessions
WHERE expires_at < $1)",
                                 {now}));
}

std::string SessionStore::encodeFlashes(const std::vector<Flash>& flashes) const {
  if (flashes.empty()) return "";
  Poco::JSON::Array arr;
  for (const auto& f : flashes) {
    Poco::JSON::Object o;
    o.set("level", f.level);
    o.set("text", f.text);
    arr.add(o);
  }
  std::ostringstream out;
  arr.stringify(out);
  std::string body = security::base64UrlEncode(out.str());
  return body + "." + mac("flash", body);
}

std::vector<Flash> SessionStore::decodeFlashes(const std::string& cookie) const {
  std::vector<Flash> out;
  auto dot = cookie.rfind('.');
  if (dot == std::string::npos) return out;
  std::string body = cookie.substr(0, dot);
  if (!security::constantTimeEquals(mac("flash", body), cookie.substr(dot + 1))) return out;
  auto json = security::base64UrlDecode(body);
  if (!json) return out;
  try {
    auto arr = Poco::JSON::Parser().parse(*json).extract<Poco::JSON::Array::Ptr>();
    for (std::size_t i = 0; i < arr->size() && i < 20; ++i) {
      auto o = arr->getObject(static_cast<unsigned>(i));
      out.push_back({o->getValue<std::string>("level"), o->getValue<std::string>("text")});
    }
  } catch (...) {
    out.clear();  // signed but unreadable: only the messages are lost
  }
  return out;
}

}  // namespace mw::web
