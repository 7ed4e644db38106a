// Deliberate sending (issue 11): dates checked as a whole, pause / resume / cancel.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "app.h"
#include "domain.h"
#include "harness.h"

using namespace mw::test;

TEST_F(TwoUsers, AnEndInThePastIsRefusedForANewMailingWithOneMessage) {
  MW_SKIP_IF_UNAVAILABLE();
  auto client = apiClient(*api, token, "c1@example.com", "Клиент");
  auto message = apiMessage(*api, token, "Новости");
  std::string body = R"({"name":"Daily","message_id":)" + std::to_string(message) +
                     R"(,"client_ids":[)" + std::to_string(client) +
                     R"(],"start_at":"2020-01-01T09:00:00Z","end_at":"2021-01-01T09:00:00Z",)" +
                     R"("periodicity":"daily"})";
  auto r = api->postJson("/api/v1/mailings", body, token);
  ASSERT_EQ(r.status, 422) << r.body;
  auto fields = r.json()->getObject("fields");
  EXPECT_EQ(fields->size(), 1u) << r.body;
  EXPECT_TRUE(contains(fields->getValue<std::string>("end_at"), "already in the past")) << r.body;

  web->setCookie("mw_lang", "ru");
  auto page = submit(*web, "/mailings",
                     {{"name", "Ежедневная"},
                      {"message_id", std::to_string(message)},
                      {"client_ids", std::to_string(client)},
                      {"start_at", "2020-01-01T09:00"},
                      {"end_at", "2021-01-01T09:00"},
                      {"periodicity", "daily"}});
  EXPECT_EQ(page.status, 422);
  EXPECT_TRUE(contains(fieldError(page.body, "id=\"end_at\""), "Окончание уже в прошлом"));
  EXPECT_EQ(fieldError(page.body, "id=\"start_at\""), "");
  EXPECT_EQ(total("/api/v1/mailings"), 0);
  // End before start is its own message; an end in the future is accepted.
  r = api->postJson("/api/v1/mailings",
                    R"({"name":"x","message_id":)" + std::to_string(message) +
                        R"(,"client_ids":[)" + std::to_string(client) +
                        R"(],"start_at":"2035-01-02T09:00:00Z","end_at":"2035-01-01T09:00:00Z"})",
                    token);
  EXPECT_EQ(r.status, 422);
  EXPECT_TRUE(contains(r.body, "after the start")) << r.body;
  r = api->postJson("/api/v1/mailings",
                    R"({"name":"x","message_id":)" + std::to_string(message) +
                        R"(,"client_ids":[)" + std::to_string(client) +
                        R"(],"start_at":"2035-01-01T09:00:00Z","end_at":"2035-02-01T09:00:00Z"})",
                    token);
  EXPECT_EQ(r.status, 201) << r.body;
}

namespace {

struct Sending : ::testing::Test {
  void SetUp() override {
    server = std::make_unique<MailwrightServer>(
        ServerOptions{.smtp = &smtp, .env = {{"SEND_RATE", "4"}, {"SEND_CONCURRENCY", "1"}}});
    if (testUnavailable()) return;
    createUser(*server, "owner@example.com");
    token = tokenFor(*server, "owner@example.com");
    api = std::make_unique<HttpClient>(server->baseUrl());
  }
  std::string status(std::int64_t id) {
    return api->getJson("/api/v1/mailings/" + std::to_string(id), token)
        .json()
        ->getValue<std::string>("status");
  }
  Poco::JSON::Object::Ptr post(std::int64_t id, const std::string& action,
                               const std::string& body = "", int expect = 200) {
    auto r = api->postJson("/api/v1/mailings/" + std::to_string(id) + "/" + action, body, token);
    EXPECT_EQ(r.status, expect) << action << " " << r.body;
    return r.status < 300 ? r.json() : nullptr;
  }
  SmtpCapture smtp;
  std::unique_ptr<MailwrightServer> server;
  std::unique_ptr<HttpClient> api;
  std::string token;
};

void sleepMs(int ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

}  // namespace

TEST_F(Sending, PauseStopsNewTransactionsWithinASecondResumeAndCancel) {
  MW_SKIP_IF_UNAVAILABLE();
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 24; ++i)
    ids.push_back(apiClient(*api, token, "r" + std::to_string(i) + "@example.com"));
  auto id =
      apiMailing(*api, token, apiMessage(*api, token, "Hi"), ids, "Slow", "2020-01-01T09:00:00Z");
  ASSERT_GE(smtp.waitForMessages(2, 20).size(), 2u);
  EXPECT_EQ(post(id, "pause")->getValue<std::string>("status"), "paused");
  EXPECT_EQ(status(id), "paused");
  sleepMs(1000);
  auto atPause = smtp.messages().size();
  sleepMs(2000);
  EXPECT_EQ(smtp.messages().size(), atPause) << "sent while paused";
  EXPECT_LT(atPause, 24u);
  HttpClient web(server->baseUrl());
  ASSERT_EQ(login(web, "owner@example.com").status, 303);
  auto page = web.get("/mailings/" + std::to_string(id));
  EXPECT_TRUE(contains(page.body, "/mailings/" + std::to_string(id) + "/resume"));
  EXPECT_TRUE(contains(page.body, "data-status=\"paused\""));
  // Resume from the page, then cancel from the API: what is waiting never goes out.
  EXPECT_EQ(submit(web, "/mailings/" + std::to_string(id) + "/resume", {}).status, 303);
  ASSERT_GE(smtp.waitForMessages(atPause + 2, 20).size(), atPause + 2);
  auto cancelled = post(id, "cancel");
  EXPECT_GT(cancelled->getValue<int>("cancelled"), 0);
  sleepMs(1000);
  auto atCancel = smtp.messages().size();
  sleepMs(1500);
  EXPECT_EQ(smtp.messages().size(), atCancel);
  EXPECT_LT(atCancel, 24u);
  EXPECT_NE(status(id), "paused");
}

TEST_F(Sending, SendNowAsksWhoToSendToAndTheApiTakesTheAudience) {
  MW_SKIP_IF_UNAVAILABLE();
  std::vector<std::int64_t> ids{apiClient(*api, token, "a@example.com"),
                                apiClient(*api, token, "b@example.com"),
                                // A permanent failure that does not stop the client (issue 13:
                                // a hard bounce would leave it out of the "failed" audience).
                                apiClient(*api, token, "policyfail@example.com")};
  auto id = apiMailing(*api, token, apiMessage(*api, token, "Hi"), ids);  // in 2035
  auto path = "/api/v1/mailings/" + std::to_string(id) + "/send";
  EXPECT_EQ(api->postJson(path, R"({"audience":"unsent"})", token).status, 409);
  EXPECT_EQ(api->postJson(path, R"({"audience":"some"})", token).status, 422);
  HttpClient web(server->baseUrl());
  ASSERT_EQ(login(web, "owner@example.com").status, 303);
  auto confirm = web.get("/mailings/" + std::to_string(id) + "/confirm");
  ASSERT_EQ(confirm.status, 200);
  EXPECT_TRUE(contains(confirm.body, "id=\"count-all\">3<")) << confirm.body;
  EXPECT_FALSE(contains(confirm.body, "audience-failed"));
  EXPECT_EQ(smtp.messages().size(), 0u);  // the confirmation sends nothing
  auto r = submit(web, "/mailings/" + std::to_string(id) + "/send", {{"audience", "all"}});
  EXPECT_EQ(r.status, 303);
  ASSERT_EQ(smtp.waitForMessages(2, 20).size(), 2u);
  auto stats = [&] {
    return api->getJson("/api/v1/mailings/" + std::to_string(id) + "/stats", token).json();
  };
  for (int i = 0; i < 50 && stats()->getValue<int>("attempts") < 3; ++i) sleepMs(200);
  for (int i = 0; i < 50 && status(id) != "completed"; ++i) sleepMs(200);
  confirm = web.get("/mailings/" + std::to_string(id) + "/confirm");
  EXPECT_TRUE(contains(confirm.body, "id=\"count-failed\">1<")) << confirm.body;
  EXPECT_TRUE(contains(confirm.body, "id=\"count-unsent\">1<"));
  EXPECT_TRUE(contains(confirm.body, "id=\"count-all\">3<"));
  // Only the failed one is tried again.
  EXPECT_EQ(api->postJson(path, R"({"audience":"failed"})", token).status, 202);
  for (int i = 0; i < 50 && stats()->getValue<int>("attempts") < 4; ++i) sleepMs(200);
  sleepMs(500);
  EXPECT_EQ(stats()->getValue<int>("attempts"), 4);
  EXPECT_EQ(smtp.messages().size(), 2u);
}

TEST_F(Sending, TestSendsArePersonalisedMarkedAndNotCounted) {
  MW_SKIP_IF_UNAVAILABLE();
  auto client = apiClient(*api, token, "maria@example.com", "Мария Иванова");
  auto msg = apiMessage(*api, token, "Привет, {{name}}", "Адрес: {{email}}");
  auto id = apiMailing(*api, token, msg, {client});  // in 2035
  // The message: to the user's own address, with sample data.
  auto r = api->postJson("/api/v1/messages/" + std::to_string(msg) + "/test", "", token);
  ASSERT_EQ(r.status, 200) << r.body;
  auto mails = smtp.waitForMessages(1, 15);
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_EQ(mails[0].rcptTos.at(0), "owner@example.com");
  auto d = mails[0].decoded();
  EXPECT_EQ(d->getValue<std::string>("subject"), "[Test] Привет, Иван Петров");
  // The mailing: two typed addresses, with the client's data; logged as tests only.
  r = api->postJson("/api/v1/mailings/" + std::to_string(id) + "/test",
                    R"({"emails":["t1@example.com","t2@example.com"],"client_id":)" +
                        std::to_string(client) + "}",
                    token);
  ASSERT_EQ(r.status, 200) << r.body;
  mails = smtp.waitForMessages(3, 15);
  ASSERT_EQ(mails.size(), 3u);
  EXPECT_EQ(mails[2].decoded()->getValue<std::string>("subject"), "[Test] Привет, Мария Иванова");
  EXPECT_TRUE(contains(mails[2].decoded()->getValue<std::string>("text"), "maria@example.com"));
  auto stats = api->getJson("/api/v1/mailings/" + std::to_string(id) + "/stats", token).json();
  EXPECT_EQ(stats->getValue<int>("attempts"), 0);
  auto log = api->getJson("/api/v1/mailings/" + std::to_string(id) + "/attempts", token);
  EXPECT_TRUE(contains(log.body, "test send: ")) << log.body;
  // Bad input: too many addresses, a bad one, someone else's client.
  std::string path = "/api/v1/mailings/" + std::to_string(id) + "/test";
  EXPECT_EQ(
      api->postJson(path, R"({"emails":["a@x.ru","b@x.ru","c@x.ru","d@x.ru","e@x.ru","f@x.ru"]})",
                    token)
          .status,
      422);
  EXPECT_EQ(api->postJson(path, R"({"emails":["not an address"]})", token).status, 422);
  EXPECT_EQ(api->postJson(path, R"({"client_id":999999})", token).status, 422);
  EXPECT_EQ(api->postJson(path, R"({"emails":"a@x.ru"})", token).status, 422);
  EXPECT_EQ(smtp.messages().size(), 3u);
  // From the page.
  HttpClient web(server->baseUrl());
  ASSERT_EQ(login(web, "owner@example.com").status, 303);
  auto page = web.get("/messages/" + std::to_string(msg));
  EXPECT_TRUE(contains(page.body, "/messages/" + std::to_string(msg) + "/test"));
  auto sent =
      submit(web, "/mailings/" + std::to_string(id) + "/test", {{"emails", "p@example.com"}});
  EXPECT_EQ(sent.status, 303);
  EXPECT_EQ(smtp.waitForMessages(4, 15).size(), 4u);
}
