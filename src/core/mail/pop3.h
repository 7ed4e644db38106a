#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace Poco::Net {
class POP3ClientSession;
}

namespace mw::mail {

// pop3s://user:pass@host:995 (TLS from the start, certificate checked) or pop3://user:pass@host:110
// (plain, for tests on loopback). User and password are percent-decoded.
struct Pop3Settings {
  bool tls = false;
  std::string host;
  int port = 110;
  std::string user;
  std::string password;
  int timeoutSeconds = 30;
};
std::optional<Pop3Settings> parsePop3Url(const std::string& url);

struct Pop3Message {
  int id = 0;
  int size = 0;
};

// One POP3 session (Poco::Net::POP3ClientSession): list, retrieve, mark deleted; close() sends
// QUIT, which is when the server deletes what was marked. Throws Poco::Exception on errors.
class Pop3Mailbox {
 public:
  explicit Pop3Mailbox(const Pop3Settings& s);
  ~Pop3Mailbox();
  std::vector<Pop3Message> list();
  std::string retrieve(int id);
  void remove(int id);
  void close();

 private:
  std::unique_ptr<Poco::Net::POP3ClientSession> session_;
};

}  // namespace mw::mail
