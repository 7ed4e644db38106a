// Sessions through the real binary: rows only for signed-in sessions (flashes travel in a signed
// cookie), and the timer in `serve` purging expired sessions, old login failures and used links.
#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <thread>

#include "app.h"
#include "core/db.h"
#include "harness.h"

using namespace mw::test;

namespace {

std::int64_t rows(const MailwrightServer& s, const std::string& table) {
  mw::db::Database db(s.databaseUrl(), 1);
  auto c = db.conn();
  return c.scalar("SELECT COUNT(*) FROM " + table);
}

}  // namespace

TEST(Sessions, RequestsWithoutACookieAddNoRows) {
  MailwrightServer server(ServerOptions{.serveArgs = {"--no-scheduler"}});
  MW_SKIP_IF_UNAVAILABLE();
  createUser(server, "alice@example.com");
  std::int64_t before = rows(server, "sessions");
  for (int i = 0; i < 10; ++i) {
    HttpClient c(server.baseUrl());
    EXPECT_EQ(c.get("/verify?token=forged" + std::to_string(i)).status, 303);
    EXPECT_EQ(c.get("/").status, 200);
    EXPECT_EQ(c.get("/login").status, 200);
    EXPECT_EQ(c.postForm("/lang", {{"lang", "ru"}}, "/login").status, 303);
  }
  EXPECT_EQ(rows(server, "sessions"), before);

  // The flash of a failed verification still reaches the next page, once.
  HttpClient c(server.baseUrl());
  auto r = c.get("/verify?token=forged");
  ASSERT_EQ(r.location(), "/verify/resend");
  EXPECT_NE(c.cookie("mw_flash"), "");
  r = c.get("/verify/resend");
  EXPECT_NE(r.body.find("invalid, expired or already used"), std::string::npos) << r.body;
  r = c.get("/verify/resend");
  EXPECT_EQ(r.body.find("invalid, expired or already used"), std::string::npos);
  // A forged flash cookie shows nothing.
  c.setCookie("mw_flash", "W3sibGV2ZWwiOiJkYW5nZXIiLCJ0ZXh0IjoiZm9yZ2VkIn1d.AAAA");
  EXPECT_EQ(c.get("/verify/resend").body.find("forged"), std::string::npos);

  // Signing in is what stores a row; signing out removes it.
  EXPECT_EQ(login(c, "alice@example.com").status, 303);
  EXPECT_EQ(rows(server, "sessions"), before + 1);
  EXPECT_EQ(c.get("/profile").status, 200);
  EXPECT_EQ(c.postForm("/logout", {}, "/profile").status, 303);
  EXPECT_EQ(rows(server, "sessions"), before);
}

TEST(Sessions, ATimerPurgesExpiredSessionsFailuresAndUsedLinks) {
  MailwrightServer server(
      ServerOptions{.env = {{"PURGE_INTERVAL_SECONDS", "1"}}, .serveArgs = {"--no-scheduler"}});
  MW_SKIP_IF_UNAVAILABLE();
  createUser(server, "alice@example.com");
  HttpClient live(server.baseUrl());
  ASSERT_EQ(login(live, "alice@example.com").status, 303);
  HttpClient failing(server.baseUrl());
  ASSERT_EQ(login(failing, "alice@example.com", "wrong-password").status, 422);
  std::int64_t now = std::time(nullptr);
  {
    mw::db::Database db(server.databaseUrl(), 1);
    auto c = db.conn();
    for (int i = 0; i < 3; ++i) {
      c.exec(R"(INSERT INTO sessions(id, user_id, flashes, remember, created_at, expires_at)
VALUES ($1, NULL, '', 0, $2, $3))",
             {"expired-" + std::to_string(i), now - 90000, now - 10});
      c.exec("INSERT INTO login_failures(key, at) VALUES ($1, $2)",
             {"ip:192.0.2." + std::to_string(i), now - 3600});
      c.exec("INSERT INTO used_tokens(token_hash, expires_at) VALUES ($1, $2)",
             {"spent-" + std::to_string(i), now - 10});
    }
    c.exec("INSERT INTO used_tokens(token_hash, expires_at) VALUES ($1, $2)",
           {"still-valid", now + 3600});
  }
  ASSERT_EQ(rows(server, "sessions"), 4);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (std::chrono::steady_clock::now() < deadline &&
         (rows(server, "sessions") > 1 || rows(server, "login_failures") > 2 ||
          rows(server, "used_tokens") > 1))
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(rows(server, "sessions"), 1);        // the live one
  EXPECT_EQ(rows(server, "login_failures"), 2);  // the recent failure (account and address)
  EXPECT_EQ(rows(server, "used_tokens"), 1);     // not expired yet
  EXPECT_EQ(live.get("/profile").status, 200);
}
