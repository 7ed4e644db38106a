// compose(delivery, content, settings): the pure step that turns one delivery into its message.
#include "delivery/compose.h"

#include <gtest/gtest.h>

namespace mw::delivery {
namespace {

std::string header(const mail::OutgoingMessage& m, const std::string& name) {
  for (const auto& [k, v] : m.headers)
    if (k == name) return v;
  return "";
}

Job job() {
  Job j;
  j.deliveryId = 7;
  j.mailingId = 12;
  j.ownerId = 34;
  j.clientId = 56;
  j.email = "anna@example.ru";
  j.name = "Анна";
  return j;
}

TEST(Compose, PersonalisesAndAddsTheListHeaders) {
  Content c{true, "Привет, {{name}}", "Текст для {{name}}: {{unsubscribe_url}}",
            "",   "Магазин",          "owner@example.com"};
  ComposeSettings s{"news@shop.example", "https://x.example/unsubscribe/abc", "<id@shop.example>"};
  auto m = compose(job(), c, s);
  EXPECT_EQ(m.subject, "Привет, Анна");
  EXPECT_EQ(m.text, "Текст для Анна: https://x.example/unsubscribe/abc");
  EXPECT_EQ(m.from.name, "Магазин");
  EXPECT_EQ(m.from.email, "news@shop.example");
  EXPECT_EQ(m.to.email, "anna@example.ru");
  EXPECT_EQ(m.messageId, "<id@shop.example>");
  EXPECT_EQ(header(m, "List-Unsubscribe"), "<https://x.example/unsubscribe/abc>");
  EXPECT_EQ(header(m, "List-Unsubscribe-Post"), "List-Unsubscribe=One-Click");
  EXPECT_EQ(header(m, "Reply-To"), "owner@example.com");
  EXPECT_EQ(header(m, "X-Mailwright-Mailing"), "12");
  EXPECT_EQ(header(m, "Feedback-ID"), "12:34:shop.example:mailwright");
}

TEST(Compose, EmptyBodiesGetASpaceAndNoReplyToWithoutOwnerAddress) {
  Content c{true, "S", "", "", "Mailwright", ""};
  auto m = compose(job(), c, {"a@b.example", "u", "<m@b.example>"});
  EXPECT_EQ(m.text, " ");
  EXPECT_EQ(header(m, "Reply-To"), "");
  EXPECT_EQ(domainOf("nobody"), "localhost");
}

}  // namespace
}  // namespace mw::delivery
