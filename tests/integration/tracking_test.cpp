// Issue 13: opens and clicks through the real binary and a real SMTP capture: the pixel and the
// links of the message as sent, the redirect, the counts on the stats API and the mailing page,
// tracking off, forged and altered tokens, and someone else's mailing.
#include <gtest/gtest.h>
#include <gumbo.h>

#include <chrono>
#include <map>
#include <thread>

#include "app.h"
#include "core/security.h"
#include "harness.h"

using namespace mw::test;

namespace {

const std::string kPersonUa =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:120.0) Gecko/20100101 Thunderbird/120.0";
const std::string kGoogleUa =
    "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)";
const std::string kHtml =
    "<html><body><p>Hi {{name}}</p>"
    "<a href=\"https://shop.example/sale?a=1&amp;b=2\">Sale</a> "
    "<a href=\"https://blog.example/post\">Blog</a> "
    "<a href=\"mailto:owner@example.com\">Mail</a> <a href=\"tel:+79990000000\">Call</a> "
    "<a href=\"#top\">Top</a> <a href=\"{{unsubscribe_url}}\">Unsubscribe</a></body></html>";
const std::string kText =
    "Sale: https://shop.example/sale?a=1&b=2\nUnsubscribe: {{unsubscribe_url}}\n";

// <a href> and <img src> of a message, read by an HTML parser as a mail client would.
struct Parsed {
  std::vector<std::string> hrefs;
  std::vector<std::string> images;
};

void walk(const GumboNode* node, Parsed& p) {
  if (node->type != GUMBO_NODE_ELEMENT) return;
  const GumboElement& el = node->v.element;
  if (auto a = gumbo_get_attribute(&el.attributes, el.tag == GUMBO_TAG_IMG ? "src" : "href"))
    (el.tag == GUMBO_TAG_IMG ? p.images : p.hrefs).push_back(a->value);
  for (unsigned i = 0; i < el.children.length; ++i)
    walk(static_cast<const GumboNode*>(el.children.data[i]), p);
}

Parsed parse(const std::string& html) {
  GumboOutput* out = gumbo_parse(html.c_str());
  Parsed p;
  walk(out->root, p);
  gumbo_destroy_output(&kGumboDefaultOptions, out);
  return p;
}

// The token with one byte of its delivery id changed (and the signature left as it was).
std::string alteredId(const std::string& url) {
  std::string token = url.substr(url.rfind('/') + 1);
  auto raw = *mw::security::base64UrlDecode(token);
  raw[9] = static_cast<char>(raw[9] ^ 1);  // the delivery id's last byte
  return url.substr(0, url.rfind('/') + 1) + mw::security::base64UrlEncode(raw);
}

class Tracking : public ::testing::Test {
 protected:
  void start(Env env = {}) {
    smtp = std::make_unique<SmtpCapture>();
    env.emplace("TRACKING_MACHINE_SECONDS", "0");
    server = std::make_unique<MailwrightServer>(ServerOptions{.smtp = smtp.get(), .env = env});
    if (testUnavailable()) return;
    createUser(*server, "owner@example.com");
    token = tokenFor(*server, "owner@example.com");
    api = std::make_unique<HttpClient>(server->baseUrl());
  }
  std::int64_t post(const std::string& path, const std::string& json) {
    auto r = api->postJson(path, json, token);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json()->getValue<std::int64_t>("id");
  }
  std::int64_t client(const std::string& email, const std::string& name) {
    return post("/api/v1/clients", R"({"email":")" + email + R"(","full_name":")" + name + "\"}");
  }
  std::int64_t message() {
    Poco::JSON::Object o;
    o.set("subject", "News");
    o.set("body_text", kText);
    o.set("body_html", kHtml);
    std::ostringstream s;
    o.stringify(s);
    return post("/api/v1/messages", s.str());
  }
  // A mailing sent at once to the clients; extra JSON fields such as "track_opens": false.
  std::int64_t mailing(std::int64_t msg, const std::string& clients,
                       const std::string& extra = "") {
    return post("/api/v1/mailings", R"({"name":"Tracked","message_id":)" + std::to_string(msg) +
                                        R"(,"client_ids":[)" + clients + "]" + extra + "}");
  }
  Poco::JSON::Object::Ptr stats(std::int64_t id) {
    return api->getJson("/api/v1/mailings/" + std::to_string(id) + "/stats", token).json();
  }
  bool waitDelivered(std::int64_t id, int n) {
    for (int i = 0; i < 100; ++i) {
      if (stats(id)->getValue<int>("delivered") == n) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return false;
  }
  // Captured messages by recipient: decoded html and text.
  std::map<std::string, std::pair<std::string, std::string>> mails(size_t n) {
    std::map<std::string, std::pair<std::string, std::string>> out;
    for (const auto& m : smtp->waitForMessages(n, 20)) {
      auto d = m.decoded();
      out[m.rcptTos.at(0)] = {d->optValue<std::string>("html", ""),
                              d->optValue<std::string>("text", "")};
    }
    return out;
  }
  Response fetch(const std::string& url, const std::string& ua = kPersonUa) {
    HttpClient visitor(server->baseUrl());
    return visitor.get(pathOf(url), {{"User-Agent", ua}});
  }
  std::unique_ptr<SmtpCapture> smtp;
  std::unique_ptr<MailwrightServer> server;
  std::unique_ptr<HttpClient> api;
  std::string token;
};

TEST_F(Tracking, OpensAndClicksAreCountedAndLinksLeadToTheStoredUrl) {
  start();
  MW_SKIP_IF_UNAVAILABLE();
  auto ivan = client("ivan@example.com", "Ivan");
  auto maria = client("maria@example.com", "Maria");
  auto id = mailing(message(), std::to_string(ivan) + "," + std::to_string(maria));
  auto m = api->getJson("/api/v1/mailings/" + std::to_string(id), token).json();
  EXPECT_TRUE(m->getValue<bool>("track_opens"));  // on by default for a new mailing
  EXPECT_TRUE(m->getValue<bool>("track_clicks"));
  auto got = mails(2);
  ASSERT_EQ(got.size(), 2u) << server->logs();
  ASSERT_TRUE(waitDelivered(id, 2));
  const std::string base = server->baseUrl();
  std::map<std::string, Parsed> parsed;
  for (const auto& [to, bodies] : got) {
    auto p = parse(bodies.first);
    ASSERT_EQ(p.hrefs.size(), 6u) << bodies.first;
    EXPECT_EQ(p.hrefs[0].rfind(base + "/t/c/", 0), 0u) << p.hrefs[0];
    EXPECT_EQ(p.hrefs[1].rfind(base + "/t/c/", 0), 0u) << p.hrefs[1];
    EXPECT_NE(p.hrefs[0], p.hrefs[1]);
    EXPECT_EQ(p.hrefs[2], "mailto:owner@example.com");
    EXPECT_EQ(p.hrefs[3], "tel:+79990000000");
    EXPECT_EQ(p.hrefs[4], "#top");
    EXPECT_EQ(p.hrefs[5].rfind(base + "/unsubscribe/", 0), 0u) << p.hrefs[5];
    ASSERT_EQ(p.images.size(), 1u);
    EXPECT_EQ(p.images[0].rfind(base + "/t/o/", 0), 0u) << p.images[0];
    // Nothing personal and no original URL in the links.
    for (const auto& u : {p.images[0], p.hrefs[0], p.hrefs[1]}) {
      EXPECT_EQ(u.find("example.com"), std::string::npos) << u;
      EXPECT_EQ(u.find("shop"), std::string::npos) << u;
    }
    // The text part: the same link (same delivery, same URL: the same token), unsubscribe kept.
    EXPECT_NE(bodies.second.find("Sale: " + p.hrefs[0]), std::string::npos) << bodies.second;
    EXPECT_NE(bodies.second.find("Unsubscribe: " + p.hrefs[5]), std::string::npos);
    EXPECT_EQ(bodies.second.find("https://shop.example"), std::string::npos);
    parsed[to] = p;
  }
  const auto& pi = parsed["ivan@example.com"];
  const auto& pm = parsed["maria@example.com"];
  EXPECT_NE(pi.images[0], pm.images[0]);
  EXPECT_NE(pi.hrefs[0], pm.hrefs[0]);

  // Opens: Ivan twice in his mail client, Maria's only through Google's image proxy.
  auto r = fetch(pi.images[0]);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("Content-Type"), "image/gif");
  EXPECT_EQ(r.body.size(), 43u);
  EXPECT_NE(r.header("Cache-Control").find("no-store"), std::string::npos);
  EXPECT_EQ(fetch(pi.images[0]).status, 200);
  EXPECT_EQ(fetch(pm.images[0], kGoogleUa).status, 200);
  // Clicks: Ivan's sale link twice and his blog link, Maria's sale link once.
  r = fetch(pi.hrefs[0]);
  EXPECT_EQ(r.status, 302);
  EXPECT_EQ(r.location(), "https://shop.example/sale?a=1&b=2");
  EXPECT_EQ(fetch(pi.hrefs[0]).location(), "https://shop.example/sale?a=1&b=2");
  EXPECT_EQ(fetch(pi.hrefs[1]).location(), "https://blog.example/post");
  EXPECT_EQ(fetch(pm.hrefs[0]).location(), "https://shop.example/sale?a=1&b=2");
  // A redirect never takes its target from the request.
  EXPECT_EQ(fetch(pi.hrefs[1] + "?url=https://evil.example/").location(),
            "https://blog.example/post");

  auto s = stats(id);
  EXPECT_EQ(s->getValue<int>("delivered"), 2);
  EXPECT_EQ(s->getValue<int>("opened"), 1);
  EXPECT_EQ(s->getValue<int>("opened_machine"), 1);
  EXPECT_EQ(s->getValue<int>("opens"), 2);
  EXPECT_EQ(s->getValue<int>("clicked"), 2);
  EXPECT_EQ(s->getValue<int>("clicks"), 5);
  EXPECT_DOUBLE_EQ(s->getValue<double>("open_rate"), 0.5);
  auto links = s->getArray("links");
  ASSERT_EQ(links->size(), 2u);
  EXPECT_EQ(links->getObject(0)->getValue<std::string>("url"), "https://shop.example/sale?a=1&b=2");
  EXPECT_EQ(links->getObject(0)->getValue<int>("unique"), 2);
  EXPECT_EQ(links->getObject(0)->getValue<int>("total"), 3);
  EXPECT_EQ(links->getObject(1)->getValue<std::string>("url"), "https://blog.example/post");
  EXPECT_EQ(links->getObject(1)->getValue<int>("unique"), 1);
  EXPECT_EQ(links->getObject(1)->getValue<int>("total"), 2);

  // Forged tokens, a click token at the pixel, altered ids: 404 and nothing counted.
  std::string forged(56, 'A');
  for (const auto& url :
       {base + "/t/o/" + forged, base + "/t/c/" + forged, alteredId(pi.images[0]),
        alteredId(pi.hrefs[0]), base + "/t/o/" + pi.hrefs[0].substr(pi.hrefs[0].rfind('/') + 1),
        base + "/t/c/x", base + "/t/o/"})
    EXPECT_EQ(fetch(url).status, 404) << url;
  auto after = stats(id);
  for (const char* key :
       {"opened", "opened_machine", "opens", "machine_opens", "clicked", "clicks"})
    EXPECT_EQ(after->getValue<int>(key), s->getValue<int>(key)) << key;

  // The mailing page shows the figures and rates to its owner.
  HttpClient owner(base);
  login(owner, "owner@example.com");
  auto page = owner.get("/mailings/" + std::to_string(id)).body;
  EXPECT_NE(page.find("id=\"stat-opened\">1<"), std::string::npos);
  EXPECT_NE(page.find("id=\"stat-opened-rate\">50.0%<"), std::string::npos);
  EXPECT_NE(page.find("id=\"stat-opened-machine\">1<"), std::string::npos);
  EXPECT_NE(page.find("id=\"stat-clicked\">2<"), std::string::npos);
  EXPECT_NE(page.find("id=\"stat-clicked-rate\">100.0%<"), std::string::npos);
  EXPECT_NE(page.find("https://shop.example/sale?a=1&amp;b=2"), std::string::npos);
  EXPECT_NE(page.find("id=\"mailing-tracking\""), std::string::npos);

  // Someone else sees neither the figures nor the page.
  createUser(*server, "other@example.com");
  auto otherToken = tokenFor(*server, "other@example.com");
  EXPECT_EQ(api->getJson("/api/v1/mailings/" + std::to_string(id) + "/stats", otherToken).status,
            404);
  HttpClient other(base);
  login(other, "other@example.com");
  EXPECT_EQ(other.get("/mailings/" + std::to_string(id)).status, 404);
  EXPECT_EQ(other.get("/mailings/" + std::to_string(id) + "/panel").status, 404);

  // A deleted mailing's links and pixels answer 404 (its counts went with it).
  EXPECT_EQ(api->del("/api/v1/mailings/" + std::to_string(id), token).status, 204);
  EXPECT_EQ(fetch(pi.images[0]).status, 404);
  EXPECT_EQ(fetch(pi.hrefs[0]).status, 404);  // its URL was read (and kept) by earlier clicks
  EXPECT_EQ(fetch(pm.hrefs[1]).status, 404);
  EXPECT_TRUE(server->running());
}

TEST_F(Tracking, OffLeavesTheMessageAsWritten) {
  start();
  MW_SKIP_IF_UNAVAILABLE();
  auto ivan = client("ivan@example.com", "Ivan");
  auto id =
      mailing(message(), std::to_string(ivan), R"(,"track_opens":false,"track_clicks":false)");
  auto m = api->getJson("/api/v1/mailings/" + std::to_string(id), token).json();
  EXPECT_FALSE(m->getValue<bool>("track_opens"));
  EXPECT_FALSE(m->getValue<bool>("track_clicks"));
  auto got = mails(1);
  ASSERT_EQ(got.size(), 1u);
  auto p = parse(got.begin()->second.first);
  EXPECT_TRUE(p.images.empty());
  ASSERT_EQ(p.hrefs.size(), 6u);
  EXPECT_EQ(p.hrefs[0], "https://shop.example/sale?a=1&b=2");
  EXPECT_EQ(p.hrefs[1], "https://blog.example/post");
  EXPECT_NE(got.begin()->second.second.find("Sale: https://shop.example/sale?a=1&b=2\n"),
            std::string::npos);
  EXPECT_EQ(got.begin()->second.second.find("/t/"), std::string::npos);
  // A bad value is refused beside its field.
  auto r =
      api->patchJson("/api/v1/mailings/" + std::to_string(id), R"({"track_opens":"yes"})", token);
  EXPECT_EQ(r.status, 422);
  EXPECT_NE(r.body.find("track_opens"), std::string::npos);
  // Clicks alone (through the API), then opens alone (through the form).
  r = api->patchJson("/api/v1/mailings/" + std::to_string(id), R"({"track_clicks":true})", token);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_FALSE(r.json()->getValue<bool>("track_opens"));
  EXPECT_TRUE(r.json()->getValue<bool>("track_clicks"));
  HttpClient owner(server->baseUrl());
  login(owner, "owner@example.com");
  auto form = owner.get("/mailings/new").body;
  EXPECT_NE(form.find("id=\"track-opens\" checked"), std::string::npos);  // on for a new one
  EXPECT_NE(form.find("id=\"track-clicks\" checked"), std::string::npos);
  EXPECT_EQ(owner.get("/mailings/" + std::to_string(id) + "/edit")
                .body.find("id=\"track-opens\" checked"),
            std::string::npos);
  auto saved = owner.postForm("/mailings/" + std::to_string(id),
                              {{"name", "Tracked"},
                               {"message_id", m->getValue<std::string>("message_id")},
                               {"client_ids", std::to_string(ivan)},
                               {"periodicity", "once"},
                               {"track_opens", "1"}},
                              "/mailings/" + std::to_string(id) + "/edit");
  EXPECT_EQ(saved.status, 303) << saved.body;
  m = api->getJson("/api/v1/mailings/" + std::to_string(id), token).json();
  EXPECT_TRUE(m->getValue<bool>("track_opens"));
  EXPECT_FALSE(m->getValue<bool>("track_clicks"));
  auto page = owner.get("/mailings/" + std::to_string(id)).body;
  auto shown = page.substr(page.find("id=\"mailing-tracking\""), 300);
  EXPECT_NE(shown.find("badge"), std::string::npos);
}

TEST_F(Tracking, AnOpenWithinSecondsOfTheSendIsAMachineOpen) {
  start({{"TRACKING_MACHINE_SECONDS", "3600"}});
  MW_SKIP_IF_UNAVAILABLE();
  auto ivan = client("ivan@example.com", "Ivan");
  auto id = mailing(message(), std::to_string(ivan));
  auto got = mails(1);
  ASSERT_EQ(got.size(), 1u);
  ASSERT_TRUE(waitDelivered(id, 1));
  auto p = parse(got.begin()->second.first);
  ASSERT_EQ(p.images.size(), 1u);
  EXPECT_EQ(fetch(p.images[0]).status, 200);  // a person's user agent, but at once
  auto s = stats(id);
  EXPECT_EQ(s->getValue<int>("opened"), 0);
  EXPECT_EQ(s->getValue<int>("opened_machine"), 1);
  EXPECT_EQ(s->getValue<int>("machine_opens"), 1);
}

}  // namespace
