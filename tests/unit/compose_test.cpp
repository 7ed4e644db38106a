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

// The send path parses a mailing's templates once per batch (Content::compile): every recipient
// gets what an uncompiled content gives, and a template error is thrown for each of them.
TEST(Compose, CompiledTemplatesRenderAsParsedOnesForEachRecipient) {
  Content plain{
      true,
      "Привет, {{name}}",
      "Текст для {{name}} <{{email}}>",
      "<p>{{name}} &amp; {{{name}}}</p>{{#email}}<a href=\"{{unsubscribe_url}}\">x</a>{{/email}}",
      "Магазин",
      ""};
  Content compiled = plain;
  compiled.compile();
  ComposeSettings s{"news@shop.example", "https://x.example/u?a=1&b=2", "<id@shop.example>"};
  Job other = job();
  other.name = "<Пётр & Co>";
  other.email = "petr@example.ru";
  for (const Job& j : {job(), other, job()}) {
    auto a = compose(j, plain, s), b = compose(j, compiled, s);
    EXPECT_EQ(a.subject, b.subject);
    EXPECT_EQ(a.text, b.text);
    EXPECT_EQ(a.html, b.html);
  }
  EXPECT_EQ(compose(other, compiled, s).html,
            "<p>&lt;Пётр &amp; Co&gt; &amp; <Пётр & Co></p>"
            "<a href=\"https://x.example/u?a=1&amp;b=2\">x</a>");

  Content broken{true, "S", "{{#name}} unclosed", "", "Магазин", ""};
  broken.compile();
  for (int i = 0; i < 2; ++i) {
    try {
      compose(job(), broken, s);
      ADD_FAILURE() << "a broken template rendered";
    } catch (const messages::TemplateError& e) {
      EXPECT_EQ(e.part(), "body_text");
      EXPECT_EQ(e.issue().code, "unclosed_section");
    }
  }
}

// The bound on the rendered size is per recipient: a long name can pass it where a short one
// does not.
TEST(Compose, CompiledTemplatesBoundTheOutputPerRecipient) {
  std::string html;
  for (int i = 0; i < 1000; ++i) html += "{{name}} ";
  Content c{true, "S", "", html, "Магазин", ""};
  c.compile();
  ComposeSettings s{"news@shop.example", "u", "<id@shop.example>"};
  EXPECT_EQ(compose(job(), c, s).html.size(), 1000 * (std::string("Анна").size() + 1));
  Job longName = job();
  longName.name = std::string(1000, 'x');
  try {
    compose(longName, c, s);
    ADD_FAILURE() << "an output past kMaxRenderedBytes rendered";
  } catch (const messages::TemplateError& e) {
    EXPECT_EQ(e.issue().code, "too_large_output");
  }
  EXPECT_EQ(compose(job(), c, s).html.size(), 1000 * (std::string("Анна").size() + 1));
}

}  // namespace
}  // namespace mw::delivery
