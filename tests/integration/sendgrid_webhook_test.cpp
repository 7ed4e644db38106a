// Issue 13.3: SendGrid's Signed Event Webhook against the real binary. The test makes its own
// P-256 key with openssl, signs batches as SendGrid documents (base64 DER ECDSA over timestamp +
// raw body, in X-Twilio-Email-Event-Webhook-Signature / -Timestamp), and checks the clients and
// the mailing's stats. Forged, altered, stale and replayed batches change nothing.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
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

std::int64_t now() {
  return static_cast<std::int64_t>(std::time(nullptr));
}

std::string arrayJson(const Poco::JSON::Array& a) {
  std::ostringstream out;
  a.stringify(out);
  return out.str();
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

struct SendGrid : ::testing::Test {
  // A P-256 key pair in dir; the public key as SendGrid's settings show it (base64 DER).
  static std::string makeKey(TempDir& dir, const std::string& name) {
    auto made = runProcess({"openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout",
                            "-out", dir.file(name + ".pem")});
    EXPECT_EQ(made.exitCode, 0) << made.err;
    auto pub = runProcess({"openssl", "ec", "-in", dir.file(name + ".pem"), "-pubout", "-outform",
                           "DER", "-out", dir.file(name + ".der")});
    EXPECT_EQ(pub.exitCode, 0) << pub.err;
    auto b64 = runProcess({"openssl", "base64", "-A", "-in", dir.file(name + ".der")});
    return trim(b64.out);
  }
  void SetUp() override {
    publicKey = makeKey(keys, "sendgrid");
    makeKey(keys, "forger");
    server = std::make_unique<MailwrightServer>(
        ServerOptions{.smtp = &smtp, .env = {{"SENDGRID_WEBHOOK_PUBLIC_KEY", publicKey}}});
    if (testUnavailable()) return;
    for (const char* who : {"owner@example.com", "other@example.com"}) {
      createUser(*server, who);
      tokens[who] = tokenFor(*server, who);
    }
    api = std::make_unique<HttpClient>(server->baseUrl());
  }
  std::int64_t send(const std::string& user, const std::vector<std::string>& to) {
    std::vector<std::int64_t> ids;
    for (const auto& e : to) ids.push_back(clients[e] = apiClient(*api, tokens[user], e));
    auto before = smtp.messages().size();
    auto id = apiMailing(*api, tokens[user], apiMessage(*api, tokens[user], "News"), ids, "News",
                         "2020-01-01T09:00:00Z");
    auto mails = smtp.waitForMessages(before + to.size(), 20);
    for (std::size_t i = before; i < mails.size(); ++i) {
      auto rcpt = mails[i].rcptTos.at(0);
      messageId[rcpt] = mails[i].header("Message-ID");
      auto args = Poco::JSON::Parser().parse(mails[i].header("X-SMTPAPI")).extract<Object::Ptr>();
      token[rcpt] = args->getObject("unique_args")->getValue<std::string>("mw-token");
    }
    return id;
  }
  std::string status(const std::string& email, const std::string& user = "owner@example.com") {
    auto r = api->getJson("/api/v1/clients/" + std::to_string(clients[email]), tokens[user]);
    return r.status == 200 ? r.json()->getValue<std::string>("status") : r.body;
  }
  // An event as SendGrid posts it; by "mw-token" (unique_args) or only by its "smtp-id".
  Object event(const std::string& rcpt, const std::string& kind, const std::string& type,
               bool byToken) {
    Object e;
    e.set("email", rcpt);
    e.set("timestamp", now());
    e.set("smtp-id", messageId[rcpt]);
    e.set("event", kind);
    e.set("category", Poco::JSON::Array());
    e.set("sg_event_id", "sg-" + rcpt + "-" + kind);
    e.set("sg_message_id", "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0");
    if (!type.empty()) e.set("type", type);
    if (kind == "bounce") {
      e.set("status", type == "blocked" ? "4.0.0" : "5.0.0");
      e.set("reason", "550 5.1.1 The email account that you tried to reach does not exist");
    }
    if (byToken) e.set("mw-token", token[rcpt]);
    return e;
  }
  // The batch's signature with the named key, base64 DER as SendGrid sends it.
  std::string sign(const std::string& timestamp, const std::string& body,
                   const std::string& key = "sendgrid") {
    std::ofstream(keys.file("payload"), std::ios::binary) << timestamp << body;
    auto r = runProcess({"openssl", "dgst", "-sha256", "-sign", keys.file(key + ".pem"), "-out",
                         keys.file("sig"), keys.file("payload")});
    EXPECT_EQ(r.exitCode, 0) << r.err;
    return trim(runProcess({"openssl", "base64", "-A", "-in", keys.file("sig")}).out);
  }
  Response post(const std::string& body, const std::string& timestamp,
                const std::string& signature) {
    return api->request("POST", "/webhooks/sendgrid", body, "application/json",
                        {{"X-Twilio-Email-Event-Webhook-Signature", signature},
                         {"X-Twilio-Email-Event-Webhook-Timestamp", timestamp}});
  }
  Poco::JSON::Object::Ptr stats(std::int64_t mailing) {
    return api
        ->getJson("/api/v1/mailings/" + std::to_string(mailing) + "/stats",
                  tokens["owner@example.com"])
        .json();
  }
  TempDir keys;
  SmtpCapture smtp;
  std::unique_ptr<MailwrightServer> server;
  std::unique_ptr<HttpClient> api;
  std::string publicKey;
  std::map<std::string, std::string> tokens, token, messageId;
  std::map<std::string, std::int64_t> clients;
};

}  // namespace

TEST_F(SendGrid, SignedEventsBounceAndComplainForgedOnesChangeNothing) {
  MW_SKIP_IF_UNAVAILABLE();
  auto mailing = send("owner@example.com",
                      {"h@example.net", "s@example.net", "c@example.net", "x@example.net"});
  send("other@example.com", {"y@example.org"});
  ASSERT_EQ(token.size(), 5u);
  Poco::JSON::Array batch;
  batch.add(event("h@example.net", "bounce", "bounce", false));  // found by its Message-ID
  batch.add(event("s@example.net", "bounce", "blocked", true));
  batch.add(event("c@example.net", "spamreport", "", true));
  batch.add(event("x@example.net", "delivered", "", true));
  batch.add(event("x@example.net", "deferred", "", true));
  batch.add(event("x@example.net", "open", "", true));
  // Another user's valid token reporting x: matches nothing.
  auto stolen = event("x@example.net", "spamreport", "", false);
  stolen.set("mw-token", token["y@example.org"]);
  stolen.set("smtp-id", messageId["y@example.org"]);
  batch.add(stolen);
  auto body = arrayJson(batch);
  auto ts = std::to_string(now());

  // Signed by another key, a body altered after signing, no signature, a stale batch: refused.
  EXPECT_EQ(post(body, ts, sign(ts, body, "forger")).status, 403);
  EXPECT_EQ(post(body + " ", ts, sign(ts, body)).status, 403);
  EXPECT_EQ(post(body, std::to_string(now() + 1), sign(ts, body)).status, 403);
  EXPECT_EQ(post(body, ts, "").status, 403);
  EXPECT_EQ(post(body, ts, "bm90IGEgc2lnbmF0dXJl").status, 403);
  auto old = std::to_string(now() - 7200);
  EXPECT_EQ(post(body, old, sign(old, body)).status, 400);
  auto signedObject = std::string("{\"event\":\"bounce\"}");
  EXPECT_EQ(post(signedObject, ts, sign(ts, signedObject)).status, 403);  // not an array
  for (const char* who : {"h@example.net", "s@example.net", "c@example.net"})
    EXPECT_EQ(status(who), "active") << who;
  auto s = stats(mailing);
  EXPECT_EQ(s->getValue<int>("bounced_hard") + s->getValue<int>("bounced_soft") +
                s->getValue<int>("complained"),
            0);

  // The real batch: a hard bounce, a soft one (blocked), a complaint; the rest change nothing.
  auto sig = sign(ts, body);
  auto r = post(body, ts, sig);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(contains(r.body, "\"recorded\":3")) << r.body;
  EXPECT_EQ(status("h@example.net"), "bounced");
  EXPECT_EQ(status("s@example.net"), "active");  // one soft bounce of the three that stop
  EXPECT_EQ(status("c@example.net"), "complained");
  EXPECT_EQ(status("x@example.net"), "active");
  EXPECT_EQ(status("y@example.org", "other@example.com"), "active");
  s = stats(mailing);
  EXPECT_EQ(s->getValue<int>("bounced_hard"), 1);
  EXPECT_EQ(s->getValue<int>("bounced_soft"), 1);
  EXPECT_EQ(s->getValue<int>("complained"), 1);

  // Replayed as it was: answered, nothing more counted.
  r = post(body, ts, sig);
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(contains(r.body, "\"duplicate\":true")) << r.body;
  s = stats(mailing);
  EXPECT_EQ(s->getValue<int>("bounced_soft"), 1);
}

TEST(SendGridOff, WithoutAKeyTheWebhookIsOff) {
  SmtpCapture smtp;
  MailwrightServer server(ServerOptions{.smtp = &smtp});
  MW_SKIP_IF_UNAVAILABLE();
  HttpClient api(server.baseUrl());
  EXPECT_EQ(api.request("POST", "/webhooks/sendgrid", "[]", "application/json", {}).status, 404);
}
