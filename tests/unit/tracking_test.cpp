// Issue 13: the pure parts of tracking: rewriting a composed message's links and adding the
// pixel (an HTML5 parser, not a pattern), tokens, and proxies known by their user agent.
#include <gtest/gtest.h>

#include "core/security.h"
#include "messages/render.h"
#include "tracking/rewrite.h"
#include "tracking/token.h"

namespace mw::tracking {
namespace {

const std::string kUnsub = "https://mw.example/unsubscribe/abc.def";

// Redirects named after the URL's position, so a test can see which URL went where.
Plan clicksPlan(std::vector<std::string>& asked) {
  Plan p;
  p.clicks = true;
  p.keepUrl = kUnsub;
  p.redirectFor = [&asked](const std::string& url) -> std::optional<std::string> {
    asked.push_back(url);
    return "https://mw.example/t/c/" + std::to_string(asked.size());
  };
  return p;
}

TEST(TrackingRewrite, RewritesHrefsAndLeavesTheRestByteForByte) {
  std::string html =
      "<html><body><p>Hi <a class=x href=\"https://shop.example/a?x=1&amp;y=2\">shop</a>, "
      "<A HREF='http://blog.example/'>blog</A> <a href=\"mailto:me@x.example\">mail</a> "
      "<a href=\"tel:+7000\">call</a> <a href=\"#top\">top</a> <a href=\"" +
      kUnsub + "\">unsubscribe</a> <a name=\"n\">no href</a></p></body></html>";
  std::vector<std::string> asked;
  auto b = rewrite(html, "", clicksPlan(asked));
  ASSERT_EQ(asked.size(), 2u);
  EXPECT_EQ(asked[0], "https://shop.example/a?x=1&y=2");  // entities decoded, as a browser reads
  EXPECT_EQ(asked[1], "http://blog.example/");
  EXPECT_EQ(
      b.html,
      "<html><body><p>Hi <a class=x href=\"https://mw.example/t/c/1\">shop</a>, "
      "<A HREF=\"https://mw.example/t/c/2\">blog</A> <a href=\"mailto:me@x.example\">mail</a> "
      "<a href=\"tel:+7000\">call</a> <a href=\"#top\">top</a> <a href=\"" +
          kUnsub + "\">unsubscribe</a> <a name=\"n\">no href</a></p></body></html>");
}

// An <a> left open across a block is cloned by the parser, its href pointing at the same bytes:
// rewritten once (twice made the output repeat the rest of the message after the link).
TEST(TrackingRewrite, AClonedLinkIsRewrittenOnce) {
  std::vector<std::string> asked;
  auto b = rewrite("<a href='https://c.example/'><p>t</a> end", "", clicksPlan(asked));
  EXPECT_EQ(asked, std::vector<std::string>{"https://c.example/"});
  EXPECT_EQ(b.html, "<a href=\"https://mw.example/t/c/1\"><p>t</a> end");
}

TEST(TrackingRewrite, IgnoresWhatOnlyLooksLikeALink) {
  // In a comment, a script, an attribute of another tag or text: no <a> element, no rewrite.
  std::string html =
      "<!-- <a href=\"https://c.example/\">x</a> --><script>var s = '<a "
      "href=\"https://s.example/\">';</script><img src=\"https://img.example/i.png\" "
      "alt='<a href=\"https://alt.example/\">'><p>https://text.example/ in html text</p>";
  std::vector<std::string> asked;
  auto b = rewrite(html, "", clicksPlan(asked));
  EXPECT_TRUE(asked.empty());
  EXPECT_EQ(b.html, html);
  EXPECT_TRUE(trackableUrls(html, "", kUnsub).empty());
}

TEST(TrackingRewrite, UnquotedAndMalformedMarkup) {
  std::string html = "<p><a href=https://u.example/x>u</a><a href=\"https://v.example/\" ";
  std::vector<std::string> asked;
  auto b = rewrite(html, "", clicksPlan(asked));
  ASSERT_EQ(asked.size(), 1u);  // the unterminated tag at the end is no element (HTML5 rules)
  EXPECT_EQ(b.html, "<p><a href=\"https://mw.example/t/c/1\">u</a><a href=\"https://v.example/\" ");
}

TEST(TrackingRewrite, TextPartUrlsWithoutTrailingPunctuation) {
  std::string text =
      "See https://shop.example/sale. Or (https://wiki.example/A_(b)) and <http://x.example/p?q=1>,"
      "\nmail me@x.example, not xhttps://no.example, " +
      kUnsub + "\n";
  std::vector<std::string> asked;
  auto b = rewrite("", text, clicksPlan(asked));
  ASSERT_EQ(asked.size(), 3u);
  EXPECT_EQ(asked[0], "https://shop.example/sale");
  EXPECT_EQ(asked[1], "https://wiki.example/A_(b)");
  EXPECT_EQ(asked[2], "http://x.example/p?q=1");
  EXPECT_EQ(b.text,
            "See https://mw.example/t/c/1. Or (https://mw.example/t/c/2) and "
            "<https://mw.example/t/c/3>,\nmail me@x.example, not xhttps://no.example, " +
                kUnsub + "\n");
}

TEST(TrackingRewrite, DistinctUrlsInOrderOfFirstAppearance) {
  auto urls = trackableUrls(
      "<a href='https://b.example/'>1</a><a href='https://a.example/'>2</a>"
      "<a href=' https://b.example/ '>3</a>",
      "https://c.example/ https://a.example/", kUnsub);
  EXPECT_EQ(urls, (std::vector<std::string>{"https://b.example/", "https://a.example/",
                                            "https://c.example/"}));
}

TEST(TrackingRewrite, PixelGoesBeforeTheBodyEndOrAtTheEnd) {
  Plan p;
  p.pixelUrl = "https://mw.example/t/o/TOKEN";
  const std::string img =
      "<img src=\"https://mw.example/t/o/TOKEN\" width=\"1\" height=\"1\" alt=\"\" "
      "style=\"display:block;width:1px;height:1px;border:0\">";
  EXPECT_EQ(rewrite("<html><body><p>x</p></body></html>", "t", p).html,
            "<html><body><p>x</p>" + img + "</body></html>");
  EXPECT_EQ(rewrite("<p>fragment</p>", "t", p).html, "<p>fragment</p>" + img);
  EXPECT_EQ(rewrite("<html><p>x</p></html>\n", "", p).html, "<html><p>x</p>" + img + "</html>\n");
  // No HTML part: no pixel, the text untouched; links untouched without clicks.
  auto b = rewrite("", "https://a.example/", p);
  EXPECT_EQ(b.html, "");
  EXPECT_EQ(b.text, "https://a.example/");
  EXPECT_EQ(rewrite("<a href='https://a.example/'>a</a>", "", p).html,
            "<a href='https://a.example/'>a</a>" + img);
}

TEST(TrackingRewrite, ReplacementIsEscapedAndDeclinedUrlsStay) {
  Plan p;
  p.clicks = true;
  p.redirectFor = [](const std::string& url) -> std::optional<std::string> {
    if (url.find("keep") != std::string::npos) return std::nullopt;
    return "https://mw.example/t/c/\"<&";
  };
  auto b = rewrite("<a href='https://keep.example/'>k</a><a href='https://go.example/'>g</a>",
                   "https://keep.example/ https://go.example/", p);
  EXPECT_EQ(b.html,
            "<a href='https://keep.example/'>k</a><a "
            "href=\"https://mw.example/t/c/&quot;&lt;&amp;\">g</a>");
  EXPECT_EQ(b.text, "https://keep.example/ https://mw.example/t/c/\"<&");
}

TEST(TrackingRewrite, UrlsThatCouldNotBeALocationHeaderStay) {
  // Tabs and newlines inside an href are dropped, as browsers do (and the parser reads other
  // control characters as U+FFFD); in the text part, a URL with one is left as written.
  EXPECT_EQ(trackableUrls("<a href=\"https://a.example/x\n\ty\">a</a>",
                          "https://b.example/\x01z https://c.example/", kUnsub),
            (std::vector<std::string>{"https://a.example/xy", "https://c.example/"}));
}

// The send path renders a tracked mailing's HTML from trackTemplate() (one parse per mailing)
// instead of rewrite() on each message: for every template it takes, and for recipients whose
// name tries to add markup, the two give the same bytes.
std::string throughRewrite(const std::string& tmpl, const messages::Recipient& r, const Plan& p) {
  return rewrite(messages::render("s", "", tmpl, r).html, "", p).html;
}

std::string throughTemplate(const std::string& tmpl, const messages::Recipient& r, const Plan& p) {
  auto tracked = trackTemplate(tmpl, true, true);
  EXPECT_TRUE(tracked.usable) << tmpl;
  messages::Templates t("s", "", tmpl, tracked.html);
  return t.render(r, templateValues(tracked, p)).html;
}

TEST(TrackingTemplate, RendersAsRewriteDoesEachMessage) {
  const std::vector<std::string> templates = {
      "<html><body><p>Здравствуйте, <b>{{name}}</b>!</p><p><a "
      "href=\"https://shop.example/a?x=1&amp;y=2\">shop</a> <A HREF='http://blog.example/'>blog</A>"
      " <a href=https://u.example/x>u</a> <a href=\" https://shop.example/a?x=1&amp;y=2 \">again"
      "</a></p><p><a href=\"{{unsubscribe_url}}\">Отписаться</a> <a href=\"mailto:{{ email }}\">"
      "me</a> <a href=\"#top\">top</a></p></body></html>",
      "<p>{{name}}, <a title=\"{{name}}\" href=\"https://x.example/\">x</a><area "
      "href='https://y.example/'></p>",
      "<!-- c --><script>var n = {{name}};</script>{{name}}<a href=\"https://s.example/\">s</a>",
      // The parser clones an <a> left open across a block: one href, written once.
      "<a href=\"https://c.example/\"><p>{{name}}</a> <b title='{{email}}'>b</b>",
      "<table>{{name}}<tr><td><a href=\"https://t.example/\">t</a></td></tr></table></body>"
      "{{email}}",
      "<html><p>{{name}}</p></html>\n",
      "no links at all, {{name}}",
  };
  const std::vector<std::string> names = {"Анна",
                                          "\"><a href=\"https://evil.example/\">x</a>",
                                          "a href=https://evil.example/ x",
                                          "--><a href=http://e.example/>",
                                          "</body></html>",
                                          ""};
  for (const auto& tmpl : templates)
    for (const auto& name : names) {
      messages::Recipient r{name, "anna@example.ru", kUnsub};
      std::vector<std::string> askedSlow, askedFast;
      Plan slow = clicksPlan(askedSlow), fast = clicksPlan(askedFast);
      slow.pixelUrl = fast.pixelUrl = "https://mw.example/t/o/P&Q";
      EXPECT_EQ(throughTemplate(tmpl, r, fast), throughRewrite(tmpl, r, slow))
          << tmpl << " / " << name;
      EXPECT_EQ(askedFast, askedSlow) << tmpl << " / " << name;
    }
}

TEST(TrackingTemplate, TemplatesWhoseRenderingCouldChangeALinkAreLeftToRewrite) {
  const std::vector<std::pair<std::string, std::string>> refused = {
      {"{{#name}}<a href=\"https://x.example/\">x</a>{{/name}}", "a section"},
      {"<p>{{{name}}}</p><a href=\"https://x.example/\">x</a>", "unescaped"},
      {"<p>{{&name}}</p>", "unescaped"},
      {"{{! a comment }}<a href=\"https://x.example/\">x</a>", "a mustache comment"},
      {"<a href=\"https://x.example/?e={{email}}\">x</a>", "an href built from a tag"},
      {"<a href=\"{{unsubscribe_url}}?again\">x</a>", "not the unsubscribe link alone"},
      {"<a {{name}} href=\"https://x.example/\">x</a>", "in a start tag"},
      {"<a title={{name}} href=\"https://x.example/\">x</a>", "an unquoted value"},
      {"<p><{{name}}></p>", "after '<'"},
      {"<p></p{{name}}>", "in an end tag's name"},
      {"<p><a{{name}}></p>", "in a start tag's name"},
      {"<p><!-{{name}}</p>", "could open a comment"},
      {"<!-- {{name}} -->", "in a comment (after '<': left to rewrite() too)"},
      {"<a title=\"x>\" {{name}}>", "after a quoted '>', outside the quotes"},
      {"<tr {{name}}=\"x> <a href='https://e.example/'>\">", "in a tag the tree drops"},
      {"<p>{{name}}</p>{", "a brace next to the pixel's placeholder"},
  };
  for (const auto& [tmpl, why] : refused)
    EXPECT_FALSE(trackTemplate(tmpl, true, true).usable) << tmpl << ": " << why;
  // Without click tracking only the pixel is placed: an href may vary.
  auto opensOnly = trackTemplate("<a href=\"https://x.example/?e={{email}}\">x</a>", true, false);
  EXPECT_TRUE(opensOnly.usable);
  EXPECT_TRUE(opensOnly.links.empty());
  EXPECT_EQ(opensOnly.html, "<a href=\"https://x.example/?e={{email}}\">x</a>{{{mw_pixel}}}");
  EXPECT_FALSE(trackTemplate("", true, true).usable);
}

TEST(TrackingRewrite, DeepNestingDoesNotOverflow) {
  std::string html;
  // 3,000 levels: deeper than a recursive walk's stack under ASan, quick for the parser.
  for (int i = 0; i < 3000; ++i) html += "<div>";
  html += "<a href='https://deep.example/'>d</a>";
  EXPECT_EQ(trackableUrls(html, "", kUnsub), std::vector<std::string>{"https://deep.example/"});
  Plan p;
  p.pixelUrl = "https://mw.example/t/o/T";
  EXPECT_NE(rewrite(html, "", p).html.find("/t/o/T"), std::string::npos);
}

TEST(TrackingToken, RoundTripAndTamper) {
  auto key = tokenKey("0123456789abcdef-secret");
  TokenData d{'c', 123456, 42, 7};
  std::string t = makeToken(key, d);
  EXPECT_EQ(t.size(), 56u);
  auto back = readToken(key, t, 'c');
  ASSERT_TRUE(back);
  EXPECT_EQ(back->deliveryId, 123456);
  EXPECT_EQ(back->mailingId, 42);
  EXPECT_EQ(back->extra, 7);
  EXPECT_FALSE(readToken(key, t, 'o'));                                // a click token is no pixel
  EXPECT_FALSE(readToken(tokenKey("another-secret-key-16"), t, 'c'));  // another SECRET_KEY
  // Every single altered byte of the payload or signature is refused.
  auto raw = *security::base64UrlDecode(t);
  for (std::size_t i = 0; i < raw.size(); ++i) {
    auto bad = raw;
    bad[i] = static_cast<char>(bad[i] ^ 1);
    EXPECT_FALSE(readToken(key, security::base64UrlEncode(bad), 'c')) << i;
  }
  EXPECT_FALSE(readToken(key, "", 'c'));
  EXPECT_FALSE(readToken(key, t.substr(1), 'c'));
  EXPECT_FALSE(readToken(key, t + "A", 'c'));
  EXPECT_FALSE(readToken(key, "!!!!", 'c'));
}

TEST(TrackingToken, MachineUserAgents) {
  EXPECT_TRUE(isMachineUserAgent(
      "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)"));
  EXPECT_TRUE(isMachineUserAgent("Mozilla/5.0"));  // Apple Mail Privacy Protection
  EXPECT_TRUE(isMachineUserAgent(""));
  EXPECT_TRUE(isMachineUserAgent("YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy"));
  EXPECT_FALSE(isMachineUserAgent(
      "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)"));
  EXPECT_FALSE(
      isMachineUserAgent("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:120.0) "
                         "Gecko/20100101 Thunderbird/120.0"));
}

}  // namespace
}  // namespace mw::tracking
