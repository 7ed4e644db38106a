// The home page and /api/v1/stats: service-wide figures that follow the data, and the sign-up
// call to action for visitors.
#include <Poco/JSON/Array.h>
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "app.h"
#include "core/db.h"
#include "domain.h"
#include "harness.h"

using namespace mw::test;

namespace {

// The figure in the element with that id on the home page, -1 when absent.
long figure(const std::string& html, const std::string& id) {
  std::string marker = "id=\"" + id + "\">";
  auto pos = html.find(marker);
  if (pos == std::string::npos) return -1;
  return std::strtol(html.c_str() + pos + marker.size(), nullptr, 10);
}

struct Figures {
  long total, active, clients;
  bool operator==(const Figures& o) const {
    return total == o.total && active == o.active && clients == o.clients;
  }
};

std::ostream& operator<<(std::ostream& out, const Figures& f) {
  return out << "{total " << f.total << ", active " << f.active << ", clients " << f.clients << "}";
}

Figures fromHome(HttpClient& c) {
  auto r = c.get("/");
  EXPECT_EQ(r.status, 200);
  return {figure(r.body, "stat-total"), figure(r.body, "stat-active"),
          figure(r.body, "stat-clients")};
}

Figures fromApi(HttpClient& c, const std::string& token) {
  auto o = c.getJson("/api/v1/stats", token).json();
  return {o->getValue<long>("mailings_total"), o->getValue<long>("mailings_active"),
          o->getValue<long>("clients_unique")};
}

}  // namespace

TEST(Home, FiguresFollowTheDataAndVisitorsAreInvitedToSignUp) {
  SmtpCapture smtp;
  MailwrightServer server(ServerOptions{.smtp = &smtp});
  MW_SKIP_IF_UNAVAILABLE();
  HttpClient anon(server.baseUrl());
  auto home = anon.get("/");
  ASSERT_EQ(home.status, 200);
  EXPECT_TRUE(contains(home.body, "href=\"/register\""));
  EXPECT_TRUE(contains(home.body, "Create a free account"));
  EXPECT_EQ(fromHome(anon), (Figures{0, 0, 0}));

  createUser(server, "anna@example.com");
  createUser(server, "boris@example.com");
  createUser(server, "manager@example.com", kStrongPassword, "manager");
  auto anna = tokenFor(server, "anna@example.com");
  auto boris = tokenFor(server, "boris@example.com");
  HttpClient api(server.baseUrl());
  auto a1 = apiClient(api, anna, "shared@example.com", "Общий");
  apiClient(api, anna, "only-anna@example.com");
  auto b1 = apiClient(api, boris, "SHARED@example.com", "Тот же адрес");
  apiClient(api, boris, "only-boris@example.com");
  // The same address with two owners is one unique client.
  EXPECT_EQ(fromHome(anon), (Figures{0, 0, 3}));

  auto am = apiMessage(api, anna, "Hi");
  auto bm = apiMessage(api, boris, "Hi");
  apiMailing(api, anna, am, {a1}, "Future");
  // Started a moment ago, daily until next month: it runs at once and stays running.
  Poco::JSON::Object daily;
  daily.set("name", "Daily");
  daily.set("message_id", bm);
  Poco::JSON::Array ids;
  ids.add(b1);
  daily.set("client_ids", ids);
  daily.set("start_at", isoIn(-60));
  daily.set("end_at", isoIn(30 * 86400));
  daily.set("periodicity", "daily");
  auto running = apiCreate(api, "/api/v1/mailings", daily, boris);
  // Usually cached while still "created": the scheduler's start must drop the cached figures.
  fromHome(anon);
  auto path = "/api/v1/mailings/" + std::to_string(running);
  std::string status;
  for (int i = 0; i < 100 && status != "running"; ++i) {
    status = api.getJson(path, boris).json()->getValue<std::string>("status");
    if (status != "running") std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ASSERT_EQ(status, "running") << server.logs();
  EXPECT_EQ(fromHome(anon), (Figures{2, 1, 3}));

  // Everyone sees the same service-wide figures, on the page and through the API; a signed-in
  // user is offered a new mailing instead of the sign-up.
  HttpClient web(server.baseUrl());
  ASSERT_EQ(login(web, "anna@example.com").status, 303);
  home = web.get("/");
  EXPECT_FALSE(contains(home.body, "href=\"/register\""));
  EXPECT_TRUE(contains(home.body, "href=\"/mailings/new\""));
  EXPECT_EQ(fromHome(web), (Figures{2, 1, 3}));
  EXPECT_EQ(fromApi(api, anna), (Figures{2, 1, 3}));
  EXPECT_EQ(api.getJson("/api/v1/stats").status, 401);

  // A disabled mailing is no longer active; deleting clients and mailings lowers the figures.
  auto manager = tokenFor(server, "manager@example.com");
  EXPECT_EQ(api.postJson(path + "/disable", "", manager).status, 200);
  EXPECT_EQ(fromHome(anon), (Figures{2, 0, 3}));
  auto extra = apiClient(api, anna, "extra@example.com");
  EXPECT_EQ(fromHome(anon).clients, 4);
  EXPECT_EQ(api.del("/api/v1/clients/" + std::to_string(extra), anna).status, 204);
  EXPECT_EQ(fromHome(anon).clients, 3);

  // The figures are cached: a change behind the application's back is not seen, until the next
  // write through the application drops them.
  {
    mw::db::Database db(server.databaseUrl(), 1);
    auto c = db.conn();
    c.exec("UPDATE clients SET email = $1 WHERE id = $2", {"behind@example.com", a1});
  }
  EXPECT_EQ(fromHome(anon).clients, 3);
  apiClient(api, anna, "new@example.com");
  EXPECT_EQ(fromHome(anon).clients, 5);
}

// Without Redis, a separate `worker` that starts a mailing drops the figures `serve` cached:
// the cache versions are shared through the database (before, serve showed them for 30 s).
TEST(Home, AWorkersStatusChangeReachesTheFiguresServeCached) {
  SmtpCapture smtp;
  MailwrightServer server(ServerOptions{.smtp = &smtp, .serveArgs = {"--no-scheduler"}});
  MW_SKIP_IF_UNAVAILABLE();
  createUser(server, "anna@example.com");
  auto anna = tokenFor(server, "anna@example.com");
  HttpClient api(server.baseUrl()), anon(server.baseUrl());
  auto a1 = apiClient(api, anna, "a1@example.com");
  auto m = apiMessage(api, anna, "Hi");
  Poco::JSON::Object daily;
  daily.set("name", "Daily");
  daily.set("message_id", m);
  Poco::JSON::Array ids;
  ids.add(a1);
  daily.set("client_ids", ids);
  daily.set("start_at", isoIn(-60));
  daily.set("end_at", isoIn(30 * 86400));
  daily.set("periodicity", "daily");
  auto id = apiCreate(api, "/api/v1/mailings", daily, anna);
  EXPECT_EQ(fromHome(anon).active, 0);  // cached now; serve has no scheduler to start it
  TempDir logs;
  ChildProcess worker({mailwrightBinary(), "worker"}, server.env(), logs.file("worker.log"));
  auto path = "/api/v1/mailings/" + std::to_string(id);
  std::string status;
  for (int i = 0; i < 150 && status != "running"; ++i) {
    status = api.getJson(path, anna).json()->getValue<std::string>("status");
    if (status != "running") std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(status, "running") << worker.log();
  // Seen within the 250 ms a process keeps a version, not the 30 s the figures are kept.
  long active = 0;
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while ((active = fromHome(anon).active) != 1 && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(active, 1);
}
