// The blog through the real binary: pages and API, roles, drafts, images, views, home page.
#include <gtest/gtest.h>

#include <atomic>
#include <regex>
#include <set>
#include <thread>

#include "blog_helpers.h"

using namespace mw::test;
using namespace mw::test::blog;

namespace {

class Blog : public ::testing::Test {
 protected:
  void SetUp() override {
    server = std::make_unique<MailwrightServer>();
    MW_SKIP_IF_UNAVAILABLE();
    createUser(*server, "writer@example.com", kStrongPassword, "content_manager");
    createUser(*server, "admin@example.com", kStrongPassword, "admin");
    createUser(*server, "user@example.com");
    createUser(*server, "manager@example.com", kStrongPassword, "manager");
    writer = tokenFor(*server, "writer@example.com");
    api = std::make_unique<HttpClient>(server->baseUrl());
  }
  // A browser signed in as that user.
  std::unique_ptr<HttpClient> browser(const std::string& email) {
    auto c = std::make_unique<HttpClient>(server->baseUrl());
    EXPECT_EQ(login(*c, email).status, 303);
    return c;
  }
  std::int64_t article(const std::string& title, bool published,
                       const std::string& content = "Some text.") {
    return createArticle(*api, writer, title, content, published);
  }
  std::int64_t views(std::int64_t id) {
    return dbScalar(*server, "SELECT views FROM articles WHERE id = $1", {id});
  }
  std::unique_ptr<MailwrightServer> server;
  std::unique_ptr<HttpClient> api;
  std::string writer;
};

std::string path(std::int64_t id, const std::string& rest = "") {
  return "/blog/" + std::to_string(id) + rest;
}
std::string apiPath(std::int64_t id) {
  return "/api/v1/articles/" + std::to_string(id);
}
std::int64_t idFromLocation(const std::string& location) {
  std::smatch m;
  if (!std::regex_match(location, m, std::regex("/blog/([0-9]+)"))) return 0;
  return std::stoll(m[1].str());
}

}  // namespace

TEST_F(Blog, ContentManagerWritesEditsPublishesAndDeletesInPages) {
  auto cm = browser("writer@example.com");
  auto form = cm->get("/blog/new");
  ASSERT_EQ(form.status, 200);
  EXPECT_TRUE(contains(form.body, "enctype=\"multipart/form-data\""));

  auto r =
      submitMultipart(*cm, "/blog",
                      {{"title", "Первая статья <b>"},
                       {"content", "# Заголовок\n\nТекст **жирный** <script>alert(1)</script>"},
                       {"is_published", "1"}},
                      {{"image", "cover.png", "image/png", png()}}, "/blog/new");
  ASSERT_EQ(r.status, 303) << r.body;
  std::int64_t id = idFromLocation(r.location());
  ASSERT_GT(id, 0) << r.location();

  HttpClient anon(server->baseUrl());
  auto page = anon.get(path(id));
  ASSERT_EQ(page.status, 200);
  EXPECT_TRUE(contains(page.body, "Первая статья &lt;b&gt;"));
  EXPECT_TRUE(contains(page.body, "<h2>Заголовок</h2>"));
  EXPECT_TRUE(contains(page.body, "<strong>жирный</strong>"));
  // The script is shown as text, never run.
  EXPECT_TRUE(contains(page.body, "&lt;script&gt;alert(1)&lt;/script&gt;"));
  EXPECT_FALSE(contains(page.body, "<script>alert"));
  // The image is served and held to the page width by CSS.
  std::smatch m;
  ASSERT_TRUE(std::regex_search(page.body, m,
                                std::regex("<img src=\"(/media/articles/[0-9a-f]+\\.png)\"[^>]*"
                                           "class=\"mw-article-img")))
      << page.body;
  std::string imageUrl = m[1].str();
  auto image = anon.get(imageUrl);
  EXPECT_EQ(image.status, 200);
  EXPECT_EQ(image.body, png());
  auto css = anon.get("/static/app.css");
  EXPECT_TRUE(std::regex_search(css.body, std::regex("\\.mw-article-img \\{[^}]*max-height")));
  EXPECT_TRUE(std::regex_search(css.body, std::regex("\\.mw-article-img \\{[^}]*width: 100%")));
  // Publication date shown, and it is in the list.
  EXPECT_TRUE(contains(anon.get("/blog").body, path(id)));
  auto json = anon.getJson(apiPath(id)).json();
  EXPECT_FALSE(json->getValue<std::string>("published_at").empty());
  EXPECT_TRUE(json->getValue<bool>("is_published"));
  EXPECT_EQ(json->getValue<std::string>("image_url"), imageUrl);

  // Edit: new title and a new image; the old file goes.
  ASSERT_EQ(cm->get(path(id, "/edit")).status, 200);
  r = submitMultipart(
      *cm, path(id),
      {{"title", "Исправленная статья"}, {"content", "Новый текст"}, {"is_published", "1"}},
      {{"image", "new.jpg", "image/jpeg", jpeg()}}, path(id, "/edit"));
  ASSERT_EQ(r.status, 303) << r.body;
  page = anon.get(path(id));
  EXPECT_TRUE(contains(page.body, "Исправленная статья"));
  EXPECT_TRUE(contains(page.body, "Новый текст"));
  EXPECT_FALSE(contains(page.body, "Первая статья"));
  EXPECT_EQ(anon.get(imageUrl).status, 404);
  EXPECT_EQ(articleUploads(*server), 1);
  EXPECT_TRUE(contains(anon.get("/blog").body, "Исправленная статья"));

  // Unpublish: gone for visitors; publish again: back.
  r = cm->postForm(path(id, "/unpublish"), {}, path(id));
  EXPECT_EQ(r.status, 303);
  EXPECT_EQ(anon.get(path(id)).status, 404);
  EXPECT_FALSE(contains(anon.get("/blog").body, "Исправленная статья"));
  EXPECT_TRUE(contains(cm->get(path(id)).body, "Исправленная статья"));
  r = cm->postForm(path(id, "/publish"), {}, path(id));
  EXPECT_EQ(r.status, 303);
  EXPECT_EQ(anon.get(path(id)).status, 200);

  // Delete: gone for everyone, with its image.
  r = cm->postForm(path(id, "/delete"), {}, path(id));
  EXPECT_EQ(r.status, 303);
  EXPECT_EQ(anon.get(path(id)).status, 404);
  EXPECT_EQ(cm->get(path(id)).status, 404);
  EXPECT_FALSE(contains(anon.get("/blog").body, "Исправленная статья"));
  EXPECT_EQ(articleUploads(*server), 0);
}

TEST_F(Blog, DraftsAreHiddenFromEveryoneButContentManagersAndAdmins) {
  auto draft = article("Секретный черновик", false);
  auto open = article("Открытая статья", true);
  HttpClient anon(server->baseUrl());
  auto user = browser("user@example.com");
  auto manager = browser("manager@example.com");
  for (HttpClient* c : {&anon, user.get(), manager.get()}) {
    EXPECT_EQ(c->get(path(draft)).status, 404);
    EXPECT_EQ(c->getJson(apiPath(draft)).status, 404);
    auto list = c->get("/blog");
    EXPECT_FALSE(contains(list.body, "Секретный черновик"));
    EXPECT_TRUE(contains(list.body, "Открытая статья"));
    EXPECT_EQ(c->get(path(open)).status, 200);
  }
  auto items = anon.getJson("/api/v1/articles").json();
  EXPECT_EQ(items->getValue<int>("total"), 1);
  EXPECT_EQ(api->getJson(apiPath(draft), tokenFor(*server, "user@example.com")).status, 404);

  for (const char* email : {"writer@example.com", "admin@example.com"}) {
    auto c = browser(email);
    auto page = c->get(path(draft));
    EXPECT_EQ(page.status, 200) << email;
    EXPECT_TRUE(contains(page.body, "Секретный черновик"));
    EXPECT_TRUE(contains(c->get("/blog").body, "Секретный черновик"));
  }
  EXPECT_EQ(api->getJson(apiPath(draft), writer).status, 200);
  EXPECT_EQ(api->getJson("/api/v1/articles", writer).json()->getValue<int>("total"), 2);
  // Nobody's look at a draft is a view.
  EXPECT_EQ(views(draft), 0);
}

TEST_F(Blog, UsersAndManagersMayNotWriteArticles) {
  auto id = article("Неприкосновенная", true);
  for (const char* email : {"user@example.com", "manager@example.com"}) {
    auto c = browser(email);
    EXPECT_EQ(c->get("/blog/new").status, 403) << email;
    EXPECT_EQ(c->get(path(id, "/edit")).status, 403) << email;
    // Forms need a page with a csrf token: the profile page has one.
    EXPECT_EQ(c->postForm("/blog", {{"title", "Чужая"}, {"content", "x"}}, "/profile").status, 403);
    EXPECT_EQ(c->postForm(path(id), {{"title", "Взлом"}, {"content", "x"}}, "/profile").status,
              403);
    EXPECT_EQ(c->postForm(path(id, "/unpublish"), {}, "/profile").status, 403);
    EXPECT_EQ(c->postForm(path(id, "/delete"), {}, "/profile").status, 403);
    std::string token = tokenFor(*server, email);
    auto r = api->postJson("/api/v1/articles", R"({"title":"Чужая","content":"x"})", token);
    EXPECT_EQ(r.status, 403);
    EXPECT_TRUE(r.json()->has("error"));
    EXPECT_EQ(api->patchJson(apiPath(id), R"({"title":"Взлом"})", token).status, 403);
    EXPECT_EQ(api->del(apiPath(id), token).status, 403);
  }
  HttpClient anon(server->baseUrl());
  EXPECT_EQ(anon.postJson("/api/v1/articles", R"({"title":"x","content":"x"})").status, 401);
  EXPECT_EQ(anon.patchJson(apiPath(id), R"({"title":"x"})").status, 401);
  EXPECT_EQ(anon.del(apiPath(id)).status, 401);
  EXPECT_EQ(anon.get("/blog/new").status / 100, 3);  // to the login page

  auto page = anon.get(path(id));
  EXPECT_EQ(page.status, 200);
  EXPECT_TRUE(contains(page.body, "Неприкосновенная"));
  EXPECT_EQ(anon.getJson("/api/v1/articles").json()->getValue<int>("total"), 1);
}

TEST_F(Blog, ApiCreatesPatchesAndDeletesWithImages) {
  auto r =
      api->postJson("/api/v1/articles", R"({"title":"Черновик API","content":"Текст"})", writer);
  ASSERT_EQ(r.status, 201) << r.body;
  auto a = r.json();
  auto id = a->getValue<std::int64_t>("id");
  EXPECT_EQ(a->getValue<std::string>("title"), "Черновик API");
  EXPECT_EQ(a->getValue<std::string>("content"), "Текст");
  EXPECT_EQ(a->getValue<std::string>("image_url"), "");
  EXPECT_EQ(a->getValue<int>("views"), 0);
  EXPECT_TRUE(a->isNull("published_at"));
  EXPECT_FALSE(a->getValue<bool>("is_published"));

  r = api->patchJson(apiPath(id), R"({"is_published":true})", writer);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.json()->getValue<bool>("is_published"));
  EXPECT_TRUE(std::regex_match(r.json()->getValue<std::string>("published_at"),
                               std::regex("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d.*")));

  // An image through a multipart POST.
  r = api->postMultipart(
      "/api/v1/articles",
      {{"title", "С картинкой"}, {"content", "Смотрите"}, {"is_published", "true"}},
      {{"image", "a.png", "image/png", png()}},
      {{"Authorization", "Bearer " + writer}, {"Accept", "application/json"}});
  ASSERT_EQ(r.status, 201) << r.body;
  auto withImage = r.json()->getValue<std::int64_t>("id");
  std::string first = r.json()->getValue<std::string>("image_url");
  EXPECT_TRUE(std::regex_match(first, std::regex("/media/articles/[0-9a-f]+\\.png")));
  EXPECT_TRUE(r.json()->getValue<bool>("is_published"));
  HttpClient anon(server->baseUrl());
  EXPECT_EQ(anon.get(first).body, png());

  // ...and a multipart PATCH replaces it.
  r = patchMultipart(*api, apiPath(withImage), {}, {{"image", "b.jpg", "image/jpeg", jpeg()}},
                     writer);
  ASSERT_EQ(r.status, 200) << r.body;
  std::string second = r.json()->getValue<std::string>("image_url");
  EXPECT_TRUE(std::regex_match(second, std::regex("/media/articles/[0-9a-f]+\\.jpg")));
  EXPECT_EQ(r.json()->getValue<std::string>("title"), "С картинкой");
  EXPECT_EQ(anon.get(second).status, 200);
  EXPECT_EQ(anon.get(first).status, 404);
  EXPECT_EQ(articleUploads(*server), 1);

  // Bad input: clear errors, nothing changed.
  r = api->postJson("/api/v1/articles", R"({"content":"без заголовка"})", writer);
  EXPECT_EQ(r.status, 422);
  EXPECT_TRUE(r.json()->getObject("fields")->has("title"));
  r = api->patchJson(apiPath(id), R"({"is_published":"yes"})", writer);
  EXPECT_EQ(r.status, 422);
  EXPECT_TRUE(contains(r.json()->getValue<std::string>("error"), "is_published"));
  r = api->patchJson(apiPath(id), R"({"title":42})", writer);
  EXPECT_EQ(r.status, 422);
  r = api->postJson("/api/v1/articles", "not json", writer);
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(r.json()->has("error"));
  r = patchMultipart(*api, apiPath(withImage), {{"title", "Подмена"}},
                     {{"image", "evil.png", "image/png", "just some text, not an image"}}, writer);
  EXPECT_EQ(r.status, 422);
  EXPECT_TRUE(r.json()->getObject("fields")->has("image"));
  auto now = api->getJson(apiPath(withImage), writer).json();
  EXPECT_EQ(now->getValue<std::string>("title"), "С картинкой");
  EXPECT_EQ(now->getValue<std::string>("image_url"), second);
  EXPECT_EQ(articleUploads(*server), 1);
  EXPECT_EQ(api->getJson("/api/v1/articles", writer).json()->getValue<int>("total"), 2);

  EXPECT_EQ(api->del(apiPath(withImage), writer).status, 204);
  EXPECT_EQ(api->getJson(apiPath(withImage), writer).status, 404);
  EXPECT_EQ(anon.get(second).status, 404);
  EXPECT_EQ(articleUploads(*server), 0);
  EXPECT_EQ(api->del(apiPath(withImage), writer).status, 404);
}

TEST_F(Blog, UploadsThatAreNotImagesOrTooLargeAreRefusedAndNothingIsWritten) {
  auto cm = browser("writer@example.com");
  struct Case {
    std::string name, bytes, message;
  };
  std::string big = png() + std::string(5 * 1024 * 1024 + 10, 'x');
  std::vector<Case> cases = {
      {"notes.png", "This is a text file with a .png name.\n",
       "The file is not a PNG, JPEG, GIF or WebP image."},
      {"script.jpg", "<script>alert(1)</script>",
       "The file is not a PNG, JPEG, GIF or WebP image."},
      {"huge.png", big, "The file is too large."},
  };
  for (const auto& c : cases) {
    auto r = submitMultipart(
        *cm, "/blog",
        {{"title", "Статья с " + c.name}, {"content", "Текст"}, {"is_published", "1"}},
        {{"image", c.name, "image/png", c.bytes}}, "/blog/new");
    EXPECT_EQ(r.status, 422) << c.name;
    // The error sits beside the image field, the typed values are kept.
    EXPECT_TRUE(errorBeside(r.body, "image", c.message)) << c.name << "\n" << r.body;
    EXPECT_TRUE(contains(r.body, "value=\"Статья с " + c.name + "\"")) << c.name;
  }
  EXPECT_EQ(dbScalar(*server, "SELECT COUNT(*) FROM articles"), 0);
  EXPECT_EQ(articleUploads(*server), 0);

  // The same for an edit: the article keeps its image.
  auto r = submitMultipart(*cm, "/blog", {{"title", "Хорошая"}, {"content", "Текст"}},
                           {{"image", "ok.png", "image/png", png()}}, "/blog/new");
  ASSERT_EQ(r.status, 303) << r.body;
  auto id = idFromLocation(r.location());
  std::string before = api->getJson(apiPath(id), writer).json()->getValue<std::string>("image_url");
  r = submitMultipart(*cm, path(id), {{"title", "Плохая"}, {"content", "Текст"}},
                      {{"image", "bad.gif", "image/gif", "GIF? no"}}, path(id, "/edit"));
  EXPECT_EQ(r.status, 422);
  auto now = api->getJson(apiPath(id), writer).json();
  EXPECT_EQ(now->getValue<std::string>("title"), "Хорошая");
  EXPECT_EQ(now->getValue<std::string>("image_url"), before);
  EXPECT_EQ(articleUploads(*server), 1);
}

TEST_F(Blog, AViewCountsOncePerVisitorPerDayAndBotsNever) {
  auto id = article("Считаем просмотры", true);
  HttpClient anon(server->baseUrl());
  for (int i = 1; i <= 3; ++i) {  // reloads are the same visitor
    auto page = anon.get(path(id));
    ASSERT_EQ(page.status, 200);
    EXPECT_TRUE(contains(page.body, "<span id=\"views\">1</span>")) << page.body;
    EXPECT_EQ(views(id), 1);
  }
  // Another browser is another visitor; the API is the same visitor as its page.
  auto second = anon.get(path(id), {{"User-Agent", "Mozilla/5.0 (X11; Linux) Firefox/140.0"}});
  EXPECT_TRUE(contains(second.body, "<span id=\"views\">2</span>")) << second.body;
  EXPECT_EQ(anon.getJson(apiPath(id)).json()->getValue<int>("views"), 2);
  // A signed-in reader is counted by account, whatever the browser.
  auto reader = browser("user@example.com");
  reader->get(path(id));
  reader->get(path(id), {{"User-Agent", "Mozilla/5.0 Safari/605.1.15"}});
  EXPECT_EQ(views(id), 3);
  // Crawlers and link previewers are not readers.
  for (const char* bot :
       {"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; YandexBot/3.0)", "facebookexternalhit/1.1",
        "TelegramBot (like TwitterBot)", "curl/7.88.1"})
    EXPECT_EQ(anon.get(path(id), {{"User-Agent", bot}}).status, 200);
  EXPECT_EQ(views(id), 3);
  // The next day the same visitor counts again.
  dbExec(*server, "UPDATE article_views SET day = day - 1", {});
  anon.get(path(id));
  EXPECT_EQ(views(id), 4);
  // The list, the home page and a missing article count nothing.
  anon.get("/blog");
  anon.get("/");
  anon.getJson("/api/v1/articles");
  EXPECT_EQ(anon.get(path(id + 1000)).status, 404);
  EXPECT_EQ(views(id), 4);
}

TEST_F(Blog, ConcurrentReadersAreAllCounted) {
  auto id = article("Популярная", true);
  auto other = article("Соседняя", true);
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      HttpClient c(server->baseUrl());
      for (int i = 0; i < 25; ++i) {  // 200 different readers (browsers) at once
        Headers ua{{"User-Agent", "Reader/" + std::to_string(t) + "." + std::to_string(i)}};
        if (c.get(path(id), ua).status == 200) ++ok;
        if (t == 0 && i % 5 == 0) c.request("GET", apiPath(other), "", "", ua);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 200);
  EXPECT_EQ(views(id), 200);
  EXPECT_EQ(views(other), 5);
  EXPECT_EQ(api->getJson(apiPath(id)).json()->getValue<int>("views"), 201);
}

TEST_F(Blog, ListIsPaginatedNewestFirst) {
  for (int i = 1; i <= 11; ++i) article("Статья номер " + std::to_string(i), true);
  article("Черновик в списке", false);
  HttpClient anon(server->baseUrl());
  std::regex card("<h2 class=\"h5 card-title\"><a href=\"/blog/[0-9]+\"");
  auto count = [&](const std::string& body) {
    return std::distance(std::sregex_iterator(body.begin(), body.end(), card),
                         std::sregex_iterator());
  };
  auto first = anon.get("/blog");
  EXPECT_EQ(count(first.body), 9);
  EXPECT_TRUE(contains(first.body, "?page=2"));
  auto second = anon.get("/blog?page=2");
  EXPECT_EQ(count(second.body), 2);
  EXPECT_FALSE(contains(first.body + second.body, "Черновик в списке"));

  auto page = anon.getJson("/api/v1/articles?per_page=5&page=3").json();
  EXPECT_EQ(page->getValue<int>("total"), 11);
  auto items = page->getArray("items");
  ASSERT_EQ(items->size(), 1u);
  auto top = anon.getJson("/api/v1/articles?per_page=2").json()->getArray("items");
  ASSERT_EQ(top->size(), 2u);
  EXPECT_GT(top->getObject(0)->getValue<std::int64_t>("id"),
            top->getObject(1)->getValue<std::int64_t>("id"));
}

TEST_F(Blog, HomePageShowsThreeRandomPublishedArticles) {
  HttpClient anon(server->baseUrl());
  EXPECT_FALSE(contains(anon.get("/").body, "articles-heading"));
  std::set<std::int64_t> published, drafts;
  for (int i = 0; i < 5; ++i)
    published.insert(article("Опубликованная " + std::to_string(i), true));
  for (int i = 0; i < 3; ++i)
    drafts.insert(article("Неопубликованная " + std::to_string(i), false));
  std::regex link("<a href=\"/blog/([0-9]+)\" class=\"stretched-link");
  std::set<std::int64_t> seen;
  for (int round = 0; round < 20; ++round) {
    auto home = anon.get("/");
    ASSERT_EQ(home.status, 200);
    std::set<std::int64_t> shown;
    for (auto it = std::sregex_iterator(home.body.begin(), home.body.end(), link);
         it != std::sregex_iterator(); ++it)
      shown.insert(std::stoll((*it)[1].str()));
    EXPECT_EQ(shown.size(), 3u);
    for (auto id : shown) {
      EXPECT_EQ(published.count(id), 1u) << "not a published article: " << id;
      seen.insert(id);
    }
    EXPECT_FALSE(contains(home.body, "Неопубликованная"));
  }
  // Random: over 20 visits more than the same three show up.
  EXPECT_GT(seen.size(), 3u);

  // Unpublished and deleted articles leave the home page at once.
  auto gone = *published.begin();
  auto deleted = *published.rbegin();
  ASSERT_EQ(api->patchJson(apiPath(gone), R"({"is_published":false})", writer).status, 200);
  ASSERT_EQ(api->del(apiPath(deleted), writer).status, 204);
  for (int round = 0; round < 10; ++round) {
    auto home = anon.get("/");
    EXPECT_FALSE(contains(home.body, path(gone) + "\""));
    EXPECT_FALSE(contains(home.body, path(deleted) + "\""));
    EXPECT_TRUE(contains(home.body, "Опубликованная"));
  }
}
