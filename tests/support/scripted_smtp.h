// An in-process SMTP server that follows a script, for testing the client byte by byte (in the
// manner of POCO's own DialogServer): every command the client sends is checked against the
// script in order, and replies go out only where the script says. A step that waits for a
// command the client has not sent yet times out, so a client that waits for a reply it should
// not need (no pipelining) fails the script.
#pragma once

#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace mw::test {

struct SmtpStep {
  enum Kind { Say, Expect, Data, Bdat, Hangup } kind;
  std::string text;
};

inline SmtpStep say(std::string lines) {
  return {SmtpStep::Say, std::move(lines)};
}
inline SmtpStep expect(std::string line) {
  return {SmtpStep::Expect, std::move(line)};
}
// The DATA payload up to (not including) the ".\r\n" line, exactly as on the wire.
inline SmtpStep data(std::string wire) {
  return {SmtpStep::Data, std::move(wire)};
}
// "BDAT <size> LAST" followed by exactly these bytes.
inline SmtpStep bdat(std::string body) {
  return {SmtpStep::Bdat, std::move(body)};
}
inline SmtpStep hangup() {
  return {SmtpStep::Hangup, ""};
}
// 220 greeting, EHLO localhost, 250 with these extensions.
std::vector<SmtpStep> greeting(const std::vector<std::string>& extensions);

class ScriptedSmtp {
 public:
  // One script per connection, in the order the connections arrive.
  explicit ScriptedSmtp(std::vector<std::vector<SmtpStep>> connections, int stepTimeoutSeconds = 2);
  ~ScriptedSmtp();
  ScriptedSmtp(const ScriptedSmtp&) = delete;
  ScriptedSmtp& operator=(const ScriptedSmtp&) = delete;

  int port() const { return port_; }
  // Waits for the scripts to end; every departure from them, empty when all went as written.
  std::vector<std::string> finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
  int port_ = 0;
  std::thread thread_;
};

}  // namespace mw::test
