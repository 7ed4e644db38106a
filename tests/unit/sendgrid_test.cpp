// SendGrid's Signed Event Webhook parser: the ECDSA P-256 signature over timestamp + body with the
// key as base64 DER or PEM, and which events count as what. The key is made here in-process.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

#include "bounces/providers.h"
#include "core/security.h"

using namespace mw::bounces;

namespace {

using Key = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

std::string b64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

struct Pair {
  Key key{EVP_EC_gen("P-256"), EVP_PKEY_free};
  std::string der() const {
    unsigned char* buf = nullptr;
    int n = i2d_PUBKEY(key.get(), &buf);
    std::string out(reinterpret_cast<char*>(buf), static_cast<std::size_t>(n));
    OPENSSL_free(buf);
    return b64(out);
  }
  std::string pem() const {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
    PEM_write_bio_PUBKEY(bio.get(), key.get());
    char* data = nullptr;
    long n = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(n));
  }
  std::string sign(const std::string& message) const {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> md(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    EVP_DigestSignInit(md.get(), nullptr, EVP_sha256(), nullptr, key.get());
    std::size_t len = 0;
    EVP_DigestSign(md.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(message.data()),
                   message.size());
    std::string sig(len, '\0');
    EVP_DigestSign(md.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                   reinterpret_cast<const unsigned char*>(message.data()), message.size());
    sig.resize(len);
    return b64(sig);
  }
};

const std::string kBody =
    R"([{"email":"a@example.com","event":"bounce","type":"bounce","status":"5.1.1",)"
    R"("reason":"550 5.1.1 unknown","smtp-id":"<mw.1.abc@example.com>","timestamp":1},)"
    R"({"email":"b@example.com","event":"bounce","type":"blocked","mw-token":"2.def"},)"
    R"({"email":"c@example.com","event":"spamreport","mw-token":"3.ghi"},)"
    R"({"email":"d@example.com","event":"deferred"},{"email":"d@example.com","event":"dropped"},)"
    R"({"email":"d@example.com","event":"open"},"not an object"])";

}  // namespace

TEST(SendGrid, VerifiesWithADerOrPemKeyAndReadsBouncesAndComplaints) {
  Pair p;
  ASSERT_TRUE(p.key);
  auto sig = p.sign("1796650000" + kBody);
  for (const auto& key : {p.der(), p.pem()}) {
    auto w = parseSendgrid(kBody, "1796650000", sig, key);
    ASSERT_TRUE(w.ok) << key;
    EXPECT_EQ(w.at, 1796650000);
    EXPECT_EQ(w.eventKey.rfind("sendgrid:", 0), 0u);
    ASSERT_EQ(w.events.size(), 3u);
    EXPECT_EQ(w.events[0].kind, Kind::Hard);
    EXPECT_EQ(w.events[0].clues.messageId, "<mw.1.abc@example.com>");
    EXPECT_EQ(w.events[0].status, "5.1.1");
    EXPECT_EQ(w.events[0].text, "550 5.1.1 unknown");
    EXPECT_EQ(w.events[1].kind, Kind::Soft);
    EXPECT_EQ(w.events[1].clues.tokens.at(0), "2.def");
    EXPECT_EQ(w.events[2].kind, Kind::Complaint);
    EXPECT_EQ(w.events[2].clues.email, "c@example.com");
  }
}

TEST(SendGrid, AnythingButTheSignedBytesWithTheKeyIsRefused) {
  Pair p, other;
  auto sig = p.sign("1796650000" + kBody);
  EXPECT_FALSE(parseSendgrid(kBody, "1796650000", sig, other.der()).ok);
  EXPECT_FALSE(parseSendgrid(kBody, "1796650000", other.sign("1796650000" + kBody), p.der()).ok);
  EXPECT_FALSE(parseSendgrid(kBody + " ", "1796650000", sig, p.der()).ok);
  EXPECT_FALSE(parseSendgrid(kBody, "1796650001", sig, p.der()).ok);
  EXPECT_FALSE(parseSendgrid(kBody, "", p.sign(kBody), p.der()).ok);
  EXPECT_FALSE(parseSendgrid(kBody, "1796650000", "", p.der()).ok);
  EXPECT_FALSE(parseSendgrid(kBody, "1796650000", "!!!", p.der()).ok);
  EXPECT_FALSE(parseSendgrid(kBody, "1796650000", sig, "not a key").ok);
  EXPECT_FALSE(parseSendgrid(kBody, "1796650000", sig, "").ok);
  // Signed, but not SendGrid's shape (an array of events).
  std::string object = R"({"event":"bounce"})";
  EXPECT_FALSE(parseSendgrid(object, "1", p.sign("1" + object), p.der()).ok);
  std::string broken = "[{";
  EXPECT_FALSE(parseSendgrid(broken, "1", p.sign("1" + broken), p.der()).ok);
}
