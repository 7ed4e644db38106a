#pragma once
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>

#include <functional>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "core/cache.h"
#include "core/config.h"
#include "core/db.h"
#include "core/i18n.h"
#include "web/context.h"
#include "web/templates.h"

namespace mw::web {

class StaticFiles;
using Handler = std::function<void(Ctx&)>;

// Router, sessions, CSRF, language, error pages and security headers: everything a request
// goes through before and after a domain handler.
class Platform {
 public:
  Platform(const Config& cfg, db::Database& db);
  ~Platform();

  const Config& cfg;
  db::Database& db;
  I18n i18n;
  Templates templates;
  std::unique_ptr<Cache> cache;

  // Runs before the response of every state-changing request (POST, PATCH, PUT, DELETE) goes out,
  // so that caches of data any write may change are dropped before the client can read again.
  void onWrite(std::function<void()> hook) { writeHooks_.push_back(std::move(hook)); }
  void wrote() const {
    for (const auto& h : writeHooks_) h();
  }

  void get(const std::string& pattern, Handler h) { route("GET", pattern, std::move(h)); }
  void post(const std::string& pattern, Handler h) { route("POST", pattern, std::move(h)); }
  void patch(const std::string& pattern, Handler h) { route("PATCH", pattern, std::move(h)); }
  void del(const std::string& pattern, Handler h) { route("DELETE", pattern, std::move(h)); }
  void route(const std::string& method, const std::string& pattern, Handler h);
  // Paths whose POSTs carry their own proof instead of a CSRF token (RFC 8058 one-click
  // unsubscribe links signed per recipient).
  void csrfExempt(const std::string& prefix) { csrfExempt_.push_back(prefix); }

  // Filled by the users domain: the identity behind a session's user id, or nullopt when the
  // account is gone or blocked (the session then ends).
  std::function<std::optional<Identity>(std::int64_t userId)> loadIdentity;
  // The identity behind an API bearer token.
  std::function<std::optional<Identity>(const std::string& token)> loadTokenIdentity;
  // Lets a domain persist a language choice for a signed-in user.
  std::function<void(std::int64_t userId, const std::string& lang)> saveLanguage;

  // Adds the common template data: user, roles, translations, csrf token, flashes, language.
  void addPageData(Ctx& ctx, Data& data);
  void dispatch(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& res);
  Poco::Net::HTTPRequestHandlerFactory* newFactory();

  std::string csrfFor(const std::string& sid) const;
  std::string sessionKey(const std::string& sid) const;  // what the sessions table stores
  void deleteSessionsOf(std::int64_t userId);
  void purgeExpiredSessions();

  static constexpr const char* kSessionCookie = "mw_sid";
  static constexpr const char* kLangCookie = "mw_lang";

 private:
  std::vector<std::function<void()>> writeHooks_;
  struct Route {
    std::string method;
    std::regex re;
    std::vector<std::string> names;
  };
  std::vector<std::pair<Route, Handler>> routes_;
  std::vector<std::string> csrfExempt_;
  std::unique_ptr<StaticFiles> static_;

  void handle(Ctx& ctx);
  void loadSession(Ctx& ctx);
  void renderError(Ctx& ctx, int status, const std::string& message);
  void setSecurityHeaders(Poco::Net::HTTPServerResponse& res, bool isHtml);
  friend class Ctx;
  void writeSessionCookie(Ctx& ctx, bool remember);  // new random id
  void saveFlashes(Ctx& ctx, const std::vector<Flash>& flashes);
};

}  // namespace mw::web
