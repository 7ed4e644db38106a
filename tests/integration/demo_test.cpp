// A new account is guided (the home page's three first steps), `mailwright demo` fills an empty
// one with sample data through each domain's own code, and Tx nests as a savepoint for it.
#include <gtest/gtest.h>

#include "app.h"
#include "core/db.h"
#include "database.h"
#include "domain.h"
#include "harness.h"

using namespace mw::test;

namespace {

int total(HttpClient& api, const std::string& path, const std::string& token) {
  return api.getJson(path, token).json()->getValue<int>("total");
}

std::size_t countOf(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

}  // namespace

TEST(Demo, NestedTransactionsAreSavepoints) {
  TempDir dir;
  MW_FRESH_DATABASE_URL(url, dir);
  mw::db::Database db(url, 1);
  auto c = db.conn();
  c.exec("CREATE TABLE t (v INTEGER)");
  {
    mw::db::Tx outer(c);
    c.exec("INSERT INTO t(v) VALUES (1)");
    {
      mw::db::Tx inner(c);
      c.exec("INSERT INTO t(v) VALUES (2)");
    }  // not committed: only its own row is undone
    {
      mw::db::Tx inner(c);
      c.exec("INSERT INTO t(v) VALUES (3)");
      inner.commit();
    }
    EXPECT_EQ(c.scalar("SELECT SUM(v) FROM t"), 4);
    outer.commit();
  }
  EXPECT_EQ(c.scalar("SELECT SUM(v) FROM t"), 4);
  {
    mw::db::Tx outer(c);
    mw::db::Tx inner(c);
    c.exec("INSERT INTO t(v) VALUES (10)");
    inner.commit();
  }  // the outer rolls back what its savepoint released
  EXPECT_EQ(c.scalar("SELECT SUM(v) FROM t"), 4);
  mw::db::Tx again(c);  // the connection is usable, outside any transaction
  again.commit();
}

TEST(Demo, AnEmptyAccountIsGuidedAndDemoFillsIt) {
  MailwrightServer server;
  MW_SKIP_IF_UNAVAILABLE();
  createUser(server, "anna@example.com");
  createUser(server, "boris@example.com");
  HttpClient web(server.baseUrl());
  ASSERT_EQ(login(web, "anna@example.com").status, 303);
  auto home = web.get("/");
  ASSERT_TRUE(contains(home.body, "id=\"first-steps\"")) << home.body;
  for (const char* link : {"/clients/new", "/messages/new", "/mailings/new"})
    EXPECT_TRUE(contains(home.body, std::string("href=\"") + link + "\"")) << link;
  EXPECT_FALSE(contains(home.body, "bi-check-circle-fill"));
  HttpClient anon(server.baseUrl());
  EXPECT_FALSE(contains(anon.get("/").body, "first-steps"));
  // A step done is marked; the others stay.
  HttpClient api(server.baseUrl());
  auto boris = tokenFor(server, "boris@example.com");
  apiClient(api, boris, "someone@example.com");
  HttpClient bweb(server.baseUrl());
  ASSERT_EQ(login(bweb, "boris@example.com").status, 303);
  home = bweb.get("/");
  EXPECT_EQ(countOf(home.body, "bi-check-circle-fill"), 1u) << home.body;

  // Bad use: a clear message and a non-zero exit, nothing written.
  EXPECT_EQ(server.cli({"demo"}).exitCode, 2);
  EXPECT_EQ(server.cli({"demo", "--email", "anna@example.com", "--clients", "lots"}).exitCode, 2);
  auto nobody = server.cli({"demo", "--email", "nobody@example.com"});
  EXPECT_EQ(nobody.exitCode, 1);
  EXPECT_TRUE(contains(nobody.err, "no user with email nobody@example.com")) << nobody.err;
  auto busy = server.cli({"demo", "--email", "boris@example.com"});
  EXPECT_EQ(busy.exitCode, 1);
  EXPECT_TRUE(contains(busy.err, "empty account only")) << busy.err;

  auto r = server.cli({"demo", "--email", "anna@example.com"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  auto anna = tokenFor(server, "anna@example.com");
  EXPECT_EQ(total(api, "/api/v1/clients", anna), 60);
  EXPECT_EQ(total(api, "/api/v1/groups", anna), 3);
  EXPECT_EQ(total(api, "/api/v1/messages", anna), 3);
  EXPECT_EQ(total(api, "/api/v1/mailings", anna), 2);
  EXPECT_EQ(total(api, "/api/v1/clients", boris), 1);  // nobody else's account changes
  auto groups = api.getJson("/api/v1/groups", anna).json()->getArray("items");
  std::int64_t members = 0;
  for (std::size_t i = 0; i < groups->size(); ++i)
    members += groups->getObject(i)->getValue<std::int64_t>("clients_count");
  EXPECT_GT(members, 30);
  // The pages show them (the blog's cache was dropped by the command), the steps are gone.
  EXPECT_TRUE(contains(web.get("/clients").body, "client60@example.net"));
  EXPECT_TRUE(contains(web.get("/mailings").body, "Новости недели"));
  EXPECT_TRUE(contains(anon.get("/blog").body, "Когда отправлять письма"));
  EXPECT_FALSE(contains(web.get("/").body, "first-steps"));
  // Run twice, it refuses: the account is not empty any more.
  auto again = server.cli({"demo", "--email", "anna@example.com"});
  EXPECT_EQ(again.exitCode, 1);
  EXPECT_EQ(total(api, "/api/v1/clients", anna), 60);
}
