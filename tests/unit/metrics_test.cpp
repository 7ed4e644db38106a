// The metrics registry: Prometheus text format, label escaping, cumulative histogram buckets.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "core/metrics.h"
#include "delivery/metrics.h"

using namespace mw::metrics;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST(Metrics, LabelValuesEscapeBackslashQuoteAndNewline) {
  EXPECT_EQ(escapeLabel(R"(a\b"c)"
                        "\nd"),
            R"(a\\b\"c\nd)");
  EXPECT_EQ(labels({"route", "status"}, {"/x/{id}", "200"}), R"(route="/x/{id}",status="200")");
}

TEST(Metrics, CounterFamilyRendersHelpTypeAndOneLinePerChild) {
  Family<Counter> f("t_requests_total", "Requests.\nSecond \\ line", {"route"},
                    [] { return std::make_unique<Counter>(); });
  f.with({"/a"}).inc();
  f.with({"/a"}).inc(2);
  f.with({"we\"ird\n"}).inc();
  Writer w;
  f.render(w);
  EXPECT_EQ(w.text(),
            "# HELP t_requests_total Requests.\\nSecond \\\\ line\n"
            "# TYPE t_requests_total counter\n"
            "t_requests_total{route=\"/a\"} 3\n"
            "t_requests_total{route=\"we\\\"ird\\n\"} 1\n");
}

TEST(Metrics, HistogramBucketsAreCumulativeWithSumAndCount) {
  Family<Histogram> f("t_seconds", "Latency.", {"relay"}, [] {
    return std::make_unique<Histogram>(std::vector<double>{0.25, 1, 2.5});
  });
  auto& h = f.with({"default"});
  for (double v : {0.125, 0.25, 0.5, 0.75, 3.0}) h.observe(v);
  Writer w;
  f.render(w);
  EXPECT_EQ(w.text(),
            "# HELP t_seconds Latency.\n"
            "# TYPE t_seconds histogram\n"
            "t_seconds_bucket{relay=\"default\",le=\"0.25\"} 2\n"  // le is inclusive: 0.25 counts
            "t_seconds_bucket{relay=\"default\",le=\"1\"} 4\n"
            "t_seconds_bucket{relay=\"default\",le=\"2.5\"} 4\n"
            "t_seconds_bucket{relay=\"default\",le=\"+Inf\"} 5\n"
            "t_seconds_sum{relay=\"default\"} 4.625\n"
            "t_seconds_count{relay=\"default\"} 5\n");
}

TEST(Metrics, HistogramRejectsUnsortedBounds) {
  EXPECT_THROW(Histogram({1, 0.5}), std::invalid_argument);
  EXPECT_THROW(Histogram(std::vector<double>(Histogram::kMaxBuckets + 1, 1)),
               std::invalid_argument);
}

TEST(Metrics, CodeCounterCountsByStatusAndOverflowsToOther) {
  CodeCounter c;
  for (int i = 0; i < 3; ++i) c.inc(200);
  c.inc(404);
  for (int code = 500; code < 500 + static_cast<int>(CodeCounter::kSlots); ++code) c.inc(code);
  Writer w;
  renderChild(w, "t_http", "route=\"/x\"", c);
  EXPECT_TRUE(contains(w.text(), "t_http{route=\"/x\",status=\"200\"} 3\n")) << w.text();
  EXPECT_TRUE(contains(w.text(), "t_http{route=\"/x\",status=\"404\"} 1\n")) << w.text();
  // 200, 404 and 14 of the 16 codes 500..515 got slots: two went to "other".
  EXPECT_TRUE(contains(w.text(), "t_http{route=\"/x\",status=\"other\"} 2\n")) << w.text();
}

TEST(Metrics, CodeCounterLosesNothingUnderContention) {
  CodeCounter c;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&c, t] {
      for (int i = 0; i < 10000; ++i) c.inc(i % 2 ? 200 : 300 + t);
    });
  for (auto& t : threads) t.join();
  std::uint64_t total = 0, ok = 0;
  for (auto [code, n] : c.values()) {
    total += n;
    if (code == 200) ok = n;
  }
  EXPECT_EQ(total, 40000u);
  EXPECT_EQ(ok, 20000u);
}

TEST(Metrics, NumbersUseTheShortestFormAndInfinity) {
  EXPECT_EQ(formatNumber(0.25), "0.25");
  EXPECT_EQ(formatNumber(3), "3");
  EXPECT_EQ(formatNumber(1e300 * 1e300), "+Inf");
}

TEST(Metrics, RegistryRendersFamiliesCollectorsAndProcessMemory) {
  auto& reg = registry();
  reg.counter("t_registry_total", "Test.", {}).with({}).inc(7);
  std::string text;
  {
    Collector broken([](Writer&) { throw std::runtime_error("database\ndown"); });
    Collector fine([](Writer& w) {
      w.family("t_gauge", "A gauge.", "gauge");
      w.sample("t_gauge", "", 1.5);
    });
    text = reg.render();
  }
  EXPECT_TRUE(contains(text, "\nt_registry_total 7\n")) << text;
  EXPECT_TRUE(contains(text, "# TYPE t_gauge gauge\nt_gauge 1.5\n")) << text;
  EXPECT_TRUE(contains(text, "# collector failed: database down\n")) << text;
  auto at = text.find("\nprocess_resident_memory_bytes ");
  ASSERT_NE(at, std::string::npos) << text;
  EXPECT_GT(std::stod(text.substr(at + 31)), 1e6);
  EXPECT_TRUE(contains(text, "\nprocess_cpu_seconds_total ")) << text;
  // Collectors end with their owner.
  EXPECT_FALSE(contains(reg.render(), "t_gauge"));
}

TEST(Metrics, ReasonClassesComeFromTheSmtpReply) {
  using mw::delivery::reasonClass;
  EXPECT_EQ(reasonClass(450, "mailbox busy"), "4xx");
  EXPECT_EQ(reasonClass(421, "closing"), "4xx");
  EXPECT_EQ(reasonClass(550, "no such user"), "5xx");
  EXPECT_EQ(reasonClass(0, "timeout: no answer within 30 s"), "timeout");
  EXPECT_EQ(reasonClass(0, "TLS handshake failed: x"), "tls");
  EXPECT_EQ(reasonClass(0, "server does not offer STARTTLS"), "tls");
  EXPECT_EQ(reasonClass(0, "cannot connect to 127.0.0.1:1: Connection refused"), "connect");
  EXPECT_EQ(reasonClass(0, "connection closed by the server"), "connect");
  EXPECT_EQ(reasonClass(0, "message template rejected: x"), "local");
  EXPECT_EQ(reasonClass(0, "reply too long"), "other");
}
