// /admin/destinations (issue 14.2, role admin): the per-destination limits in force, what each
// destination took in its window, and whether a 421/451 slowed it down; GET
// /api/v1/destinations gives the same as JSON. The limits are set by DESTINATION_LIMITS.
#include <Poco/JSON/Array.h>

#include <cmath>

#include "core/config.h"
#include "delivery/module.h"
#include "web/guards.h"
#include "web/platform.h"

namespace mw::delivery {
namespace {

using web::Ctx;
using web::Data;

std::string domainsText(const DestinationLimit& l) {
  std::string out;
  for (const auto& d : l.domains) out += (out.empty() ? "" : ", ") + d;
  return out;
}

// "20" or the word for no limit; the same for a rate.
std::string connectionsText(Ctx& ctx, const DestinationLimit& l) {
  return l.connections ? std::to_string(l.connections) : ctx.t("relay_unlimited");
}
std::string rateOf(Ctx& ctx, const DestinationLimit& l) {
  return l.rate.count ? rateText(l.rate) : ctx.t("relay_unlimited");
}

int percent(double factor) {
  return static_cast<int>(std::lround(factor * 100));
}

void page(Ctx& ctx, Destinations& destinations) {
  Data rows(Data::type::list);
  for (const auto& s : destinations.states()) {
    Data d;
    d.set("name", s.name);
    d.set("domains", domainsText(*s.limit));
    d.set("connections", connectionsText(ctx, *s.limit));
    d.set("rate", rateOf(ctx, *s.limit));
    d.set("in_window", s.limit->rate.count ? std::to_string(s.inWindow) : "—");
    d.set("slowed", s.factor < 1);
    d.set("pace", std::to_string(percent(s.factor)) + "%");
    rows.push_back(d);
  }
  std::string rest = ctx.t("relay_unlimited");
  for (const auto& l : destinations.limits())
    if (l.domains.front() == "*" && l.limited())
      rest = connectionsText(ctx, l) + " · " + rateOf(ctx, l);
  Data d;
  d.set("title", ctx.t("destinations_title"));
  d.set("destinations", rows);
  d.set("rest", rest);
  d.set("shared", !ctx.platform.cfg.redisUrl.empty());
  ctx.html("delivery/destinations", d, 200);
}

void api(Ctx& ctx, Destinations& destinations) {
  Poco::JSON::Array::Ptr items = new Poco::JSON::Array;
  for (const auto& s : destinations.states()) {
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
    Poco::JSON::Array::Ptr domains = new Poco::JSON::Array;
    for (const auto& dom : s.limit->domains) domains->add(dom);
    o->set("name", s.name);
    o->set("domains", domains);
    o->set("connections", s.limit->connections);
    o->set("rate", rateText(s.limit->rate));
    o->set("in_window", s.inWindow);
    o->set("pace", s.factor);
    items->add(o);
  }
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
  o->set("items", items);
  o->set("shared", !ctx.platform.cfg.redisUrl.empty());
  ctx.json(o);
}

}  // namespace

void installDestinations(web::Platform& p, Destinations& destinations) {
  p.get(
      "/admin/destinations", [&destinations](Ctx& ctx) { page(ctx, destinations); },
      web::role("admin"));
  p.get(
      "/api/v1/destinations", [&destinations](Ctx& ctx) { api(ctx, destinations); },
      web::role("admin"));
}

}  // namespace mw::delivery
