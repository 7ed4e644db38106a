#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace Poco::Net {
class StreamSocket;
}

namespace mw::mail {

struct OutgoingMessage;

struct SmtpSettings {
  std::string host = "127.0.0.1";
  int port = 25;
  std::string user;
  std::string password;
  bool startTls = false;
  bool ssl = false;
  bool verifyTls = true;  // EMAIL_TLS_INSECURE=1 turns certificate checks off (test servers)
  int timeoutSeconds = 30;
  std::string heloName = "localhost";
};

struct SmtpReply {
  int code = 0;  // 0: network error or timeout
  std::string text;
  bool ok() const { return code >= 200 && code < 400; }
  bool temporary() const { return code == 0 || (code >= 400 && code < 500); }
  bool permanent() const { return code >= 500; }
};

// The domain of an address, lower case ("" without '@'). After the last '@': a quoted local
// part may hold one.
std::string addressDomain(const std::string& address);

// One message of a pipelined batch: envelope and the MIME bytes (not dot-stuffed).
struct Envelope {
  std::string from;
  std::string to;
  std::string bytes;
};

using OnReply = std::function<void(std::size_t, const SmtpReply&)>;

// A small SMTP client: one connection reused for many messages, RFC 2920 pipelining when the
// server offers it, STARTTLS or implicit TLS, AUTH PLAIN/LOGIN, and a timeout on every network
// step. Network failures come back as replies with code 0; nothing here throws for them.
class SmtpConnection {
 public:
  explicit SmtpConnection(SmtpSettings settings);
  ~SmtpConnection();
  SmtpConnection(const SmtpConnection&) = delete;
  SmtpConnection& operator=(const SmtpConnection&) = delete;

  SmtpReply open();
  SmtpReply send(const std::string& envelopeFrom, const std::string& recipient,
                 const std::string& mimeBytes);
  // Sends the batch over this connection with one reply per envelope, in order. With PIPELINING
  // the body of one message, its end and the next message's MAIL/RCPT/DATA go in one write, so
  // each message costs one round trip; with CHUNKING as well, BDAT ... LAST keeps up to
  // kChunkWindow messages in flight. beforeEach (the rate limit) runs before each message is
  // written. Replies are matched to their commands whatever fails: a refused envelope gets its
  // own reply, a dropped connection gives code 0 to every message without a final reply.
  // onReply runs as each message gets its final reply (its index in the batch), so the caller
  // can record an outcome within milliseconds of the server's answer, not at the batch's end.
  std::vector<SmtpReply> sendMany(const std::vector<Envelope>& batch,
                                  const std::function<void()>& beforeEach = {},
                                  const OnReply& onReply = {});
  static constexpr std::size_t kChunkWindow = 16;
  void close();  // QUIT, best effort
  bool isOpen() const { return open_; }

 private:
  SmtpSettings s_;
  std::unique_ptr<Poco::Net::StreamSocket> sock_;
  std::string in_;
  bool open_ = false;
  bool pipelining_ = false;
  bool chunking_ = false;
  bool needReset_ = false;  // a refused transaction may still hold its MAIL FROM: RSET first
  bool canStartTls_ = false;
  bool authPlain_ = false;
  bool authLogin_ = false;
  OnReply onReply_;             // of the batch being sent
  std::vector<bool> notified_;  // of the batch being sent: onReply_ ran for it

  SmtpReply readReply();
  SmtpReply readAfter(const SmtpReply& prev);
  bool write(const std::string& data);
  SmtpReply ehlo();
  SmtpReply drop(const std::string& why);  // closes the socket, returns {0, why}
  SmtpReply command(const std::string& line);
  void reset();
  void answered(std::size_t k, const SmtpReply& r);
  std::vector<SmtpReply> sendData(const std::vector<Envelope>& batch,
                                  const std::function<void()>& beforeEach);
  std::vector<SmtpReply> sendChunks(const std::vector<Envelope>& batch,
                                    const std::function<void()>& beforeEach);
};

// The last step before SMTP (DKIM signing): (sender address, MIME bytes) -> the bytes to send.
using Finish = std::function<std::string(const std::string& from, std::string bytes)>;
// One message over one short connection (account emails, the contact form, test sends).
SmtpReply sendMail(const SmtpSettings& settings, const OutgoingMessage& message,
                   const Finish& finish = {});
// Envelope-safe address: strips CR, LF, <, > and spaces.
std::string envelopeAddress(const std::string& email);
// Dot-stuffs and terminates message bytes for DATA.
std::string dataPayload(const std::string& mimeBytes);
// CRLF line ends and a final CRLF, without dot-stuffing (the payload of BDAT).
std::string crlfPayload(const std::string& mimeBytes);

}  // namespace mw::mail
