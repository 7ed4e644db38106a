// Message templates are checked when saved (page and API, in the user's language), and a broken
// template that reached the database by another road fails its delivery, never the process.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "app.h"
#include "core/db.h"
#include "domain.h"
#include "harness.h"

using namespace mw::test;

namespace {

std::string nested(int levels) {
  std::string s;
  for (int i = 0; i < levels; ++i) s += "{{#name}}";
  s += "x";
  for (int i = 0; i < levels; ++i) s += "{{/name}}";
  return s;
}

std::string apiError(HttpClient& api, const std::string& token, const std::string& body,
                     const std::string& field) {
  auto r = api.postJson("/api/v1/messages", body, token);
  EXPECT_EQ(r.status, 422) << body << " " << r.body;
  if (r.status != 422) return "";
  return r.json()->getObject("fields")->getValue<std::string>(field);
}

}  // namespace

TEST_F(TwoUsers, TemplatesAreCheckedWhenSavedThroughTheApi) {
  MW_SKIP_IF_UNAVAILABLE();
  auto e = apiError(*api, token, R"({"subject":"Hello, {{nmae}}!","body_text":"x"})", "subject");
  EXPECT_TRUE(contains(e, "{{nmae}}")) << e;
  EXPECT_TRUE(contains(e, "Did you mean {{name}}?")) << e;
  EXPECT_TRUE(contains(e, "{{name}}, {{email}}, {{unsubscribe_url}}")) << e;
  EXPECT_TRUE(contains(e, "Line 1, column 8")) << e;
  e = apiError(*api, token, R"({"subject":"Hi","body_text":"a\nb {{Name}}"})", "body_text");
  EXPECT_TRUE(contains(e, "Line 2, column 3")) << e;
  EXPECT_TRUE(contains(e, "Did you mean {{name}}?")) << e;
  e = apiError(*api, token, R"({"subject":"Hi","body_text":"x {{#name}} y"})", "body_text");
  EXPECT_TRUE(contains(e, "not closed")) << e;
  e = apiError(*api, token, R"({"subject":"Hi","body_text":"{{#name}}{{/email}}"})", "body_text");
  EXPECT_TRUE(contains(e, "{{/name}} was expected")) << e;
  e = apiError(*api, token, R"({"subject":"Hi","body_html":"<p>{{name</p>"})", "body_html");
  EXPECT_TRUE(contains(e, "Line 1, column 4")) << e;
  e = apiError(*api, token, R"({"subject":"Hi","body_text":")" + nested(9) + R"("})", "body_text");
  EXPECT_TRUE(contains(e, "deeper than 8")) << e;
  // The 360 KB body of the report is refused at once, for its size.
  auto start = std::chrono::steady_clock::now();
  e = apiError(*api, token, R"({"subject":"Hi","body_text":")" + nested(20000) + R"("})",
               "body_text");
  EXPECT_TRUE(contains(e, "256 KB")) << e;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  EXPECT_EQ(total("/api/v1/messages"), 0);
  // Eight levels, comments, inverted sections and triple mustaches are fine.
  auto ok = api->postJson("/api/v1/messages",
                          R"({"subject":"{{! note }}Hi {{{name}}}","body_text":")" + nested(8) +
                              R"({{^email}}none{{/email}}"})",
                          token);
  EXPECT_EQ(ok.status, 201) << ok.body;
}

TEST_F(TwoUsers, TemplateErrorsOnTheFormAreInTheUsersLanguage) {
  MW_SKIP_IF_UNAVAILABLE();
  web->setCookie("mw_lang", "ru");
  auto r = submit(*web, "/messages", {{"subject", "Привет, {{nmae}}!"}, {"body_text", "{{Name}}"}});
  EXPECT_EQ(r.status, 422);
  auto subject = fieldError(r.body, "id=\"subject\"");
  EXPECT_TRUE(contains(subject, "Неизвестная подстановка {{nmae}}")) << subject;
  EXPECT_TRUE(contains(subject, "Возможно, имелось в виду {{name}}?")) << subject;
  EXPECT_TRUE(contains(subject, "Строка 1, столбец 9")) << subject;
  EXPECT_TRUE(contains(fieldError(r.body, "id=\"body_text\""), "{{Name}}"));
  EXPECT_EQ(total("/api/v1/messages"), 0);
}

TEST(Templates, ABrokenTemplateInTheDatabaseFailsItsDeliveryNotTheProcess) {
  SmtpCapture smtp;
  MailwrightServer server(ServerOptions{.smtp = &smtp, .env = {{"RETRY_BASE_SECONDS", "1"}}});
  MW_SKIP_IF_UNAVAILABLE();
  createUser(server, "owner@example.com");
  auto token = tokenFor(server, "owner@example.com");
  HttpClient api(server.baseUrl());
  auto msg = apiMessage(api, token, "Hi", "Hello {{name}}");
  {
    mw::db::Database db(server.databaseUrl(), 1);
    auto c = db.conn();
    c.exec("UPDATE messages SET body_text = $1 WHERE id = $2", {nested(20000), msg});
  }
  HttpClient web(server.baseUrl());
  ASSERT_EQ(login(web, "owner@example.com").status, 303);
  auto page = web.get("/messages/" + std::to_string(msg));
  EXPECT_EQ(page.status, 200);
  EXPECT_TRUE(contains(page.body, "its template is broken")) << page.body.substr(0, 300);
  EXPECT_EQ(web.get("/messages/" + std::to_string(msg) + "/preview.html").status, 200);

  auto client = apiClient(api, token, "ivan@example.com", "Иван");
  auto id = apiMailing(api, token, msg, {client}, "Broken", "2020-01-01T09:00:00Z");
  Poco::JSON::Object::Ptr s;
  for (int i = 0; i < 100; ++i) {
    s = api.getJson("/api/v1/mailings/" + std::to_string(id) + "/stats", token).json();
    if (s->getValue<int>("failure") > 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_EQ(s->getValue<int>("failure"), 1);
  EXPECT_TRUE(contains(s->getValue<std::string>("last_reply"), "template"))
      << s->getValue<std::string>("last_reply");
  EXPECT_TRUE(server.running());
  EXPECT_EQ(smtp.messages().size(), 0u);
  // After a restart nothing re-crashes: the failure is final.
  server.stop();
  server.start();
  std::this_thread::sleep_for(std::chrono::seconds(2));
  EXPECT_TRUE(server.running());
  EXPECT_EQ(api.getJson("/api/v1/mailings/" + std::to_string(id) + "/stats", token).status, 200);
}
