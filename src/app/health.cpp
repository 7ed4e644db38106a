#include "app/health.h"

#include <Poco/JSON/Object.h>

namespace mw::app {

void installHealth(web::Platform& platform) {
  platform.get("/readyz", [](web::Ctx& ctx) {
    auto& p = ctx.platform;
    Poco::JSON::Object::Ptr checks = new Poco::JSON::Object;
    bool ready = true;
    auto check = [&](const char* name, bool ok, const std::string& state) {
      checks->set(name, state);
      ready = ready && ok;
    };
    bool database = p.db.ping();
    check("database", database, database ? "ok" : "unreachable");
    if (database) {
      int pending = 0;
      try {
        pending = p.db.pendingMigrations(p.cfg.resourceDir + "/migrations");
      } catch (const std::exception&) {
        pending = -1;
      }
      check("migrations", pending == 0,
            pending == 0  ? "ok"
            : pending < 0 ? "unknown"
                          : std::to_string(pending) + " pending: run mailwright migrate");
    }
    if (std::string(p.cache->kind()) == "redis") {
      bool redis = p.cache->reachable();
      check("redis", redis, redis ? "ok" : "unreachable");
    }
    Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
    body->set("status", ready ? "ok" : "unavailable");
    body->set("checks", checks);
    ctx.json(body, ready ? 200 : 503);
  });
}

}  // namespace mw::app
