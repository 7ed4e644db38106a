#include "core/mail/smtp.h"

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <sodium.h>

#include <cctype>
#include <mutex>

#include "core/mail/mime.h"
#include "core/time.h"

namespace mw::mail {
namespace {

Poco::Net::Context::Ptr tlsContext(bool verify) {
  static std::once_flag once;
  std::call_once(once, [] { Poco::Net::initializeSSL(); });
  return new Poco::Net::Context(
      Poco::Net::Context::TLS_CLIENT_USE, "", "", "",
      verify ? Poco::Net::Context::VERIFY_RELAXED : Poco::Net::Context::VERIFY_NONE, 9, true);
}

std::string b64(const std::string& s) {
  std::string out(sodium_base64_ENCODED_LEN(s.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(s.data()),
                    s.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(std::char_traits<char>::length(out.c_str()));
  return out;
}

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::string addressDomain(const std::string& address) {
  auto at = address.rfind('@');
  if (at == std::string::npos) return "";
  std::string d = address.substr(at + 1);
  for (auto& ch : d) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return d;
}

std::string envelopeAddress(const std::string& email) {
  std::string out;
  for (char c : email)
    if (c != '\r' && c != '\n' && c != '<' && c != '>' && c != ' ') out += c;
  return out;
}

std::string crlfPayload(const std::string& bytes) {
  std::string out;
  out.reserve(bytes.size() + 64);
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] == '\n' && (i == 0 || bytes[i - 1] != '\r')) out += '\r';  // bare LF -> CRLF
    out += bytes[i];
  }
  if (out.size() < 2 || out.compare(out.size() - 2, 2, "\r\n") != 0) out += "\r\n";
  return out;
}

std::string dataPayload(const std::string& bytes) {
  std::string out;
  out.reserve(bytes.size() + 64);
  // A line at a time (memchr, not a byte at a time: this runs over every message sent).
  for (size_t pos = 0; pos < bytes.size();) {
    if (bytes[pos] == '.') out += '.';  // dot-stuffing
    size_t nl = bytes.find('\n', pos);
    if (nl == std::string::npos) {
      out.append(bytes, pos, std::string::npos);
      break;
    }
    out.append(bytes, pos, nl - pos);
    if (nl == 0 || bytes[nl - 1] != '\r') out += '\r';  // bare LF -> CRLF
    out += '\n';
    pos = nl + 1;
  }
  if (out.size() < 2 || out.compare(out.size() - 2, 2, "\r\n") != 0) out += "\r\n";
  out += ".\r\n";
  return out;
}

SmtpConnection::SmtpConnection(SmtpSettings settings) : s_(std::move(settings)) {}

SmtpConnection::~SmtpConnection() {
  close();
}

SmtpReply SmtpConnection::drop(const std::string& why) {
  if (sock_) {
    try {
      sock_->close();
    } catch (...) {
    }
  }
  sock_.reset();
  in_.clear();
  open_ = false;
  return {0, why};
}

bool SmtpConnection::write(const std::string& data) {
  if (!sock_) return false;
  try {
    size_t sent = 0;
    while (sent < data.size()) {
      int n = sock_->sendBytes(data.data() + sent, static_cast<int>(data.size() - sent));
      if (n <= 0) return false;
      sent += static_cast<size_t>(n);
    }
    return true;
  } catch (const Poco::Exception&) {
    return false;
  }
}

SmtpReply SmtpConnection::readReply() {
  if (!sock_) return {0, "connection closed"};
  SmtpReply r;
  std::string text;
  while (true) {
    auto eol = in_.find("\r\n");
    if (eol == std::string::npos) eol = in_.find('\n');
    if (eol == std::string::npos) {
      char buf[4096];
      int n = 0;
      try {
        n = sock_->receiveBytes(buf, sizeof buf);
      } catch (const Poco::TimeoutException&) {
        return drop("timeout: no answer within " + std::to_string(s_.timeoutSeconds) + " s");
      } catch (const Poco::Exception& e) {
        return drop("connection error: " + e.displayText());
      }
      if (n <= 0) return drop("connection closed by the server");
      in_.append(buf, static_cast<size_t>(n));
      if (in_.size() > 1 << 20) return drop("reply too long");
      continue;
    }
    std::string line = in_.substr(0, eol);
    in_.erase(0, eol + (in_[eol] == '\r' ? 2 : 1));
    if (line.size() < 3 || !std::isdigit(static_cast<unsigned char>(line[0])))
      return drop("malformed reply: " + line.substr(0, 100));
    r.code = std::stoi(line.substr(0, 3));
    std::string part = line.size() > 4 ? line.substr(4) : "";
    text += (text.empty() ? "" : "\n") + part;
    if (line.size() == 3 || line[3] == ' ') break;
  }
  r.text = text;
  if (r.code == 421) {
    drop("");
    open_ = false;
  }
  return r;
}

SmtpReply SmtpConnection::command(const std::string& line) {
  if (!write(line + "\r\n")) return drop("connection lost while writing");
  return readReply();
}

SmtpReply SmtpConnection::ehlo() {
  auto r = command("EHLO " + s_.heloName);
  if (r.code == 0) return r;
  if (r.code != 250) {
    r = command("HELO " + s_.heloName);
    pipelining_ = chunking_ = false;
    return r;
  }
  pipelining_ = chunking_ = canStartTls_ = authPlain_ = authLogin_ = false;
  size_t start = 0;
  while (start <= r.text.size()) {
    auto end = r.text.find('\n', start);
    std::string ext =
        upper(r.text.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (ext == "PIPELINING") pipelining_ = true;
    if (ext == "CHUNKING") chunking_ = true;
    if (ext == "STARTTLS") canStartTls_ = true;
    if (ext.rfind("AUTH", 0) == 0) {
      authPlain_ = ext.find("PLAIN") != std::string::npos;
      authLogin_ = ext.find("LOGIN") != std::string::npos;
    }
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return r;
}

SmtpReply SmtpConnection::open() {
  close();
  in_.clear();
  Poco::Timespan timeout(s_.timeoutSeconds, 0);
  try {
    Poco::Net::SocketAddress addr(s_.host, static_cast<Poco::UInt16>(s_.port));
    if (s_.ssl) {
      auto secure = std::make_unique<Poco::Net::SecureStreamSocket>(tlsContext(s_.verifyTls));
      secure->setPeerHostName(s_.host);
      secure->connect(addr, timeout);
      sock_ = std::move(secure);
    } else {
      sock_ = std::make_unique<Poco::Net::StreamSocket>();
      sock_->connect(addr, timeout);
    }
    // Without TCP_NODELAY each message waits ~40 ms for delayed ACKs.
    sock_->setNoDelay(true);
    sock_->setReceiveTimeout(timeout);
    sock_->setSendTimeout(timeout);
  } catch (const Poco::Exception& e) {
    return drop("cannot connect to " + s_.host + ":" + std::to_string(s_.port) + ": " +
                e.displayText());
  }
  open_ = true;
  auto greeting = readReply();
  if (greeting.code != 220) {
    drop("");
    return greeting.code ? greeting : SmtpReply{0, greeting.text};
  }
  auto r = ehlo();
  if (!r.ok()) return r.code ? (drop(""), r) : r;
  if (s_.startTls && !s_.ssl) {
    if (!canStartTls_) return (drop(""), SmtpReply{0, "server does not offer STARTTLS"});
    auto st = command("STARTTLS");
    if (st.code != 220) return st.code ? (drop(""), st) : st;
    try {
      auto secure = std::make_unique<Poco::Net::SecureStreamSocket>(
          Poco::Net::SecureStreamSocket::attach(*sock_, s_.host, tlsContext(s_.verifyTls)));
      secure->setReceiveTimeout(timeout);
      secure->setSendTimeout(timeout);
      sock_ = std::move(secure);
    } catch (const Poco::Exception& e) {
      return drop("TLS handshake failed: " + e.displayText());
    }
    r = ehlo();
    if (!r.ok()) return r.code ? (drop(""), r) : r;
  }
  if (!s_.user.empty()) {
    SmtpReply a;
    if (authPlain_ || !authLogin_) {
      a = command("AUTH PLAIN " +
                  b64(std::string("\0", 1) + s_.user + std::string("\0", 1) + s_.password));
    } else {
      a = command("AUTH LOGIN");
      if (a.code == 334) a = command(b64(s_.user));
      if (a.code == 334) a = command(b64(s_.password));
    }
    if (a.code != 235) {
      SmtpReply failed = a;
      drop("");
      return failed;
    }
    r = a;
  }
  return r;
}

void SmtpConnection::reset() {
  if (!open_) return;
  auto r = command("RSET");
  if (r.code != 250) drop("");
}

SmtpReply SmtpConnection::send(const std::string& envelopeFrom, const std::string& recipient,
                               const std::string& mimeBytes) {
  if (!open_) {
    auto r = open();
    if (!open_) return r;
  }
  std::string mail = "MAIL FROM:<" + envelopeAddress(envelopeFrom) + ">\r\n";
  std::string rcpt = "RCPT TO:<" + envelopeAddress(recipient) + ">\r\n";
  SmtpReply mr, rr, dr;
  if (pipelining_) {
    if (!write(mail + rcpt + "DATA\r\n")) return drop("connection lost while writing");
    mr = readReply();
    if (mr.code == 0) return mr;
    rr = readReply();
    if (rr.code == 0) return rr;
    dr = readReply();
    if (dr.code == 0) return dr;
  } else {
    mr = command(mail.substr(0, mail.size() - 2));
    if (mr.code != 250) {
      if (mr.code) reset();
      return mr;
    }
    rr = command(rcpt.substr(0, rcpt.size() - 2));
    if (rr.code != 250 && rr.code != 251) {
      if (rr.code) reset();
      return rr;
    }
    dr = command("DATA");
    if (dr.code == 0) return dr;
  }
  if (dr.code == 354 && (mr.code != 250 || (rr.code != 250 && rr.code != 251))) {
    // Some servers accept DATA after a refused recipient: end the empty message and reset.
    command(".");
    reset();
    return mr.code != 250 ? mr : rr;
  }
  if (dr.code != 354) {
    reset();
    if (mr.code != 250) return mr;
    if (rr.code != 250 && rr.code != 251) return rr;
    return dr;
  }
  if (!write(dataPayload(mimeBytes))) return drop("connection lost while sending the message");
  auto done = readReply();
  if (done.code != 250 && done.code != 0) reset();
  return done;
}

void SmtpConnection::close() {
  if (open_ && sock_) {
    try {
      if (write("QUIT\r\n")) readReply();
    } catch (...) {
    }
  }
  drop("");
}

SmtpReply sendMail(const SmtpSettings& settings, const OutgoingMessage& message,
                   const Finish& finish) {
  std::string bytes = renderMime(message, nowEpoch());
  if (finish) bytes = finish(message.from.email, std::move(bytes));
  SmtpConnection c(settings);
  auto r = c.open();
  if (!c.isOpen()) return r;
  r = c.send(message.from.email, message.to.email, bytes);
  c.close();
  return r;
}

}  // namespace mw::mail
