#include "bounces/providers.h"

#include <Poco/Base64Decoder.h>
#include <Poco/Crypto/RSADigestEngine.h>
#include <Poco/Crypto/RSAKey.h>
#include <Poco/Crypto/X509Certificate.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/URI.h>

#include <cctype>
#include <regex>
#include <sstream>

#include "core/security.h"
#include "core/time.h"

namespace mw::bounces {

std::string jsonString(const Poco::JSON::Object::Ptr& o, const std::string& key) {
  if (!o || !o->has(key)) return "";
  auto v = o->get(key);
  if (v.isEmpty()) return "";
  try {
    return v.isString() ? v.extract<std::string>() : v.convert<std::string>();
  } catch (const Poco::Exception&) {
    return "";
  }
}

namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

Object::Ptr obj(const Object::Ptr& o, const std::string& key) {
  return o && o->has(key) && o->isObject(key) ? o->getObject(key) : nullptr;
}

Array::Ptr arr(const Object::Ptr& o, const std::string& key) {
  return o && o->has(key) && o->isArray(key) ? o->getArray(key) : nullptr;
}

// ISO 8601 with any fraction of a second (SNS gives milliseconds, Postmark seven digits).
std::int64_t isoTime(const std::string& s) {
  static const std::regex fraction(R"(\.\d+)");
  auto t = parseIso8601(std::regex_replace(s, fraction, ""));
  return t ? *t : 0;
}

std::string base64Decode(const std::string& s) {
  std::istringstream in(s);
  Poco::Base64Decoder dec(in);
  std::string out((std::istreambuf_iterator<char>(dec)), std::istreambuf_iterator<char>());
  return out;
}

bool verifySns(const Object::Ptr& body, const std::string& certPem) {
  static const std::regex snsHost(R"(sns\.[a-z0-9-]+\.amazonaws\.com)");
  Poco::URI certUrl(jsonString(body, "SigningCertURL"));
  if (certUrl.getScheme() != "https" || !std::regex_match(certUrl.getHost(), snsHost)) return false;
  auto version = jsonString(body, "SignatureVersion");
  if (version != "1" && version != "2") return false;
  try {
    std::istringstream pem(certPem);
    Poco::Crypto::X509Certificate cert(pem);
    Poco::Crypto::RSAKey key(cert);
    Poco::Crypto::RSADigestEngine engine(key, version == "1" ? "SHA1" : "SHA256");
    engine.update(snsStringToSign(body));
    auto sig = base64Decode(jsonString(body, "Signature"));
    return engine.verify(Poco::DigestEngine::Digest(sig.begin(), sig.end()));
  } catch (const Poco::Exception&) {
    return false;
  }
}

void sesHeaders(const Object::Ptr& mail, Clues& clues) {
  clues.addresses.push_back(jsonString(mail, "source"));
  clues.messageId = jsonString(obj(mail, "commonHeaders"), "messageId");
  if (auto headers = arr(mail, "headers"))
    for (std::size_t i = 0; i < headers->size() && i < 100; ++i) {
      auto h = headers->getObject(static_cast<unsigned>(i));
      auto name = jsonString(h, "name");
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (name == "message-id") clues.messageId = jsonString(h, "value");
      if (name == "return-path") clues.addresses.push_back(jsonString(h, "value"));
    }
}

}  // namespace

std::string snsStringToSign(const Object::Ptr& body) {
  std::string type = jsonString(body, "Type");
  std::vector<std::string> keys =
      type == "Notification"
          ? std::vector<std::string>{"Message",   "MessageId", "Subject",
                                     "Timestamp", "TopicArn",  "Type"}
          : std::vector<std::string>{"Message", "MessageId", "SubscribeURL", "Timestamp",
                                     "Token",   "TopicArn",  "Type"};
  std::string out;
  for (const auto& k : keys) {
    if (k == "Subject" && (!body->has(k) || body->get(k).isEmpty())) continue;
    out += k + "\n" + jsonString(body, k) + "\n";
  }
  return out;
}

Webhook parseSes(const Object::Ptr& body, const std::string& certPem, const std::string& topic) {
  Webhook w;
  if (!verifySns(body, certPem)) return w;
  if (!topic.empty() && jsonString(body, "TopicArn") != topic) return w;
  w.ok = true;
  w.eventKey = "ses:" + jsonString(body, "MessageId");
  w.at = isoTime(jsonString(body, "Timestamp"));
  if (jsonString(body, "Type") != "Notification") {
    w.note = jsonString(body, "Type") + " " + jsonString(body, "SubscribeURL");
    return w;
  }
  Object::Ptr msg;
  try {
    msg = Poco::JSON::Parser().parse(jsonString(body, "Message")).extract<Object::Ptr>();
  } catch (const Poco::Exception&) {
    return w;
  }
  Clues base;
  sesHeaders(obj(msg, "mail"), base);
  auto type = jsonString(msg, "notificationType");
  if (type == "Bounce") {
    auto bounce = obj(msg, "bounce");
    Kind kind = jsonString(bounce, "bounceType") == "Permanent" ? Kind::Hard : Kind::Soft;
    if (auto list = arr(bounce, "bouncedRecipients"))
      for (std::size_t i = 0; i < list->size() && i < 100; ++i) {
        auto r = list->getObject(static_cast<unsigned>(i));
        RelayEvent e{kind, base, jsonString(r, "status"), jsonString(r, "diagnosticCode")};
        // An address that only exceeded its quota is soft even in a "Permanent" bounce.
        if (classifyStatus(e.status) == Kind::Soft) e.kind = Kind::Soft;
        e.clues.email = jsonString(r, "emailAddress");
        w.events.push_back(e);
      }
  } else if (type == "Complaint") {
    auto complaint = obj(msg, "complaint");
    if (auto list = arr(complaint, "complainedRecipients"))
      for (std::size_t i = 0; i < list->size() && i < 100; ++i) {
        RelayEvent e{Kind::Complaint, base, "",
                     "complaint (" + jsonString(complaint, "complaintFeedbackType") + ")"};
        e.clues.email = jsonString(list->getObject(static_cast<unsigned>(i)), "emailAddress");
        w.events.push_back(e);
      }
  }
  return w;
}

Webhook parseMailgun(const Object::Ptr& body, const std::string& signingKey) {
  Webhook w;
  auto sig = obj(body, "signature");
  auto timestamp = jsonString(sig, "timestamp"), token = jsonString(sig, "token");
  if (timestamp.empty() || token.empty()) return w;
  auto mac = security::hmacSha256(signingKey, timestamp + token);
  std::string hex;
  static const char* digits = "0123456789abcdef";
  for (unsigned char b : mac) (hex += digits[b >> 4]) += digits[b & 15];
  if (!security::constantTimeEquals(hex, jsonString(sig, "signature"))) return w;
  w.ok = true;
  w.eventKey = "mailgun:" + token;
  try {
    w.at = std::stoll(timestamp);
  } catch (...) {
    w.at = 0;
  }
  auto data = obj(body, "event-data");
  RelayEvent e;
  e.clues.addresses.push_back(jsonString(obj(data, "envelope"), "sender"));
  e.clues.messageId = jsonString(obj(obj(data, "message"), "headers"), "message-id");
  e.clues.email = jsonString(data, "recipient");
  auto event = jsonString(data, "event");
  if (event == "failed" && jsonString(data, "severity") == "permanent") {
    auto status = obj(data, "delivery-status");
    int code = 0;
    try {
      code = std::stoi(jsonString(status, "code"));
    } catch (...) {
    }
    auto message = jsonString(status, "message");
    e.kind = classifySmtp(code, message);
    if (e.kind == Kind::None) e.kind = Kind::Hard;
    e.status = enhancedCode(message);
    e.text = std::to_string(code) + " " + message;
    w.events.push_back(e);
  } else if (event == "complained") {
    e.kind = Kind::Complaint;
    e.text = "complaint";
    w.events.push_back(e);
  }
  return w;
}

Webhook parsePostmark(const Object::Ptr& body) {
  Webhook w;
  auto record = jsonString(body, "RecordType");
  if (record.empty() || jsonString(body, "ID").empty()) return w;
  w.ok = true;
  w.eventKey = "postmark:" + record + ":" + jsonString(body, "ID");
  RelayEvent e;
  e.clues.tokens.push_back(jsonString(obj(body, "Metadata"), "mw-token"));
  e.clues.email = jsonString(body, "Email");
  e.text = jsonString(body, "Details").empty() ? jsonString(body, "Description")
                                               : jsonString(body, "Details");
  e.status =
      enhancedCode(e.text.substr(e.text.find(';') == std::string::npos ? 0 : e.text.find(';') + 1));
  if (record == "Bounce") {
    w.at = isoTime(jsonString(body, "BouncedAt"));
    auto type = jsonString(body, "Type");
    if (type == "HardBounce" || type == "BadEmailAddress") e.kind = Kind::Hard;
    if (type == "SoftBounce" || type == "DnsError" || type == "Transient") e.kind = Kind::Soft;
  } else if (record == "SpamComplaint") {
    w.at = isoTime(jsonString(body, "BouncedAt"));
    e.kind = Kind::Complaint;
  }
  if (e.kind != Kind::None) w.events.push_back(e);
  return w;
}

}  // namespace mw::bounces
