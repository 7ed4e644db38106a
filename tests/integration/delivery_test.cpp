// Delivery through real SMTP servers: content, faults, retries, timeouts, crash recovery.
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "app.h"
#include "core/db.h"
#include "domain.h"
#include "harness.h"

using namespace mw::test;

namespace {

class Delivery : public ::testing::Test {
 protected:
  void start(Env env = {}) {
    smtp = std::make_unique<SmtpCapture>();
    env.emplace("RETRY_BASE_SECONDS", "1");
    env.emplace("EMAIL_TIMEOUT", "2");
    env.emplace("WORKER_LEASE_SECONDS", "3");
    server = std::make_unique<MailwrightServer>(ServerOptions{.smtp = smtp.get(), .env = env});
    if (testUnavailable()) return;
    createUser(*server, "owner@example.com");
    token = tokenFor(*server, "owner@example.com");
    api = std::make_unique<HttpClient>(server->baseUrl());
  }
  std::int64_t client(const std::string& email, const std::string& name) {
    auto r = api->postJson("/api/v1/clients",
                           R"({"email":")" + email + R"(","full_name":")" + name + R"("})", token);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json()->getValue<std::int64_t>("id");
  }
  std::int64_t message(const std::string& subject, const std::string& text,
                       const std::string& html = "") {
    Poco::JSON::Object o;
    o.set("subject", subject);
    o.set("body_text", text);
    o.set("body_html", html);
    std::ostringstream s;
    o.stringify(s);
    auto r = api->postJson("/api/v1/messages", s.str(), token);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json()->getValue<std::int64_t>("id");
  }
  std::int64_t mailing(std::int64_t msg, const std::vector<std::int64_t>& clients,
                       const std::string& start, const std::string& periodicity = "once") {
    std::string ids;
    for (auto id : clients) ids += (ids.empty() ? "" : ",") + std::to_string(id);
    auto r = api->postJson("/api/v1/mailings",
                           R"({"name":"Test","message_id":)" + std::to_string(msg) +
                               R"(,"client_ids":[)" + ids + R"(],"start_at":")" + start +
                               R"(","periodicity":")" + periodicity + R"("})",
                           token);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json()->getValue<std::int64_t>("id");
  }
  Poco::JSON::Object::Ptr stats(std::int64_t id) {
    return api->getJson("/api/v1/mailings/" + std::to_string(id) + "/stats", token).json();
  }
  // Waits until the mailing's stats satisfy pred (or the timeout passes).
  template <typename Pred>
  bool waitStats(std::int64_t id, Pred pred, int seconds = 20) {
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < until) {
      if (pred(stats(id))) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return false;
  }
  std::unique_ptr<SmtpCapture> smtp;
  std::unique_ptr<MailwrightServer> server;
  std::unique_ptr<HttpClient> api;
  std::string token;
};

}  // namespace

TEST_F(Delivery, EachRecipientGetsItsOwnPersonalisedMessageWithUnsubscribeHeaders) {
  start();
  MW_SKIP_IF_UNAVAILABLE();
  auto a = client("ivan@example.com", "Иван Петров");
  auto b = client("maria@example.com", "Мария");
  auto m = message("Привет, {{name}} — новости", "Здравствуйте, {{name}}!\nВаш адрес: {{email}}.",
                   "<p>Здравствуйте, <b>{{name}}</b>!</p><a href=\"{{unsubscribe_url}}\">x</a>");
  auto id = mailing(m, {a, b}, isoIn(-60));
  auto mails = smtp->waitForMessages(2, 15);
  ASSERT_EQ(mails.size(), 2u);
  std::map<std::string, Poco::JSON::Object::Ptr> byTo;
  for (const auto& mail : mails) {
    ASSERT_EQ(mail.rcptTos.size(), 1u);  // nobody sees anybody else's address
    byTo[mail.rcptTos[0]] = mail.decoded();
    EXPECT_TRUE(mail.hasHeader("Message-ID"));
    EXPECT_TRUE(mail.hasHeader("Date"));
    EXPECT_EQ(mail.header("List-Unsubscribe-Post"), "List-Unsubscribe=One-Click");
    EXPECT_EQ(mail.header("List-Unsubscribe").rfind("<" + server->baseUrl() + "/unsubscribe/", 0),
              0u);
    // Feedback-ID mailing:owner:sender domain:mailwright (Gmail's feedback loop).
    auto feedback = mail.header("Feedback-ID");
    EXPECT_EQ(feedback.rfind(std::to_string(id) + ":", 0), 0u) << feedback;
    EXPECT_EQ(std::count(feedback.begin(), feedback.end(), ':'), 3) << feedback;
    EXPECT_TRUE(feedback.ends_with(":mailwright")) << feedback;
  }
  ASSERT_EQ(byTo.count("ivan@example.com"), 1u);
  auto ivan = byTo["ivan@example.com"];
  EXPECT_EQ(ivan->getValue<std::string>("subject"), "Привет, Иван Петров — новости");
  EXPECT_NE(ivan->getValue<std::string>("text").find("Здравствуйте, Иван Петров!"),
            std::string::npos);
  EXPECT_NE(ivan->getValue<std::string>("text").find("ivan@example.com"), std::string::npos);
  EXPECT_NE(ivan->getValue<std::string>("html").find("<b>Иван Петров</b>"), std::string::npos);
  EXPECT_EQ(ivan->getValue<std::string>("to").find("maria"), std::string::npos);
  EXPECT_NE(mails[0].header("Message-ID"), mails[1].header("Message-ID"));
  ASSERT_TRUE(waitStats(id, [](auto s) { return s->template getValue<int>("success") == 2; }));
  auto s = stats(id);
  EXPECT_EQ(s->getValue<int>("attempts"), 2);
  EXPECT_EQ(s->getValue<int>("failure"), 0);
  EXPECT_NE(s->getValue<std::string>("last_reply").find("250"), std::string::npos);
  // A once-mailing is completed after its run.
  auto m2 = api->getJson("/api/v1/mailings/" + std::to_string(id), token).json();
  for (int i = 0; i < 20 && m2->getValue<std::string>("status") != "completed"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    m2 = api->getJson("/api/v1/mailings/" + std::to_string(id), token).json();
  }
  EXPECT_EQ(m2->getValue<std::string>("status"), "completed");
  EXPECT_FALSE(m2->getValue<std::string>("last_run_at").empty());

  // The unsubscribe link works without login, one-click too, and later runs skip the client.
  std::string link = ivan->getObject("headers")->getValue<std::string>("list-unsubscribe");
  link = link.substr(1, link.size() - 2);
  HttpClient anon(server->baseUrl());
  auto page = anon.get(pathOf(link));
  EXPECT_EQ(page.status, 200);
  auto r = anon.post(pathOf(link), {{"List-Unsubscribe", "One-Click"}});
  EXPECT_EQ(r.status, 200);
  auto sent = api->postJson("/api/v1/mailings/" + std::to_string(id) + "/send", "{}", token);
  EXPECT_EQ(sent.status, 202);
  auto after = smtp->waitForMessages(3, 15);
  ASSERT_EQ(after.size(), 3u);
  EXPECT_EQ(after[2].rcptTos[0], "maria@example.com");
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  EXPECT_EQ(smtp->messages().size(), 3u);
}

TEST_F(Delivery, TemporaryFailuresAreRetriedPermanentOnesAreNot) {
  start();
  MW_SKIP_IF_UNAVAILABLE();
  auto t = client("tempfail-1@example.com", "T");
  auto p = client("permfail-1@example.com", "P");
  auto ok = client("fine@example.com", "F");
  auto id = mailing(message("Hi", "Hello {{name}}"), {t, p, ok}, isoIn(-5));
  // 451, 451 (retried after 1 s, then 2 s), then accepted; 550 recorded once.
  ASSERT_TRUE(waitStats(
      id, [](auto s) { return s->template getValue<int>("success") == 2; }, 30))
      << server->logs();
  auto s = stats(id);
  EXPECT_EQ(s->getValue<int>("attempts"), 5);
  EXPECT_EQ(s->getValue<int>("failure"), 3);
  auto log = api->getJson("/api/v1/mailings/" + std::to_string(id) + "/attempts?per_page=50", token)
                 .json()
                 ->getArray("items");
  int perm = 0, temp = 0;
  for (size_t i = 0; i < log->size(); ++i) {
    auto a = log->getObject(static_cast<unsigned>(i));
    if (a->getValue<std::string>("email") == "permfail-1@example.com") {
      ++perm;
      EXPECT_EQ(a->getValue<int>("code"), 550);
      EXPECT_TRUE(a->getValue<bool>("final"));
    }
    if (a->getValue<std::string>("email") == "tempfail-1@example.com" &&
        a->getValue<std::string>("status") == "failure") {
      ++temp;
      EXPECT_EQ(a->getValue<int>("code"), 451);
      EXPECT_FALSE(a->getValue<bool>("final"));
    }
  }
  EXPECT_EQ(perm, 1);
  EXPECT_EQ(temp, 2);
}

TEST_F(Delivery, DroppedConnectionsAndHangingServersTimeOutAndAreRetried) {
  start({{"RETRY_MAX", "2"}});
  MW_SKIP_IF_UNAVAILABLE();
  auto d = client("drop-1@example.com", "D");
  auto h = client("hang-1@example.com", "H");
  auto ok = client("fine@example.com", "F");
  auto started = std::chrono::steady_clock::now();
  auto id = mailing(message("Hi", "Hello"), {d, h, ok}, isoIn(-5));
  ASSERT_TRUE(waitStats(
      id, [](auto s) { return s->template getValue<int>("attempts") >= 5; }, 40))
      << server->logs();
  auto s = stats(id);
  EXPECT_EQ(s->getValue<int>("success"), 1);
  EXPECT_EQ(s->getValue<int>("failure"), 4);  // two attempts each, then given up
  // A hanging server costs EMAIL_TIMEOUT (2 s) per attempt, never a hung service.
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(30));
  HttpClient c(server->baseUrl());
  EXPECT_EQ(c.get("/healthz").status, 200);
  auto log = api->getJson("/api/v1/mailings/" + std::to_string(id) + "/attempts", token).json();
  EXPECT_NE(log->getArray("items")->getObject(0)->getValue<std::string>("reply").size(), 0u);
}

TEST_F(Delivery, RefusedConnectionIsATemporaryFailure) {
  start({{"RETRY_MAX", "2"}});
  MW_SKIP_IF_UNAVAILABLE();
  smtp->stop();
  auto id = mailing(message("Hi", "Hello"), {client("x@example.com", "X")}, isoIn(-5));
  ASSERT_TRUE(waitStats(
      id, [](auto s) { return s->template getValue<int>("failure") == 2; }, 20))
      << server->logs();
  auto log = api->getJson("/api/v1/mailings/" + std::to_string(id) + "/attempts", token).json();
  auto first = log->getArray("items")->getObject(0);
  EXPECT_EQ(first->getValue<int>("code"), 0);
  EXPECT_NE(first->getValue<std::string>("reply").find("cannot connect"), std::string::npos);
}

TEST_F(Delivery, FutureMailingStartsByItselfAndPeriodicOnesRepeat) {
  start();
  MW_SKIP_IF_UNAVAILABLE();
  auto c = client("sched@example.com", "S");
  auto id = mailing(message("Hi", "Hello"), {c}, isoIn(3), "daily");
  auto m = api->getJson("/api/v1/mailings/" + std::to_string(id), token).json();
  EXPECT_EQ(m->getValue<std::string>("status"), "created");
  EXPECT_FALSE(m->getValue<std::string>("next_run_at").empty());
  std::this_thread::sleep_for(std::chrono::seconds(1));
  EXPECT_TRUE(smtp->messages().empty());
  auto mails = smtp->waitForMessages(1, 10);
  ASSERT_EQ(mails.size(), 1u);
  m = api->getJson("/api/v1/mailings/" + std::to_string(id), token).json();
  EXPECT_EQ(m->getValue<std::string>("status"), "running");  // daily: not finished after one run
  EXPECT_FALSE(m->getValue<std::string>("next_run_at").empty());
  EXPECT_NE(m->getValue<std::string>("next_run_at"), m->getValue<std::string>("start_at"));
}

TEST_F(Delivery, DisabledMailingAndBlockedOwnerDoNotSend) {
  start();
  MW_SKIP_IF_UNAVAILABLE();
  createUser(*server, "boss@example.com", kStrongPassword, "manager");
  std::string boss = tokenFor(*server, "boss@example.com");
  auto c = client("a@example.com", "A");
  auto id = mailing(message("Hi", "Hello"), {c}, isoIn(3));
  auto r = api->postJson("/api/v1/mailings/" + std::to_string(id) + "/disable", "{}", boss);
  EXPECT_EQ(r.status, 200);
  std::this_thread::sleep_for(std::chrono::seconds(5));
  EXPECT_TRUE(smtp->messages().empty());
  // Owner cannot send a disabled mailing by hand either.
  EXPECT_EQ(api->postJson("/api/v1/mailings/" + std::to_string(id) + "/send", "{}", token).status,
            409);
  // Blocked owner: enabled again but nothing goes out while blocked.
  auto users = api->getJson("/api/v1/users?q=owner", boss).json()->getArray("items");
  auto ownerId = users->getObject(0)->getValue<std::int64_t>("id");
  EXPECT_EQ(api->postJson("/api/v1/users/" + std::to_string(ownerId) + "/block", "{}", boss).status,
            200);
  EXPECT_EQ(api->postJson("/api/v1/mailings/" + std::to_string(id) + "/enable", "{}", boss).status,
            200);
  std::this_thread::sleep_for(std::chrono::seconds(3));
  EXPECT_TRUE(smtp->messages().empty());
  EXPECT_EQ(
      api->postJson("/api/v1/users/" + std::to_string(ownerId) + "/unblock", "{}", boss).status,
      200);
  EXPECT_EQ(smtp->waitForMessages(1, 10).size(), 1u);
}

TEST_F(Delivery, KillNineMidRunSkipsNobody) {
  start({{"SEND_RATE", "40"}, {"SEND_CONCURRENCY", "2"}});
  MW_SKIP_IF_UNAVAILABLE();
  std::string csv = "email,full_name\n";
  for (int i = 0; i < 200; ++i)
    csv += "r" + std::to_string(i) + "@example.com,R" + std::to_string(i) + "\n";
  auto imp =
      api->request("POST", "/api/v1/clients/import", "csv=" + urlEncode(csv),
                   "application/x-www-form-urlencoded", {{"Authorization", "Bearer " + token}});
  ASSERT_EQ(imp.status, 200) << imp.body;
  std::vector<std::int64_t> ids;
  auto list = api->getJson("/api/v1/clients?per_page=100", token).json()->getArray("items");
  auto list2 = api->getJson("/api/v1/clients?per_page=100&page=2", token).json()->getArray("items");
  for (auto l : {list, list2})
    for (size_t i = 0; i < l->size(); ++i)
      ids.push_back(l->getObject(unsigned(i))->getValue<std::int64_t>("id"));
  ASSERT_EQ(ids.size(), 200u);
  mailing(message("Hi", "Hello {{name}}"), ids, isoIn(-5));
  // Let part of the run go out, then kill the process mid-run.
  auto early = smtp->waitForMessages(40, 20);
  ASSERT_GE(early.size(), 40u);
  server->kill9();
  size_t atKill = smtp->messages().size();
  EXPECT_LT(atKill, 200u);
  server->start();
  // Repeats count towards the total, so wait for 200 distinct recipients.
  std::map<std::string, int> count;
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  do {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    count.clear();
    for (const auto& m : smtp->messages()) count[m.rcptTos.at(0)]++;
  } while (count.size() < 200u && std::chrono::steady_clock::now() < until);
  EXPECT_EQ(count.size(), 200u) << "recipients skipped";
  int repeats = 0;
  for (const auto& [to, n] : count) repeats += n - 1;
  // Only what was in flight at the kill may go twice (one batch at most).
  EXPECT_LE(repeats, 50) << "repeats: " << repeats;
}

TEST_F(Delivery, WorkersSharingOneDatabaseNeverSendTheSameMessageTwice) {
  // Every process paces itself, so the run lasts long enough for all of them to claim batches.
  start({{"SEND_RATE", "100"}, {"SEND_CONCURRENCY", "2"}});
  MW_SKIP_IF_UNAVAILABLE();
  std::vector<std::unique_ptr<ChildProcess>> workers;
  TempDir logs;
  for (int i = 0; i < 2; ++i)
    workers.push_back(std::make_unique<ChildProcess>(
        std::vector<std::string>{mailwrightBinary(), "worker"}, server->env(),
        logs.file("worker" + std::to_string(i) + ".log")));
  std::string csv = "email,full_name\n";
  for (int i = 0; i < 600; ++i)
    csv += "w" + std::to_string(i) + "@example.com,W" + std::to_string(i) + "\n";
  auto imp =
      api->request("POST", "/api/v1/clients/import", "csv=" + urlEncode(csv),
                   "application/x-www-form-urlencoded", {{"Authorization", "Bearer " + token}});
  ASSERT_EQ(imp.status, 200) << imp.body;
  std::vector<std::int64_t> ids;
  for (int page = 1; page <= 6; ++page) {
    auto l = api->getJson("/api/v1/clients?per_page=100&page=" + std::to_string(page), token)
                 .json()
                 ->getArray("items");
    for (size_t i = 0; i < l->size(); ++i)
      ids.push_back(l->getObject(unsigned(i))->getValue<std::int64_t>("id"));
  }
  ASSERT_EQ(ids.size(), 600u);
  auto id = mailing(message("Hi", "Hello {{name}}"), ids, isoIn(-5));
  // Watch which processes hold claimed deliveries while the run goes on.
  mw::db::Database db(server->databaseUrl(), 2);
  std::set<std::string> claimants;
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  while (std::chrono::steady_clock::now() < until && stats(id)->getValue<int>("success") < 600) {
    auto c = db.conn();
    for (const auto& r : c.query("SELECT DISTINCT claimed_by FROM deliveries WHERE claimed_by IS "
                                 "NOT NULL AND mailing_id = $1",
                                 {id}))
      claimants.insert(r["claimed_by"].s());
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  auto s = stats(id);
  EXPECT_EQ(s->getValue<int>("success"), 600) << workers[0]->log() << workers[1]->log();
  EXPECT_GE(claimants.size(), 3u) << "the serve process and both workers should have sent";
  std::this_thread::sleep_for(std::chrono::seconds(1));
  std::map<std::string, int> count;
  for (const auto& m : smtp->messages()) count[m.rcptTos.at(0)]++;
  EXPECT_EQ(count.size(), 600u);
  int repeats = 0;
  for (const auto& [to, n] : count) repeats += n - 1;
  EXPECT_EQ(repeats, 0);
  EXPECT_EQ(s->getValue<int>("attempts"), 600);
}

// A capture server that refuses MAIL before STARTTLS and AUTH (user mw, password s3cret), and the
// configuration that reaches it with the given password.
struct SecureSmtp {
  TempDir certs;
  std::unique_ptr<SmtpCapture> smtp;
  Env env(const std::string& password) const {
    return {{"EMAIL_HOST", "127.0.0.1"},
            {"EMAIL_PORT", std::to_string(smtp->port())},
            {"EMAIL_USE_TLS", "1"},
            {"EMAIL_HOST_USER", "mw"},
            {"EMAIL_HOST_PASSWORD", password},
            {"EMAIL_TLS_INSECURE", "1"},  // the certificate is self-signed
            {"RETRY_MAX", "1"}};
  }
  SecureSmtp() {
    auto gen = runProcess({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                           "-subj", "/CN=127.0.0.1", "-keyout", certs.file("key.pem"), "-out",
                           certs.file("cert.pem")});
    if (gen.exitCode != 0) throw std::runtime_error("openssl: " + gen.err);
    smtp = std::make_unique<SmtpCapture>(
        std::vector<std::string>{"--auth", "mw:s3cret", "--tls-cert", certs.file("cert.pem"),
                                 "--tls-key", certs.file("key.pem"), "--require-tls"});
  }
};

TEST_F(Delivery, StartTlsAndAuthAreUsedWhenConfigured) {
  SecureSmtp secure;
  start(secure.env("s3cret"));
  MW_SKIP_IF_UNAVAILABLE();
  auto id =
      mailing(message("Тест", "Hello {{name}}"), {client("tls@example.com", "Tls")}, isoIn(-5));
  // The server takes a message only after STARTTLS and AUTH: its arrival proves both.
  auto got = secure.smtp->waitForMessages(1, 20);
  ASSERT_EQ(got.size(), 1u) << server->logs() << secure.smtp->log();
  EXPECT_EQ(got[0].rcptTos.at(0), "tls@example.com");
  EXPECT_TRUE(waitStats(id, [](auto s) { return s->template getValue<int>("success") == 1; }));
}

TEST_F(Delivery, AWrongSmtpPasswordIsAPermanentFailureWithTheServersReply) {
  SecureSmtp secure;
  start(secure.env("wrong"));
  MW_SKIP_IF_UNAVAILABLE();
  auto id = mailing(message("Hi", "Hello"), {client("denied@example.com", "Denied")}, isoIn(-5));
  ASSERT_TRUE(waitStats(id, [](auto s) { return s->template getValue<int>("failure") == 1; }))
      << server->logs();
  auto log = api->getJson("/api/v1/mailings/" + std::to_string(id) + "/attempts", token).json();
  auto first = log->getArray("items")->getObject(0);
  EXPECT_EQ(first->getValue<int>("code"), 535) << first->getValue<std::string>("reply");
  EXPECT_TRUE(secure.smtp->messages().empty());
}
