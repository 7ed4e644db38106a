// Issue 13: the pure parts of bounce handling: SMTP reply classification, the signed token,
// and DSN (RFC 3464) / ARF (RFC 5965) reports of the fixtures under tests/fixtures/bounces.
#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>

#include "bounces/classify.h"
#include "bounces/parse.h"
#include "bounces/token.h"

using namespace mw::bounces;

namespace {

const std::string kSecret = "unit-test-secret-0123456789";

std::string fixture(const std::string& name, const std::string& token, const std::string& rcpt,
                    const std::string& msgid) {
  std::ifstream in(std::string(MW_SOURCE_DIR) + "/tests/fixtures/bounces/" + name);
  EXPECT_TRUE(in) << name;
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  for (auto [mark, value] : {std::pair<std::string, std::string>{"{{TOKEN}}", token},
                             {"{{RCPT}}", rcpt},
                             {"{{MSGID}}", msgid}})
    for (auto p = s.find(mark); p != std::string::npos; p = s.find(mark, p + value.size()))
      s.replace(p, mark.size(), value);
  return s;
}

}  // namespace

TEST(BounceClassify, EnhancedCodes) {
  EXPECT_EQ(enhancedCode("550 5.1.1 <a@b>: user unknown"), "5.1.1");
  EXPECT_EQ(enhancedCode("452-4.2.2 mailbox full"), "4.2.2");
  EXPECT_EQ(enhancedCode("5.7.1 rejected"), "5.7.1");
  EXPECT_EQ(enhancedCode("550 user unknown"), "");
  EXPECT_EQ(enhancedCode("550 5.1111.1 x"), "");
  EXPECT_EQ(enhancedCode(""), "");
}

TEST(BounceClassify, HardAndSoft) {
  EXPECT_EQ(classifySmtp(550, "5.1.1 no such user"), Kind::Hard);
  EXPECT_EQ(classifySmtp(550, "5.1.10 null MX"), Kind::Hard);
  EXPECT_EQ(classifySmtp(552, "5.2.2 mailbox full"), Kind::Soft);
  EXPECT_EQ(classifySmtp(550, "5.2.1 mailbox disabled"), Kind::Hard);
  EXPECT_EQ(classifySmtp(451, "4.7.1 greylisted"), Kind::Soft);
  EXPECT_EQ(classifySmtp(421, "try later"), Kind::Soft);
  EXPECT_EQ(classifySmtp(554, "5.7.1 message rejected as spam"), Kind::Soft);
  EXPECT_EQ(classifySmtp(550, "no such user"), Kind::Hard);
  EXPECT_EQ(classifySmtp(250, "2.0.0 ok"), Kind::None);
  EXPECT_EQ(classifySmtp(0, "connection refused"), Kind::None);
  // An enhanced code of another class than the reply's is not believed.
  EXPECT_EQ(classifySmtp(450, "5.1.1 odd"), Kind::Soft);
  EXPECT_EQ(classifyStatus("5.0.0"), Kind::Soft);
  EXPECT_EQ(classifyStatus("4.4.7"), Kind::Soft);
}

TEST(BounceToken, SignedAndCaseInsensitive) {
  auto t = deliveryToken(kSecret, 42);
  EXPECT_EQ(deliveryOfToken(kSecret, t), 42);
  std::string upper = t;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(deliveryOfToken(kSecret, upper), 42);
  EXPECT_FALSE(deliveryOfToken("another-secret-0123456789", t));
  std::string other = "43" + t.substr(2);
  EXPECT_FALSE(deliveryOfToken(kSecret, other));  // the id is signed too
  EXPECT_FALSE(deliveryOfToken(kSecret, ""));
  EXPECT_FALSE(deliveryOfToken(kSecret, "42."));
  EXPECT_FALSE(deliveryOfToken(kSecret, "99999999999999999999999.abc"));
  auto verp = verpAddress("bounces@example.com", t);
  EXPECT_EQ(verp, "bounces+" + t + "@example.com");
  EXPECT_EQ(tokenOfVerp("bounces@example.com", "<BOUNCES+" + upper + "@Example.COM>"), t);
  EXPECT_EQ(tokenOfVerp("bounces@example.com", "news@example.com"), "");
  auto id = deliveryMessageId(kSecret, 42, "example.com");
  EXPECT_EQ(tokenOfMessageId(id), t);
  EXPECT_EQ(tokenOfMessageId("<abc@example.com>"), "");
}

TEST(BounceParse, PostfixDsn) {
  auto t = deliveryToken(kSecret, 7);
  auto r = parseReport(fixture("postfix_dsn.eml", t, "Gone@Example.net", "<mw." + t + "@e.com>"));
  ASSERT_EQ(r.type, Report::Type::Dsn);
  ASSERT_EQ(r.recipients.size(), 1u);
  EXPECT_EQ(r.recipients[0].email, "gone@example.net");
  EXPECT_EQ(r.recipients[0].action, "failed");
  EXPECT_EQ(r.recipients[0].status, "5.1.1");
  EXPECT_NE(r.recipients[0].diagnostic.find("User unknown"), std::string::npos);
  EXPECT_EQ(r.originalMessageId, "<mw." + t + "@e.com>");
  EXPECT_EQ(tokenOfVerp("bounces@example.com", r.addresses.at(0)), t);
}

TEST(BounceParse, EximDsnStatusFromDiagnostic) {
  auto t = deliveryToken(kSecret, 8);
  auto r = parseReport(fixture("exim_dsn.eml", t, "x@example.net", "<mw." + t + "@e.com>"));
  ASSERT_EQ(r.type, Report::Type::Dsn);
  ASSERT_EQ(r.recipients.size(), 1u);
  EXPECT_EQ(r.recipients[0].status, "5.0.0");
  EXPECT_EQ(r.recipients[0].diagnostic, "550 5.1.1 No such user here");
  EXPECT_EQ(r.originalMessageId, "<mw." + t + "@e.com>");
}

TEST(BounceParse, GmailMailboxFull) {
  auto t = deliveryToken(kSecret, 9);
  auto r = parseReport(fixture("gmail_dsn.eml", t, "full@gmail.com", "<mw." + t + "@e.com>"));
  ASSERT_EQ(r.type, Report::Type::Dsn);
  ASSERT_EQ(r.recipients.size(), 1u);
  EXPECT_EQ(r.recipients[0].status, "5.2.2");
  EXPECT_EQ(classifyStatus(r.recipients[0].status), Kind::Soft);
  EXPECT_FALSE(r.text.empty());
}

TEST(BounceParse, YandexAndMailRuComplaints) {
  auto t = deliveryToken(kSecret, 10);
  auto y = parseReport(fixture("yandex_arf.eml", t, "reader@yandex.ru", "<mw." + t + "@e.com>"));
  ASSERT_EQ(y.type, Report::Type::Arf);
  EXPECT_EQ(y.feedbackType, "abuse");
  ASSERT_EQ(y.recipients.size(), 1u);
  EXPECT_EQ(y.recipients[0].email, "reader@yandex.ru");
  auto m = parseReport(fixture("mailru_arf.eml", t, "", "<mw." + t + "@e.com>"));
  ASSERT_EQ(m.type, Report::Type::Arf);
  EXPECT_EQ(m.recipients.at(0).email, "");  // Mail.ru redacts the recipient
  EXPECT_EQ(m.originalMessageId, "<mw." + t + "@e.com>");
  bool verp = false;
  for (const auto& a : m.addresses) verp |= tokenOfVerp("bounces@example.com", a) == t;
  EXPECT_TRUE(verp);
}

TEST(BounceParse, PlainBounceAndJunk) {
  auto r = parseReport(
      "From: MAILER-DAEMON@old.example\r\nSubject: Undeliverable\r\n\r\nSorry.\r\n"
      "  a@b.example: 550 5.1.1 unknown user\r\n\r\nMessage-ID: <mw.1.abc@x>\r\n");
  ASSERT_EQ(r.type, Report::Type::Dsn);
  EXPECT_EQ(r.recipients.at(0).status, "5.1.1");
  EXPECT_EQ(r.originalMessageId, "<mw.1.abc@x>");
  EXPECT_EQ(parseReport("Subject: hello\r\n\r\nversion 5.1.1 is out").type, Report::Type::Unknown);
  EXPECT_EQ(parseReport("").type, Report::Type::Unknown);
}

// Bounded on any input: random bytes, truncations of every fixture, deep nesting.
TEST(BounceParse, AnyInputIsSafe) {
  std::mt19937 rng(13);
  for (int i = 0; i < 300; ++i) {
    std::string s(rng() % 3000, '\0');
    for (auto& c : s) c = static_cast<char>(rng() % 256);
    parseReport(s);
  }
  auto t = deliveryToken(kSecret, 1);
  for (const char* f :
       {"postfix_dsn.eml", "exim_dsn.eml", "gmail_dsn.eml", "yandex_arf.eml", "mailru_arf.eml"}) {
    auto s = fixture(f, t, "a@b.c", "<x@y>");
    for (std::size_t n = 0; n < s.size(); n += 7) parseReport(s.substr(0, n));
  }
  std::string nested;
  for (int i = 0; i < 200; ++i)
    nested += "Content-Type: multipart/mixed; boundary=b" + std::to_string(i) + "\r\n\r\n--b" +
              std::to_string(i) + "\r\n";
  parseReport(nested);
}
