// The interface in the reader's language and time: plural forms, aria labels, template errors,
// the admin's words for stored codes, dates in the visitor's zone. Real binary, both databases.
#include <gtest/gtest.h>

#include "blog_helpers.h"
#include "domain.h"

using namespace mw::test;

namespace {

const Headers kRu{{"Accept-Language", "ru-RU,ru;q=0.9"}};

class Language : public ::testing::Test {
 protected:
  void SetUp() override {
    server = std::make_unique<MailwrightServer>();
    MW_SKIP_IF_UNAVAILABLE();
    createUser(*server, "writer@example.com", kStrongPassword, "content_manager");
    createUser(*server, "admin@example.com", kStrongPassword, "admin");
    writer = tokenFor(*server, "writer@example.com");
    api = std::make_unique<HttpClient>(server->baseUrl());
  }
  std::unique_ptr<HttpClient> russian(const std::string& email) {
    auto c = std::make_unique<HttpClient>(server->baseUrl());
    c->postForm("/lang", {{"lang", "ru"}, {"next", "/"}}, "/login");
    EXPECT_EQ(login(*c, email, kStrongPassword).status, 303);
    return c;
  }
  std::unique_ptr<MailwrightServer> server;
  std::unique_ptr<HttpClient> api;
  std::string writer;
};

}  // namespace

TEST_F(Language, ArticleViewsUsePluralFormsAndDatesTheVisitorsZone) {
  auto id = blog::createArticle(*api, writer, "Статья", "Текст", true);
  // 15 Jan 2026 21:30 UTC is already the 16th in Vladivostok (UTC+10).
  blog::dbExec(*server, "UPDATE articles SET views = 2, published_at = $1 WHERE id = $2",
               {utcEpoch(2026, 1, 15, 21, 30), id});
  HttpClient visitor(server->baseUrl());
  visitor.setCookie("tz", "Asia/Vladivostok");
  auto page = visitor.get("/blog/" + std::to_string(id), kRu);
  ASSERT_EQ(page.status, 200);
  EXPECT_TRUE(contains(page.body, "<span id=\"views\">3</span> просмотра")) << page.body;
  EXPECT_TRUE(contains(page.body, "16.01.2026 07:30")) << page.body;
  EXPECT_TRUE(contains(page.body, "aria-label=\"Навигационная цепочка\""));
  EXPECT_FALSE(contains(page.body, "aria-label=\"breadcrumb\""));
  // No cookie (or a made-up zone): UTC.
  HttpClient other(server->baseUrl());
  other.setCookie("tz", "Mars/Olympus");
  EXPECT_TRUE(contains(other.get("/blog/" + std::to_string(id), kRu).body, "15.01.2026 21:30"));
  blog::dbExec(*server, "UPDATE articles SET views = 20 WHERE id = $1", {id});
  HttpClient third(server->baseUrl());
  auto en = third.get("/blog/" + std::to_string(id),
                      {{"Accept-Language", "en"}, {"User-Agent", "Mozilla/5.0 Firefox/140.0"}});
  EXPECT_TRUE(contains(en.body, "<span id=\"views\">21</span> views")) << en.body;
}

TEST_F(Language, TemplateErrorsAreInRussian) {
  auto c = russian("writer@example.com");
  auto r = c->postForm("/messages", {{"subject", "Привет, {{name"}, {"body_text", "Текст"}},
                       "/messages/new");
  EXPECT_EQ(r.status, 422);
  EXPECT_TRUE(contains(r.body, "Строка 1, столбец 9: Тег, открытый {{, не закрыт.")) << r.body;
  EXPECT_FALSE(contains(r.body, "Unclosed"));
}

TEST_F(Language, AdminShowsWordsNotCodes) {
  auto c = russian("admin@example.com");
  auto roles = c->get("/admin/user_roles");
  ASSERT_EQ(roles.status, 200);
  EXPECT_TRUE(contains(roles.body, "контент-менеджер")) << roles.body;
  EXPECT_FALSE(contains(roles.body, ">content_manager<"));
}

TEST_F(Language, NewMailingStartsEmptyAndStaffLinksShareOneMenu) {
  auto c = russian("admin@example.com");
  auto form = c->get("/mailings/new");
  ASSERT_EQ(form.status, 200);
  EXPECT_TRUE(contains(form.body, "name=\"start_at\" type=\"datetime-local\"")) << form.body;
  EXPECT_TRUE(contains(form.body, "value=\"\" aria-describedby=\"tz-help\"")) << form.body;
  auto home = c->get("/");
  // One "Управление" dropdown holds the editor, the manager pages and the admin panel.
  auto menu = home.body.find("bi-shield-check");
  ASSERT_NE(menu, std::string::npos);
  auto end = home.body.find("</ul>", menu);
  for (const char* link : {"/blog/new", "/manage/mailings", "/manage/users", "/admin\""}) {
    auto at = home.body.find(std::string("href=\"") + link);
    EXPECT_TRUE(at > menu && at < end) << link;
  }
}

// What the platform says before any page runs (a broken query, an unknown id, a wrong method, a
// bad token) is in the reader's language too; the API answers in JSON.
TEST_F(Language, PlatformErrorsSpeakTheReadersLanguage) {
  HttpClient visitor(server->baseUrl());
  auto broken = visitor.get("/blog?page=%zz", kRu);
  EXPECT_EQ(broken.status, 400);
  EXPECT_TRUE(contains(broken.body, "Запрос искажён")) << broken.body;
  auto missing = visitor.get("/blog/abc", kRu);
  EXPECT_EQ(missing.status, 404);
  EXPECT_TRUE(contains(missing.body, "Страница не найдена.")) << missing.body;
  EXPECT_FALSE(contains(missing.body, "Not found"));
  auto method = visitor.request("POST", "/static/app.js", "", "", kRu);
  EXPECT_EQ(method.status, 405);
  EXPECT_TRUE(contains(method.body, "не принимает такой метод")) << method.body;
  auto english = visitor.get("/blog/999999", {{"Accept-Language", "en"}});
  EXPECT_TRUE(contains(english.body, "Page not found.")) << english.body;
  auto token = visitor.request("GET", "/api/v1/clients", "", "",
                               {{"Accept-Language", "ru"}, {"Authorization", "Bearer nope"}});
  EXPECT_EQ(token.status, 401);
  EXPECT_EQ(token.json()->getValue<std::string>("error"), "API-токен неверен или отозван.");
}
