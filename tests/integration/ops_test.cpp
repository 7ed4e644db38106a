// What an operator relies on: /readyz, request ids in answers and logs, JSON log lines, and a
// SIGTERM that ends the process within SHUTDOWN_TIMEOUT.
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include <sstream>

#include "core/db.h"
#include "harness.h"

using namespace mw::test;

TEST(Ops, ReadyzChecksTheDatabaseAndTheSchema) {
  MailwrightServer server(ServerOptions{.env = {{"LOG_FORMAT", "json"}}});
  MW_SKIP_IF_UNAVAILABLE();
  HttpClient http(server.baseUrl());
  auto r = http.get("/readyz");
  ASSERT_EQ(r.status, 200) << r.body;
  auto o = r.json();
  EXPECT_EQ(o->getValue<std::string>("status"), "ok");
  EXPECT_EQ(o->getObject("checks")->getValue<std::string>("database"), "ok");
  EXPECT_EQ(o->getObject("checks")->getValue<std::string>("migrations"), "ok");
  EXPECT_FALSE(o->getObject("checks")->has("redis"));  // not configured

  // A migration the database has not seen: not ready, and the reason says what to run.
  {
    mw::db::Database db(server.databaseUrl(), 1);
    auto c = db.conn();
    c.exec("DELETE FROM schema_migrations WHERE version = $1", {"0004_blog"});
  }
  r = http.get("/readyz");
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.body.find("1 pending: run mailwright migrate"), std::string::npos) << r.body;
  EXPECT_EQ(http.get("/healthz").status, 200);  // alive all the same
}

TEST(Ops, EveryLogLineIsJsonAndCarriesTheRequestId) {
  MailwrightServer server(ServerOptions{.env = {{"LOG_FORMAT", "json"}}});
  MW_SKIP_IF_UNAVAILABLE();
  HttpClient http(server.baseUrl());
  auto r = http.get("/login?next=%0d%0aforged");
  ASSERT_EQ(r.status, 200);
  std::string id = r.header("X-Request-Id");
  ASSERT_GE(id.size(), 10u);
  EXPECT_NE(http.get("/").header("X-Request-Id"), id);  // one per request
  server.stop();
  std::istringstream lines(server.logs());
  std::string line;
  int access = 0, total = 0;
  bool found = false;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] != '{') continue;  // AddressSanitizer's own output, if any
    ++total;
    auto o = Poco::JSON::Parser().parse(line).extract<Poco::JSON::Object::Ptr>();
    ASSERT_TRUE(o->has("ts") && o->has("level") && o->has("event")) << line;
    if (o->getValue<std::string>("event") != "access") continue;
    ++access;
    if (o->getValue<std::string>("req") == id) {
      found = true;
      EXPECT_EQ(o->getValue<std::string>("status"), "200");
      EXPECT_EQ(o->getValue<std::string>("method"), "GET");
    }
  }
  EXPECT_TRUE(found) << server.logs();
  EXPECT_GE(access, 2);
  // Besides the migrations' output, every line the server wrote is a JSON object.
  std::istringstream all(server.logs());
  int other = 0;
  while (std::getline(all, line))
    if (!line.empty() && line[0] != '{' && line.rfind("applied ", 0) != 0 &&
        line.rfind("migrations applied", 0) != 0)
      ++other;
  EXPECT_EQ(other, 0) << server.logs();
  EXPECT_GE(total, 3);
}

TEST(Ops, LogLevelWarnDropsTheAccessLog) {
  MailwrightServer server(ServerOptions{.env = {{"LOG_LEVEL", "warn"}}});
  MW_SKIP_IF_UNAVAILABLE();
  HttpClient http(server.baseUrl());
  EXPECT_EQ(http.get("/").status, 200);
  server.stop();
  EXPECT_EQ(server.logs().find("access"), std::string::npos) << server.logs();
}

TEST(Ops, BadLogSettingsAreRefusedWithAReason) {
  MailwrightServer server;
  MW_SKIP_IF_UNAVAILABLE();
  auto r = runProcess({mailwrightBinary(), "migrate"}, [&] {
    Env e = server.env();
    e["LOG_FORMAT"] = "xml";
    return e;
  }());
  EXPECT_NE(r.exitCode, 0);
  EXPECT_NE(r.err.find("LOG_FORMAT must be text or json"), std::string::npos) << r.err;
}

TEST(Ops, SigtermStopsServeAtOnceWhenIdle) {
  MailwrightServer server(ServerOptions{.env = {{"SHUTDOWN_TIMEOUT", "5"}}});
  MW_SKIP_IF_UNAVAILABLE();
  auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(server.stop(10), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  EXPECT_NE(server.logs().find("stopped"), std::string::npos) << server.logs();
}

TEST(Ops, ReadyAgainRightAfterEveryDatabaseConnectionIsCut) {
  MailwrightServer server;
  MW_SKIP_IF_UNAVAILABLE();
  if (Database::kind() != "postgresql") GTEST_SKIP() << "PostgreSQL only";
  HttpClient http(server.baseUrl());
  ASSERT_EQ(http.get("/readyz").status, 200);
  {
    mw::db::Database admin(envOr("MW_TEST_PG_URL"), 1);
    auto c = admin.conn();
    auto name = server.databaseUrl().substr(server.databaseUrl().rfind('/') + 1);
    c.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> "
        "pg_backend_pid()",
        {name});
  }
  EXPECT_EQ(http.get("/healthz").status, 200);
  EXPECT_EQ(http.get("/readyz").status, 200) << server.logs();
}
