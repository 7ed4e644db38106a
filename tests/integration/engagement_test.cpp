// Issue 13.5: /reports shows what became of the period's messages (opens, clicks, bounces,
// complaints, unsubscriptions) as numbers and rates, by day on a chart and in a CSV, after real
// sends to a real SMTP capture, opens and clicks through /t/o and /t/c, a bounce through a relay's
// webhook and a one-click unsubscription. Both databases.
#include <Poco/JSON/Object.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include "app.h"
#include "core/db.h"
#include "domain.h"
#include "harness.h"

using namespace mw::test;

namespace {

const Headers kEn{{"Accept-Language", "en"}};
const std::string kPersonUa = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Thunderbird/120.0";
const std::string kGoogleUa = "Mozilla/5.0 (via ggpht.com GoogleImageProxy)";
constexpr std::int64_t kDay = 86400;

std::string textOf(const std::string& html, const std::string& id) {
  auto at = html.find("id=\"" + id + "\"");
  if (at == std::string::npos) return "";
  auto start = html.find('>', at) + 1;
  return html.substr(start, html.find('<', start) - start);
}

std::string base64(const std::string& s) {
  static const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < s.size(); i += 3) {
    unsigned n = static_cast<unsigned char>(s[i]) << 16;
    if (i + 1 < s.size()) n |= static_cast<unsigned char>(s[i + 1]) << 8;
    if (i + 2 < s.size()) n |= static_cast<unsigned char>(s[i + 2]);
    out += a[n >> 18 & 63];
    out += a[n >> 12 & 63];
    out += i + 1 < s.size() ? a[n >> 6 & 63] : '=';
    out += i + 2 < s.size() ? a[n & 63] : '=';
  }
  return out;
}

// The URLs of a message's <a href> and <img src>, in order.
std::vector<std::string> urls(const std::string& html, const std::string& attr) {
  std::vector<std::string> out;
  std::regex re(attr + "=\"([^\"]+)\"");
  for (std::sregex_iterator it(html.begin(), html.end(), re), end; it != end; ++it)
    out.push_back((*it)[1]);
  return out;
}

class Engagement : public ::testing::Test {
 protected:
  void SetUp() override {
    server = std::make_unique<MailwrightServer>(
        ServerOptions{.smtp = &smtp,
                      .env = {{"TRACKING_MACHINE_SECONDS", "0"},
                              {"POSTMARK_WEBHOOK_USER", "pm"},
                              {"POSTMARK_WEBHOOK_PASSWORD", "pm-secret"}}});
    MW_SKIP_IF_UNAVAILABLE();
    createUser(*server, "anna@example.com");
    createUser(*server, "boris@example.com");
    anna = tokenFor(*server, "anna@example.com");
    boris = tokenFor(*server, "boris@example.com");
    api = std::make_unique<HttpClient>(server->baseUrl());
    web = std::make_unique<HttpClient>(server->baseUrl());
    web->setCookie("tz", "UTC");
    ASSERT_EQ(login(*web, "anna@example.com").status, 303);
  }
  std::int64_t post(const std::string& path, const std::string& json, const std::string& token) {
    auto r = api->postJson(path, json, token);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json()->getValue<std::int64_t>("id");
  }
  // Anna's tracked mailing to these addresses, sent now; each recipient's captured message, and
  // (when waitDelivered) the mailing's stats showing them all delivered.
  std::int64_t send(const std::vector<std::string>& to, bool waitDelivered = true) {
    std::string ids;
    for (const auto& e : to)
      ids += (ids.empty() ? "" : ",") + std::to_string(clients[e] = apiClient(*api, anna, e));
    Poco::JSON::Object m;
    m.set("subject", "News");
    m.set("body_text", "Sale: https://shop.example/sale\nUnsubscribe: {{unsubscribe_url}}\n");
    m.set("body_html",
          "<html><body><a href=\"https://shop.example/sale\">Sale</a> "
          "<a href=\"https://blog.example/post\">Blog</a> "
          "<a href=\"{{unsubscribe_url}}\">Unsubscribe</a></body></html>");
    std::ostringstream s;
    m.stringify(s);
    auto msg = post("/api/v1/messages", s.str(), anna);
    auto before = smtp.messages().size();
    auto id = post("/api/v1/mailings",
                   R"({"name":"Tracked","message_id":)" + std::to_string(msg) +
                       R"(,"client_ids":[)" + ids + "]}",
                   anna);
    auto mails = smtp.waitForMessages(before + to.size(), 20);
    for (std::size_t i = before; i < mails.size(); ++i) {
      auto html = mails[i].decoded()->optValue<std::string>("html", "");
      auto rcpt = mails[i].rcptTos.at(0);
      links[rcpt] = urls(html, "href");
      pixel[rcpt] = urls(html, "src").at(0);
      pmToken[rcpt] = mails[i].header("X-PM-Metadata-mw-token");
    }
    for (int i = 0; waitDelivered && i < 100; ++i) {
      auto st = api->getJson("/api/v1/mailings/" + std::to_string(id) + "/stats", anna).json();
      if (st->getValue<int>("delivered") == static_cast<int>(to.size())) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return id;
  }
  Response visit(const std::string& url, const std::string& ua = kPersonUa) {
    HttpClient visitor(server->baseUrl());
    return visitor.get(pathOf(url), {{"User-Agent", ua}});
  }
  Response hardBounce(const std::string& rcpt, int eventId) {
    Poco::JSON::Object o, meta;
    o.set("RecordType", "Bounce");
    o.set("ID", eventId);
    o.set("Type", "HardBounce");
    meta.set("mw-token", pmToken[rcpt]);
    o.set("Metadata", meta);
    o.set("Email", rcpt);
    std::time_t t = std::time(nullptr);
    char at[32];
    std::strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
    o.set("BouncedAt", std::string(at));
    o.set("Details", "smtp;550 5.1.1 The email account that you tried to reach does not exist.");
    std::ostringstream s;
    o.stringify(s);
    return api->request("POST", "/webhooks/postmark", s.str(), "application/json",
                        {{"Authorization", "Basic " + base64("pm:pm-secret")}});
  }
  // The four recipients' fates: a opens and clicks, b's only open is a proxy's, c bounces, d
  // unsubscribes.
  std::int64_t story() {
    auto id = send({"a@example.com", "b@example.com", "c@example.com", "d@example.com"});
    EXPECT_EQ(visit(pixel["a@example.com"]).status, 200);
    EXPECT_EQ(visit(links["a@example.com"].at(0)).status, 302);
    EXPECT_EQ(visit(links["a@example.com"].at(0)).status, 302);
    EXPECT_EQ(visit(links["a@example.com"].at(1)).status, 302);
    EXPECT_EQ(visit(pixel["b@example.com"], kGoogleUa).status, 200);
    auto r = hardBounce("c@example.com", 1);
    EXPECT_EQ(r.status, 200) << r.body;
    HttpClient mua(server->baseUrl());
    auto u = mua.request("POST", pathOf(links["d@example.com"].at(2)), "List-Unsubscribe=One-Click",
                         "application/x-www-form-urlencoded", {});
    EXPECT_EQ(u.status, 200) << u.body;
    return id;
  }
  // Sends a recipient's message back in time, and counts the reports again from the rows as
  // migration 0020 does for a database that had them before the counters: this also checks
  // that its statement counts what the events counted.
  void moveBack(const std::string& email, std::int64_t seconds) {
    mw::db::Database db(server->databaseUrl(), 1);
    auto c = db.conn();
    auto counts = [&] {
      std::string out;
      for (const auto& r : c.query("SELECT * FROM engagement_counts ORDER BY mailing_id, bucket"))
        for (const char* k :
             {"mailing_id", "bucket", "owner_id", "sent", "delivered", "opened", "opened_machine",
              "clicked", "bounced_hard", "bounced_soft", "complained", "unsubscribed"})
          out += std::to_string(r[k].i()) + " ";
      return out;
    };
    std::ifstream file(sourceDir() + "/migrations/0020_engagement_counts.sql");
    std::string sql((std::istreambuf_iterator<char>(file)), {});
    auto start = sql.find("INSERT INTO engagement_counts");
    ASSERT_NE(start, std::string::npos);
    sql = sql.substr(start, sql.find(';', start) - start);
    auto counted = counts();
    c.exec("DELETE FROM engagement_counts");
    c.exec(sql);
    EXPECT_EQ(counts(), counted);
    c.exec("UPDATE attempts SET at = at - $1 WHERE email = $2", {seconds, email});
    c.exec("UPDATE deliveries SET done_at = done_at - $1 WHERE email = $2", {seconds, email});
    c.exec("DELETE FROM engagement_counts");
    c.exec(sql);
  }
  SmtpCapture smtp;
  std::unique_ptr<MailwrightServer> server;
  std::unique_ptr<HttpClient> api, web;
  std::string anna, boris;
  std::map<std::string, std::int64_t> clients;
  std::map<std::string, std::vector<std::string>> links;
  std::map<std::string, std::string> pixel, pmToken;
};

}  // namespace

TEST_F(Engagement, ReportsShowOpensClicksBouncesAndUnsubscriptionsOfThePeriod) {
  story();
  auto r = api->getJson("/api/v1/reports", anna);
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = r.json();
  EXPECT_EQ(j->getValue<int>("sent"), 4) << r.body;
  EXPECT_EQ(j->getValue<int>("delivered"), 4);
  EXPECT_EQ(j->getValue<int>("opened"), 1);
  EXPECT_EQ(j->getValue<int>("opened_machine"), 1);
  EXPECT_EQ(j->getValue<int>("clicked"), 1);
  EXPECT_EQ(j->getValue<int>("bounced_hard"), 1);
  EXPECT_EQ(j->getValue<int>("bounced_soft"), 0);
  EXPECT_EQ(j->getValue<int>("complained"), 0);
  EXPECT_EQ(j->getValue<int>("unsubscribed"), 1);
  // Nobody else's messages count.
  EXPECT_EQ(api->getJson("/api/v1/reports", boris).json()->getValue<int>("sent"), 0);

  auto html = web->get("/reports", kEn).body;
  EXPECT_EQ(textOf(html, "stat-sent"), "4") << html;
  EXPECT_EQ(textOf(html, "stat-opened"), "1");
  EXPECT_EQ(textOf(html, "rate-opened"), "25.0%");
  EXPECT_EQ(textOf(html, "stat-opened-machine"), "1");
  EXPECT_EQ(textOf(html, "stat-clicked"), "1");
  EXPECT_EQ(textOf(html, "rate-clicked"), "25.0%");
  EXPECT_EQ(textOf(html, "stat-bounced-hard"), "1");
  EXPECT_EQ(textOf(html, "rate-bounced-hard"), "25.0%");
  EXPECT_EQ(textOf(html, "stat-unsubscribed"), "1");
  EXPECT_EQ(textOf(html, "rate-delivered"), "100.0%");
  auto ru = web->get("/reports", {{"Accept-Language", "ru"}}).body;
  EXPECT_EQ(textOf(ru, "rate-opened"), "25,0\xC2\xA0%");
  EXPECT_NE(ru.find("Открытия, клики и возвраты"), std::string::npos);
  // The chart: a point per day of the 30, five lines.
  auto at = html.find("id=\"engagement-chart\"");
  ASSERT_NE(at, std::string::npos);
  auto chart = html.substr(html.rfind("data-chart=\"", at), at - html.rfind("data-chart=\"", at));
  EXPECT_NE(chart.find("&quot;datasets&quot;"), std::string::npos) << chart;
  EXPECT_NE(chart.find("[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,4]"),
            std::string::npos)
      << chart;  // sent, today last

  // The CSV: a row per day and the total.
  auto csv = web->get("/reports/summary.csv?sep=comma", kEn);
  ASSERT_EQ(csv.status, 200);
  EXPECT_EQ(csv.body.rfind("\xEF\xBB\xBF"
                           "date,sent,delivered,opened,opened_machine,clicked,bounced_hard,"
                           "bounced_soft,complained,unsubscribed\r\n",
                           0),
            0u)
      << csv.body;
  EXPECT_EQ(std::count(csv.body.begin(), csv.body.end(), '\n'), 32);
  EXPECT_NE(csv.body.find("\r\ntotal,4,4,1,1,1,1,0,0,1\r\n"), std::string::npos) << csv.body;
  EXPECT_NE(web->get("/reports/summary.csv", {{"Accept-Language", "ru"}})
                .body.find("total;4;4;1;1;1;1;0;0;1"),
            std::string::npos);
  EXPECT_EQ(web->get("/reports/summary.csv?from=2026-13-01&to=2026-12-01", kEn).status, 400);

  // The date range: a's message sent 40 days ago leaves the default 30 days with its open and
  // click, and comes back in a range reaching it.
  moveBack("a@example.com", 40 * kDay);
  j = api->getJson("/api/v1/reports", anna).json();
  EXPECT_EQ(j->getValue<int>("sent"), 3);
  EXPECT_EQ(j->getValue<int>("opened"), 0);
  EXPECT_EQ(j->getValue<int>("clicked"), 0);
  EXPECT_EQ(j->getValue<int>("bounced_hard"), 1);
  // A day of the owner's calendar (Europe/Moscow by default, UTC+3 all year): from 21:00 UTC
  // their today is tomorrow in UTC.
  auto day = [](std::int64_t ago) {
    std::time_t t = std::time(nullptr) + 3 * 3600 - ago;
    char b[16];
    std::strftime(b, sizeof b, "%Y-%m-%d", std::gmtime(&t));
    return std::string(b);
  };
  j = api->getJson("/api/v1/reports?from=" + day(45 * kDay) + "&to=" + day(0), anna).json();
  EXPECT_EQ(j->getValue<int>("sent"), 4);
  EXPECT_EQ(j->getValue<int>("clicked"), 1);
}

TEST_F(Engagement, EachRecipientsTimelineInOrderAPageAtATimeOwnerOnly) {
  auto id = std::to_string(story());
  const std::string path = "/api/v1/mailings/" + id + "/recipients";
  auto types = [](const Poco::JSON::Object::Ptr& item) {
    std::string out;
    auto events = item->getArray("events");
    for (std::size_t i = 0; i < events->size(); ++i)
      out += (i ? "," : "") +
             events->getObject(static_cast<unsigned>(i))->getValue<std::string>("type");
    return out;
  };
  auto r = api->getJson(path + "?q=A@EXAMPLE", anna);  // any case
  ASSERT_EQ(r.status, 200) << r.body;
  auto items = r.json()->getArray("items");
  ASSERT_EQ(items->size(), 1u) << r.body;
  auto a = items->getObject(0);
  EXPECT_EQ(a->getValue<std::string>("email"), "a@example.com");
  EXPECT_EQ(types(a), "sent,opened,clicked,clicked") << r.body;
  std::string clicked;
  for (unsigned i = 2; i < 4; ++i) {
    auto e = a->getArray("events")->getObject(i);
    clicked +=
        e->getValue<std::string>("url") + "×" + std::to_string(e->optValue<int>("count", 0)) + " ";
  }
  EXPECT_NE(clicked.find("https://shop.example/sale×2"), std::string::npos) << clicked;
  EXPECT_NE(clicked.find("https://blog.example/post×1"), std::string::npos) << clicked;

  // Everyone, by keyset: three, then the last one.
  r = api->getJson(path + "?limit=3", anna);
  auto first = r.json();
  ASSERT_EQ(first->getArray("items")->size(), 3u) << r.body;
  auto cursor = first->getValue<std::string>("next_cursor");
  std::map<std::string, std::string> byEmail;
  for (unsigned i = 0; i < 3; ++i)
    byEmail[first->getArray("items")->getObject(i)->getValue<std::string>("email")] =
        types(first->getArray("items")->getObject(i));
  r = api->getJson(path + "?limit=3&cursor=" + cursor, anna);
  auto second = r.json();
  ASSERT_EQ(second->getArray("items")->size(), 1u) << r.body;
  EXPECT_TRUE(second->isNull("next_cursor")) << r.body;
  auto last = second->getArray("items")->getObject(0);
  byEmail[last->getValue<std::string>("email")] = types(last);
  EXPECT_EQ(byEmail["b@example.com"], "sent,opened_machine");
  EXPECT_EQ(byEmail["c@example.com"], "sent,hard");
  EXPECT_EQ(byEmail["d@example.com"], "sent,unsubscribed");
  auto c = api->getJson(path + "?q=c@", anna).json()->getArray("items")->getObject(0);
  auto bounce = c->getArray("events")->getObject(1)->getValue<std::string>("text");
  EXPECT_NE(bounce.find("5.1.1"), std::string::npos) << bounce;
  EXPECT_NE(bounce.find("does not exist"), std::string::npos) << bounce;
  EXPECT_EQ(api->getJson(path + "?q=nobody", anna).json()->getArray("items")->size(), 0u);
  EXPECT_EQ(api->getJson(path + "?cursor=x&limit=y", anna).status, 200);

  // The page: the events in order, the bounce's text, Russian labels; linked from the mailing.
  auto html = web->get("/mailings/" + id + "/recipients?q=a%40example", kEn).body;
  auto sent = html.find(">sent<"), opened = html.find(">opened<"), click = html.find(">clicked<");
  ASSERT_NE(sent, std::string::npos) << html;
  EXPECT_LT(sent, opened);
  EXPECT_LT(opened, click);
  EXPECT_NE(html.find("https://shop.example/sale"), std::string::npos);
  EXPECT_EQ(html.find("b@example.com"), std::string::npos);
  auto ru = web->get("/mailings/" + id + "/recipients?q=c@", {{"Accept-Language", "ru"}}).body;
  EXPECT_NE(ru.find("жёсткий возврат"), std::string::npos) << ru;
  EXPECT_NE(ru.find("does not exist"), std::string::npos);
  auto paged = web->get("/mailings/" + id + "/recipients", kEn).body;
  EXPECT_NE(paged.find("id=\"delivery-"), std::string::npos);
  EXPECT_EQ(paged.find("id=\"recipients-next\""), std::string::npos);  // 4 fit on one page
  EXPECT_NE(web->get("/mailings/" + id, kEn).body.find("/mailings/" + id + "/recipients"),
            std::string::npos);

  // Someone else's mailing: 404 on the page and the API, for both of them.
  auto theirs = std::to_string(apiMailing(*api, boris, apiMessage(*api, boris, "B"),
                                          {apiClient(*api, boris, "z@example.com")}, "Boris"));
  EXPECT_EQ(web->get("/mailings/" + theirs + "/recipients", kEn).status, 404);
  EXPECT_EQ(api->getJson("/api/v1/mailings/" + theirs + "/recipients", anna).status, 404);
  EXPECT_EQ(api->getJson(path, boris).status, 404);
  EXPECT_EQ(api->getJson(path).status, 401);
}

// The reports' counters follow each delivery's state: a proxy's open first counts apart, the
// person's open after it moves the delivery to "opened"; repeated opens, clicks, bounces and a
// second unsubscription add nothing; and what they hold is what counting the rows again gives.
TEST_F(Engagement, CountersFollowEachDeliveryOnce) {
  story();
  auto report = [&] {
    auto j = api->getJson("/api/v1/reports", anna).json();
    std::string out;
    for (const char* k : {"sent", "delivered", "opened", "opened_machine", "clicked",
                          "bounced_hard", "bounced_soft", "complained", "unsubscribed"})
      out += std::to_string(j->getValue<int>(k)) + " ";
    return out;
  };
  EXPECT_EQ(report(), "4 4 1 1 1 1 0 0 1 ");
  EXPECT_EQ(visit(pixel["b@example.com"]).status, 200);  // the person, after the proxy
  EXPECT_EQ(report(), "4 4 2 0 1 1 0 0 1 ");
  EXPECT_EQ(visit(pixel["b@example.com"]).status, 200);
  EXPECT_EQ(visit(pixel["b@example.com"], kGoogleUa).status, 200);
  EXPECT_EQ(visit(pixel["a@example.com"]).status, 200);
  EXPECT_EQ(visit(links["a@example.com"].at(1)).status, 302);
  EXPECT_EQ(visit(links["b@example.com"].at(0)).status, 302);
  EXPECT_EQ(hardBounce("c@example.com", 2).status, 200);
  HttpClient mua(server->baseUrl());
  EXPECT_EQ(mua.request("POST", pathOf(links["d@example.com"].at(2)), "List-Unsubscribe=One-Click",
                        "application/x-www-form-urlencoded", {})
                .status,
            200);
  EXPECT_EQ(report(), "4 4 2 0 2 1 0 0 1 ");
  // Another owner's report stays empty.
  EXPECT_EQ(api->getJson("/api/v1/reports", boris).json()->getValue<int>("opened"), 0);
  moveBack("nobody@example.com", 0);  // checks the counters against counting the rows again
}

// A recipient can open the message and follow its unsubscribe link between the relay taking it
// and the sender recording that: both count once the delivery settles. The capture holds the
// relay's 250 back 3 s for a late...@ address (scripts/smtp_server.py).
TEST_F(Engagement, EventsBeforeTheOutcomeIsRecordedCountWhenItIs) {
  auto id = send({"late-e@example.com"}, false);
  auto stats = [&] {
    return api->getJson("/api/v1/mailings/" + std::to_string(id) + "/stats", anna).json();
  };
  ASSERT_EQ(stats()->getValue<int>("delivered"), 0);  // the 250 has not come yet
  EXPECT_EQ(visit(pixel["late-e@example.com"]).status, 200);
  HttpClient mua(server->baseUrl());
  auto u = mua.request("POST", pathOf(links["late-e@example.com"].at(2)),
                       "List-Unsubscribe=One-Click", "application/x-www-form-urlencoded", {});
  EXPECT_EQ(u.status, 200) << u.body;
  ASSERT_EQ(stats()->getValue<int>("delivered"), 0);  // both came before the outcome
  for (int i = 0; i < 100 && stats()->getValue<int>("delivered") == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto r = api->getJson("/api/v1/reports", anna);
  auto j = r.json();
  EXPECT_EQ(j->getValue<int>("delivered"), 1) << r.body;
  EXPECT_EQ(j->getValue<int>("opened"), 1) << r.body;
  EXPECT_EQ(j->getValue<int>("unsubscribed"), 1) << r.body;
  EXPECT_EQ(stats()->getValue<int>("unsubscribed"), 1);
}
