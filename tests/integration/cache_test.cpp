// The blog's cache, in process and in Redis: used, invalidated on every change, and never an error
// page when Redis is unreachable, stops or hangs.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <thread>

#include "blog_helpers.h"

using namespace mw::test;
using namespace mw::test::blog;

namespace {

// A private redis-server on a free port, so tests can stop and pause it without disturbing
// anyone (and no key of another test is ever seen). Needs the Redis the test servers use:
// skipped when MW_TEST_REDIS_URL is not set, failed then if MW_REQUIRE_SERVERS=1.
class RedisServer {
 public:
  RedisServer() : port_(freePort()) {}
  static bool available() {
    if (!envOr("MW_TEST_REDIS_URL").empty()) return true;
    const char* why =
        "Redis tests need MW_TEST_REDIS_URL (scripts/test-servers.sh start && . "
        "build/test-servers/env.sh)";
    if (envOr("MW_REQUIRE_SERVERS") == "1") ADD_FAILURE() << why;
    return false;
  }
  void start() {
    process_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{"redis-server", "--port", std::to_string(port_), "--bind",
                                 "127.0.0.1", "--save", "", "--appendonly", "no"},
        Env{}, tmp_.file("redis.log"));
    for (int i = 0; i < 200 && !ping(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    ASSERT_TRUE(ping()) << process_->log();
  }
  void kill() {
    if (process_) process_->kill9();
  }
  void pause() {
    if (process_ && process_->running()) ::kill(process_->pid(), SIGSTOP);
  }
  void resume() {
    if (process_ && process_->running()) ::kill(process_->pid(), SIGCONT);
  }
  bool ping() const { return cli({"ping"}).out.find("PONG") != std::string::npos; }
  // Keys matching the pattern, one a line.
  std::string keys(const std::string& pattern = "mw:*") const {
    return cli({"--scan", "--pattern", pattern}).out;
  }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  ~RedisServer() {
    if (process_ && process_->running()) {
      resume();
      process_->kill9();
    }
  }

 private:
  ProcessResult cli(std::vector<std::string> args) const {
    args.insert(args.begin(), {"redis-cli", "-p", std::to_string(port_)});
    return runProcess(args, {}, "", 10);
  }
  TempDir tmp_;
  int port_;
  std::unique_ptr<ChildProcess> process_;
};

class CacheTest : public ::testing::Test {
 protected:
  void startServer(Env env = {}) {
    server = std::make_unique<MailwrightServer>(ServerOptions{.env = env});
    if (testUnavailable()) return;
    createUser(*server, "writer@example.com", kStrongPassword, "content_manager");
    writer = tokenFor(*server, "writer@example.com");
    api = std::make_unique<HttpClient>(server->baseUrl());
    anon = std::make_unique<HttpClient>(server->baseUrl());
    anon->setTimeoutSeconds(10);
  }
  // Every page and API answer a visitor can see mentioning the article.
  void warm(std::int64_t id) {
    EXPECT_EQ(anon->get("/").status, 200);
    EXPECT_EQ(anon->get("/blog").status, 200);
    EXPECT_EQ(anon->get(page(id)).status, 200);
    EXPECT_EQ(anon->getJson("/api/v1/articles").status, 200);
    EXPECT_EQ(anon->getJson(apiPath(id)).status, 200);
  }
  // True when every visitor's view shows `title` for that article.
  void expectEverywhere(std::int64_t id, const std::string& title) {
    auto home = anon->get("/");
    EXPECT_EQ(home.status, 200);
    EXPECT_TRUE(contains(home.body, title)) << "home page";
    auto list = anon->get("/blog");
    EXPECT_EQ(list.status, 200);
    EXPECT_TRUE(contains(list.body, title)) << "blog list";
    auto article = anon->get(page(id));
    EXPECT_EQ(article.status, 200);
    EXPECT_TRUE(contains(article.body, title)) << "article page";
    auto items = anon->getJson("/api/v1/articles");
    EXPECT_TRUE(contains(items.body, jsonString(title))) << "API list";
    auto one = anon->getJson(apiPath(id));
    EXPECT_EQ(one.status, 200);
    EXPECT_TRUE(contains(one.body, jsonString(title))) << "API article";
  }
  void expectGone(std::int64_t id, const std::string& title) {
    EXPECT_FALSE(contains(anon->get("/").body, title)) << "home page";
    auto list = anon->get("/blog");
    EXPECT_EQ(list.status, 200);
    EXPECT_FALSE(contains(list.body, title)) << "blog list";
    EXPECT_EQ(anon->get(page(id)).status, 404);
    EXPECT_FALSE(contains(anon->getJson("/api/v1/articles").body, jsonString(title)));
    EXPECT_EQ(anon->getJson(apiPath(id)).status, 404);
  }
  void rename(std::int64_t id, const std::string& title) {
    auto r = api->patchJson(apiPath(id), "{\"title\":" + jsonString(title) + "}", writer);
    EXPECT_EQ(r.status, 200) << r.body;
  }
  // Runs every step of invalidation against whatever cache the server uses.
  void invalidationRoundTrip() {
    auto a = createArticle(*api, writer, "Первоначальный заголовок", "Текст", true);
    auto b = createArticle(*api, writer, "Вторая статья", "Текст", true);
    warm(a);
    expectEverywhere(a, "Первоначальный заголовок");

    // The cache is really used: a change behind the application's back is not seen by visitors
    // (an editor, who always reads the database, sees it).
    dbExec(*server, "UPDATE articles SET title = $1 WHERE id = $2", {"Изменено в обход", a});
    EXPECT_TRUE(contains(anon->get("/blog").body, "Первоначальный заголовок"));
    EXPECT_TRUE(contains(anon->get(page(a)).body, "Первоначальный заголовок"));
    EXPECT_TRUE(contains(api->getJson(apiPath(a), writer).body, "Изменено в обход"));

    // Changes through the application show everywhere at once.
    rename(a, "Исправленный заголовок");
    expectEverywhere(a, "Исправленный заголовок");
    ASSERT_EQ(api->patchJson(apiPath(a), R"({"is_published":false})", writer).status, 200);
    expectGone(a, "Исправленный заголовок");
    ASSERT_EQ(api->patchJson(apiPath(a), R"({"is_published":true})", writer).status, 200);
    expectEverywhere(a, "Исправленный заголовок");
    warm(b);
    ASSERT_EQ(api->del(apiPath(b), writer).status, 204);
    expectGone(b, "Вторая статья");
    auto c = createArticle(*api, writer, "Свежая статья", "Текст", true);
    expectEverywhere(c, "Свежая статья");
  }
  static std::string page(std::int64_t id) { return "/blog/" + std::to_string(id); }
  static std::string apiPath(std::int64_t id) { return "/api/v1/articles/" + std::to_string(id); }
  static int occurrences(const std::string& text, const std::string& what) {
    int n = 0;
    for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
    return n;
  }

  std::unique_ptr<MailwrightServer> server;
  std::unique_ptr<HttpClient> api, anon;
  std::string writer;
};

}  // namespace

TEST_F(CacheTest, InProcessCacheIsUsedAndInvalidatedOnEveryChange) {
  startServer();
  MW_SKIP_IF_UNAVAILABLE();
  invalidationRoundTrip();
  EXPECT_FALSE(contains(server->logs(), "cache: redis"));
}

TEST_F(CacheTest, RedisCacheIsUsedAndInvalidatedOnEveryChange) {
  if (!RedisServer::available()) GTEST_SKIP() << "MW_TEST_REDIS_URL is not set";
  RedisServer redis;
  redis.start();
  MW_SKIP_IF_UNAVAILABLE();
  startServer({{"REDIS_URL", redis.url()}});
  MW_SKIP_IF_UNAVAILABLE();
  invalidationRoundTrip();
  EXPECT_TRUE(contains(redis.keys("mw:blog:*"), "article:"));
  EXPECT_TRUE(contains(redis.keys("mw:v:*"), "mw:v:blog"));
  EXPECT_FALSE(contains(server->logs(), "redis unavailable"));
}

TEST_F(CacheTest, CacheLocationIsAnAliasOfRedisUrl) {
  if (!RedisServer::available()) GTEST_SKIP() << "MW_TEST_REDIS_URL is not set";
  RedisServer redis;
  redis.start();
  MW_SKIP_IF_UNAVAILABLE();
  startServer({{"CACHE_LOCATION", redis.url()}});
  MW_SKIP_IF_UNAVAILABLE();
  auto id = createArticle(*api, writer, "Через алиас", "Текст", true);
  warm(id);
  EXPECT_TRUE(contains(redis.keys("mw:blog:*"), "article:" + std::to_string(id)));
}

TEST_F(CacheTest, UnreachableRedisMeansNoCacheAndALogLineNeverAnErrorPage) {
  startServer({{"REDIS_URL", "redis://127.0.0.1:" + std::to_string(freePort())}});
  MW_SKIP_IF_UNAVAILABLE();
  auto id = createArticle(*api, writer, "Без кеша", "Текст", true);
  warm(id);
  expectEverywhere(id, "Без кеша");
  rename(id, "Без кеша, исправлено");
  expectEverywhere(id, "Без кеша, исправлено");
  // Nothing is cached: a change behind the application's back shows at once.
  dbExec(*server, "UPDATE articles SET title = $1 WHERE id = $2", {"Прямо в базе", id});
  expectEverywhere(id, "Прямо в базе");
  EXPECT_TRUE(contains(server->logs(), "cache: redis unavailable")) << server->logs();
}

TEST_F(CacheTest, RedisStoppingAndComingBackIsNoErrorAndNoStaleData) {
  if (!RedisServer::available()) GTEST_SKIP() << "MW_TEST_REDIS_URL is not set";
  RedisServer redis;
  redis.start();
  MW_SKIP_IF_UNAVAILABLE();
  startServer({{"REDIS_URL", redis.url()}});
  MW_SKIP_IF_UNAVAILABLE();
  auto id = createArticle(*api, writer, "До остановки", "Текст", true);
  warm(id);
  ASSERT_TRUE(contains(redis.keys("mw:blog:*"), "article:"));

  redis.kill();
  expectEverywhere(id, "До остановки");
  rename(id, "Во время остановки");
  expectEverywhere(id, "Во время остановки");
  EXPECT_TRUE(contains(server->logs(), "cache: redis")) << server->logs();

  redis.start();
  ASSERT_TRUE(redis.keys().empty());
  // The server retries Redis every few seconds; wait until it caches there again.
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (redis.keys("mw:blog:*").empty() && std::chrono::steady_clock::now() < until) {
    expectEverywhere(id, "Во время остановки");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  EXPECT_FALSE(redis.keys("mw:blog:*").empty()) << server->logs();
  rename(id, "После возвращения");
  expectEverywhere(id, "После возвращения");
}

TEST_F(CacheTest, AnEditWhileRedisHangsIsNotUndoneWhenItRecovers) {
  if (!RedisServer::available()) GTEST_SKIP() << "MW_TEST_REDIS_URL is not set";
  RedisServer redis;
  redis.start();
  MW_SKIP_IF_UNAVAILABLE();
  startServer({{"REDIS_URL", redis.url()}});
  MW_SKIP_IF_UNAVAILABLE();
  auto id = createArticle(*api, writer, "Старый заголовок", "Текст", true);
  warm(id);
  ASSERT_TRUE(contains(redis.keys("mw:blog:*"), "article:"));

  // Redis stops answering (its data intact): requests time out quickly and go without cache.
  redis.pause();
  auto began = std::chrono::steady_clock::now();
  EXPECT_EQ(anon->get("/blog").status, 200);  // times out on Redis, which then counts as down
  rename(id, "Новый заголовок");              // so this edit's invalidation cannot reach Redis
  expectEverywhere(id, "Новый заголовок");
  EXPECT_LT(std::chrono::steady_clock::now() - began, std::chrono::seconds(8));
  EXPECT_TRUE(contains(server->logs(), "cache: redis")) << server->logs();

  // Once Redis answers again and the server is back on it, the entries cached before the edit
  // must not come back.
  redis.resume();
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (occurrences(server->logs(), "cache: redis connected") < 2 &&
         std::chrono::steady_clock::now() < until) {
    expectEverywhere(id, "Новый заголовок");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  ASSERT_EQ(occurrences(server->logs(), "cache: redis connected"), 2) << server->logs();
  expectEverywhere(id, "Новый заголовок");
  expectEverywhere(id, "Новый заголовок");  // the second time from the cache
}
