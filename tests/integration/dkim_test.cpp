// DKIM through the real binary: keys made by `mailwright dkim`, mailings sent to the capture SMTP
// server by the serving process, signatures checked by python3-dkim against the printed DNS
// record; the admin page; a SECRET_KEY that cannot unseal the key.
#include <Poco/String.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <thread>

#include "app.h"
#include "domain.h"
#include "harness.h"

using namespace mw::test;

namespace {

const std::string kFrom = "news@mail.example.org";

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A record line as printed: `NAME TXT "part" "part"` -> {NAME, joined value}.
struct Record {
  std::string name, value;
};
Record parseRecord(const std::string& output) {
  std::smatch m;
  static const std::regex line(R"re((\S+\._domainkey\.\S+) TXT ((?:"[^"]*" ?)+))re");
  if (!std::regex_search(output, m, line)) return {};
  Record r{m[1].str(), ""};
  static const std::regex part(R"re("([^"]*)")re");
  std::string quoted = m[2].str();
  for (std::sregex_iterator it(quoted.begin(), quoted.end(), part), end; it != end; ++it)
    r.value += (*it)[1].str();
  return r;
}

class Dkim : public ::testing::Test {
 protected:
  void SetUp() override {
    smtp = std::make_unique<SmtpCapture>();
    server = std::make_unique<MailwrightServer>(
        ServerOptions{.smtp = smtp.get(), .env = {{"DEFAULT_FROM_EMAIL", kFrom}}});
    MW_SKIP_IF_UNAVAILABLE();
    createUser(*server, "owner@example.com");
    token = tokenFor(*server, "owner@example.com");
    api = std::make_unique<HttpClient>(server->baseUrl());
  }
  // `dkim generate`, its exit code checked; the record it printed.
  Record generate(const std::string& domain, const std::string& selector, const Env& env = {}) {
    std::vector<std::string> argv = {mailwrightBinary(), "dkim",  "generate", "--domain", domain,
                                     "--selector",       selector};
    Env e = server->env();
    for (const auto& [k, v] : env) e[k] = v;
    auto r = runProcess(argv, e);
    EXPECT_EQ(r.exitCode, 0) << r.out << r.err;
    Record rec = parseRecord(r.out);
    EXPECT_EQ(rec.name, selector + "._domainkey." + Poco::toLower(domain)) << r.out;
    EXPECT_EQ(rec.value.rfind("v=DKIM1; k=rsa; p=MII", 0), 0u) << r.out;
    return rec;
  }
  // A once-mailing to one client; with `now` it starts a minute ago (the scheduler sends it).
  std::int64_t mailing(const std::string& email, bool now = true) {
    auto c = apiClient(*api, token, email, "Иван Петров");
    auto m = apiMessage(*api, token, "Новости для {{name}}", "Здравствуйте, {{name}}!\n.\nКонец.");
    return apiMailing(*api, token, m, {c}, "DKIM", now ? isoIn(-60) : "2099-01-01T09:00:00Z");
  }
  // scripts/dkim_verify.py on the captured message: "pass\n" or "fail: ...".
  std::string verify(const CapturedMail& mail, const Record& rec) {
    TempDir tmp;
    std::ofstream(tmp.file("m.eml"), std::ios::binary) << mail.raw;
    auto r = runProcess({python(), sourceDir() + "/scripts/dkim_verify.py", tmp.file("m.eml"),
                         rec.name, rec.value});
    return r.out + r.err;
  }
  void expectFeedbackId(const CapturedMail& mail, std::int64_t mailingId) {
    std::string id = mail.header("Feedback-ID");
    EXPECT_TRUE(std::regex_match(
        id, std::regex(std::to_string(mailingId) + R"(:\d+:mail\.example\.org:mailwright)")))
        << id;
  }
  std::unique_ptr<SmtpCapture> smtp;
  std::unique_ptr<MailwrightServer> server;
  std::unique_ptr<HttpClient> api;
  std::string token;
};

}  // namespace

TEST_F(Dkim, TheServerSignsWithAKeyTheCliGeneratedAndPythonDkimVerifiesIt) {
  MW_SKIP_IF_UNAVAILABLE();
  // The key is made by another process while the server runs: the server reads it from the
  // database, nothing is restarted.
  Record rec = generate("mail.example.org", "mw2026");
  auto id = mailing("ivan@example.com");
  auto mails = smtp->waitForMessages(1, 20);
  ASSERT_EQ(mails.size(), 1u);
  const auto& mail = mails[0];
  std::string sig = mail.header("DKIM-Signature");
  ASSERT_FALSE(sig.empty()) << mail.raw.substr(0, 2000);
  EXPECT_TRUE(has(sig, "a=rsa-sha256")) << sig;
  EXPECT_TRUE(has(sig, "c=relaxed/relaxed")) << sig;
  EXPECT_TRUE(has(sig, "d=mail.example.org")) << sig;
  EXPECT_TRUE(has(sig, "s=mw2026")) << sig;
  // RFC 8058 4: one-click unsubscription counts only when both List-Unsubscribe headers are
  // covered by the signature; Feedback-ID too, for Gmail's feedback loop.
  for (const char* h : {"From", "Subject", "List-Unsubscribe:", "List-Unsubscribe-Post",
                        "Feedback-ID", "Message-ID"})
    EXPECT_TRUE(has(sig, h)) << h << " not signed: " << sig;
  EXPECT_EQ(verify(mail, rec), "pass\n");
  expectFeedbackId(mail, id);
  // The same record is what `dkim list` shows.
  auto list = server->cli({"dkim", "list"});
  EXPECT_EQ(list.exitCode, 0) << list.err;
  EXPECT_TRUE(has(list.out, "mail.example.org mw2026 rsa")) << list.out;
  EXPECT_EQ(parseRecord(list.out).value, rec.value) << list.out;
  // An altered copy of the message does not verify: the check above can fail.
  CapturedMail altered = mail;
  altered.raw.replace(altered.raw.find("Subject:"), 8, "Subject: X");
  EXPECT_NE(verify(altered, rec), "pass\n");
  // Another process signs as well (`send` runs the mailing from the CLI; whichever process
  // claims the message signs it), and both exit cleanly: under ASan a leak or error would make
  // the exit status non-zero.
  auto other = mailing("maria@example.com", false);
  auto sent = server->cli({"send", std::to_string(other)});
  EXPECT_EQ(sent.exitCode, 0) << sent.out << sent.err;
  mails = smtp->waitForMessages(2, 20);
  ASSERT_EQ(mails.size(), 2u);
  EXPECT_EQ(verify(mails[1], rec), "pass\n");
  EXPECT_EQ(server->stop(), 0) << server->logs().substr(0, 4000);
}

// A test send is signed as the mailing's messages are: it is what a sender checks before sending.
TEST_F(Dkim, ATestSendIsSignedToo) {
  MW_SKIP_IF_UNAVAILABLE();
  Record rec = generate("mail.example.org", "t1");
  auto msg = apiMessage(*api, token, "Проверка");
  auto r = api->postJson("/api/v1/messages/" + std::to_string(msg) + "/test",
                         R"({"emails":["me@example.com"]})", token);
  ASSERT_EQ(r.status, 200) << r.body;
  auto mails = smtp->waitForMessages(1, 20);
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_FALSE(mails[0].header("X-Mailwright-Test").empty());
  EXPECT_EQ(verify(mails[0], rec), "pass\n") << mails[0].raw.substr(0, 2000);
}

// Key rotation: the running server reloads the keys every 10 s, and the newest key signs.
// Account mail (here a password reset, sent by the page) is signed too: an unsigned reset from a
// domain that publishes DKIM is what spam filters look for.
TEST_F(Dkim, AccountMailIsSignedToo) {
  MW_SKIP_IF_UNAVAILABLE();
  Record rec = generate("mail.example.org", "acc1");
  HttpClient anon(server->baseUrl());
  auto r = anon.postForm("/password/reset", {{"email", "owner@example.com"}});
  ASSERT_LT(r.status, 400) << r.body.substr(0, 500);
  auto mails = smtp->waitForMessages(1, 20);
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_EQ(mails[0].rcptTos, std::vector<std::string>{"owner@example.com"});
  EXPECT_TRUE(has(mails[0].header("DKIM-Signature"), "s=acc1")) << mails[0].raw.substr(0, 2000);
  EXPECT_EQ(verify(mails[0], rec), "pass\n") << mails[0].raw.substr(0, 2000);
}

TEST_F(Dkim, ANewerKeyOfTheDomainSignsWithinTenSecondsWithoutARestart) {
  MW_SKIP_IF_UNAVAILABLE();
  Record first = generate("mail.example.org", "s1");
  mailing("ivan@example.com");
  auto mails = smtp->waitForMessages(1, 20);
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_TRUE(has(mails[0].header("DKIM-Signature"), "s=s1"));
  EXPECT_EQ(verify(mails[0], first), "pass\n");
  Record second = generate("mail.example.org", "s2");
  std::this_thread::sleep_for(std::chrono::seconds(11));
  mailing("maria@example.com");
  mails = smtp->waitForMessages(2, 20);
  ASSERT_EQ(mails.size(), 2u);
  EXPECT_TRUE(has(mails[1].header("DKIM-Signature"), "s=s2")) << mails[1].header("DKIM-Signature");
  EXPECT_EQ(verify(mails[1], second), "pass\n");
  EXPECT_NE(verify(mails[1], first), "pass\n");
}

TEST_F(Dkim, AFromDomainWithoutAKeyIsSentUnsigned) {
  MW_SKIP_IF_UNAVAILABLE();
  generate("other.example.org", "s1");
  auto id = mailing("ivan@example.com");
  auto mails = smtp->waitForMessages(1, 20);
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_FALSE(mails[0].hasHeader("DKIM-Signature")) << mails[0].raw.substr(0, 2000);
  expectFeedbackId(mails[0], id);
}

TEST_F(Dkim, CliRefusesBadInputAndDuplicates) {
  MW_SKIP_IF_UNAVAILABLE();
  auto bad = server->cli({"dkim", "generate", "--domain", "not a domain", "--selector", "s1"});
  EXPECT_EQ(bad.exitCode, 2);
  EXPECT_TRUE(has(bad.err, "--domain")) << bad.err;
  bad = server->cli({"dkim", "generate", "--domain", "example.org", "--selector", "a_b"});
  EXPECT_EQ(bad.exitCode, 2);
  bad = server->cli(
      {"dkim", "generate", "--domain", "example.org", "--selector", "s1", "--algorithm", "dsa"});
  EXPECT_EQ(bad.exitCode, 2);
  bad = server->cli({"dkim", "generate", "--domain", "example.org", "--selector", "s1",
                     "--algorithm", "ed25519"});
  EXPECT_EQ(bad.exitCode, 2);
  EXPECT_TRUE(has(bad.err, "ed25519 signing is not available")) << bad.err;
  generate("Example.ORG", "s1");  // stored lower-case
  auto dup = server->cli({"dkim", "generate", "--domain", "example.org", "--selector", "s1"});
  EXPECT_EQ(dup.exitCode, 1);
  EXPECT_TRUE(has(dup.err, "already has a key")) << dup.err;
  auto missing = server->cli({"dkim", "delete", "--domain", "example.org", "--selector", "s2"});
  EXPECT_EQ(missing.exitCode, 1);
  auto del = server->cli({"dkim", "delete", "--domain", "example.org", "--selector", "s1"});
  EXPECT_EQ(del.exitCode, 0) << del.err;
  EXPECT_EQ(server->cli({"dkim", "list"}).out, "no DKIM keys\n");
  EXPECT_EQ(server->cli({"dkim", "frobnicate"}).exitCode, 2);
}

TEST_F(Dkim, AdminPageListsKeysWithTheirRecordsAndDeletes) {
  MW_SKIP_IF_UNAVAILABLE();
  Record rec = generate("mail.example.org", "mw2026");
  createUser(*server, "root@example.com", kStrongPassword, "admin");
  createUser(*server, "manager@example.com", kStrongPassword, "manager");
  HttpClient anonymous(server->baseUrl());
  EXPECT_EQ(anonymous.get("/admin/dkim").status, 303);
  HttpClient manager(server->baseUrl());
  ASSERT_EQ(login(manager, "manager@example.com").status, 303);
  EXPECT_EQ(manager.get("/admin/dkim").status, 403);
  HttpClient admin(server->baseUrl());
  ASSERT_EQ(login(admin, "root@example.com").status, 303);
  auto page = admin.get("/admin/dkim");
  ASSERT_EQ(page.status, 200);
  EXPECT_TRUE(has(page.body, "data-dkim=\"mail.example.org/mw2026\"")) << page.body;
  EXPECT_TRUE(has(page.body, rec.name));
  // The page shows the record as the CLI printed it (quoted parts of 255 characters).
  std::string p = rec.value.substr(rec.value.find("p=") + 2);
  EXPECT_TRUE(has(page.body, p.substr(0, 200))) << page.body;
  EXPECT_TRUE(has(page.body, "&quot;v=DKIM1; k=rsa; p=")) << page.body;
  // A manager cannot delete; a key that does not exist is a 404.
  std::smatch m;
  ASSERT_TRUE(std::regex_search(page.body, m, std::regex(R"(/admin/dkim/(\d+)/delete)")));
  std::string url = m[0].str();
  EXPECT_EQ(submit(manager, url, {}).status, 403);
  EXPECT_EQ(submit(admin, "/admin/dkim/99999/delete", {}).status, 404);
  auto del = submit(admin, url, {});
  EXPECT_EQ(del.status, 303);
  EXPECT_EQ(del.location(), "/admin/dkim");
  page = admin.get("/admin/dkim");
  EXPECT_FALSE(has(page.body, rec.name));
  EXPECT_EQ(server->cli({"dkim", "list"}).out, "no DKIM keys\n");
  // Russian page.
  admin.setCookie("mw_lang", "ru");
  EXPECT_TRUE(has(admin.get("/admin/dkim").body, "DKIM-ключей пока нет"));
  // A process started after the delete sends unsigned (`send` runs the mailing in the CLI).
  auto id = mailing("ivan@example.com", false);
  auto sent = server->cli({"send", std::to_string(id)});
  EXPECT_EQ(sent.exitCode, 0) << sent.out << sent.err;
  auto mails = smtp->waitForMessages(1, 20);
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_FALSE(mails[0].hasHeader("DKIM-Signature"));
}

TEST_F(Dkim, AKeySealedUnderAnotherSecretKeyLeavesMessagesUnsignedWithALoggedError) {
  MW_SKIP_IF_UNAVAILABLE();
  generate("mail.example.org", "old", {{"SECRET_KEY", "another-secret-key-0123456789abcdef"}});
  mailing("ivan@example.com");
  auto mails = smtp->waitForMessages(1, 20);
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_FALSE(mails[0].hasHeader("DKIM-Signature"));
  EXPECT_TRUE(has(server->logs(), "dkim key cannot be unsealed")) << server->logs();
  EXPECT_EQ(api->get("/healthz").status, 200);
  EXPECT_TRUE(server->running());
}
