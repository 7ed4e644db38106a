#include "web/platform.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/Net/HTTPCookie.h>
#include <Poco/Net/NameValueCollection.h>
#include <Poco/URI.h>
#include <sodium.h>

#include <chrono>
#include <iostream>
#include <mutex>
#include <sstream>

#include "web/static_files.h"

namespace mw::web {
namespace {

std::string b64url(const unsigned char* data, size_t len) {
  std::string out(sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), data, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(std::strlen(out.c_str()));
  return out;
}

std::string hmac(const std::string& key, const std::string& msg) {
  unsigned char k[crypto_auth_hmacsha256_KEYBYTES];
  crypto_hash_sha256(k, reinterpret_cast<const unsigned char*>(key.data()), key.size());
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, k, sizeof k);
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(msg.data()),
                                msg.size());
  crypto_auth_hmacsha256_final(&st, mac);
  return b64url(mac, sizeof mac);
}

std::string newSid() {
  unsigned char raw[32];
  randombytes_buf(raw, sizeof raw);
  return b64url(raw, sizeof raw);
}

bool validSid(const std::string& s) {
  if (s.size() != 43) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  return true;
}

bool safeMethod(const std::string& m) {
  return m == "GET" || m == "HEAD" || m == "OPTIONS";
}

std::string flashesToJson(const std::vector<Flash>& flashes) {
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
  return out.str();
}

std::vector<Flash> flashesFromJson(const std::string& s) {
  std::vector<Flash> out;
  if (s.empty()) return out;
  try {
    auto arr = Poco::JSON::Parser().parse(s).extract<Poco::JSON::Array::Ptr>();
    for (size_t i = 0; i < arr->size(); ++i) {
      auto o = arr->getObject(static_cast<unsigned>(i));
      out.push_back({o->getValue<std::string>("level"), o->getValue<std::string>("text")});
    }
  } catch (...) {
    // A damaged value only loses the messages.
  }
  return out;
}

class Dispatcher : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Dispatcher(Platform& p) : p_(p) {}
  void handleRequest(Poco::Net::HTTPServerRequest& req,
                     Poco::Net::HTTPServerResponse& res) override {
    p_.dispatch(req, res);
  }

 private:
  Platform& p_;
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(Platform& p) : p_(p) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new Dispatcher(p_);
  }

 private:
  Platform& p_;
};

std::mutex logMutex;

}  // namespace

Platform::Platform(const Config& c, db::Database& d)
    : cfg(c),
      db(d),
      i18n(c.resourceDir + "/locales"),
      templates(c.resourceDir + "/templates"),
      cache(makeCache(c.redisUrl)),
      static_(std::make_unique<StaticFiles>(c.resourceDir, c.dataDir + "/uploads")) {}

Platform::~Platform() = default;

Poco::Net::HTTPRequestHandlerFactory* Platform::newFactory() {
  return new Factory(*this);
}

void Platform::route(const std::string& method, const std::string& pattern, Handler h) {
  Route r;
  r.method = method;
  std::string re = "^";
  for (size_t i = 0; i < pattern.size();) {
    if (pattern[i] == '{') {
      auto close = pattern.find('}', i);
      r.names.push_back(pattern.substr(i + 1, close - i - 1));
      re += "([^/]+)";
      i = close + 1;
    } else {
      if (std::string(".+*?^$()[]|\\").find(pattern[i]) != std::string::npos) re += '\\';
      re += pattern[i++];
    }
  }
  r.re = std::regex(re + "$");
  routes_.emplace_back(std::move(r), std::move(h));
}

std::string Platform::csrfFor(const std::string& sid) const {
  return hmac(cfg.secretKey, "csrf:" + sid);
}

std::string Platform::sessionKey(const std::string& sid) const {
  return hmac(cfg.secretKey, "session:" + sid);
}

void Platform::writeSessionCookie(Ctx& ctx, bool remember) {
  std::string sid = newSid();
  Poco::Net::HTTPCookie cookie(kSessionCookie, sid);
  cookie.setPath("/");
  cookie.setHttpOnly(true);
  cookie.setSameSite(Poco::Net::HTTPCookie::SAME_SITE_LAX);
  cookie.setSecure(cfg.secureCookies());
  if (remember) cookie.setMaxAge(30 * 86400);
  // Replace any cookie set earlier in this response.
  ctx.res.erase("Set-Cookie");
  ctx.res.addCookie(cookie);
  ctx.setSession(sid, csrfFor(sid), 0, {});
}

void Platform::loadSession(Ctx& ctx) {
  Poco::Net::NameValueCollection cookies;
  ctx.req.getCookies(cookies);
  std::string sid = cookies.get(kSessionCookie, "");
  if (!validSid(sid)) {
    writeSessionCookie(ctx, false);
    return;
  }
  std::int64_t userId = 0;
  std::vector<Flash> flashes;
  auto c = db.conn();
  auto row =
      c.one("SELECT user_id, flashes, expires_at FROM sessions WHERE id = $1", {sessionKey(sid)});
  if (row) {
    if ((*row)["expires_at"].i() < std::time(nullptr)) {
      c.exec("DELETE FROM sessions WHERE id = $1", {sessionKey(sid)});
    } else {
      userId = (*row)["user_id"].i();
      flashes = flashesFromJson((*row)["flashes"].s());
    }
  }
  ctx.setSession(sid, csrfFor(sid), userId, std::move(flashes));
}

void Platform::saveFlashes(Ctx& ctx, const std::vector<Flash>& flashes) {
  auto c = db.conn();
  std::int64_t now = std::time(nullptr);
  std::int64_t userId = ctx.sessionUserId();
  c.exec(
      "INSERT INTO sessions(id, user_id, flashes, remember, created_at, expires_at) VALUES ($1, "
      "$2, $3, 0, $4, $5) ON CONFLICT (id) DO UPDATE SET flashes = excluded.flashes",
      {sessionKey(ctx.sid()), userId ? db::Param(userId) : db::Param(nullptr),
       flashesToJson(flashes), now, now + 86400});
}

void Platform::deleteSessionsOf(std::int64_t userId) {
  auto c = db.conn();
  c.exec("DELETE FROM sessions WHERE user_id = $1", {userId});
}

void Platform::purgeExpiredSessions() {
  auto c = db.conn();
  c.exec("DELETE FROM sessions WHERE expires_at < $1",
         {static_cast<long long>(std::time(nullptr))});
}

void Platform::addPageData(Ctx& ctx, Data& data) {
  Data t;
  for (const auto& [k, v] : i18n.table(ctx.lang)) t.set(k, v);
  data.set("t", t);
  data.set("lang", ctx.lang);
  data.set("lang_" + ctx.lang, true);
  data.set("csrf_token", ctx.csrfToken());
  data.set("version", std::string(MW_VERSION));
  data.set("path", ctx.path());
  if (ctx.user) {
    Data u;
    u.set("id", std::to_string(ctx.user->id));
    u.set("email", ctx.user->email);
    u.set("name", ctx.user->displayName.empty() ? ctx.user->email : ctx.user->displayName);
    data.set("user", u);
    data.set("is_manager", ctx.user->has("manager"));
    data.set("is_content_manager", ctx.user->has("content_manager"));
    data.set("is_admin", ctx.user->has("admin"));
  }
  Data flashes(Data::type::list);
  for (const auto& f : ctx.takeFlashes()) {
    Data item;
    item.set("level", f.level);
    item.set("text", f.text);
    flashes.push_back(item);
  }
  data.set("flashes", flashes);
}

void Platform::setSecurityHeaders(Poco::Net::HTTPServerResponse& res, bool isHtml) {
  res.set("X-Content-Type-Options", "nosniff");
  res.set("X-Frame-Options", "DENY");
  res.set("Referrer-Policy", "same-origin");
  if (isHtml) {
    res.set("Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'");
    if (!res.has("Cache-Control")) res.set("Cache-Control", "no-store");
  }
}

void Platform::renderError(Ctx& ctx, int status, const std::string& message) {
  if (ctx.sent()) return;
  if (ctx.isApi() || ctx.req.get("Accept", "").find("application/json") == 0) {
    ctx.jsonError(status, message);
    return;
  }
  if (status == 401) {
    // Pages send anonymous visitors to the login form and back afterwards.
    std::string next;
    Poco::URI::encode(ctx.req.getURI(), "&?=#+%", next);
    ctx.redirect("/login?next=" + next);
    return;
  }
  Data d;
  d.set("status", std::to_string(status));
  d.set("message", message);
  try {
    ctx.html("error", d, status);
  } catch (const std::exception&) {
    ctx.text(std::to_string(status) + " " + message, "text/plain; charset=utf-8", status);
  }
}

void Platform::handle(Ctx& ctx) {
  if (static_->serve(ctx)) return;
  if (ctx.path() == "/healthz") {
    if (db.ping())
      ctx.text(R"({"status":"ok"})", "application/json", 200);
    else
      ctx.text(R"({"status":"unavailable"})", "application/json", 503);
    return;
  }

  // Identity: a bearer token (API) or the session cookie.
  std::string auth = ctx.req.get("Authorization", "");
  if (auth.rfind("Bearer ", 0) == 0) {
    if (!ctx.isApi()) throw HttpError(400, "Bearer tokens are accepted by /api/v1 only");
    auto id = loadTokenIdentity ? loadTokenIdentity(auth.substr(7)) : std::nullopt;
    if (!id) throw HttpError(401, "Invalid or revoked API token");
    ctx.user = std::move(id);
    ctx.viaToken = true;
    ctx.setSession("", "", 0, {});
  } else {
    loadSession(ctx);
    if (ctx.sessionUserId()) {
      auto id = loadIdentity ? loadIdentity(ctx.sessionUserId()) : std::nullopt;
      if (id) {
        ctx.user = std::move(id);
      } else {
        // Blocked or deleted: the session ends at once.
        ctx.logout();
      }
    }
  }

  // Language: the profile's choice, then the switcher cookie, then the browser.
  Poco::Net::NameValueCollection cookies;
  ctx.req.getCookies(cookies);
  std::string lang = ctx.user ? ctx.user->language : "";
  if (!i18n.supports(lang)) lang = cookies.get(kLangCookie, "");
  if (!i18n.supports(lang)) lang = i18n.fromAcceptLanguage(ctx.req.get("Accept-Language", ""));
  if (!i18n.supports(lang)) lang = "en";
  ctx.lang = lang;

  bool exempt = false;
  for (const auto& prefix : csrfExempt_) exempt = exempt || ctx.path().rfind(prefix, 0) == 0;
  // An API call without any signed-in user has no authority to forge: its handler answers 401.
  bool anonymousApi = ctx.isApi() && !ctx.user;
  if (!safeMethod(ctx.method()) && !ctx.viaToken && !exempt && !anonymousApi) {
    std::string token = ctx.req.get("X-CSRF-Token", "");
    if (token.empty() && !ctx.isApi()) token = ctx.form("csrf_token");
    if (token.empty() || token.size() != ctx.csrfToken().size() ||
        sodium_memcmp(token.data(), ctx.csrfToken().data(), token.size()) != 0)
      throw HttpError(403, ctx.t("error_csrf"));
  }

  std::string method = ctx.method() == "HEAD" ? "GET" : ctx.method();
  bool pathMatched = false;
  std::smatch m;
  for (auto& [r, h] : routes_) {
    if (!std::regex_match(ctx.path(), m, r.re)) continue;
    pathMatched = true;
    if (r.method != method) continue;
    for (size_t i = 0; i < r.names.size(); ++i) ctx.params[r.names[i]] = m[i + 1].str();
    h(ctx);
    if (!ctx.sent()) throw std::runtime_error("handler sent no response for " + ctx.path());
    return;
  }
  if (pathMatched) throw HttpError(405, "Method not allowed");
  throw HttpError(404, ctx.t("error_not_found"));
}

void Platform::dispatch(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& res) {
  auto start = std::chrono::steady_clock::now();
  Ctx ctx(*this, req, res);
  std::string path;
  try {
    Poco::URI::decode(Poco::URI(req.getURI()).getPath(), path);
  } catch (...) {
    path = "/";
  }
  ctx.setPath(path.empty() ? "/" : path);
  setSecurityHeaders(res, true);
  try {
    handle(ctx);
  } catch (const HttpError& e) {
    renderError(ctx, e.status, e.what());
  } catch (const Poco::Exception& e) {
    std::cerr << "error: " << req.getMethod() << " " << ctx.path() << ": " << e.displayText()
              << "\n";
    renderError(ctx, 500, ctx.t("error_internal"));
  } catch (const std::exception& e) {
    std::cerr << "error: " << req.getMethod() << " " << ctx.path() << ": " << e.what() << "\n";
    renderError(ctx, 500, ctx.t("error_internal"));
  }
  auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start);
  std::lock_guard lock(logMutex);
  std::cerr << "access " << ctx.clientIp() << " \"" << req.getMethod() << " " << ctx.path() << "\" "
            << static_cast<int>(res.getStatus()) << " " << ctx.bytesSent() << " "
            << static_cast<long>(ms.count() * 1000) / 1000.0 << "ms\n";
}

}  // namespace mw::web
