// The SMTP client's pipelining (RFC 2920) and chunking (RFC 3030) against a scripted server
// that checks every command: one round trip per message, several BDAT transactions in flight,
// and replies matched to their messages whatever fails (refused RCPT, 4xx after the data,
// a dropped connection, 421).
#include <gtest/gtest.h>

#include "core/mail/smtp.h"
#include "scripted_smtp.h"

namespace mw::mail {
namespace {

using test::bdat;
using test::data;
using test::expect;
using test::greeting;
using test::hangup;
using test::say;
using test::ScriptedSmtp;
using test::SmtpStep;

std::vector<SmtpStep> script(std::vector<std::string> extensions, std::vector<SmtpStep> rest) {
  auto s = greeting(extensions);
  s.insert(s.end(), rest.begin(), rest.end());
  return s;
}

std::vector<Envelope> envelopes(int n) {
  std::vector<Envelope> out;
  for (int i = 1; i <= n; ++i)
    out.push_back({"from@example.com", "to" + std::to_string(i) + "@example.com",
                   "Subject: " + std::to_string(i) + "\r\n\r\nbody " + std::to_string(i) + "\r\n"});
  return out;
}

std::string mailLine() {
  return "MAIL FROM:<from@example.com>";
}
std::string rcptLine(int i) {
  return "RCPT TO:<to" + std::to_string(i) + "@example.com>";
}
std::string body(int i) {
  return "Subject: " + std::to_string(i) + "\r\n\r\nbody " + std::to_string(i) + "\r\n";
}

SmtpSettings settingsFor(const ScriptedSmtp& server) {
  SmtpSettings s;
  s.port = server.port();
  s.timeoutSeconds = 3;
  return s;
}

std::vector<int> codes(const std::vector<SmtpReply>& replies) {
  std::vector<int> out;
  for (const auto& r : replies) out.push_back(r.code);
  return out;
}

void expectScriptFollowed(ScriptedSmtp& server) {
  auto errors = server.finish();
  for (const auto& e : errors) ADD_FAILURE() << e;
}

TEST(SmtpPipelining, BodyAndNextEnvelopeGoInOneWrite) {
  // The server reads message 2's MAIL/RCPT/DATA before it answers message 1's data: a client
  // that waited for that 250 would never send them and the script would time out.
  ScriptedSmtp server({script(
      {"PIPELINING"},
      {expect(mailLine()), expect(rcptLine(1)), expect("DATA"), say("250 ok\n250 ok\n354 go"),
       data(body(1)), expect(mailLine()), expect(rcptLine(2)), expect("DATA"),
       say("250 queued one\n250 ok\n250 ok\n354 go"), data(body(2)), expect(mailLine()),
       expect(rcptLine(3)), expect("DATA"), say("250 queued two\n250 ok\n250 ok\n354 go"),
       data(body(3)), say("250 queued three"), expect("QUIT"), say("221 bye")})});
  SmtpConnection c(settingsFor(server));
  int paced = 0;
  auto replies = c.sendMany(envelopes(3), [&] { ++paced; });
  c.close();
  EXPECT_EQ(codes(replies), (std::vector<int>{250, 250, 250}));
  EXPECT_EQ(replies[0].text, "queued one");
  EXPECT_EQ(replies[2].text, "queued three");
  EXPECT_EQ(paced, 3);
  expectScriptFollowed(server);
}

TEST(SmtpPipelining, DotStuffingAndBareLineFeeds) {
  ScriptedSmtp server({script({"PIPELINING"}, {expect(mailLine()), expect(rcptLine(1)),
                                               expect("DATA"), say("250 ok\n250 ok\n354 go"),
                                               data("A\r\n..dot\r\nB\r\n"), say("250 done")})});
  SmtpConnection c(settingsFor(server));
  auto replies = c.sendMany({{"from@example.com", "to1@example.com", "A\n.dot\nB"}});
  EXPECT_EQ(codes(replies), (std::vector<int>{250}));
  expectScriptFollowed(server);
}

// The DATA payload, line by line: dot-stuffing at every line start (the first included), bare LF
// and a missing last line end made CRLF, CRLF left as it is, then the lone dot.
TEST(SmtpPipelining, DataPayloadEdges) {
  EXPECT_EQ(dataPayload(".a"), "..a\r\n.\r\n");
  EXPECT_EQ(dataPayload("\n.\n"), "\r\n..\r\n.\r\n");
  EXPECT_EQ(dataPayload("a\r\n.b\r\nc.d\r\n"), "a\r\n..b\r\nc.d\r\n.\r\n");
  EXPECT_EQ(dataPayload("x\r\r\ny"), "x\r\r\ny\r\n.\r\n");
  EXPECT_EQ(dataPayload(""), "\r\n.\r\n");
}

TEST(SmtpPipelining, RefusedRecipientThenResetBeforeTheNext) {
  // 550 for RCPT, 554 for DATA: no body; the server may still hold MAIL FROM, so RSET leads the
  // next group, pipelined with it.
  ScriptedSmtp server(
      {script({"PIPELINING"},
              {expect(mailLine()), expect(rcptLine(1)), expect("DATA"),
               say("250 ok\n550 no such user\n554 no valid recipients"), expect("RSET"),
               expect(mailLine()), expect(rcptLine(2)), expect("DATA"),
               say("250 reset\n250 ok\n250 ok\n354 go"), data(body(2)), say("250 queued two")})});
  SmtpConnection c(settingsFor(server));
  auto replies = c.sendMany(envelopes(2));
  EXPECT_EQ(codes(replies), (std::vector<int>{550, 250}));
  EXPECT_EQ(replies[0].text, "no such user");
  EXPECT_TRUE(replies[0].permanent());
  expectScriptFollowed(server);
}

TEST(SmtpPipelining, DataAcceptedDespiteRefusedRecipientEndsAnEmptyMessage) {
  ScriptedSmtp server(
      {script({"PIPELINING"}, {expect(mailLine()), expect(rcptLine(1)), expect("DATA"),
                               say("250 ok\n550 no such user\n354 go"), data(""),
                               expect(mailLine()), expect(rcptLine(2)), expect("DATA"),
                               say("554 no valid recipients\n250 ok\n250 ok\n354 go"),
                               data(body(2)), say("250 queued two")})});
  SmtpConnection c(settingsFor(server));
  auto replies = c.sendMany(envelopes(2));
  EXPECT_EQ(codes(replies), (std::vector<int>{550, 250}));
  expectScriptFollowed(server);
}

TEST(SmtpPipelining, TemporaryFailureAfterDataKeepsTheStream) {
  ScriptedSmtp server({script(
      {"PIPELINING"},
      {expect(mailLine()), expect(rcptLine(1)), expect("DATA"), say("250 ok\n250 ok\n354 go"),
       data(body(1)), expect(mailLine()), expect(rcptLine(2)), expect("DATA"),
       say("451 try later\n250 ok\n250 ok\n354 go"), data(body(2)), say("250 queued two")})});
  SmtpConnection c(settingsFor(server));
  auto replies = c.sendMany(envelopes(2));
  EXPECT_EQ(codes(replies), (std::vector<int>{451, 250}));
  EXPECT_TRUE(replies[0].temporary());
  expectScriptFollowed(server);
}

TEST(SmtpPipelining, ConnectionDroppedMidStream) {
  ScriptedSmtp server(
      {script({"PIPELINING"},
              {expect(mailLine()), expect(rcptLine(1)), expect("DATA"),
               say("250 ok\n250 ok\n354 go"), data(body(1)), expect(mailLine()),
               expect(rcptLine(2)), expect("DATA"), say("250 queued one\n250 ok"), hangup()})});
  SmtpConnection c(settingsFor(server));
  auto replies = c.sendMany(envelopes(3));
  EXPECT_EQ(codes(replies), (std::vector<int>{250, 0, 0}));
  EXPECT_TRUE(replies[1].temporary());
  EXPECT_FALSE(c.isOpen());
  expectScriptFollowed(server);
}

// Each reply reaches the caller as it is read (the recorder commits it within milliseconds),
// and a dropped connection still gives every unanswered message exactly one result.
TEST(SmtpPipelining, EachReplyIsHandedOverOnceAsItArrives) {
  ScriptedSmtp server({script(
      {"PIPELINING"},
      {expect(mailLine()), expect(rcptLine(1)), expect("DATA"), say("250 ok\n250 ok\n354 go"),
       data(body(1)), expect(mailLine()), expect(rcptLine(2)), expect("DATA"),
       say("250 queued one\n250 ok\n550 no such user\n554 no recipients"), expect("RSET"),
       expect(mailLine()), expect(rcptLine(3)), expect("DATA"), say("250 reset"), hangup()})});
  SmtpConnection c(settingsFor(server));
  std::vector<std::pair<std::size_t, int>> seen;
  auto replies = c.sendMany(
      envelopes(3), {}, [&](std::size_t k, const SmtpReply& r) { seen.emplace_back(k, r.code); });
  EXPECT_EQ(codes(replies), (std::vector<int>{250, 550, 0}));
  EXPECT_EQ(seen, (std::vector<std::pair<std::size_t, int>>{{0, 250}, {1, 550}, {2, 0}}));
  expectScriptFollowed(server);
}

TEST(SmtpPipelining, ServiceClosingAfterData) {
  ScriptedSmtp server({script(
      {"PIPELINING"}, {expect(mailLine()), expect(rcptLine(1)), expect("DATA"),
                       say("250 ok\n250 ok\n354 go"), data(body(1)), expect(mailLine()),
                       expect(rcptLine(2)), expect("DATA"), say("421 shutting down"), hangup()})});
  SmtpConnection c(settingsFor(server));
  auto replies = c.sendMany(envelopes(2));
  EXPECT_EQ(codes(replies), (std::vector<int>{421, 421}));
  EXPECT_FALSE(c.isOpen());
  expectScriptFollowed(server);
}

TEST(SmtpPipelining, WithoutPipeliningOneCommandAtATime) {
  ScriptedSmtp server({script(
      {}, {expect(mailLine()), say("250 ok"), expect(rcptLine(1)), say("250 ok"), expect("DATA"),
           say("354 go"), data(body(1)), say("250 one"), expect(mailLine()), say("250 ok"),
           expect(rcptLine(2)), say("550 unknown"), expect("RSET"), say("250 reset")})});
  SmtpConnection c(settingsFor(server));
  auto replies = c.sendMany(envelopes(2));
  EXPECT_EQ(codes(replies), (std::vector<int>{250, 550}));
  expectScriptFollowed(server);
}

TEST(SmtpChunking, SeveralTransactionsInFlight) {
  // All three transactions arrive before the server answers anything.
  ScriptedSmtp server({script(
      {"PIPELINING", "CHUNKING"},
      {expect(mailLine()), expect(rcptLine(1)), bdat(body(1)), expect(mailLine()),
       expect(rcptLine(2)), bdat(body(2)), expect(mailLine()), expect(rcptLine(3)), bdat(body(3)),
       say("250 ok\n250 ok\n250 one\n250 ok\n250 ok\n250 two\n250 ok\n250 ok\n250 three")})});
  SmtpConnection c(settingsFor(server));
  int paced = 0;
  auto replies = c.sendMany(envelopes(3), [&] { ++paced; });
  EXPECT_EQ(codes(replies), (std::vector<int>{250, 250, 250}));
  EXPECT_EQ(replies[1].text, "two");
  EXPECT_EQ(paced, 3);
  expectScriptFollowed(server);
}

TEST(SmtpChunking, RefusedTransactionResetAndTheOnesBehindItSentAgain) {
  // Message 1's recipient is refused; the server keeps its MAIL FROM, so 2 and 3 (already in
  // flight) get 503 and are sent again after an RSET. 4xx after the chunk stays that message's.
  ScriptedSmtp server({script(
      {"PIPELINING", "CHUNKING"},
      {expect(mailLine()), expect(rcptLine(1)), bdat(body(1)), expect(mailLine()),
       expect(rcptLine(2)), bdat(body(2)), expect(mailLine()), expect(rcptLine(3)), bdat(body(3)),
       say("250 ok\n550 no such user\n554 no valid recipients\n503 nested MAIL\n503 no MAIL\n"
           "503 no MAIL\n503 nested MAIL\n503 no MAIL\n503 no MAIL"),
       expect("RSET"), expect(mailLine()), expect(rcptLine(2)), bdat(body(2)), expect(mailLine()),
       expect(rcptLine(3)), bdat(body(3)),
       say("250 reset\n250 ok\n250 ok\n250 two\n250 ok\n250 ok\n452 full")})});
  SmtpConnection c(settingsFor(server));
  auto replies = c.sendMany(envelopes(3));
  EXPECT_EQ(codes(replies), (std::vector<int>{550, 250, 452}));
  EXPECT_EQ(replies[1].text, "two");
  expectScriptFollowed(server);
}

TEST(SmtpChunking, DroppedConnectionFailsOnlyTheUnanswered) {
  ScriptedSmtp server(
      {script({"PIPELINING", "CHUNKING"}, {expect(mailLine()), expect(rcptLine(1)), bdat(body(1)),
                                           expect(mailLine()), expect(rcptLine(2)), bdat(body(2)),
                                           say("250 ok\n250 ok\n250 one\n250 ok"), hangup()})});
  SmtpConnection c(settingsFor(server));
  auto replies = c.sendMany(envelopes(2));
  EXPECT_EQ(codes(replies), (std::vector<int>{250, 0}));
  EXPECT_FALSE(c.isOpen());
  expectScriptFollowed(server);
}

TEST(SmtpChunking, ReconnectsForTheNextBatch) {
  ScriptedSmtp server(
      {script({"PIPELINING", "CHUNKING"},
              {expect(mailLine()), expect(rcptLine(1)), bdat(body(1)), say("421 bye"), hangup()}),
       script({"PIPELINING", "CHUNKING"}, {expect(mailLine()), expect(rcptLine(1)), bdat(body(1)),
                                           say("250 ok\n250 ok\n250 again")})});
  SmtpConnection c(settingsFor(server));
  EXPECT_EQ(codes(c.sendMany(envelopes(1))), (std::vector<int>{421}));
  EXPECT_EQ(codes(c.sendMany(envelopes(1))), (std::vector<int>{250}));
  expectScriptFollowed(server);
}

}  // namespace
}  // namespace mw::mail
