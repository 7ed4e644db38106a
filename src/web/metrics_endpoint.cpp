#include "web/metrics_endpoint.h"

#include <array>

#include "core/cidr.h"
#include "core/security.h"

namespace mw::web {
namespace {

metrics::Family<metrics::CodeCounter>& family() {
  static auto& f = metrics::registry().codes("mailwright_http_requests_total",
                                             "HTTP requests answered, by route pattern and status.",
                                             {"method", "route"});
  return f;
}

bool loopback(const std::string& address) {
  static const auto v4 = *Cidr::parse("127.0.0.0/8");
  static const auto v6 = *Cidr::parse("::1");
  auto ip = IpAddress::parse(address);
  return ip && (v4.contains(*ip) || v6.contains(*ip));
}

}  // namespace

metrics::CodeCounter& httpRequests(const std::string& method, const std::string& route) {
  return family().with({method, route});
}

metrics::CodeCounter& unmatchedRequests(const std::string& method) {
  // Resolved once: the label set stays bounded whatever methods clients invent.
  static constexpr std::array<const char*, 7> known = {"GET",   "HEAD",   "POST",   "PUT",
                                                       "PATCH", "DELETE", "OPTIONS"};
  static const auto counters = [] {
    std::array<metrics::CodeCounter*, known.size() + 1> c{};
    for (std::size_t i = 0; i < known.size(); ++i) c[i] = &httpRequests(known[i], "other");
    c[known.size()] = &httpRequests("other", "other");
    return c;
  }();
  for (std::size_t i = 0; i < known.size(); ++i)
    if (method == known[i]) return *counters[i];
  return *counters[known.size()];
}

void serveMetrics(Ctx& ctx, const std::string& token) {
  const std::string plain = "text/plain; charset=utf-8";
  if (ctx.method() != "GET" && ctx.method() != "HEAD") {
    ctx.res.set("Allow", "GET, HEAD");
    return ctx.text("405 Method Not Allowed\n", plain, 405);
  }
  if (!token.empty()) {
    std::string auth = ctx.req.get("Authorization", "");
    bool bearer = auth.rfind("Bearer ", 0) == 0;
    if (!bearer || !security::constantTimeEquals(auth.substr(7), token)) {
      ctx.res.set("WWW-Authenticate", "Bearer realm=\"metrics\"");
      return ctx.text("401 Unauthorized\n", plain, 401);
    }
  } else if (!loopback(ctx.clientIp())) {
    return ctx.text("403 Forbidden: set METRICS_TOKEN to scrape from elsewhere\n", plain, 403);
  }
  ctx.res.set("Cache-Control", "no-store");
  ctx.text(metrics::registry().render(), "text/plain; version=0.0.4; charset=utf-8", 200);
}

}  // namespace mw::web
