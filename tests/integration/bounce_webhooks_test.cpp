// Issue 13.3: relays' webhooks in each provider's documented shape, against the real binary:
// Amazon SES through SNS (signed with a key and certificate made here with openssl), Mailgun
// (HMAC-SHA256 with the signing key), Postmark (basic auth). Forged signatures, stale or replayed
// events, and a token of another user's delivery change nothing.
#include <Poco/Base64Encoder.h>
#include <Poco/DigestEngine.h>
#include <Poco/JSON/Object.h>
#include <Poco/SHA2Engine.h>
#include <gtest/gtest.h>

#include <ctime>
#include <fstream>
#include <map>
#include <sstream>

#include "app.h"
#include "domain.h"
#include "harness.h"
#include "smtp_capture.h"

using namespace mw::test;
using Poco::JSON::Object;

namespace {

std::string iso(std::int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  char out[32];
  std::strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%S.000Z", std::gmtime(&tt));
  return out;
}

std::int64_t now() {
  return static_cast<std::int64_t>(std::time(nullptr));
}

std::string base64(const std::string& bytes) {
  std::ostringstream out;
  Poco::Base64Encoder enc(out);
  enc.rdbuf()->setLineLength(0);
  enc << bytes;
  enc.close();
  return out.str();
}

// HMAC-SHA256 (RFC 2104) as hex, written out here so the test does not trust the product's.
std::string hmacHex(const std::string& key, const std::string& message) {
  std::string k = key, inner(64, '\x36'), outer(64, '\x5c');
  for (std::size_t i = 0; i < k.size() && i < 64; ++i) {
    inner[i] = static_cast<char>(inner[i] ^ k[i]);
    outer[i] = static_cast<char>(outer[i] ^ k[i]);
  }
  Poco::SHA2Engine first(Poco::SHA2Engine::SHA_256);
  first.update(inner + message);
  auto d = first.digest();
  Poco::SHA2Engine second(Poco::SHA2Engine::SHA_256);
  second.update(outer + std::string(d.begin(), d.end()));
  return Poco::DigestEngine::digestToHex(second.digest());
}

struct Webhooks : ::testing::Test {
  void SetUp() override {
    auto made = runProcess({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                            keys.file("key.pem"), "-out", keys.file("cert.pem"), "-days", "2",
                            "-subj", "/CN=sns.amazonaws.com"});
    ASSERT_EQ(made.exitCode, 0) << made.err;
    server = std::make_unique<MailwrightServer>(
        ServerOptions{.smtp = &smtp,
                      .env = {{"BOUNCE_ADDRESS", "bounces@example.com"},
                              {"SES_SNS_CERT_FILE", keys.file("cert.pem")},
                              {"MAILGUN_WEBHOOK_SIGNING_KEY", "mg-signing-key"},
                              {"POSTMARK_WEBHOOK_USER", "pm"},
                              {"POSTMARK_WEBHOOK_PASSWORD", "pm-secret"}}});
    if (testUnavailable()) return;
    for (const char* who : {"owner@example.com", "other@example.com"}) {
      createUser(*server, who);
      tokens[who] = tokenFor(*server, who);
    }
    api = std::make_unique<HttpClient>(server->baseUrl());
  }
  // Sends a mailing of the user to these addresses; the VERP token and Message-ID of each.
  void send(const std::string& user, const std::vector<std::string>& to) {
    std::vector<std::int64_t> ids;
    for (const auto& e : to) ids.push_back(clients[e] = apiClient(*api, tokens[user], e));
    auto before = smtp.messages().size();
    apiMailing(*api, tokens[user], apiMessage(*api, tokens[user], "News"), ids, "News",
               "2020-01-01T09:00:00Z");
    auto mails = smtp.waitForMessages(before + to.size(), 20);
    for (std::size_t i = before; i < mails.size(); ++i) {
      const auto& m = mails[i];
      verp[m.rcptTos.at(0)] = m.mailFrom;
      token[m.rcptTos.at(0)] = m.mailFrom.substr(8, m.mailFrom.find('@') - 8);
      messageId[m.rcptTos.at(0)] = m.header("Message-ID");
    }
  }
  std::string status(const std::string& email, const std::string& user = "owner@example.com") {
    auto r = api->getJson("/api/v1/clients/" + std::to_string(clients[email]), tokens[user]);
    return r.status == 200 ? r.json()->getValue<std::string>("status") : r.body;
  }
  // An SNS notification carrying an SES event, signed (SignatureVersion 2) with the test key.
  std::string sns(const std::string& id, const Object& message, std::int64_t at,
                  bool tamper = false) {
    Object o;
    o.set("Type", "Notification");
    o.set("MessageId", id);
    o.set("TopicArn", "arn:aws:sns:us-east-1:123456789012:ses-bounces");
    o.set("Message", toJson(message));
    o.set("Timestamp", iso(at));
    o.set("SignatureVersion", "2");
    o.set("SigningCertURL",
          "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem");
    std::string toSign = "Message\n" + toJson(message) + "\nMessageId\n" + id + "\nTimestamp\n" +
                         iso(at) + "\nTopicArn\narn:aws:sns:us-east-1:123456789012:ses-bounces\n" +
                         "Type\nNotification\n";
    std::ofstream(keys.file("tosign")) << toSign;
    auto sig = runProcess({"openssl", "dgst", "-sha256", "-sign", keys.file("key.pem"), "-out",
                           keys.file("sig"), keys.file("tosign")});
    EXPECT_EQ(sig.exitCode, 0) << sig.err;
    o.set("Signature", base64(readFile(keys.file("sig"))));
    if (tamper) o.set("Message", toJson(message) + " ");
    return toJson(o);
  }
  Object sesMail(const std::string& rcpt) {
    Object mail, common;
    mail.set("source", verp[rcpt]);
    mail.set("messageId", "0100018c-ses-id");
    common.set("messageId", messageId[rcpt]);
    mail.set("commonHeaders", common);
    return mail;
  }
  Object sesBounce(const std::string& rcpt, const std::string& type, const std::string& code) {
    Object m, bounce, r;
    m.set("notificationType", "Bounce");
    bounce.set("bounceType", type);
    r.set("emailAddress", rcpt);
    r.set("status", code);
    r.set("diagnosticCode", "smtp; 550 " + code + " user unknown");
    Poco::JSON::Array list;
    list.add(r);
    bounce.set("bouncedRecipients", list);
    m.set("bounce", bounce);
    m.set("mail", sesMail(rcpt));
    return m;
  }
  std::string mailgun(const std::string& rcpt, const std::string& event, std::int64_t at,
                      const std::string& nonce, const std::string& key = "mg-signing-key") {
    Object sig, data, status, envelope, message, headers;
    sig.set("timestamp", std::to_string(at));
    sig.set("token", nonce);
    sig.set("signature", hmacHex(key, std::to_string(at) + nonce));
    data.set("event", event);
    data.set("id", "mg-" + nonce);
    data.set("timestamp", at);
    data.set("severity", "permanent");
    data.set("recipient", rcpt);
    status.set("code", 550);
    status.set("message", "5.1.1 The email account does not exist");
    data.set("delivery-status", status);
    envelope.set("sender", verp[rcpt]);
    data.set("envelope", envelope);
    // Mailgun gives the Message-ID without its angle brackets.
    auto id = messageId[rcpt];
    headers.set("message-id", id.size() > 2 ? id.substr(1, id.size() - 2) : id);
    message.set("headers", headers);
    data.set("message", message);
    Object o;
    o.set("signature", sig);
    o.set("event-data", data);
    return toJson(o);
  }
  std::string postmark(const std::string& record, const std::string& type, int id,
                       const std::string& rcpt, const std::string& tokenOf) {
    Object o, meta;
    o.set("RecordType", record);
    o.set("ID", id);
    o.set("Type", type);
    o.set("MessageID", "883953f4-6105-42a2-a16a-77a8eac79483");
    meta.set("mw-token", token[tokenOf]);
    o.set("Metadata", meta);
    o.set("Email", rcpt);
    o.set("BouncedAt", iso(now()).substr(0, 19) + ".9070259Z");
    o.set("Details", "smtp;550 5.1.1 The email account that you tried to reach does not exist.");
    return toJson(o);
  }
  Response post(const std::string& provider, const std::string& body,
                const std::string& auth = "pm:pm-secret") {
    return api->request("POST", "/webhooks/" + provider, body, "application/json",
                        {{"Authorization", "Basic " + base64(auth)}});
  }
  TempDir keys;
  SmtpCapture smtp;
  std::unique_ptr<MailwrightServer> server;
  std::unique_ptr<HttpClient> api;
  std::map<std::string, std::string> tokens, verp, token, messageId;
  std::map<std::string, std::int64_t> clients;
};

}  // namespace

TEST_F(Webhooks, SesMailgunAndPostmarkEventsStopTheirClients) {
  MW_SKIP_IF_UNAVAILABLE();
  send("owner@example.com", {"a@example.net", "b@example.net", "c@example.net", "d@example.net",
                             "e@example.net", "f@example.net", "g@example.net"});
  send("other@example.com", {"x@example.org"});
  ASSERT_EQ(token.size(), 8u);

  // SES: a forged signature and a stale notification change nothing; then the real one.
  auto body = sns("sns-1", sesBounce("a@example.net", "Permanent", "5.1.1"), now());
  EXPECT_EQ(post("ses", sns("sns-1", sesBounce("a@example.net", "Permanent", "5.1.1"), now(), true))
                .status,
            403);
  EXPECT_EQ(
      post("ses", sns("sns-0", sesBounce("a@example.net", "Permanent", "5.1.1"), now() - 7200))
          .status,
      400);
  EXPECT_EQ(status("a@example.net"), "active");
  auto r = post("ses", body);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(contains(r.body, "\"recorded\":1")) << r.body;
  EXPECT_EQ(status("a@example.net"), "bounced");
  r = post("ses", body);  // replayed
  EXPECT_TRUE(contains(r.body, "\"duplicate\":true")) << r.body;
  Object complaint;
  complaint.set("notificationType", "Complaint");
  Object c;
  Poco::JSON::Array who;
  Object rb;
  rb.set("emailAddress", "b@example.net");
  who.add(rb);
  c.set("complainedRecipients", who);
  c.set("complaintFeedbackType", "abuse");
  complaint.set("complaint", c);
  complaint.set("mail", sesMail("b@example.net"));
  EXPECT_EQ(post("ses", sns("sns-2", complaint, now())).status, 200);
  EXPECT_EQ(status("b@example.net"), "complained");

  // Mailgun: wrong key, stale, then good; the same token again is a replay.
  EXPECT_EQ(post("mailgun", mailgun("c@example.net", "failed", now(), "n1", "wrong")).status, 403);
  EXPECT_EQ(post("mailgun", mailgun("c@example.net", "failed", now() - 7200, "n0")).status, 400);
  EXPECT_EQ(status("c@example.net"), "active");
  auto good = mailgun("c@example.net", "failed", now(), "n1");
  r = post("mailgun", good);
  EXPECT_TRUE(contains(r.body, "\"recorded\":1")) << r.body;
  EXPECT_EQ(status("c@example.net"), "bounced");
  EXPECT_TRUE(contains(post("mailgun", good).body, "\"duplicate\":true"));
  EXPECT_EQ(post("mailgun", mailgun("d@example.net", "complained", now(), "n2")).status, 200);
  EXPECT_EQ(status("d@example.net"), "complained");

  // Postmark: wrong credentials are refused; the token comes back in the metadata.
  EXPECT_EQ(post("postmark", postmark("Bounce", "HardBounce", 1, "e@example.net", "e@example.net"),
                 "pm:wrong")
                .status,
            401);
  EXPECT_EQ(status("e@example.net"), "active");
  r = post("postmark", postmark("Bounce", "HardBounce", 1, "e@example.net", "e@example.net"));
  EXPECT_TRUE(contains(r.body, "\"recorded\":1")) << r.body;
  EXPECT_EQ(status("e@example.net"), "bounced");
  r = post("postmark",
           postmark("SpamComplaint", "SpamComplaint", 2, "f@example.net", "f@example.net"));
  EXPECT_EQ(status("f@example.net"), "complained");
  // The other user's valid token, reporting g: nothing for either of them.
  r = post("postmark", postmark("Bounce", "HardBounce", 3, "g@example.net", "x@example.org"));
  EXPECT_TRUE(contains(r.body, "\"recorded\":0")) << r.body;
  EXPECT_EQ(status("g@example.net"), "active");
  EXPECT_EQ(status("x@example.org", "other@example.com"), "active");

  EXPECT_EQ(post("sendgrid", "{}").status, 404);
  auto list = api->getJson("/api/v1/clients?status=bounced", tokens["owner@example.com"]);
  EXPECT_TRUE(contains(list.body, "\"total\":3")) << list.body;
  list = api->getJson("/api/v1/clients?status=complained", tokens["owner@example.com"]);
  EXPECT_TRUE(contains(list.body, "\"total\":3")) << list.body;
}
