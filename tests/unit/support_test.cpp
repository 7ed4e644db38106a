// Self-tests of the test harness (tests/support), against real processes and servers.
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "harness.h"

namespace mw::test {
namespace {

namespace fs = std::filesystem;

// Sets an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_)
      setenv(name_, old_->c_str(), 1);
    else
      unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(RunProcess, CollectsExitCodeAndOutput) {
  auto r = runProcess({"sh", "-c", "echo out; echo err >&2; exit 3"});
  EXPECT_EQ(r.exitCode, 3);
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
  EXPECT_FALSE(r.timedOut);
}

TEST(RunProcess, PassesStdinAndEnvironment) {
  auto r = runProcess({"sh", "-c", "cat; printf '%s|%s' \"$MW_X\" \"$HOME\""}, {{"MW_X", "v1"}},
                      "input:");
  EXPECT_EQ(r.exitCode, 0);
  EXPECT_EQ(r.out, "input:v1|" + envOr("HOME"));
}

TEST(RunProcess, StreamsLargeDataBothWays) {
  std::string big(3 << 20, 'x');
  auto r = runProcess({"cat"}, {}, big);
  EXPECT_EQ(r.exitCode, 0);
  EXPECT_EQ(r.out.size(), big.size());
}

TEST(RunProcess, ReportsSignalsMissingProgramsAndTimeouts) {
  EXPECT_EQ(runProcess({"sh", "-c", "kill -TERM $$"}).exitCode, 128 + 15);
  EXPECT_EQ(runProcess({"/nonexistent/program"}).exitCode, 127);
  auto start = std::chrono::steady_clock::now();
  auto r = runProcess({"sh", "-c", "sleep 30 & sleep 30"}, {}, "", 1);
  EXPECT_TRUE(r.timedOut);
  EXPECT_EQ(r.exitCode, -1);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST(TempDir, IsRemovedWithItsContents) {
  std::string path;
  {
    TempDir dir;
    path = dir.path();
    EXPECT_EQ(path.rfind("/tmp/", 0), 0u);
    fs::create_directories(dir.file("a/b"));
    std::ofstream(dir.file("a/b/c.txt")) << "x";
    EXPECT_TRUE(fs::exists(dir.file("a/b/c.txt")));
    TempDir other;
    EXPECT_NE(other.path(), path);
  }
  EXPECT_FALSE(fs::exists(path));
}

TEST(FreePort, CanBeListenedOn) {
  int port = freePort();
  ASSERT_GT(port, 0);
  Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", port));
  EXPECT_EQ(socket.address().port(), port);
}

TEST(ChildProcess, TerminatesAndReportsExitCode) {
  TempDir dir;
  ChildProcess child({"sh", "-c", "echo started; trap 'exit 7' TERM; while :; do sleep 0.05; done"},
                     {}, dir.file("log"));
  EXPECT_TRUE(child.running());
  EXPECT_FALSE(child.waitExit(1));
  EXPECT_EQ(child.terminate(5), 7);
  EXPECT_FALSE(child.running());
  EXPECT_EQ(child.log(), "started\n");

  ChildProcess stubborn({"sh", "-c", "trap '' TERM; sleep 30"}, {}, dir.file("log2"));
  EXPECT_EQ(stubborn.kill9(), 128 + 9);
}

const char* kSendMail = R"PY(
import smtplib, sys
from email.message import EmailMessage
m = EmailMessage()
m["Subject"] = "Привет, мир"
m["From"] = "Sender <sender@example.com>"
m["To"] = "a@example.com"
m["List-Unsubscribe"] = "<http://127.0.0.1/u/abc>"
m.set_content("Текст письма")
m.add_alternative("<p>HTML часть</p>", subtype="html")
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10) as s:
    s.send_message(m, from_addr="bounce@example.com", to_addrs=["a@example.com", "b@example.com"])
)PY";

TEST(SmtpCapture, ReceivesMessagesSentWithSmtplib) {
  SmtpCapture smtp;
  ASSERT_GT(smtp.port(), 0);
  EXPECT_TRUE(smtp.messages().empty());
  for (int i = 0; i < 2; ++i) {
    auto r = runProcess({python(), "-c", kSendMail, std::to_string(smtp.port())});
    ASSERT_EQ(r.exitCode, 0) << r.err;
  }
  auto mails = smtp.waitForMessages(2, 10);
  ASSERT_EQ(mails.size(), 2u) << smtp.log();
  EXPECT_LT(mails[0].name, mails[1].name);
  const auto& m = mails[0];
  EXPECT_EQ(m.mailFrom, "bounce@example.com");
  EXPECT_EQ(m.rcptTos, (std::vector<std::string>{"a@example.com", "b@example.com"}));
  EXPECT_EQ(m.header("list-unsubscribe"), "<http://127.0.0.1/u/abc>");
  EXPECT_NE(m.header("Subject").find("=?utf-8?"), std::string::npos) << m.header("Subject");
  EXPECT_TRUE(m.hasHeader("Content-Type"));
  EXPECT_FALSE(m.hasHeader("Message-ID"));

  auto d = m.decoded();
  EXPECT_EQ(d->getValue<std::string>("subject"), "Привет, мир");
  EXPECT_EQ(d->getValue<std::string>("to"), "a@example.com");
  EXPECT_EQ(d->getValue<std::string>("text"), "Текст письма\n");
  EXPECT_EQ(d->getValue<std::string>("html"), "<p>HTML часть</p>\n");
  EXPECT_EQ(d->getObject("headers")->getValue<std::string>("from"), "Sender <sender@example.com>");
}

TEST(SmtpCapture, WaitReturnsWhatArrivedAfterTimeoutAndStopRefusesMail) {
  SmtpCapture smtp;
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(smtp.waitForMessages(1, 1).empty());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  smtp.stop();
  auto r = runProcess({python(), "-c", kSendMail, std::to_string(smtp.port())});
  EXPECT_NE(r.exitCode, 0);
}

TEST(Database, SqliteUrlLivesInTheTempDir) {
  ScopedEnv db("MW_TEST_DB", "sqlite");
  TempDir dir;
  EXPECT_EQ(Database::freshDatabaseUrl(dir), "sqlite://" + dir.path() + "/mw.db");
}

bool canConnect(const std::string& url) {
  PGconn* c = PQconnectdb(url.c_str());
  bool ok = PQstatus(c) == CONNECTION_OK;
  PQfinish(c);
  return ok;
}

TEST(Database, PostgresDatabasesAreFreshAndDroppable) {
  ScopedEnv db("MW_TEST_DB", "postgresql");
  TempDir dir;
  MW_FRESH_DATABASE_URL(a, dir);
  MW_FRESH_DATABASE_URL(b, dir);
  EXPECT_NE(a, b);
  EXPECT_EQ(a.rfind("postgresql://", 0), 0u);
  EXPECT_NE(a.find("/mwtest_"), std::string::npos);
  ASSERT_TRUE(canConnect(a)) << a;

  PGconn* c = PQconnectdb(a.c_str());
  PGresult* res = PQexec(c, "CREATE TABLE t (x int); INSERT INTO t VALUES (1)");
  EXPECT_EQ(PQresultStatus(res), PGRES_COMMAND_OK) << PQerrorMessage(c);
  PQclear(res);
  // Dropping works even with a connection still open.
  Database::dropPostgres(a);
  PQfinish(c);
  EXPECT_FALSE(canConnect(a));
  EXPECT_TRUE(canConnect(b));
}

// A tiny in-process web server to exercise HttpClient: echoes requests, sets cookies, redirects.
class EchoHandler : public Poco::Net::HTTPRequestHandler {
 public:
  void handleRequest(Poco::Net::HTTPServerRequest& req,
                     Poco::Net::HTTPServerResponse& resp) override {
    std::string body;
    Poco::StreamCopier::copyToString(req.stream(), body);
    const std::string& uri = req.getURI();
    if (uri == "/form" && req.getMethod() == "GET") {
      resp.add("Set-Cookie", "sid=s1; Path=/; HttpOnly; SameSite=Lax");
      resp.add("Set-Cookie", "theme=dark; Path=/");
      resp.setContentType("text/html");
      resp.send() << "<form method=post><input type=\"text\" name=\"email\" value=\"no\">"
                     "<input value='tok&amp;1' type='hidden' name='csrf_token'></form>";
      return;
    }
    if (uri == "/logout") {
      resp.add("Set-Cookie", "sid=; Path=/; Max-Age=0");
      resp.setStatus(Poco::Net::HTTPResponse::HTTP_SEE_OTHER);
      resp.set("Location", "/echo?after=logout");
      resp.send();
      return;
    }
    if (uri == "/raw") {
      resp.set("X-Content-Type", req.getContentType());
      resp.send() << body;
      return;
    }
    if (uri == "/temp") {
      resp.setStatus(Poco::Net::HTTPResponse::HTTP_TEMPORARY_REDIRECT);
      resp.set("Location", "/echo?kept=1");
      resp.send();
      return;
    }
    Poco::JSON::Object o;
    o.set("method", req.getMethod());
    o.set("uri", uri);
    o.set("cookie", req.get("Cookie", ""));
    o.set("authorization", req.get("Authorization", ""));
    o.set("content_type", req.getContentType());
    o.set("body", body);
    resp.setContentType("application/json");
    resp.setStatus(uri == "/missing" ? Poco::Net::HTTPResponse::HTTP_NOT_FOUND
                                     : Poco::Net::HTTPResponse::HTTP_OK);
    o.stringify(resp.send());
  }
};

class EchoFactory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new EchoHandler;
  }
};

class HttpClientTest : public ::testing::Test {
 protected:
  HttpClientTest()
      : socket_(Poco::Net::SocketAddress("127.0.0.1", 0)),
        server_(new EchoFactory, socket_, new Poco::Net::HTTPServerParams) {
    server_.start();
  }
  ~HttpClientTest() override { server_.stopAll(true); }
  std::string base() const {
    return "http://127.0.0.1:" + std::to_string(socket_.address().port());
  }

  Poco::Net::ServerSocket socket_;
  Poco::Net::HTTPServer server_;
};

std::map<std::string, std::string> parseForm(const std::string& body) {
  std::map<std::string, std::string> out;
  std::istringstream in(body);
  for (std::string pair; std::getline(in, pair, '&');) {
    std::replace(pair.begin(), pair.end(), '+', ' ');
    auto eq = pair.find('=');
    std::string k, v;
    Poco::URI::decode(pair.substr(0, eq), k);
    Poco::URI::decode(eq == std::string::npos ? "" : pair.substr(eq + 1), v);
    out[k] = v;
  }
  return out;
}

TEST_F(HttpClientTest, KeepsCookiesAndPostsFormsWithCsrfToken) {
  HttpClient http(base());
  auto page = http.get("/form");
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.headerValues("set-cookie").size(), 2u);
  EXPECT_NE(page.header("SET-COOKIE").find("HttpOnly; SameSite=Lax"), std::string::npos);
  EXPECT_EQ(http.cookie("sid"), "s1");
  EXPECT_EQ(csrfFrom(page.body), "tok&1");

  auto r = http.postForm("/form", {{"email", "a+b@example.com"}, {"name", "Иван & Co"}});
  auto j = r.json();
  EXPECT_EQ(j->getValue<std::string>("method"), "POST");
  EXPECT_EQ(j->getValue<std::string>("cookie"), "sid=s1; theme=dark");
  EXPECT_EQ(j->getValue<std::string>("content_type"), "application/x-www-form-urlencoded");
  auto parsed = parseForm(j->getValue<std::string>("body"));
  EXPECT_EQ(parsed["email"], "a+b@example.com");
  EXPECT_EQ(parsed["name"], "Иван & Co");
  EXPECT_EQ(parsed["csrf_token"], "tok&1");
}

TEST_F(HttpClientTest, RedirectsAreReturnedUnlessFollowed) {
  HttpClient http(base());
  http.get("/form");
  auto r = http.get("/logout");
  EXPECT_EQ(r.status, 303);
  EXPECT_EQ(r.location(), "/echo?after=logout");
  EXPECT_EQ(http.cookie("sid"), "");
  EXPECT_EQ(http.cookie("theme"), "dark");

  http.followRedirects(true);
  r = http.post("/logout", {{"a", "b"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.json()->getValue<std::string>("method"), "GET");
  EXPECT_EQ(r.json()->getValue<std::string>("uri"), "/echo?after=logout");
  r = http.postJson("/temp", R"({"x":1})");
  EXPECT_EQ(r.json()->getValue<std::string>("method"), "POST");
  EXPECT_EQ(r.json()->getValue<std::string>("body"), R"({"x":1})");
}

TEST_F(HttpClientTest, JsonHelpersSendBearerTokens) {
  HttpClient http(base());
  auto r = http.patchJson("/api/v1/clients/1", R"({"comment":"x"})", "tok123");
  auto j = r.json();
  EXPECT_EQ(j->getValue<std::string>("method"), "PATCH");
  EXPECT_EQ(j->getValue<std::string>("authorization"), "Bearer tok123");
  EXPECT_EQ(j->getValue<std::string>("content_type"), "application/json");
  EXPECT_EQ(http.del("/missing", "t").status, 404);
  EXPECT_EQ(http.getJson("/x").json()->getValue<std::string>("authorization"), "");
  EXPECT_THROW(http.get("/form").json(), std::runtime_error);
  EXPECT_THROW(http.postForm("/echo", {}), std::runtime_error);
}

TEST_F(HttpClientTest, PostsMultipartFiles) {
  HttpClient http(base());
  std::string png("\x89PNG\r\n\x1a\n\0\1", 10);
  auto r = http.postMultipart("/raw", {{"title", "Hi"}}, {{"image", "a.png", "image/png", png}});
  EXPECT_EQ(r.header("X-Content-Type").rfind("multipart/form-data; boundary=", 0), 0u);
  const std::string& body = r.body;
  EXPECT_NE(body.find("name=\"title\"\r\n\r\nHi\r\n"), std::string::npos);
  EXPECT_NE(body.find("filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n" + png),
            std::string::npos);
}

// A stand-in for the mailwright binary: serves DATA_DIR over HTTP (so /healthz is a file).
std::string writeFakeBinary(const TempDir& dir) {
  std::string path = dir.file("fake-mailwright");
  std::ofstream(path)
      << "#!/bin/sh\n"
         "if [ \"$1\" = serve ]; then\n"
         "  echo ok > \"$DATA_DIR/healthz\"; port=${3##*:}\n"
         "  exec /usr/bin/python3 -m http.server --bind 127.0.0.1 --directory \"$DATA_DIR\""
         " \"$port\"\n"
         "fi\n"
         "echo \"$@|$DATABASE_URL|$EMAIL_PORT|$MW_EXTRA\"\n";
  chmod(path.c_str(), 0755);
  return path;
}

TEST(MailwrightServer, StartsStopsAndRestartsTheBinary) {
  TempDir dir;
  ScopedEnv binary("MW_BINARY", writeFakeBinary(dir));
  ScopedEnv db("MW_TEST_DB", "sqlite");
  SmtpCapture smtp;
  MailwrightServer server({.smtp = &smtp, .env = {{"MW_EXTRA", "x"}}});
  ASSERT_TRUE(server.running());
  EXPECT_EQ(server.baseUrl(), "http://127.0.0.1:" + std::to_string(server.port()));
  HttpClient http(server.baseUrl());
  EXPECT_EQ(http.get("/healthz").body, "ok\n");

  auto r = server.cli({"user", "create"});
  EXPECT_EQ(r.exitCode, 0);
  EXPECT_EQ(r.out,
            "user create|" + server.databaseUrl() + "|" + std::to_string(smtp.port()) + "|x\n");
  EXPECT_EQ(server.databaseUrl(), "sqlite://" + server.databaseUrl().substr(9));

  EXPECT_EQ(server.kill9(), 128 + 9);
  EXPECT_FALSE(server.running());
  server.start();
  EXPECT_EQ(http.get("/healthz").status, 200);
  EXPECT_NE(server.logs().find("GET /healthz"), std::string::npos);
  EXPECT_NE(server.stop(), -1);
  EXPECT_THROW(http.get("/healthz"), Poco::Exception);
}

TEST(MailwrightServer, FailsClearlyWhenTheServerDies) {
  ScopedEnv binary("MW_BINARY", "/bin/false");
  ScopedEnv db("MW_TEST_DB", "sqlite");
  try {
    MailwrightServer server({.migrate = false});
    FAIL() << "expected an exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("exited with 1"), std::string::npos) << e.what();
  }
  EXPECT_THROW(MailwrightServer(ServerOptions{}), std::runtime_error);  // migrate fails first
}

}  // namespace
}  // namespace mw::test
