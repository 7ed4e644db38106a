#pragma once
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
#include "core/mailer.h"
#include "web/context.h"
#include "web/session_store.h"
#include "web/templates.h"

namespace mw::metrics {
class CodeCounter;
}

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
  SessionStore sessions;
  // How the one-off mail the pages send leaves (relay, DKIM), for core's Mailer; set by the app
  // before serving.
  MailRoad mailRoad;

  // Runs before the response of every state-changing request (POST, PATCH, PUT, DELETE) goes out,
  // so that caches of data any write may change are dropped before the client can read again.
  void onWrite(std::function<void()> hook) { writeHooks_.push_back(std::move(hook)); }
  void wrote() const {
    for (const auto& h : writeHooks_) h();
  }

  // The optional guard (web/guards.h: signedIn(), role("manager")) runs before the handler.
  void get(const std::string& pattern, Handler h, Handler guard = nullptr) {
    route("GET", pattern, std::move(h), std::move(guard));
  }
  void post(const std::string& pattern, Handler h, Handler guard = nullptr) {
    route("POST", pattern, std::move(h), std::move(guard));
  }
  void patch(const std::string& pattern, Handler h, Handler guard = nullptr) {
    route("PATCH", pattern, std::move(h), std::move(guard));
  }
  void del(const std::string& pattern, Handler h, Handler guard = nullptr) {
    route("DELETE", pattern, std::move(h), std::move(guard));
  }
  void route(const std::string& method, const std::string& pattern, Handler h,
             Handler guard = nullptr);
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
  // Runs a complete request (the transport has read its body) and fills the response.
  void dispatch(Request& req, Response& res);

  // Periodic clean-up of expired rows: sessions here, domains add theirs (login failures, used
  // links). `serve` runs them on a timer (PURGE_INTERVAL_SECONDS).
  void onPurge(std::function<void(std::int64_t now)> job) { purgeJobs_.push_back(std::move(job)); }
  void purge();

  static constexpr const char* kSessionCookie = "mw_sid";
  static constexpr const char* kFlashCookie = "mw_flash";
  static constexpr const char* kLangCookie = "mw_lang";

 private:
  std::vector<std::function<void()>> writeHooks_;
  std::vector<std::function<void(std::int64_t)>> purgeJobs_;
  struct Route {
    std::string method;
    std::regex re;
    std::vector<std::string> names;
    std::string prefix;    // the pattern up to its first {name}: most paths fail here, cheaply
    bool literal = false;  // no {name}: the path must equal prefix
    metrics::CodeCounter* requests = nullptr;  // by status, labelled with method and pattern
  };
  std::vector<std::pair<Route, Handler>> routes_;
  std::vector<std::string> csrfExempt_;
  std::unique_ptr<StaticFiles> static_;

  // Sets `counted` to the requests counter of what answers (route, static files, /metrics...).
  void handle(Ctx& ctx, bool& langChosen, metrics::CodeCounter*& counted);
  std::string languageOf(const Ctx& ctx) const;
  void loadSession(Ctx& ctx);
  void renderError(Ctx& ctx, int status, const std::string& message);
  void setSecurityHeaders(Response& res, bool isHtml);
};

}  // namespace mw::web
