// Issue 10, the transport: every request is read completely (or the connection closed) before
// the next one is parsed; body, header and URI limits; the per-address connection cap; a second
// server on a taken port. Raw sockets against the real binary.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "harness.h"
#include "raw_client.h"

using namespace mw::test;

namespace {

const std::string kHealth = "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n";
// What a smuggler hides in a body: a request of its own that must never be answered.
const std::string kSmuggled = "GET /smuggled HTTP/1.1\r\nHost: t\r\n\r\n";

std::string withBody(const std::string& start, const std::string& body,
                     const std::string& extra = "") {
  return start + "\r\nHost: t\r\n" + extra + "Content-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}

std::string chunked(const std::string& start, const std::string& body) {
  char size[32];
  std::snprintf(size, sizeof size, "%zx", body.size());
  return start + "\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" + size + "\r\n" + body +
         "\r\n0\r\n\r\n";
}

// Sends the first request and GET /healthz on one connection: the first answer must have the
// expected status; the second must be /healthz's own answer, or the connection closed.
void expectNoDesync(int port, const std::string& first, int expectedStatus) {
  SCOPED_TRACE(first.substr(0, first.find("\r\n")));
  RawConnection c(port);
  ASSERT_TRUE(c.send(first + kHealth));
  auto r1 = c.read();
  ASSERT_TRUE(r1.has_value());
  EXPECT_EQ(r1->status, expectedStatus);
  auto r2 = c.read(5000);
  if (!r2) return;  // closed: nothing was parsed out of the body
  EXPECT_EQ(r2->status, 200);
  EXPECT_EQ(r2->body, R"({"status":"ok"})");
  EXPECT_FALSE(c.read(500).has_value()) << "a third answer: the body was parsed as a request";
}

}  // namespace

TEST(Transport, AnswersBeforeTheBodyNeverDesyncTheConnection) {
  MailwrightServer server;
  MW_SKIP_IF_UNAVAILABLE();
  int port = server.port();
  expectNoDesync(port, withBody("POST /static/app.js HTTP/1.1", kSmuggled), 405);
  expectNoDesync(port, withBody("POST /api/v1/clients HTTP/1.1", kSmuggled), 401);
  expectNoDesync(port, withBody("POST /healthz HTTP/1.1", kSmuggled), 200);
  expectNoDesync(port, withBody("GET /healthz HTTP/1.1", kSmuggled), 200);
  expectNoDesync(port, chunked("POST /static/app.js HTTP/1.1", kSmuggled), 405);
  expectNoDesync(port, chunked("POST /api/v1/clients HTTP/1.1", kSmuggled), 401);
  expectNoDesync(port, withBody("POST /clients HTTP/1.1", kSmuggled), 403);
}

TEST(Transport, OversizedBodiesAnswer413AndClose) {
  MailwrightServer server;
  MW_SKIP_IF_UNAVAILABLE();
  // Declared too large: refused from the header, before any body byte is read.
  RawConnection a(server.port());
  ASSERT_TRUE(a.send("POST /contact HTTP/1.1\r\nHost: t\r\nContent-Length: 50000000\r\n\r\nab"));
  auto r = a.read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(r->header("Connection"), "close");
  EXPECT_TRUE(a.closedWithin(5000));
  // Chunked: 413 once the running total passes the limit.
  RawConnection b(server.port());
  std::string chunk(1 << 20, 'a');
  std::string framed = "100000\r\n" + chunk + "\r\n";
  ASSERT_TRUE(b.send("POST /contact HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"));
  for (int i = 0; i < 20 && b.send(framed); ++i) {
  }
  r = b.read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 413);
  EXPECT_TRUE(b.closedWithin(5000));
}

TEST(Transport, ChunkedThirtyMegabyteMultipartIs413WithoutGrowing) {
  // AddressSanitizer keeps freed memory resident in its quarantine (256 MB by default): keep it
  // small so that RSS shows what the server holds.
  ServerOptions opts;
  opts.env = {{"ASAN_OPTIONS", "detect_leaks=1:abort_on_error=1:quarantine_size_mb=4"}};
  MailwrightServer server(opts);
  MW_SKIP_IF_UNAVAILABLE();
  HttpClient warm(server.baseUrl());
  for (int i = 0; i < 5; ++i) warm.get("/contact");
  long before = rssKb(server.pid());
  RawConnection c(server.port());
  ASSERT_TRUE(
      c.send("POST /contact HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n"
             "Content-Type: multipart/form-data; boundary=XyZ\r\n\r\n"));
  std::string part(256 * 1024, 'z');
  std::string head =
      "--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.bin\"\r\n\r\n";
  long peak = before;
  size_t sent = 0;
  for (int i = 0; i < 120; ++i) {  // 30 MB
    std::string body = (i % 30 == 0 ? head : "") + part;
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", body.size());
    if (!c.send(size + body + "\r\n")) break;
    sent += body.size();
    if (i % 8 == 0) peak = std::max(peak, rssKb(server.pid()));
  }
  c.send("0\r\n\r\n");
  auto r = c.read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 413);
  peak = std::max(peak, rssKb(server.pid()));
  RecordProperty("rss_growth_kb", std::to_string(peak - before));
  EXPECT_LT(peak - before, 40 * 1024) << "RSS grew from " << before << " kB to " << peak << " kB";
  HttpClient after(server.baseUrl());
  EXPECT_EQ(after.get("/healthz").status, 200);
}

TEST(Transport, HeaderAndUriLimitsAnswer431And414And400) {
  MailwrightServer server;
  MW_SKIP_IF_UNAVAILABLE();
  auto statusOf = [&](const std::string& request) {
    RawConnection c(server.port());
    c.send(request);
    auto r = c.read();
    return r ? r->status : 0;
  };
  EXPECT_EQ(statusOf("GET /" + std::string(10000, 'a') + " HTTP/1.1\r\nHost: t\r\n\r\n"), 414);
  EXPECT_EQ(statusOf("GET /" + std::string(40000, 'a') + " HTTP/1.1\r\nHost: t\r\n\r\n"), 414);
  EXPECT_EQ(statusOf("GET / HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(40000, 'b') + "\r\n\r\n"),
            431);
  EXPECT_EQ(statusOf("GARBAGE\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET / HTTP/1.1\r\nBad Header\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("POST /healthz HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "zz\r\n"),
            400);
  EXPECT_EQ(statusOf("POST /healthz HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
                     "Content-Length: 7\r\n\r\n12345"),
            400);
  // Pipelined requests are answered in order, each its own.
  RawConnection c(server.port());
  c.send(kHealth + "GET /nothing-here HTTP/1.1\r\nHost: t\r\n\r\n" + kHealth);
  std::vector<int> statuses;
  while (auto r = c.read(3000)) statuses.push_back(r->status);
  EXPECT_EQ(statuses, (std::vector<int>{200, 404, 200}));
}

TEST(Transport, ConnectionsPerAddressAreCapped) {
  raiseOpenFilesLimit();
  MailwrightServer server;
  MW_SKIP_IF_UNAVAILABLE();
  std::vector<std::unique_ptr<RawConnection>> held;
  for (int i = 0; i < 256; ++i)
    held.push_back(std::make_unique<RawConnection>(server.port(), "127.0.0.77"));
  RawConnection extra(server.port(), "127.0.0.77");
  extra.send(kHealth);
  auto r = extra.read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 503);
  // Another address is not affected.
  RawConnection other(server.port(), "127.0.0.78");
  other.send(kHealth);
  r = other.read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
}

TEST(Transport, SecondServeOnATakenPortIsRefused) {
  MailwrightServer server;
  MW_SKIP_IF_UNAVAILABLE();
  auto r = server.cli({"serve", "--bind", "127.0.0.1:" + std::to_string(server.port())}, "", 30);
  EXPECT_NE(r.exitCode, 0);
  EXPECT_NE(r.exitCode, -1) << "still running: it did not notice the port was taken";
  EXPECT_NE(r.err.find("127.0.0.1:" + std::to_string(server.port())), std::string::npos) << r.err;
  // One line of ours (PostgreSQL may add NOTICEs of its own from the migration check).
  size_t lines = 0;
  for (size_t p = r.err.find("error:"); p != std::string::npos; p = r.err.find("error:", p + 1))
    ++lines;
  EXPECT_EQ(lines, 1u) << r.err;
  HttpClient c(server.baseUrl());
  for (int i = 0; i < 10; ++i) EXPECT_EQ(c.get("/healthz").status, 200);
}
