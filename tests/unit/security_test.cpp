// Password hashing, signed tokens and comparisons.
#include "core/security.h"

#include <gtest/gtest.h>

#include <set>

namespace mw::security {
namespace {

TEST(Password, Argon2idVerifiesTheRightPasswordOnly) {
  std::string hash = hashPassword("correct horse battery staple");
  EXPECT_EQ(hash.rfind("$argon2id$", 0), 0u) << hash;
  EXPECT_TRUE(verifyPassword("correct horse battery staple", hash));
  EXPECT_FALSE(verifyPassword("correct horse battery stapler", hash));
  EXPECT_FALSE(verifyPassword("", hash));
  EXPECT_FALSE(verifyPassword("correct horse battery staple", ""));
  EXPECT_FALSE(verifyPassword("correct horse battery staple", "not a hash"));
  EXPECT_FALSE(needsRehash(hash));
  // Salted: the same password hashes differently each time, and both verify.
  std::string again = hashPassword("correct horse battery staple");
  EXPECT_NE(hash, again);
  EXPECT_TRUE(verifyPassword("correct horse battery staple", again));
}

TEST(Password, UnicodeAndTamperedHashes) {
  std::string hash = hashPassword("пароль-Ёжик");
  EXPECT_TRUE(verifyPassword("пароль-Ёжик", hash));
  EXPECT_FALSE(verifyPassword("пароль-ёжик", hash));
  std::string tampered = hash;
  char& c = tampered[tampered.size() - 3];
  c = c == 'A' ? 'B' : 'A';
  EXPECT_FALSE(verifyPassword("пароль-Ёжик", tampered));
  // A weaker hash of the past asks to be upgraded at the next login.
  EXPECT_TRUE(needsRehash("$argon2id$v=19$m=4096,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNo"));
}

TEST(SignedToken, RoundTrip) {
  std::string t = signToken("secret", "verify", "42", 2000);
  EXPECT_EQ(verifySignedToken("secret", "verify", t, 1000), "42");
  EXPECT_EQ(verifySignedToken("secret", "verify", t, 2000), "42");  // valid through its second
  // URL-safe: no characters that need escaping in a link.
  EXPECT_EQ(
      t.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."),
      std::string::npos)
      << t;
  std::string binary("a\0b\xff", 4);
  EXPECT_EQ(verifySignedToken("secret", "p", signToken("secret", "p", binary, 10), 0), binary);
  EXPECT_EQ(verifySignedToken("secret", "p", signToken("secret", "p", "", 10), 0), "");
}

TEST(SignedToken, Expired) {
  std::string t = signToken("secret", "reset", "7", 1000);
  EXPECT_FALSE(verifySignedToken("secret", "reset", t, 1001));
}

TEST(SignedToken, WrongSecretOrPurpose) {
  std::string t = signToken("secret", "verify", "42", 2000);
  EXPECT_FALSE(verifySignedToken("other", "verify", t, 1000));
  EXPECT_FALSE(verifySignedToken("secret", "reset", t, 1000));
}

TEST(SignedToken, Tampered) {
  std::string t = signToken("secret", "verify", "42", 2000);
  auto first = t.find('.'), last = t.rfind('.');
  // Another payload with the old signature.
  std::string payload = signToken("secret", "verify", "43", 2000);
  EXPECT_FALSE(verifySignedToken("secret", "verify",
                                 payload.substr(0, payload.find('.')) + t.substr(first), 1000));
  // A later expiry with the old signature.
  EXPECT_FALSE(
      verifySignedToken("secret", "verify", t.substr(0, first) + ".999999" + t.substr(last), 1000));
  // Every single-character change breaks it.
  for (size_t i = 0; i < t.size(); ++i) {
    std::string x = t;
    x[i] = x[i] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(verifySignedToken("secret", "verify", x, 1000)) << i;
  }
  for (const char* bad : {"", ".", "..", "abc", "a.b", "a.b.c", "NDI.2000."})
    EXPECT_FALSE(verifySignedToken("secret", "verify", bad, 1000)) << bad;
  EXPECT_FALSE(verifySignedToken("secret", "verify", t.substr(0, t.size() - 1), 1000));
  EXPECT_FALSE(verifySignedToken("secret", "verify", t + "A", 1000));
}

TEST(ConstantTime, Equals) {
  EXPECT_TRUE(constantTimeEquals("", ""));
  EXPECT_TRUE(constantTimeEquals("abc", "abc"));
  EXPECT_FALSE(constantTimeEquals("abc", "abd"));
  EXPECT_FALSE(constantTimeEquals("abc", "ab"));
  EXPECT_FALSE(constantTimeEquals("ab", "abc"));
  EXPECT_FALSE(constantTimeEquals("", "a"));
  EXPECT_TRUE(constantTimeEquals(std::string("a\0b", 3), std::string("a\0b", 3)));
  EXPECT_FALSE(constantTimeEquals(std::string("a\0b", 3), std::string("a\0c", 3)));
}

TEST(Encoding, Base64UrlAndHashes) {
  EXPECT_EQ(base64UrlEncode(""), "");
  EXPECT_EQ(base64UrlEncode("f"), "Zg");
  EXPECT_EQ(base64UrlEncode("\xfb\xff"), "-_8");
  EXPECT_EQ(base64UrlDecode("-_8"), "\xfb\xff");
  EXPECT_FALSE(base64UrlDecode("a+b/"));
  EXPECT_FALSE(base64UrlDecode("@@@"));
  EXPECT_EQ(sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // RFC 4231 test case 2.
  std::string mac = hmacSha256("Jefe", "what do ya want for nothing?");
  EXPECT_EQ(base64UrlEncode(mac), "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM");
  // Keyed states are kept per key: alternating keys (three, past the two kept) and a key of
  // more than a block (RFC 4231 test case 6: hashed first) give the same MACs every time.
  const std::string longKey(131, '\xaa');
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(base64UrlEncode(hmacSha256("Jefe", "what do ya want for nothing?")),
              "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM");
    EXPECT_EQ(base64UrlEncode(
                  hmacSha256(longKey, "Test Using Larger Than Block-Size Key - Hash Key First")),
              "YOQxWR7gtn8Niiaqy_W3f44LxiE3KMUUBUYEDw7jf1Q");
    EXPECT_NE(hmacSha256("Jefe2", "what do ya want for nothing?"), mac);
  }
  std::set<std::string> tokens;
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(tokens.insert(randomToken()).second);
  EXPECT_EQ(randomToken(32).size(), 43u);
}

TEST(Seal, RoundTripsAndRefusesAWrongKeyOrAlteredText) {
  std::string sealed = seal("secret-one", "smtp password \xd0\xbf");
  EXPECT_EQ(sealed.rfind("v1.", 0), 0u);
  EXPECT_EQ(sealed.find("smtp"), std::string::npos);
  EXPECT_EQ(unseal("secret-one", sealed), "smtp password \xd0\xbf");
  EXPECT_NE(seal("secret-one", "x"), seal("secret-one", "x"));  // a fresh nonce each time
  EXPECT_FALSE(unseal("secret-two", sealed));
  std::string altered = sealed;
  altered[altered.size() - 2] = altered[altered.size() - 2] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(unseal("secret-one", altered));
  EXPECT_FALSE(unseal("secret-one", "v1."));
  EXPECT_FALSE(unseal("secret-one", "v1.@@@"));
  EXPECT_FALSE(unseal("secret-one", "plain"));
  EXPECT_EQ(unseal("k", seal("k", "")), "");
}

}  // namespace
}  // namespace mw::security
