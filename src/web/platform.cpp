#include "web/platform.h"

#include <Poco/Net/HTTPCookie.h>
#include <Poco/Net/NameValueCollection.h>
#include <Poco/String.h>
#include <Poco/URI.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <sstream>

#include "core/log.h"
#include "core/security.h"
#include "web/metrics_endpoint.h"
#include "web/proxies.h"
#include "web/static_files.h"
#include "web/urlencoded.h"

namespace mw::web {
namespace {

bool safeMethod(const std::string& m) {
  return m == "GET" || m == "HEAD" || m == "OPTIONS";
}

}  // namespace

Platform::Platform(const Config& c, db::Database& d)
    : cfg(c),
      db(d),
      i18n(c.resourceDir + "/locales"),
      templates(c.resourceDir + "/templates", i18n),
      cache(makeCache(c.redisUrl, d)),
      sessions(d, c.secretKey),
      static_(std::make_unique<StaticFiles>(c.resourceDir, c.dataDir + "/uploads")) {}

Platform::~Platform() = default;

void Platform::route(const std::string& method, const std::string& pattern, Handler h,
                     Handler guard) {
  if (guard)
    h = [guard = std::move(guard), h = std::move(h)](Ctx& ctx) {
      guard(ctx);
      h(ctx);
    };
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
  r.prefix = pattern.substr(0, pattern.find('{'));
  r.literal = r.prefix.size() == pattern.size();
  r.requests = &httpRequests(method, pattern);
  routes_.emplace_back(std::move(r), std::move(h));
}

void Platform::loadSession(Ctx& ctx) {
  Poco::Net::NameValueCollection cookies;
  ctx.req.getCookies(cookies);
  std::string sid = cookies.get(kSessionCookie, "");
  auto flashes = sessions.decodeFlashes(cookies.get(kFlashCookie, ""));
  if (!SessionStore::validId(sid)) {
    ctx.startSession(false);
    ctx.setSession(ctx.sid(), ctx.csrfToken(), 0, std::move(flashes));
    return;
  }
  ctx.setSession(sid, sessions.csrfFor(sid), sessions.userOf(sid), std::move(flashes));
}

void Platform::purge() {
  std::int64_t now = std::time(nullptr);
  sessions.purgeExpired(now);
  for (const auto& job : purgeJobs_) job(now);
}

void Platform::addPageData(Ctx& ctx, Data& data) {
  // {{t.key}} comes from the tables Templates built once per language, found through "lang".
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
    u.set("avatar_url", ctx.user->avatarUrl);
    data.set("user", u);
    data.set("has_staff_menu", ctx.user->has("manager") || ctx.user->has("content_manager"));
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

void Platform::setSecurityHeaders(Response& res, bool isHtml) {
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

void Platform::renderError(Ctx& ctx, int status, const std::string& text) {
  if (ctx.sent()) return;
  bool isKey = text.rfind("error_", 0) == 0 && text.find(' ') == std::string::npos;
  const std::string message = isKey ? ctx.t(text) : text;
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

// Language: the profile's choice, then the switcher cookie, then the browser.
std::string Platform::languageOf(const Ctx& ctx) const {
  Poco::Net::NameValueCollection cookies;
  ctx.req.getCookies(cookies);
  std::string lang = ctx.user ? ctx.user->language : "";
  if (!i18n.supports(lang)) lang = cookies.get(kLangCookie, "");
  if (!i18n.supports(lang)) lang = i18n.fromAcceptLanguage(ctx.req.get("Accept-Language", ""));
  return i18n.supports(lang) ? lang : "en";
}

namespace {

// Static files, /healthz and /metrics: answered before the identity step (a scraper is no user,
// and its bearer token is no API token).
bool builtIn(Ctx& ctx, StaticFiles& files, const Config& cfg, metrics::CodeCounter*& counted) {
  if (files.serve(ctx)) {
    static auto& staticFiles = httpRequests("GET", "static");
    counted = &staticFiles;
    return true;
  }
  // Alive: answering at all is the check (a load balancer restarts what stops answering).
  // Whether the database, schema and Redis are fit to serve is /readyz's question.
  if (ctx.path() == "/healthz") {
    static auto& health = httpRequests("GET", "/healthz");
    counted = &health;
    ctx.text(R"({"status":"ok"})", "application/json", 200);
    return true;
  }
  if (ctx.path() == "/metrics") {
    static auto& scrapes = httpRequests("GET", "/metrics");
    counted = &scrapes;
    serveMetrics(ctx, cfg.metricsToken);
    return true;
  }
  return false;
}

// The first route of that method whose pattern matches the path (captures in m); pathMatched
// tells a 405 from a 404.
template <class Routes>
auto findRoute(Routes& routes, const std::string& path, const std::string& method, std::smatch& m,
               bool& pathMatched) -> decltype(&routes.front()) {
  for (auto& entry : routes) {
    const auto& r = entry.first;
    if (r.literal ? path != r.prefix : path.rfind(r.prefix, 0) != 0) continue;
    if (!r.literal && !std::regex_match(path, m, r.re)) continue;
    pathMatched = true;
    if (r.method == method) return &entry;
  }
  return nullptr;
}

}  // namespace

void Platform::handle(Ctx& ctx, bool& langChosen, metrics::CodeCounter*& counted) {
  if (builtIn(ctx, *static_, cfg, counted)) return;
  // The route is found first so that a request refused below (401, 403) is still counted under
  // its pattern; the match has no effect until the handler runs.
  std::string method = ctx.method() == "HEAD" ? "GET" : ctx.method();
  bool pathMatched = false;
  std::smatch m;
  auto* found = findRoute(routes_, ctx.path(), method, m, pathMatched);
  if (found) counted = found->first.requests;

  // Identity: a bearer token (API) or the session cookie.
  std::string auth = ctx.req.get("Authorization", "");
  if (auth.rfind("Bearer ", 0) == 0) {
    if (!ctx.isApi()) throw HttpError(400, "error_bearer_api_only");
    auto id = loadTokenIdentity ? loadTokenIdentity(auth.substr(7)) : std::nullopt;
    if (!id) throw HttpError(401, "error_token_invalid");
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

  ctx.lang = languageOf(ctx);
  langChosen = true;

  bool exempt = false;
  for (const auto& prefix : csrfExempt_) exempt = exempt || ctx.path().rfind(prefix, 0) == 0;
  // An API write with neither a token nor a signed-in session is unauthenticated (401), whatever
  // its csrf token says.
  if (!safeMethod(ctx.method()) && ctx.isApi() && !ctx.user && !exempt)
    throw HttpError(401, "error_auth_required");
  if (!safeMethod(ctx.method()) && !ctx.viaToken && !exempt) {
    std::string token = ctx.req.get("X-CSRF-Token", "");
    if (token.empty() && !ctx.isApi()) token = ctx.form("csrf_token");
    if (token.empty() || !security::constantTimeEquals(token, ctx.csrfToken()))
      throw HttpError(403, ctx.t("error_csrf"));
  }

  if (found) {
    const auto& [r, h] = *found;
    for (size_t i = 0; i < r.names.size(); ++i) ctx.params[r.names[i]] = m[i + 1].str();
    h(ctx);
    if (!ctx.sent()) throw std::runtime_error("handler sent no response for " + ctx.path());
    return;
  }
  if (pathMatched) throw HttpError(405, "error_method_not_allowed");
  throw HttpError(404, ctx.t("error_not_found"));
}

void Platform::dispatch(Request& req, Response& res) {
  auto start = std::chrono::steady_clock::now();
  Ctx ctx(*this, req, res);
  std::vector<std::string> forwardedFor;
  for (const auto& [name, value] : req.fields())
    if (Poco::icompare(name, "X-Forwarded-For") == 0) forwardedFor.push_back(value);
  ctx.setOrigin(resolveClient(cfg.trustedProxies, req.clientHost(), forwardedFor,
                              req.get("X-Forwarded-Proto", "")));
  std::string_view target = req.getURI();
  auto path = percentDecode(target.substr(0, target.find_first_of("?#")), false);
  ctx.setPath(!path || path->empty() || (*path)[0] != '/' ? "/" : *path);
  // One id per request, in the answer and in every log line of it, to find a user's report.
  const std::string requestId = security::randomToken(9);
  res.set("X-Request-Id", requestId);
  setSecurityHeaders(res, true);
  bool langChosen = false;  // errors before handle() chose it are said in the reader's language too
  metrics::CodeCounter* counted = nullptr;
  try {
    if (!path || path->empty() || (*path)[0] != '/') throw HttpError(400, "error_bad_request");
    handle(ctx, langChosen, counted);
  } catch (const HttpError& e) {
    if (!langChosen) ctx.lang = languageOf(ctx);
    renderError(ctx, e.status, e.what());
  } catch (const Poco::Exception& e) {
    log::error("request failed", {{"req", requestId},
                                  {"method", req.getMethod()},
                                  {"path", ctx.path()},
                                  {"error", e.displayText()}});
    renderError(ctx, 500, ctx.t("error_internal"));
  } catch (const std::exception& e) {
    log::error("request failed", {{"req", requestId},
                                  {"method", req.getMethod()},
                                  {"path", ctx.path()},
                                  {"error", e.what()}});
    renderError(ctx, 500, ctx.t("error_internal"));
  }
  // A few atomic loads and one add (core/metrics.h): no lock, no allocation per request.
  (counted ? *counted : unmatchedRequests(req.getMethod())).inc(static_cast<int>(res.getStatus()));
  auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start);
  if (!log::enabled(log::Level::info)) return;
  char millis[32];
  std::snprintf(millis, sizeof millis, "%.3f", ms.count());
  log::info("access", {{"req", requestId},
                       {"ip", ctx.clientIp()},
                       {"method", req.getMethod()},
                       {"path", ctx.path()},
                       {"status", std::to_string(static_cast<int>(res.getStatus()))},
                       {"bytes", std::to_string(ctx.bytesSent())},
                       {"ms", millis}});
}

}  // namespace mw::web
