// GET /metrics through the real binary (issue 14.5): delivery counters after a real SMTP send,
// requests by route pattern, memory, and who may scrape (token, loopback, trusted proxies).
#include <gtest/gtest.h>

#include <chrono>
#include <regex>
#include <thread>

#include "app.h"
#include "domain.h"
#include "harness.h"
#include "smtp_capture.h"

using namespace mw::test;

namespace {

// The value of one sample line `series value` (series with its labels as written), -1 if absent.
double sample(const std::string& text, const std::string& series) {
  auto at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + series.size() + 2));
}

// 127.0.0.1 is a trusted proxy here: its X-Forwarded-For names the client.
Env env(Env extra = {}) {
  extra.emplace("TRUSTED_PROXIES", "127.0.0.1/32");
  extra.emplace("RETRY_BASE_SECONDS", "1");
  return extra;
}

}  // namespace

TEST(Metrics, CountsWhatWasSentAndFailedRequestsByRouteAndMemory) {
  SmtpCapture smtp;
  MailwrightServer server(ServerOptions{.smtp = &smtp, .env = env()});
  MW_SKIP_IF_UNAVAILABLE();
  createUser(server, "owner@example.com");
  auto token = tokenFor(server, "owner@example.com");
  HttpClient api(server.baseUrl());
  auto ok = apiClient(api, token, "fine@example.com");
  auto bad = apiClient(api, token, "permfail-1@example.com");  // 550 at RCPT
  auto id = apiMailing(api, token, apiMessage(api, token, "Hi"), {ok, bad}, "M", isoIn(-5));
  const std::string stats = "/api/v1/mailings/" + std::to_string(id) + "/stats";
  int sent = 0, failed = 0, polls = 0;
  for (; polls < 100 && sent + failed < 2; ++polls) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    auto s = api.getJson(stats, token).json();
    sent = s->getValue<int>("success");
    failed = s->getValue<int>("failure");
  }
  ASSERT_EQ(sent, 1) << server.logs();
  ASSERT_EQ(failed, 1) << server.logs();
  EXPECT_EQ(api.getJson("/api/v1/mailings/987654", token).status, 404);
  EXPECT_EQ(api.get("/no/such/page").status, 404);
  // Refused by the transport (32 KiB of header fields at most) before any route is known.
  EXPECT_EQ(api.get("/blog", {{"X-Big", std::string(40 * 1024, 'a')}}).status, 431);

  auto r = api.get("/metrics");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  const std::string& m = r.body;
  EXPECT_EQ(sample(m, R"(mailwright_messages_sent_total{relay="default"})"), 1) << m;
  EXPECT_EQ(sample(m, R"(mailwright_messages_failed_total{relay="default",reason="5xx"})"), 1) << m;
  EXPECT_TRUE(contains(m, "# TYPE mailwright_smtp_transaction_seconds histogram\n")) << m;
  // Both envelopes went to the relay (the refused one got its 550 there).
  EXPECT_EQ(sample(m, R"(mailwright_smtp_transaction_seconds_count{relay="default"})"), 2) << m;
  EXPECT_EQ(sample(m, R"(mailwright_smtp_transaction_seconds_bucket{relay="default",le="+Inf"})"),
            2);
  EXPECT_GT(sample(m, R"(mailwright_smtp_transaction_seconds_sum{relay="default"})"), 0);
  EXPECT_EQ(sample(m, R"(mailwright_queue_depth{status="pending"})"), 0) << m;
  EXPECT_EQ(sample(m, R"(mailwright_queue_depth{status="sending"})"), 0) << m;
  EXPECT_EQ(sample(m, "mailwright_attempts_in_flight"), 0) << m;
  EXPECT_GT(sample(m, "process_resident_memory_bytes"), 1e6) << m;
  EXPECT_GE(sample(m, "process_cpu_seconds_total"), 0) << m;
  // By route pattern, never by raw path: one for every poll of /stats above.
  EXPECT_EQ(
      sample(
          m,
          R"(mailwright_http_requests_total{method="GET",route="/api/v1/mailings/{id}/stats",status="200"})"),
      polls)
      << m;
  EXPECT_EQ(
      sample(
          m,
          R"(mailwright_http_requests_total{method="GET",route="/api/v1/mailings/{id}",status="404"})"),
      1)
      << m;
  EXPECT_EQ(
      sample(
          m,
          R"(mailwright_http_requests_total{method="POST",route="/api/v1/mailings",status="201"})"),
      1)
      << m;
  EXPECT_EQ(sample(m, R"(mailwright_http_requests_total{method="GET",route="other",status="404"})"),
            1)
      << m;
  EXPECT_EQ(
      sample(m, R"(mailwright_http_requests_total{method="other",route="transport",status="431"})"),
      1)
      << m;
  EXPECT_FALSE(contains(m, "987654")) << m;
  EXPECT_FALSE(contains(m, "/no/such/page")) << m;
  // Every line is a comment or `name{label="value",...} number`; values may hold braces.
  std::regex line(
      R"((# (HELP|TYPE) .*)|([a-z_]+(\{([a-z_]+="([^"\\]|\\.)*",?)+\})? [-+0-9.eInfa]+))");
  std::size_t start = 0;
  while (start < m.size()) {
    auto end = m.find('\n', start);
    ASSERT_NE(end, std::string::npos);
    EXPECT_TRUE(std::regex_match(m.substr(start, end - start), line))
        << m.substr(start, end - start);
    start = end + 1;
  }

  // Without METRICS_TOKEN only loopback clients scrape: a visitor behind the trusted proxy is not.
  auto outside = api.get("/metrics", {{"X-Forwarded-For", "198.51.100.7"}});
  EXPECT_EQ(outside.status, 403) << outside.body;
  EXPECT_FALSE(contains(outside.body, "mailwright_")) << outside.body;
  EXPECT_EQ(api.get("/metrics", {{"X-Forwarded-For", "127.0.0.1"}}).status, 200);
  // A scrape counts itself.
  auto again = api.get("/metrics").body;
  EXPECT_GE(sample(again,
                   R"(mailwright_http_requests_total{method="GET",route="/metrics",status="200"})"),
            2)
      << again;
  EXPECT_EQ(sample(again,
                   R"(mailwright_http_requests_total{method="GET",route="/metrics",status="403"})"),
            1)
      << again;
}

TEST(Metrics, WithATokenOnlyThatBearerTokenScrapes) {
  MailwrightServer server(ServerOptions{.env = env({{"METRICS_TOKEN", "scrape-me-0123456789"}}),
                                        .serveArgs = {"--no-delivery"}});
  MW_SKIP_IF_UNAVAILABLE();
  HttpClient c(server.baseUrl());
  auto none = c.get("/metrics");
  EXPECT_EQ(none.status, 401);
  EXPECT_TRUE(contains(none.header("WWW-Authenticate"), "Bearer")) << none.body;
  EXPECT_FALSE(contains(none.body, "mailwright_"));
  EXPECT_EQ(c.get("/metrics", {{"Authorization", "Bearer scrape-me-012345678"}}).status, 401);
  EXPECT_EQ(c.get("/metrics", {{"Authorization", "Basic scrape-me-0123456789"}}).status, 401);
  auto right = c.get("/metrics", {{"Authorization", "Bearer scrape-me-0123456789"}});
  EXPECT_EQ(right.status, 200);
  EXPECT_TRUE(contains(right.body, "process_resident_memory_bytes")) << right.body;
  // The token, not the address, decides: a remote scraper with it is let in.
  auto remote = c.get("/metrics", {{"Authorization", "Bearer scrape-me-0123456789"},
                                   {"X-Forwarded-For", "203.0.113.5"}});
  EXPECT_EQ(remote.status, 200);
  EXPECT_EQ(
      c.request("POST", "/metrics", "", "", {{"Authorization", "Bearer scrape-me-0123456789"}})
          .status,
      405);
}

// A worker has no web: --metrics-bind serves its counters on their own listener.
TEST(Metrics, AWorkerServesItsCountersOnMetricsBind) {
  SmtpCapture smtp;
  MailwrightServer server(
      ServerOptions{.smtp = &smtp, .env = env(), .serveArgs = {"--no-delivery"}});
  MW_SKIP_IF_UNAVAILABLE();
  createUser(server, "owner@example.com");
  auto token = tokenFor(server, "owner@example.com");
  HttpClient api(server.baseUrl());
  auto ok = apiClient(api, token, "fine@example.com");
  apiMailing(api, token, apiMessage(api, token, "Hi"), {ok}, "M", isoIn(-5));
  const int port = freePort();
  TempDir logs;
  ChildProcess worker(
      {mailwrightBinary(), "worker", "--metrics-bind", "127.0.0.1:" + std::to_string(port)},
      server.env(), logs.file("worker.log"));
  ASSERT_EQ(smtp.waitForMessages(1, 30).size(), 1u) << worker.log();
  HttpClient scraper("http://127.0.0.1:" + std::to_string(port));
  double sent = -1;
  for (int i = 0; i < 50 && sent != 1; ++i) {
    auto r = scraper.get("/metrics");
    sent =
        r.status == 200 ? sample(r.body, R"(mailwright_messages_sent_total{relay="default"})") : -1;
    if (sent != 1) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(sent, 1) << worker.log();
  // Only /metrics and /healthz there; the serve process sent nothing itself (its series: 0).
  EXPECT_EQ(scraper.get("/login").status, 404);
  auto web = api.get("/metrics").body;
  EXPECT_EQ(sample(web, R"(mailwright_messages_sent_total{relay="default"})"), 0) << web;
  EXPECT_EQ(worker.terminate(), 0) << worker.log();
}
