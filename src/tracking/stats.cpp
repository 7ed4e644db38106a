// A mailing's opens and clicks on its page and in GET /api/v1/mailings/{id}/stats.
#include <Poco/JSON/Array.h>

#include <cstdio>

#include "tracking/module.h"
#include "tracking/repo.h"

namespace mw::tracking {
namespace {

// "12.5": one decimal, so that 1 open of 1,000 messages does not show as 0.
std::string rate(std::int64_t part, std::int64_t whole) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", whole > 0 ? 100.0 * double(part) / double(whole) : 0.0);
  return buf;
}

double rateValue(std::int64_t part, std::int64_t whole) {
  return whole > 0 ? double(part) / double(whole) : 0.0;
}

}  // namespace

void describe(db::Conn& c, std::int64_t mailingId, std::int64_t delivered, web::Data& d) {
  Repo repo(c);
  auto o = repo.opens(mailingId);
  auto k = repo.clicks(mailingId);
  web::Data t;
  t.set("delivered", std::to_string(delivered));
  t.set("opened", std::to_string(o.opened));
  t.set("opened_rate", rate(o.opened, delivered));
  t.set("opened_machine", std::to_string(o.openedMachine));
  t.set("opened_machine_rate", rate(o.openedMachine, delivered));
  t.set("clicked", std::to_string(k.clicked));
  t.set("clicked_rate", rate(k.clicked, delivered));
  t.set("clicks", std::to_string(k.clicks));
  web::Data links(web::Data::type::list);
  for (const auto& l : k.links) {
    web::Data row;
    row.set("url", l.url);
    row.set("unique", std::to_string(l.unique));
    row.set("unique_rate", rate(l.unique, delivered));
    row.set("total", std::to_string(l.total));
    links.push_back(row);
  }
  t.set("has_links", !k.links.empty());
  t.set("links", links);
  d.set("tracking", t);
}

void addStats(db::Conn& c, std::int64_t mailingId, std::int64_t delivered, Poco::JSON::Object& o) {
  Repo repo(c);
  auto op = repo.opens(mailingId);
  auto k = repo.clicks(mailingId);
  o.set("delivered", delivered);
  o.set("opened", op.opened);
  o.set("opened_machine", op.openedMachine);
  o.set("opens", op.opens);
  o.set("machine_opens", op.machineOpens);
  o.set("clicked", k.clicked);
  o.set("clicks", k.clicks);
  o.set("open_rate", rateValue(op.opened, delivered));
  o.set("click_rate", rateValue(k.clicked, delivered));
  Poco::JSON::Array::Ptr links = new Poco::JSON::Array;
  for (const auto& l : k.links) {
    Poco::JSON::Object::Ptr row = new Poco::JSON::Object;
    row->set("id", l.id);
    row->set("url", l.url);
    row->set("unique", l.unique);
    row->set("total", l.total);
    links->add(row);
  }
  o.set("links", links);
}

}  // namespace mw::tracking
