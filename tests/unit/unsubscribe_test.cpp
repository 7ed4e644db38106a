// The unsubscribe link: whom it unsubscribes and the delivery whose message carried it, signed.
#include "delivery/unsubscribe.h"

#include <gtest/gtest.h>

#include <ctime>

#include "core/security.h"

namespace mw::delivery {
namespace {

Config config() {
  Config cfg;
  cfg.secretKey = "0123456789abcdef0123456789abcdef";
  cfg.baseUrl = "https://mail.example";
  return cfg;
}

std::string tokenOf(const std::string& link) {
  return link.substr(link.rfind('/') + 1);
}

TEST(UnsubscribeToken, NamesTheClientAndTheDelivery) {
  auto cfg = config();
  auto link = unsubscribeLink(cfg, 56, 7);
  ASSERT_EQ(link.rfind("https://mail.example/unsubscribe/", 0), 0u) << link;
  auto t = readUnsubscribeToken(cfg, tokenOf(link));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->clientId, 56);
  EXPECT_EQ(t->deliveryId, 7);
  // A test send names no delivery.
  t = readUnsubscribeToken(cfg, tokenOf(unsubscribeLink(cfg, 56, 0)));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->deliveryId, 0);
}

TEST(UnsubscribeToken, LinksOfEarlierVersionsStillWork) {
  auto cfg = config();
  auto later = static_cast<std::int64_t>(std::time(nullptr)) + 3600;
  auto t =
      readUnsubscribeToken(cfg, security::signToken(cfg.secretKey, "unsubscribe", "56", later));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->clientId, 56);
  EXPECT_EQ(t->deliveryId, 0);
}

TEST(UnsubscribeToken, ForgedOrMalformedTokensAreRefused) {
  auto cfg = config();
  auto later = static_cast<std::int64_t>(std::time(nullptr)) + 3600;
  auto token = tokenOf(unsubscribeLink(cfg, 56, 7));
  token[token.size() / 2] = token[token.size() / 2] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(readUnsubscribeToken(cfg, token));
  EXPECT_FALSE(readUnsubscribeToken(cfg, tokenOf(unsubscribeLink(config(), 56, 7)) + "x"));
  auto other = config();
  other.secretKey = "another key of thirty-two bytes!";
  EXPECT_FALSE(readUnsubscribeToken(other, tokenOf(unsubscribeLink(cfg, 56, 7))));
  for (const char* payload : {"56.", "56.7x", "x.7", ".7", "56.7.8", ""})
    EXPECT_FALSE(readUnsubscribeToken(
        cfg, security::signToken(cfg.secretKey, "unsubscribe", payload, later)))
        << payload;
}

}  // namespace
}  // namespace mw::delivery
