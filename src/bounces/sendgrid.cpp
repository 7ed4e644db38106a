#include <Poco/Base64Decoder.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <memory>
#include <sstream>

#include "bounces/providers.h"
#include "core/security.h"

namespace mw::bounces {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

// A batch holds at most this many events read (SendGrid posts up to about 1,000 per request).
constexpr std::size_t kMaxEvents = 5000;

std::string base64Decode(const std::string& s) {
  try {
    std::istringstream in(s);
    Poco::Base64Decoder dec(in);
    return std::string((std::istreambuf_iterator<char>(dec)), std::istreambuf_iterator<char>());
  } catch (const Poco::Exception&) {
    return "";
  }
}

using Key = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

// The key as SendGrid's settings page shows it (base64 of the DER SubjectPublicKeyInfo) or PEM.
Key publicKeyOf(const std::string& text) {
  if (text.find("-----BEGIN") != std::string::npos) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(
        BIO_new_mem_buf(text.data(), static_cast<int>(text.size())), BIO_free);
    return Key(bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr,
               EVP_PKEY_free);
  }
  auto der = base64Decode(text);
  auto p = reinterpret_cast<const unsigned char*>(der.data());
  return Key(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())), EVP_PKEY_free);
}

bool verify(const std::string& message, const std::string& signatureB64,
            const std::string& publicKey) {
  auto key = publicKeyOf(publicKey);
  auto sig = base64Decode(signatureB64);
  if (!key || EVP_PKEY_base_id(key.get()) != EVP_PKEY_EC || sig.empty()) return false;
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> md(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!md || EVP_DigestVerifyInit(md.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1)
    return false;
  return EVP_DigestVerify(md.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                          reinterpret_cast<const unsigned char*>(message.data()),
                          message.size()) == 1;
}

// One event of the batch, or Kind::None for those that are not a bounce or a complaint.
RelayEvent eventOf(const Object::Ptr& ev) {
  RelayEvent e;
  auto event = jsonString(ev, "event");
  if (event == "bounce") {
    // "bounce": the receiving server refused the address; "blocked": it refused this message
    // (content, reputation), a soft bounce. Older payloads leave "type" out: a bounce then.
    e.kind = jsonString(ev, "type") == "blocked" ? Kind::Soft : Kind::Hard;
    e.status = jsonString(ev, "status");
    e.text = jsonString(ev, "reason");
  } else if (event == "spamreport") {
    e.kind = Kind::Complaint;
    e.text = "complaint (spamreport)";
  } else {
    return e;
  }
  e.clues.email = jsonString(ev, "email");
  e.clues.tokens.push_back(jsonString(ev, "mw-token"));
  e.clues.messageId = jsonString(ev, "smtp-id");
  return e;
}

}  // namespace

Webhook parseSendgrid(const std::string& rawBody, const std::string& timestamp,
                      const std::string& signature, const std::string& publicKey) {
  Webhook w;
  if (timestamp.empty() || !verify(timestamp + rawBody, signature, publicKey)) return w;
  Array::Ptr events;
  try {
    auto v = Poco::JSON::Parser().parse(rawBody);
    if (v.type() == typeid(Array::Ptr)) events = v.extract<Array::Ptr>();
  } catch (const Poco::Exception&) {
  } catch (const std::exception&) {
  }
  if (!events) return w;
  w.ok = true;
  // The batch is known by what was signed: a replay of it is the same bytes.
  w.eventKey = "sendgrid:" + security::sha256Hex(timestamp + "\n" + rawBody);
  try {
    w.at = std::stoll(timestamp);
  } catch (...) {
    w.at = 0;
  }
  for (std::size_t i = 0; i < events->size() && i < kMaxEvents; ++i) {
    if (!events->isObject(static_cast<unsigned>(i))) continue;
    auto e = eventOf(events->getObject(static_cast<unsigned>(i)));
    if (e.kind != Kind::None) w.events.push_back(std::move(e));
  }
  return w;
}

}  // namespace mw::bounces
