#pragma once
#include <string>

#include "core/metrics.h"
#include "web/context.h"

namespace mw::web {

// HTTP requests by route pattern (/mailings/{id}, never the raw path: a bounded label set),
// method and status. A route keeps its CodeCounter, so counting a request takes no lock.
metrics::CodeCounter& httpRequests(const std::string& method, const std::string& route);
// Requests that matched no route, by method (GET, POST, ...; anything else is "other").
metrics::CodeCounter& unmatchedRequests(const std::string& method);

// GET /metrics: with METRICS_TOKEN set, only "Authorization: Bearer TOKEN" (401 otherwise);
// unset, loopback clients only (403 otherwise), as resolved through TRUSTED_PROXIES.
void serveMetrics(Ctx& ctx, const std::string& token);

}  // namespace mw::web
