// TRUSTED_PROXIES through the real binary: X-Forwarded-For / X-Forwarded-Proto are believed only
// from those addresses, and the address they give is what the access log and the login limits
// count. Login limits key on the account however it is spelt, and on the address, separately.
#include <gtest/gtest.h>

#include "app.h"
#include "harness.h"
#include "raw_exchange.h"

using namespace mw::test;

namespace {

constexpr const char* kProxy = "127.0.0.2";   // trusted
constexpr const char* kDirect = "127.0.0.1";  // not trusted

class Proxies : public ::testing::Test {
 protected:
  void SetUp() override {
    server = std::make_unique<MailwrightServer>(ServerOptions{
        .env = {{"TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.2/32"}}, .serveArgs = {"--no-scheduler"}});
    MW_SKIP_IF_UNAVAILABLE();
    createUser(*server, "alice@example.com");
  }

  std::string get(const std::string& from, const std::string& path, const std::string& headers) {
    return rawExchange(
        server->port(),
        "GET " + path + " HTTP/1.1\r\nHost: x\r\n" + headers + "Connection: close\r\n\r\n", 10,
        from);
  }

  // A login through the form, sent from `from` with the given extra header lines.
  int loginFrom(const std::string& from, const std::string& headers, const std::string& who,
                const std::string& password, std::string* answer = nullptr) {
    std::string page = get(from, "/login", headers);
    auto at = page.find("Set-Cookie: mw_sid=");
    if (at == std::string::npos) return 0;
    at += 19;
    std::string sid = page.substr(at, page.find(';', at) - at);
    std::string body =
        formEncode({{"login", who}, {"password", password}, {"csrf_token", csrfFrom(page)}});
    std::string raw =
        rawExchange(server->port(),
                    "POST /login HTTP/1.1\r\nHost: x\r\n" + headers + "Cookie: mw_sid=" + sid +
                        "\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: " +
                        std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body,
                    20, from);
    if (answer) *answer = raw;
    return rawStatus(raw);
  }

  std::unique_ptr<MailwrightServer> server;
};

}  // namespace

TEST_F(Proxies, ForwardedForIsBelievedOnlyFromTrustedProxies) {
  EXPECT_EQ(rawStatus(get(kProxy, "/blog", "X-Forwarded-For: 198.51.100.7\r\n")), 200);
  // Hops the trusted proxy vouches for are walked from the right: the spoofed left part is not.
  get(kProxy, "/blog?two", "X-Forwarded-For: 6.6.6.6, 203.0.113.9, 10.1.2.3\r\n");
  get(kProxy, "/blog?split", "X-Forwarded-For: 6.6.6.7\r\nX-Forwarded-For: 203.0.113.10\r\n");
  get(kDirect, "/blog?direct", "X-Forwarded-For: 198.51.100.99\r\n");
  get(kProxy, "/blog?junk", "X-Forwarded-For: not-an-address\r\n");
  auto logs = server->logs();
  EXPECT_NE(logs.find("ip=198.51.100.7 method=GET path=/blog "), std::string::npos) << logs;
  EXPECT_NE(logs.find("ip=203.0.113.9 "), std::string::npos) << logs;
  EXPECT_NE(logs.find("ip=203.0.113.10 "), std::string::npos) << logs;
  EXPECT_EQ(logs.find("6.6.6."), std::string::npos) << logs;
  EXPECT_EQ(logs.find("198.51.100.99"), std::string::npos) << logs;
  EXPECT_NE(logs.find("ip=127.0.0.1 method=GET path=/blog "), std::string::npos) << logs;
  EXPECT_NE(logs.find("ip=127.0.0.2 method=GET path=/blog "), std::string::npos) << logs;
}

TEST_F(Proxies, ForwardedProtoMakesCookiesSecureOnlyFromTrustedProxies) {
  auto viaProxy = get(kProxy, "/login", "X-Forwarded-Proto: https\r\n");
  auto direct = get(kDirect, "/login", "X-Forwarded-Proto: https\r\n");
  auto line = [](const std::string& raw) {
    auto at = raw.find("Set-Cookie: mw_sid=");
    return at == std::string::npos ? std::string() : raw.substr(at, raw.find("\r\n", at) - at);
  };
  EXPECT_NE(line(viaProxy).find("ecure"), std::string::npos) << line(viaProxy);
  EXPECT_FALSE(line(direct).empty());
  EXPECT_EQ(line(direct).find("ecure"), std::string::npos) << line(direct);
}

TEST_F(Proxies, TheAddressLimitFollowsTheForwardedClient) {
  const std::string locked = "X-Forwarded-For: 198.51.100.20\r\n";
  for (int i = 0; i < 20; ++i)
    ASSERT_EQ(loginFrom(kProxy, locked, "nobody" + std::to_string(i), "wrong-password"), 422) << i;
  std::string answer;
  EXPECT_EQ(loginFrom(kProxy, locked, "alice@example.com", kStrongPassword, &answer), 429);
  EXPECT_NE(answer.find("Try again in 15 min"), std::string::npos);
  // Another visitor behind the same proxy is not locked out.
  EXPECT_EQ(
      loginFrom(kProxy, "X-Forwarded-For: 198.51.100.21\r\n", "alice@example.com", kStrongPassword),
      303);
  // A direct client cannot borrow the locked address, nor escape its own lock by naming others.
  EXPECT_EQ(loginFrom(kDirect, locked, "alice@example.com", kStrongPassword), 303);
  for (int i = 0; i < 20; ++i)
    ASSERT_EQ(loginFrom(kDirect, "X-Forwarded-For: 192.0.2." + std::to_string(i) + "\r\n",
                        "someone" + std::to_string(i), "wrong-password"),
              422);
  EXPECT_EQ(
      loginFrom(kDirect, "X-Forwarded-For: 192.0.2.200\r\n", "alice@example.com", kStrongPassword),
      429);
}

TEST_F(Proxies, TheAccountLimitHoldsAcrossSpellingsAndTellsHowLongToWait) {
  ASSERT_EQ(server
                ->cli({"user", "create", "--email", "bob@example.com", "--password",
                       kStrongPassword, "--username", "bob"})
                .exitCode,
            0);
  HttpClient c(server->baseUrl());
  for (std::string spelling : {"bob", "Bob", "BOB", " bob@example.com ", "Bob@Example.COM"})
    ASSERT_EQ(login(c, spelling, "wrong-password").status, 422) << spelling;
  auto r = login(c, "bob@example.com", kStrongPassword);
  EXPECT_EQ(r.status, 429);
  EXPECT_NE(r.body.find("Try again in 15 min."), std::string::npos) << r.body;
  // In the visitor's language.
  HttpClient ru(server->baseUrl());
  ru.setCookie("mw_lang", "ru");
  r = login(ru, "bob", kStrongPassword);
  EXPECT_EQ(r.status, 429);
  EXPECT_NE(r.body.find("Повторите через 15 мин."), std::string::npos) << r.body;
  // The address is not locked by one account's failures: another account still signs in.
  HttpClient other(server->baseUrl());
  EXPECT_EQ(login(other, "alice@example.com").status, 303);
  // Unknown accounts are keyed on the normalised identifier.
  for (std::string spelling : {"ghost", "Ghost", " GHOST", "ghost ", "gHoSt"})
    ASSERT_EQ(login(c, spelling, "wrong-password").status, 422) << spelling;
  EXPECT_EQ(login(c, "ghost", "whatever").status, 429);
}
