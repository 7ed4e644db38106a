// A real SMTP server (scripts/smtp_server.py) that saves every message it receives.
#pragma once

#include <Poco/JSON/Object.h>

#include <memory>
#include <string>
#include <vector>

#include "process.h"

namespace mw::test {

struct CapturedMail {
  std::string name;  // file name without extension, e.g. "000001"
  std::string raw;   // the message as received (CRLF or LF line ends as sent)
  std::string mailFrom;
  std::vector<std::string> rcptTos;
  double receivedAt = 0;  // the server's clock, seconds since the epoch

  // Raw (undecoded, unfolded) value of the first header of that name, "" if absent.
  std::string header(const std::string& name) const;
  std::vector<std::string> headers(const std::string& name) const;
  bool hasHeader(const std::string& name) const;
  // Parsed by Python's email package (policy=default): {"subject", "from", "to", "cc",
  // "message_id", "date", "headers": {lower-case name: decoded value (first one)},
  // "text", "html" (first such part, decoded, "\n" line ends, or null), "attachments":
  // [{"filename", "content_type", "size"}], "defects": [..]}.
  Poco::JSON::Object::Ptr decoded() const;
};

class SmtpCapture {
 public:
  // extraArgs are passed on to smtp_server.py (e.g. {"--auth", "user:pass"}).
  explicit SmtpCapture(std::vector<std::string> extraArgs = {});
  ~SmtpCapture();
  SmtpCapture(const SmtpCapture&) = delete;
  SmtpCapture& operator=(const SmtpCapture&) = delete;

  int port() const { return port_; }
  const std::string& dir() const { return mailDir_; }
  // Complete messages so far, in arrival order.
  std::vector<CapturedMail> messages() const;
  // Waits until at least n messages arrived (or the timeout passed) and returns all of them.
  std::vector<CapturedMail> waitForMessages(size_t n, int timeoutSeconds = 10) const;
  // The server's own output.
  std::string log() const;
  // Stops the server (also done by the destructor); a later connection is refused.
  void stop();

 private:
  TempDir tmp_;
  std::string mailDir_;
  std::unique_ptr<ChildProcess> process_;
  int port_ = 0;
};

}  // namespace mw::test
