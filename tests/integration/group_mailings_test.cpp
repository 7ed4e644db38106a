// Issue 12.2: a mailing targets groups, picked clients and/or all of its owner's clients; the
// recipients are resolved when each run starts, one message per address, through the API and
// the form, with every group id owned by the caller.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "app.h"
#include "domain.h"
#include "harness.h"

using namespace mw::test;

namespace {

struct GroupMailings : ::testing::Test {
  void SetUp() override {
    server = std::make_unique<MailwrightServer>(ServerOptions{.smtp = &smtp});
    if (testUnavailable()) return;
    createUser(*server, "anna@example.com");
    createUser(*server, "boris@example.com");
    token = tokenFor(*server, "anna@example.com");
    otherToken = tokenFor(*server, "boris@example.com");
    api = std::make_unique<HttpClient>(server->baseUrl());
  }
  std::int64_t group(const std::string& name, const std::vector<std::int64_t>& members,
                     const std::string& t = "") {
    const std::string& who = t.empty() ? token : t;
    Poco::JSON::Object body;
    body.set("name", name);
    auto id = apiCreate(*api, "/api/v1/groups", body, who);
    if (!members.empty()) {
      EXPECT_EQ(addMembers(id, members, who).status, 200);
    }
    return id;
  }
  Response addMembers(std::int64_t g, const std::vector<std::int64_t>& ids, const std::string& t) {
    return api->request("POST", "/api/v1/groups/" + std::to_string(g) + "/clients",
                        R"({"client_ids":)" + list(ids) + "}", "application/json",
                        {{"Authorization", "Bearer " + t}});
  }
  static std::string list(const std::vector<std::int64_t>& ids) {
    std::string s = "[";
    for (size_t i = 0; i < ids.size(); ++i) s += (i ? "," : "") + std::to_string(ids[i]);
    return s + "]";
  }
  // A one-off mailing in 2035 (so that only "send now" runs it), from the given audience JSON.
  Response createMailing(const std::string& audience, const std::string& t = "") {
    auto msg = apiMessage(*api, t.empty() ? token : t, "Новости");
    return api->postJson("/api/v1/mailings",
                         R"({"name":"Группы","message_id":)" + std::to_string(msg) + "," +
                             audience + R"(,"start_at":"2035-01-01T09:00:00Z"})",
                         t.empty() ? token : t);
  }
  // Sends the mailing to everyone now and returns the addresses of the messages of that run.
  std::vector<std::string> sendNow(std::int64_t id) {
    size_t before = smtp.messages().size();
    auto r = api->postJson("/api/v1/mailings/" + std::to_string(id) + "/send",
                           R"({"audience":"all"})", token);
    EXPECT_EQ(r.status, 202) << r.body;
    // Wait for the run to end: every delivery sent or failed.
    auto path = "/api/v1/mailings/" + std::to_string(id) + "/stats";
    for (int i = 0; i < 150; ++i) {
      auto run = api->getJson(path, token).json()->getObject("last_run");
      if (run && run->getValue<std::int64_t>("id") > lastRun && run->getValue<bool>("finished")) {
        lastRun = run->getValue<std::int64_t>("id");
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    std::vector<std::string> out;
    auto all = smtp.messages();
    for (size_t i = before; i < all.size(); ++i)
      for (const auto& rcpt : all[i].rcptTos) out.push_back(rcpt);
    std::sort(out.begin(), out.end());
    return out;
  }
  int total() { return api->getJson("/api/v1/mailings", token).json()->getValue<int>("total"); }
  SmtpCapture smtp;
  std::unique_ptr<MailwrightServer> server;
  std::unique_ptr<HttpClient> api;
  std::string token, otherToken;
  std::int64_t lastRun = 0;
};

using Emails = std::vector<std::string>;

}  // namespace

TEST_F(GroupMailings, OverlappingGroupsSendOncePerAddressAndMembersAreTakenAtEachRun) {
  MW_SKIP_IF_UNAVAILABLE();
  auto a = apiClient(*api, token, "a@example.com");
  auto b = apiClient(*api, token, "b@example.com");
  auto c = apiClient(*api, token, "c@example.com");
  auto d = apiClient(*api, token, "d@example.com");
  apiClient(*api, token, "outside@example.com");
  auto g1 = group("Покупатели", {a, b});
  auto g2 = group("Подписчики", {b, c});
  auto r = createMailing(R"("group_ids":[)" + std::to_string(g1) + "," + std::to_string(g2) +
                         R"(],"client_ids":[)" + std::to_string(a) + "]");
  ASSERT_EQ(r.status, 201) << r.body;
  auto id = r.json()->getValue<std::int64_t>("id");
  EXPECT_EQ(r.json()->getArray("group_ids")->size(), 2u);
  EXPECT_FALSE(r.json()->getValue<bool>("all_clients"));
  // The mailing's page counts who a run would reach now and names the groups.
  HttpClient web(server->baseUrl());
  ASSERT_EQ(login(web, "anna@example.com").status, 303);
  auto view = web.get("/mailings/" + std::to_string(id));
  EXPECT_TRUE(contains(view.body, "id=\"audience-count\">3 recipients<")) << view.body;
  EXPECT_TRUE(contains(view.body, "Покупатели"));
  // a is picked and in a group, b is in both groups: each gets one message.
  EXPECT_EQ(sendNow(id), (Emails{"a@example.com", "b@example.com", "c@example.com"}));
  // d joins a group between two runs: the second run reaches d too.
  EXPECT_EQ(addMembers(g2, {d}, token).status, 200);
  EXPECT_EQ(sendNow(id),
            (Emails{"a@example.com", "b@example.com", "c@example.com", "d@example.com"}));
  // A deleted group leaves the mailing; what it still targets is sent as before.
  EXPECT_EQ(api->request("DELETE", "/api/v1/groups/" + std::to_string(g2), "", "",
                         {{"Authorization", "Bearer " + token}})
                .status,
            204);
  EXPECT_EQ(sendNow(id), (Emails{"a@example.com", "b@example.com"}));
}

TEST_F(GroupMailings, AllClientsMeansTheOwnersClientsAtEachRun) {
  MW_SKIP_IF_UNAVAILABLE();
  apiClient(*api, token, "one@example.com");
  apiClient(*api, otherToken, "boris-client@example.com");
  auto r = createMailing(R"("all_clients":true)");
  ASSERT_EQ(r.status, 201) << r.body;
  auto id = r.json()->getValue<std::int64_t>("id");
  EXPECT_TRUE(r.json()->getValue<bool>("all_clients"));
  EXPECT_EQ(sendNow(id), (Emails{"one@example.com"}));
  apiClient(*api, token, "two@example.com");
  EXPECT_EQ(sendNow(id), (Emails{"one@example.com", "two@example.com"}));
  // Unsetting it with nothing else to send to is refused, with the error on the audience.
  auto p =
      api->request("PATCH", "/api/v1/mailings/" + std::to_string(id), R"({"all_clients":false})",
                   "application/json", {{"Authorization", "Bearer " + token}});
  EXPECT_EQ(p.status, 422) << p.body;
  EXPECT_TRUE(contains(p.body, "client_ids")) << p.body;
  EXPECT_EQ(
      api->request("PATCH", "/api/v1/mailings/" + std::to_string(id), R"({"all_clients":"yes"})",
                   "application/json", {{"Authorization", "Bearer " + token}})
          .status,
      422);
}

TEST_F(GroupMailings, AnotherUsersGroupIsRefusedInTheApiAndTheForm) {
  MW_SKIP_IF_UNAVAILABLE();
  auto mine = group("Мои", {apiClient(*api, token, "mine@example.com")});
  auto theirs = group("Чужие", {apiClient(*api, otherToken, "theirs@example.com")}, otherToken);
  auto r = createMailing(R"("group_ids":[)" + std::to_string(theirs) + "]");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_TRUE(contains(r.body, "group_ids")) << r.body;
  EXPECT_EQ(
      createMailing(R"("group_ids":[)" + std::to_string(mine) + "," + std::to_string(theirs) + "]")
          .status,
      422);
  EXPECT_EQ(createMailing(R"("group_ids":"1")").status, 422);
  EXPECT_EQ(createMailing(R"("group_ids":[])").status, 422);  // nobody to send to

  // The form lists only Anna's groups and shows the error beside the audience.
  HttpClient web(server->baseUrl());
  ASSERT_EQ(login(web, "anna@example.com").status, 303);
  auto page = web.get("/mailings/new");
  ASSERT_EQ(page.status, 200);
  EXPECT_TRUE(contains(page.body, "Мои"));
  EXPECT_FALSE(contains(page.body, "Чужие"));
  auto msg = apiMessage(*api, token, "Письмо");
  auto bad = submit(web, "/mailings",
                    {{"name", "Чужая группа"},
                     {"message_id", std::to_string(msg)},
                     {"group_ids", std::to_string(theirs)},
                     {"start_at", "2035-01-01T09:00"},
                     {"periodicity", "once"}});
  EXPECT_EQ(bad.status, 422);
  EXPECT_TRUE(contains(bad.body, "Choose among your own groups")) << bad.body;
  EXPECT_EQ(total(), 0);
  auto ok = submit(web, "/mailings",
                   {{"name", "Своя группа"},
                    {"message_id", std::to_string(msg)},
                    {"group_ids", std::to_string(mine)},
                    {"start_at", "2035-01-01T09:00"},
                    {"periodicity", "once"}});
  EXPECT_EQ(ok.status, 303) << ok.body;
  ASSERT_EQ(total(), 1);
  auto items = api->getJson("/api/v1/mailings", token).json()->getArray("items");
  auto created = api->getJson("/api/v1/mailings/" +
                                  std::to_string(items->getObject(0)->getValue<std::int64_t>("id")),
                              token)
                     .json();
  EXPECT_EQ(created->getArray("group_ids")->getElement<std::int64_t>(0), mine);
}

TEST_F(GroupMailings, DeletedClientsKeepTheirHistoryAndErasedOnesLoseTheirAddress) {
  MW_SKIP_IF_UNAVAILABLE();
  auto kept = apiClient(*api, token, "kept@example.com");
  auto gone = apiClient(*api, token, "gone@example.com");
  auto erased = apiClient(*api, token, "erased@example.com", "Ерофей Стёртый");
  auto r = createMailing(R"("all_clients":true)");
  ASSERT_EQ(r.status, 201) << r.body;
  auto id = r.json()->getValue<std::int64_t>("id");
  ASSERT_EQ(sendNow(id).size(), 3u);
  auto del = [&](const std::string& path, const std::string& t) {
    return api->request(path.ends_with("/erase") ? "POST" : "DELETE", path, "", "",
                        {{"Authorization", "Bearer " + t}});
  };
  auto clientPath = [](std::int64_t c) { return "/api/v1/clients/" + std::to_string(c); };
  // Another user's client answers 404 and stays.
  EXPECT_EQ(del(clientPath(erased) + "/erase", otherToken).status, 404);
  EXPECT_EQ(del(clientPath(gone), otherToken).status, 404);
  EXPECT_EQ(del(clientPath(gone), token).status, 204);
  EXPECT_EQ(del(clientPath(erased) + "/erase", token).status, 204);
  EXPECT_EQ(api->getJson(clientPath(erased), token).status, 404);
  EXPECT_EQ(api->getJson(clientPath(kept), token).status, 200);

  auto attempts =
      api->getJson("/api/v1/mailings/" + std::to_string(id) + "/attempts", token).json();
  EXPECT_EQ(attempts->getValue<int>("total"), 3);
  std::string all = toJson(*attempts);
  EXPECT_TRUE(contains(all, "kept@example.com")) << all;
  EXPECT_TRUE(contains(all, "gone@example.com")) << all;  // deleted: its history stays readable
  EXPECT_FALSE(contains(all, "erased@example.com")) << all;
  EXPECT_TRUE(contains(all, "@erased.invalid")) << all;
  // Nowhere the owner can look: the mailing's page, the attempt log, the CSV export.
  HttpClient web(server->baseUrl());
  ASSERT_EQ(login(web, "anna@example.com").status, 303);
  auto m = "/mailings/" + std::to_string(id);
  for (const std::string& page :
       {m, m + "/attempts", m + "/attempts.csv", std::string("/reports/attempts.csv"),
        std::string("/clients/export.csv")}) {
    auto p = web.get(page);
    EXPECT_EQ(p.status, 200) << page;
    EXPECT_FALSE(contains(p.body, "erased@example.com")) << page;
    EXPECT_FALSE(contains(p.body, "Ерофей")) << page;
  }
  // The next run goes to the clients that are left.
  EXPECT_EQ(sendNow(id), (Emails{"kept@example.com"}));
}

TEST_F(GroupMailings, ABigListIsPickedBySearchNotListedInTheForm) {
  MW_SKIP_IF_UNAVAILABLE();
  std::string csv = "email,name%0A";
  for (int i = 0; i < 250; ++i)
    csv += "shopper" + std::to_string(i) + "%40example.com,Buyer " + std::to_string(i) + "%0A";
  auto imported =
      api->request("POST", "/api/v1/clients/import", "csv=" + csv,
                   "application/x-www-form-urlencoded", {{"Authorization", "Bearer " + token}});
  ASSERT_EQ(imported.status, 200) << imported.body;
  apiClient(*api, otherToken, "shopper-of-boris@example.com");
  HttpClient web(server->baseUrl());
  ASSERT_EQ(login(web, "anna@example.com").status, 303);
  auto form = web.get("/mailings/new");
  ASSERT_EQ(form.status, 200);
  EXPECT_TRUE(contains(form.body, "id=\"client-search\""));
  EXPECT_FALSE(contains(form.body, "shopper1@example.com"));
  EXPECT_LT(form.body.size(), 40'000u);
  // The search answers with at most 30 of Anna's clients, never Boris's.
  auto found = web.get("/mailings/picker?q=shopper");
  ASSERT_EQ(found.status, 200);
  size_t boxes = 0;
  for (size_t at = 0; (at = found.body.find("name=\"client_ids\"", at)) != std::string::npos; ++at)
    ++boxes;
  EXPECT_EQ(boxes, 30u);
  EXPECT_FALSE(contains(found.body, "shopper-of-boris"));
  auto one = web.get("/mailings/picker?q=shopper17%40");
  EXPECT_TRUE(contains(one.body, "shopper17@example.com"));
  EXPECT_FALSE(contains(one.body, "shopper170@"));
  EXPECT_TRUE(contains(web.get("/mailings/picker?q=nobody").body, "No client matches"));
  EXPECT_EQ(HttpClient(server->baseUrl()).get("/mailings/picker?q=shopper").status, 303);
  // Picked clients are shown (checked) when the mailing is edited.
  auto ids = api->getJson("/api/v1/clients?q=shopper1%40", token).json()->getArray("items");
  auto picked = ids->getObject(0)->getValue<std::int64_t>("id");
  auto r = createMailing(R"("client_ids":[)" + std::to_string(picked) + "]");
  ASSERT_EQ(r.status, 201) << r.body;
  auto edit =
      web.get("/mailings/" + std::to_string(r.json()->getValue<std::int64_t>("id")) + "/edit");
  EXPECT_TRUE(contains(edit.body, "value=\"" + std::to_string(picked) + "\" id=\"client-" +
                                      std::to_string(picked) + "\" checked"))
      << edit.body;
  EXPECT_FALSE(contains(edit.body, "shopper2@example.com"));
}

TEST_F(GroupMailings, AMailingAnswersCountsAndPagesItsPickedClients) {
  MW_SKIP_IF_UNAVAILABLE();
  std::string csv = "email%0A";
  for (int i = 0; i < 1005; ++i) csv += "p" + std::to_string(i) + "%40example.com%0A";
  ASSERT_EQ(
      api->request("POST", "/api/v1/clients/import", "csv=" + csv,
                   "application/x-www-form-urlencoded", {{"Authorization", "Bearer " + token}})
          .status,
      200);
  std::vector<std::int64_t> ids;
  for (int page = 1; page <= 11; ++page) {
    auto items = api->getJson("/api/v1/clients?per_page=100&page=" + std::to_string(page), token)
                     .json()
                     ->getArray("items");
    for (size_t i = 0; i < items->size(); ++i)
      ids.push_back(items->getObject(static_cast<unsigned>(i))->getValue<std::int64_t>("id"));
  }
  ASSERT_EQ(ids.size(), 1005u);
  auto r = createMailing(R"("client_ids":)" + list(ids));
  ASSERT_EQ(r.status, 201) << r.body.substr(0, 300);
  auto m = r.json();
  EXPECT_EQ(m->getValue<int>("clients_count"), 1005);
  EXPECT_FALSE(m->has("client_ids"));  // over 1,000: counted, not echoed
  auto path = "/api/v1/mailings/" + std::to_string(m->getValue<std::int64_t>("id")) + "/clients";
  auto first = api->getJson(path + "?per_page=100", token).json();
  EXPECT_EQ(first->getValue<int>("total"), 1005);
  EXPECT_EQ(first->getArray("items")->size(), 100u);
  auto last = api->getJson(path + "?per_page=100&page=11", token).json();
  EXPECT_EQ(last->getArray("items")->size(), 5u);
  EXPECT_EQ(api->getJson(path, otherToken).status, 404);
  // A small list is still echoed, as before.
  auto small = createMailing(R"("client_ids":[)" + std::to_string(ids[0]) + "]").json();
  EXPECT_EQ(small->getArray("client_ids")->size(), 1u);
}
