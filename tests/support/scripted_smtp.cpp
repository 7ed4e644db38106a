#include "scripted_smtp.h"

#include <Poco/Exception.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>

#include <mutex>

namespace mw::test {

struct ScriptedSmtp::State {
  Poco::Net::ServerSocket server;
  std::vector<std::vector<SmtpStep>> scripts;
  int timeout = 2;
  std::mutex mutex;
  std::vector<std::string> errors;

  void error(const std::string& e) {
    std::lock_guard lock(mutex);
    errors.push_back(e);
  }
};

namespace {

class Dialog {
 public:
  Dialog(Poco::Net::StreamSocket& s) : s_(s) {}

  // Bytes until `n` are buffered; false when the client closed or went quiet.
  bool fill(std::size_t n) {
    char buf[8192];
    while (in_.size() < n) {
      int got = s_.receiveBytes(buf, sizeof buf);
      if (got <= 0) return false;
      in_.append(buf, static_cast<std::size_t>(got));
    }
    return true;
  }
  bool line(std::string& out) {
    std::size_t eol;
    while ((eol = in_.find("\r\n")) == std::string::npos)
      if (!fill(in_.size() + 1)) return false;
    out = in_.substr(0, eol);
    in_.erase(0, eol + 2);
    return true;
  }
  bool until(const std::string& end, std::string& out) {
    std::size_t at;
    while ((at = in_.find(end)) == std::string::npos)
      if (!fill(in_.size() + 1)) return false;
    out = in_.substr(0, at);
    in_.erase(0, at + end.size());
    return true;
  }
  bool bytes(std::size_t n, std::string& out) {
    if (!fill(n)) return false;
    out = in_.substr(0, n);
    in_.erase(0, n);
    return true;
  }

 private:
  Poco::Net::StreamSocket& s_;
  std::string in_;
};

std::string show(const std::string& s) {
  std::string out;
  for (char c : s.substr(0, 300))
    out += c == '\r' ? std::string("\\r") : c == '\n' ? "\\n" : std::string(1, c);
  return out;
}

// Runs one step; "" when it went as scripted, else what went wrong.
std::string step(Poco::Net::StreamSocket& s, Dialog& d, const SmtpStep& st) {
  std::string got;
  switch (st.kind) {
    case SmtpStep::Say: {
      std::string wire;
      std::size_t start = 0;
      while (start <= st.text.size()) {
        auto end = st.text.find('\n', start);
        wire += st.text.substr(start, end == std::string::npos ? end : end - start) + "\r\n";
        if (end == std::string::npos) break;
        start = end + 1;
      }
      s.sendBytes(wire.data(), static_cast<int>(wire.size()));
      return "";
    }
    case SmtpStep::Expect:
      if (!d.line(got)) return "expected \"" + st.text + "\", the client sent nothing more";
      return got == st.text ? "" : "expected \"" + st.text + "\", got \"" + show(got) + "\"";
    case SmtpStep::Data: {
      // Data ends with CRLF "." CRLF; an empty message is a lone "." line.
      std::string body;
      if (!d.line(got)) return "expected message data, got nothing";
      if (got != ".") {
        if (!d.until("\r\n.\r\n", body)) return "message data never ended";
        body = got + "\r\n" + body + "\r\n";
      }
      return body == st.text ? "" : "data differs: \"" + show(body) + "\"";
    }
    case SmtpStep::Bdat: {
      std::string want = "BDAT " + std::to_string(st.text.size()) + " LAST";
      if (!d.line(got)) return "expected \"" + want + "\", got nothing";
      if (got != want) return "expected \"" + want + "\", got \"" + show(got) + "\"";
      if (!d.bytes(st.text.size(), got)) return "chunk shorter than announced";
      return got == st.text ? "" : "chunk differs: \"" + show(got) + "\"";
    }
    case SmtpStep::Hangup:
      s.close();
      return "";
  }
  return "";
}

}  // namespace

std::vector<SmtpStep> greeting(const std::vector<std::string>& extensions) {
  std::string ehlo = "250-scripted";
  for (std::size_t i = 0; i < extensions.size(); ++i)
    ehlo += std::string("\n250") + (i + 1 < extensions.size() ? "-" : " ") + extensions[i];
  if (extensions.empty()) ehlo = "250 scripted";
  return {say("220 scripted ESMTP"), expect("EHLO localhost"), say(ehlo)};
}

ScriptedSmtp::ScriptedSmtp(std::vector<std::vector<SmtpStep>> connections, int stepTimeoutSeconds)
    : state_(std::make_unique<State>()) {
  state_->server = Poco::Net::ServerSocket(Poco::Net::SocketAddress("127.0.0.1", 0));
  state_->scripts = std::move(connections);
  state_->timeout = stepTimeoutSeconds;
  port_ = state_->server.address().port();
  thread_ = std::thread([st = state_.get()] {
    for (std::size_t c = 0; c < st->scripts.size(); ++c) {
      if (!st->server.poll(Poco::Timespan(10, 0), Poco::Net::Socket::SELECT_READ)) {
        st->error("connection " + std::to_string(c + 1) + " never came");
        return;
      }
      auto s = st->server.acceptConnection();
      s.setReceiveTimeout(Poco::Timespan(st->timeout, 0));
      Dialog d(s);
      const auto& script = st->scripts[c];
      for (std::size_t i = 0; i < script.size(); ++i) {
        std::string e;
        try {
          e = step(s, d, script[i]);
        } catch (const Poco::Exception& ex) {
          e = "network: " + ex.displayText();
        }
        if (!e.empty()) {
          st->error("connection " + std::to_string(c + 1) + ", step " + std::to_string(i + 1) +
                    ": " + e);
          break;
        }
        if (script[i].kind == SmtpStep::Hangup) break;
      }
      try {
        s.close();
      } catch (...) {
      }
    }
  });
}

std::vector<std::string> ScriptedSmtp::finish() {
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(state_->mutex);
  return state_->errors;
}

ScriptedSmtp::~ScriptedSmtp() {
  finish();
}

}  // namespace mw::test
