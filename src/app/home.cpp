#include "app/home.h"

#include <Poco/JSON/Object.h>

#include <sstream>

#include "blog/module.h"
#include "clients/repo.h"
#include "mailings/repo.h"
#include "messages/repo.h"

namespace mw::app {
namespace {

struct Figures {
  std::int64_t total = 0;
  std::int64_t active = 0;
  std::int64_t clients = 0;
};

// The service-wide figures (SPEC §7: the home page's general statistics), the same for
// visitors and users; unique clients are distinct addresses across all owners. Cached until any
// write or a mailing status change (see invalidateHome); the TTL only bounds what another
// process (a separate `worker` with the in-process cache) may change unseen.
Figures figures(web::Ctx& ctx) {
  auto& cache = *ctx.platform.cache;
  std::string key = cache.key("home", "figures");
  Figures f;
  if (auto hit = cache.get(key)) {
    std::istringstream in(*hit);
    if (in >> f.total >> f.active >> f.clients) return f;
  }
  auto c = ctx.platform.db.conn();
  f = {mailings::Repo(c).total(std::nullopt), mailings::Repo(c).running(std::nullopt),
       clients::Repo(c).uniqueEmails(std::nullopt)};
  cache.set(
      key,
      std::to_string(f.total) + " " + std::to_string(f.active) + " " + std::to_string(f.clients),
      30);
  return f;
}

// The three first steps of an account without a mailing yet (clients, a message, a mailing), each
// marked done when it is; empty once the first mailing exists. Existence only: LIMIT 1, so an
// account of a million clients pays what an empty one does.
web::Data firstSteps(web::Ctx& ctx) {
  web::Data steps(web::Data::type::list);
  auto c = ctx.platform.db.conn();
  auto owner = ctx.user->id;
  if (mailings::Repo(c).total(owner) > 0) return steps;
  bool hasClients = clients::Repo(c).countUpTo(owner, "", 0, "", 1) > 0;
  bool hasMessage = messages::Repo(c).count(owner, "") > 0;
  struct Step {
    const char* key;
    const char* url;
    const char* icon;
    bool done;
  };
  const Step all[] = {{"clients", "/clients/new", "people", hasClients},
                      {"message", "/messages/new", "envelope", hasMessage},
                      {"mailing", "/mailings/new", "send", false}};
  int n = 0;
  for (const auto& s : all) {
    web::Data step;
    step.set("number", std::to_string(++n));
    step.set("title", ctx.t(std::string("home_step_") + s.key));
    step.set("help", ctx.t(std::string("home_step_") + s.key + "_help"));
    step.set("url", s.url);
    step.set("icon", s.icon);
    step.set("done", s.done);
    steps.push_back(step);
  }
  return steps;
}

}  // namespace

void invalidateHome(Cache& cache) {
  cache.bump("home");
}

void invalidateHome(web::Platform& platform) {
  invalidateHome(*platform.cache);
}

void installHome(web::Platform& platform) {
  // Clients and mailings change through many pages and APIs: any write drops the figures.
  platform.onWrite([&platform] { invalidateHome(platform); });
  platform.get("/", [](web::Ctx& ctx) {
    auto f = figures(ctx);
    web::Data stats;
    stats.set("mailings_total", std::to_string(f.total));
    stats.set("mailings_active", std::to_string(f.active));
    stats.set("clients_unique", std::to_string(f.clients));
    web::Data d;
    d.set("title", ctx.t("home_title"));
    d.set("stats", stats);
    web::Data articles(web::Data::type::list);
    for (auto& a : blog::homeArticles(ctx, 3)) articles.push_back(a);
    d.set("has_articles", !articles.is_empty_list());
    d.set("articles", articles);
    if (ctx.user) {
      auto steps = firstSteps(ctx);
      d.set("has_steps", !steps.is_empty_list());
      d.set("steps", steps);
    }
    ctx.html("home", d);
  });
  platform.get("/api/v1/stats", [](web::Ctx& ctx) {
    if (!ctx.user) throw web::HttpError(401, "error_auth_required");
    auto f = figures(ctx);
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
    o->set("mailings_total", f.total);
    o->set("mailings_active", f.active);
    o->set("clients_unique", f.clients);
    ctx.json(o);
  });
}

}  // namespace mw::app
