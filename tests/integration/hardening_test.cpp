// Hostile input through the real binary: header injection through redirect targets, malformed
// URIs and bodies (400, never 500), and input that used to reach the file system.
#include <gtest/gtest.h>

#include "app.h"
#include "harness.h"
#include "raw_exchange.h"

using namespace mw::test;

namespace {

class Hardening : public ::testing::Test {
 protected:
  void SetUp() override {
    server = std::make_unique<MailwrightServer>(ServerOptions{.serveArgs = {"--no-scheduler"}});
    MW_SKIP_IF_UNAVAILABLE();
    createUser(*server, "alice@example.com");
  }
  std::unique_ptr<MailwrightServer> server;
};

// Redirect targets an attacker would try: more headers, other sites, other schemes.
const std::vector<std::string>& injections() {
  static const std::vector<std::string> all = {
      "/clients\r\nSet-Cookie: mw_sid=ATTACKER",
      "/clients\nSet-Cookie: mw_sid=ATTACKER",
      "/clients\rSet-Cookie: mw_sid=ATTACKER",
      "/\t/evil.example",
      "/clients\t",
      std::string("/clients\0x", 9),
      "//evil.example",
      "//evil.example/clients",
      "/\\evil.example",
      "\\\\evil.example",
      "http://evil.example/",
      "https://evil.example",
      "javascript:alert(1)",
      " /clients",
      "clients",
      "/clients\x7f",
  };
  return all;
}

bool attackerCookie(const Response& r) {
  for (const auto& [name, value] : r.headers)
    if (value.find("ATTACKER") != std::string::npos || name.find("ATTACKER") != std::string::npos)
      return true;
  return false;
}

}  // namespace

TEST_F(Hardening, LoginNextIsALocalPathOrTheHomePage) {
  for (const auto& next : injections()) {
    HttpClient c(server->baseUrl());
    auto r = c.postForm(
        "/login", {{"login", "alice@example.com"}, {"password", kStrongPassword}, {"next", next}});
    ASSERT_EQ(r.status, 303) << next << "\n" << r.body;
    EXPECT_EQ(r.location(), "/") << next;
    EXPECT_FALSE(attackerCookie(r)) << next;
    EXPECT_EQ(r.headerValues("Set-Cookie").size(), 1u) << next;
  }
  // Local paths survive, query included.
  HttpClient c(server->baseUrl());
  auto r = c.postForm("/login", {{"login", "alice@example.com"},
                                 {"password", kStrongPassword},
                                 {"next", "/clients?page=2&q=a%20b"}});
  EXPECT_EQ(r.location(), "/clients?page=2&q=a%20b");
}

TEST_F(Hardening, TheLoginFormCarriesOnlyALocalNext) {
  HttpClient c(server->baseUrl());
  for (const auto& next : injections()) {
    auto r = c.get("/login?next=" + urlEncode(next));
    ASSERT_EQ(r.status, 200) << next;
    EXPECT_NE(r.body.find("name=\"next\" value=\"/\""), std::string::npos) << next;
    EXPECT_EQ(r.body.find("evil.example"), std::string::npos) << next;
    EXPECT_EQ(r.body.find("ATTACKER"), std::string::npos) << next;
  }
  // The raw bytes of the report: CR LF encoded in the query string.
  auto raw =
      rawExchange(server->port(),
                  "GET /login?next=/clients%0D%0ASet-Cookie:%20mw_sid%3DATTACKER HTTP/1.1\r\n"
                  "Host: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(rawStatus(raw), 200) << raw;
  EXPECT_EQ(raw.find("ATTACKER"), std::string::npos);
  auto r = c.get("/login?next=" + urlEncode("/mailings?page=3"));
  EXPECT_NE(r.body.find("name=\"next\" value=\"/mailings?page=3\""), std::string::npos);
}

TEST_F(Hardening, LanguageSwitchRedirectsOnlyToLocalPaths) {
  for (const auto& next : injections()) {
    HttpClient c(server->baseUrl());
    auto r = c.postForm("/lang", {{"lang", "ru"}, {"next", next}}, "/login");
    ASSERT_EQ(r.status, 303) << next << "\n" << r.body;
    EXPECT_EQ(r.location(), "/") << next;
    EXPECT_FALSE(attackerCookie(r)) << next;
  }
  HttpClient c(server->baseUrl());
  auto r = c.postForm("/lang", {{"lang", "en"}, {"next", "/blog"}}, "/login");
  EXPECT_EQ(r.location(), "/blog");
}

TEST_F(Hardening, MalformedQueriesAndPathsAnswer400) {
  HttpClient c(server->baseUrl());
  for (std::string target : {"/blog?page=%zz", "/blog?page=%", "/blog?%zz=1", "/login?next=%2",
                             "/%zz", "/blog/%", "/login?next=%G0"}) {
    auto raw = rawExchange(server->port(),
                           "GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(rawStatus(raw), 400) << target << "\n" << raw.substr(0, 300);
  }
  // The API answers in JSON.
  createUser(*server, "api@example.com");
  std::string token = tokenFor(*server, "api@example.com");
  auto raw = rawExchange(server->port(),
                         "GET /api/v1/clients?q=%zz HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                             token + "\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(rawStatus(raw), 400) << raw;
  EXPECT_NE(raw.find("{\"error\":"), std::string::npos) << raw;
  // Well-formed escapes still decode.
  EXPECT_EQ(c.get("/blog?page=%31").status, 200);
  EXPECT_EQ(server->logs().find("Bad URI syntax"), std::string::npos);
}

TEST_F(Hardening, MalformedFormBodiesAnswer400) {
  HttpClient c(server->baseUrl());
  std::string csrf = csrfFrom(c.get("/login").body);
  ASSERT_FALSE(csrf.empty());
  for (std::string body : {"%%%", "login=%zz&password=x", "login=a&password=%", "a=%E"}) {
    auto r = c.request("POST", "/login", body, "application/x-www-form-urlencoded",
                       {{"X-CSRF-Token", csrf}});
    EXPECT_EQ(r.status, 400) << body << "\n" << r.body;
    // Without the header the body carries the token: still 400, not 403 or 500.
    r = c.request("POST", "/login", body, "application/x-www-form-urlencoded");
    EXPECT_EQ(r.status, 400) << body << "\n" << r.body;
  }
  EXPECT_EQ(server->logs().find("Bad URI syntax"), std::string::npos);
}

TEST_F(Hardening, ATimeZoneDirectoryIsRefusedBesideTheField) {
  HttpClient c(server->baseUrl());
  ASSERT_EQ(login(c, "alice@example.com").status, 303);
  for (std::string tz : {"America", "America/", "Europe", "../../../etc/passwd", "posix",
                         "/etc/localtime", "Europe/../Europe/Moscow", "Nowhere/City"}) {
    auto r = c.postForm("/profile", {{"name", "Alice"}, {"timezone", tz}});
    EXPECT_EQ(r.status, 422) << tz << "\n" << r.body.substr(0, 300);
    EXPECT_NE(r.body.find("Unknown time zone"), std::string::npos) << tz;
  }
  auto r = c.postForm("/profile", {{"name", "Alice"}, {"timezone", "America/New_York"}});
  EXPECT_EQ(r.status, 303) << r.body;
}
