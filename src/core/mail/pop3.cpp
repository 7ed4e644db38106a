#include "core/mail/pop3.h"

#include <Poco/Net/Context.h>
#include <Poco/Net/POP3ClientSession.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/URI.h>

#include <sstream>

namespace mw::mail {

std::optional<Pop3Settings> parsePop3Url(const std::string& url) {
  try {
    Poco::URI uri(url);
    Pop3Settings s;
    if (uri.getScheme() == "pop3s")
      s.tls = true;
    else if (uri.getScheme() != "pop3")
      return std::nullopt;
    s.host = uri.getHost();
    s.port = uri.getPort() ? uri.getPort() : (s.tls ? 995 : 110);
    auto info = uri.getUserInfo();
    auto colon = info.find(':');
    Poco::URI::decode(info.substr(0, colon), s.user);
    if (colon != std::string::npos) Poco::URI::decode(info.substr(colon + 1), s.password);
    if (s.host.empty() || s.user.empty()) return std::nullopt;
    return s;
  } catch (const Poco::Exception&) {
    return std::nullopt;
  }
}

Pop3Mailbox::Pop3Mailbox(const Pop3Settings& s) {
  Poco::Net::SocketAddress addr(s.host, static_cast<Poco::UInt16>(s.port));
  Poco::Timespan timeout(s.timeoutSeconds, 0);
  if (s.tls) {
    Poco::Net::Context::Ptr ctx =
        new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", "",
                               Poco::Net::Context::VERIFY_RELAXED, 9, true);
    Poco::Net::SecureStreamSocket socket(ctx);
    socket.setPeerHostName(s.host);
    socket.connect(addr, timeout);
    session_ = std::make_unique<Poco::Net::POP3ClientSession>(socket);
  } else {
    Poco::Net::StreamSocket socket;
    socket.connect(addr, timeout);
    session_ = std::make_unique<Poco::Net::POP3ClientSession>(socket);
  }
  session_->setTimeout(timeout);
  session_->login(s.user, s.password);
}

Pop3Mailbox::~Pop3Mailbox() {
  try {
    if (session_) session_->close();
  } catch (...) {
  }
}

std::vector<Pop3Message> Pop3Mailbox::list() {
  Poco::Net::POP3ClientSession::MessageInfoVec infos;
  session_->listMessages(infos);
  std::vector<Pop3Message> out;
  for (const auto& i : infos) out.push_back({i.id, i.size});
  return out;
}

std::string Pop3Mailbox::retrieve(int id) {
  std::ostringstream out;
  session_->retrieveMessage(id, out);
  return out.str();
}

void Pop3Mailbox::remove(int id) {
  session_->deleteMessage(id);
}

void Pop3Mailbox::close() {
  if (session_) session_->close();
  session_.reset();
}

}  // namespace mw::mail
