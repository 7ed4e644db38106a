#include "smtp_capture.h"

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <strings.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <thread>

namespace mw::test {
namespace {

namespace fs = std::filesystem;

// Header lines of the message, continuation lines joined (CRLF removed, whitespace kept).
std::vector<std::pair<std::string, std::string>> parseHeaders(const std::string& raw) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t pos = 0;
  while (pos < raw.size()) {
    size_t eol = raw.find('\n', pos);
    if (eol == std::string::npos) eol = raw.size();
    std::string line = raw.substr(pos, eol - pos);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    pos = eol + 1;
    if (line.empty()) break;  // end of the header section
    if ((line[0] == ' ' || line[0] == '\t') && !out.empty()) {
      out.back().second += line;
      continue;
    }
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    out.emplace_back(line.substr(0, colon), value);
  }
  return out;
}

const char* kDecodeScript = R"PY(
import json, sys
from email import policy  # strict: any defect in a produced message fails the test
from email.parser import BytesParser
m = BytesParser(policy=policy.strict).parsebytes(sys.stdin.buffer.read())
def part(kind):
    p = m.get_body(preferencelist=(kind,))
    return p.get_content().replace("\r\n", "\n") if p is not None else None
headers = {}
for k, v in m.items():
    headers.setdefault(k.lower(), str(v))
atts = []
for a in m.iter_attachments():
    payload = a.get_payload(decode=True) or b""
    atts.append({"filename": a.get_filename(), "content_type": a.get_content_type(),
                 "size": len(payload)})
g = lambda n: str(m[n]) if m[n] is not None else None
print(json.dumps({"subject": g("subject"), "from": g("from"), "to": g("to"), "cc": g("cc"),
    "message_id": g("message-id"), "date": g("date"), "headers": headers,
    "text": part("plain"), "html": part("html"), "attachments": atts,
    "defects": [str(d) for d in m.defects]}))
)PY";

}  // namespace

std::string CapturedMail::header(const std::string& name) const {
  auto all = headers(name);
  return all.empty() ? "" : all.front();
}

std::vector<std::string> CapturedMail::headers(const std::string& name) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : parseHeaders(raw))
    if (strcasecmp(k.c_str(), name.c_str()) == 0) out.push_back(v);
  return out;
}

bool CapturedMail::hasHeader(const std::string& name) const {
  return !headers(name).empty();
}

Poco::JSON::Object::Ptr CapturedMail::decoded() const {
  auto r = runProcess({python(), "-c", kDecodeScript}, {}, raw, 30);
  if (r.exitCode != 0) throw std::runtime_error("decoding mail " + name + " failed: " + r.err);
  return Poco::JSON::Parser().parse(r.out).extract<Poco::JSON::Object::Ptr>();
}

SmtpCapture::SmtpCapture(std::vector<std::string> extraArgs) : mailDir_(tmp_.file("mail")) {
  fs::create_directories(mailDir_);
  std::string portFile = tmp_.file("port");
  std::vector<std::string> argv = {python(),      sourceDir() + "/scripts/smtp_server.py",
                                   "--dir",       mailDir_,
                                   "--host",      "127.0.0.1",
                                   "--port",      "0",
                                   "--port-file", portFile};
  argv.insert(argv.end(), extraArgs.begin(), extraArgs.end());
  process_ =
      std::make_unique<ChildProcess>(argv, Env{{"PYTHONUNBUFFERED", "1"}}, tmp_.file("server.log"));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (true) {
    std::string text = readFile(portFile);
    if (!text.empty() && text.find_first_not_of("0123456789\r\n ") == std::string::npos) {
      port_ = std::stoi(text);
      if (port_ > 0) break;
    }
    if (!process_->running())
      throw std::runtime_error("smtp_server.py exited with " +
                               std::to_string(process_->exitCode()) + ":\n" + tail(log()));
    if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("smtp_server.py wrote no port file within 10 s:\n" + tail(log()));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

SmtpCapture::~SmtpCapture() {
  stop();
}

void SmtpCapture::stop() {
  if (process_) process_->terminate(5);
}

std::string SmtpCapture::log() const {
  return readFile(tmp_.file("server.log"));
}

std::vector<CapturedMail> SmtpCapture::messages() const {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(mailDir_, ec)) {
    const auto& p = entry.path();
    // The .json is written after the .eml, so a pair with its .json is complete.
    if (p.extension() == ".json" && fs::exists(fs::path(p).replace_extension(".eml")))
      names.push_back(p.stem().string());
  }
  std::sort(names.begin(), names.end());
  std::vector<CapturedMail> out;
  for (const auto& n : names) {
    CapturedMail mail;
    mail.name = n;
    mail.raw = readFile(mailDir_ + "/" + n + ".eml");
    Poco::JSON::Object::Ptr meta;
    try {
      meta = Poco::JSON::Parser()
                 .parse(readFile(mailDir_ + "/" + n + ".json"))
                 .extract<Poco::JSON::Object::Ptr>();
    } catch (const Poco::Exception&) {
      break;  // still being written
    }
    mail.mailFrom = meta->optValue<std::string>("mail_from", "");
    mail.receivedAt = meta->optValue<double>("received_at", 0);
    if (auto rcpts = meta->getArray("rcpt_tos"))
      for (size_t i = 0; i < rcpts->size(); ++i)
        mail.rcptTos.push_back(rcpts->getElement<std::string>(i));
    out.push_back(std::move(mail));
  }
  return out;
}

std::vector<CapturedMail> SmtpCapture::waitForMessages(size_t n, int timeoutSeconds) const {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeoutSeconds);
  while (true) {
    auto got = messages();
    if (got.size() >= n || std::chrono::steady_clock::now() > deadline) return got;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
}

}  // namespace mw::test
