// Reports over a date range: presets and custom days, the per-mailing table and its order, the
// attempt log's filters and exports, in the reader's language. Real SMTP, both databases.
#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <regex>
#include <thread>

#include "app.h"
#include "core/db.h"
#include "domain.h"
#include "harness.h"

using namespace mw::test;

namespace {

const Headers kRu{{"Accept-Language", "ru-RU,ru;q=0.9"}};
const Headers kEn{{"Accept-Language", "en"}};
constexpr std::int64_t kDay = 86400;

// A UTC day, `days` from today, as the date fields spell it.
// A day of the owner's calendar: reports count days in the owner's time zone (Europe/Moscow by
// default, UTC+3 all year), so from 21:00 UTC their today is tomorrow in UTC.
std::string dayFromToday(int days) {
  std::time_t t = std::time(nullptr) + 3 * 3600 + days * kDay;
  char b[16];
  std::strftime(b, sizeof b, "%Y-%m-%d", std::gmtime(&t));
  return b;
}

std::string isoAgo(int seconds) {
  std::time_t t = std::time(nullptr) - seconds;
  char b[32];
  std::strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return b;
}

// The text of the element with that id (up to its first '<').
std::string textOf(const std::string& html, const std::string& id) {
  auto at = html.find("id=\"" + id + "\"");
  if (at == std::string::npos) return "";
  auto start = html.find('>', at) + 1;
  return html.substr(start, html.find('<', start) - start);
}

std::string section(const std::string& html, const std::string& from, const std::string& to) {
  auto a = html.find(from);
  if (a == std::string::npos) return "";
  return html.substr(a, html.find(to, a) - a);
}

class Reports : public ::testing::Test {
 protected:
  void SetUp() override {
    smtp = std::make_unique<SmtpCapture>();
    server = std::make_unique<MailwrightServer>(ServerOptions{.smtp = smtp.get()});
    MW_SKIP_IF_UNAVAILABLE();
    createUser(*server, "anna@example.com");
    createUser(*server, "boris@example.com");
    anna = tokenFor(*server, "anna@example.com");
    boris = tokenFor(*server, "boris@example.com");
    api = std::make_unique<HttpClient>(server->baseUrl());
    web = std::make_unique<HttpClient>(server->baseUrl());
    web->setCookie("tz", "UTC");
    ASSERT_EQ(login(*web, "anna@example.com").status, 303);

    // Anna: Alpha to one good and one refused address, Beta to three good ones; Boris: one.
    auto ok1 = apiClient(*api, anna, "ok1@example.com");
    auto bad = apiClient(*api, anna, "permfail-1@example.com");
    auto ok2 = apiClient(*api, anna, "ok2@example.com");
    auto old = apiClient(*api, anna, "old@example.com");
    auto m = apiMessage(*api, anna, "Hi");
    alpha = apiMailing(*api, anna, m, {ok1, bad}, "Alpha", isoAgo(60));
    beta = apiMailing(*api, anna, m, {ok1, ok2, old}, "Beta", isoAgo(60));
    auto theirs = apiMailing(*api, boris, apiMessage(*api, boris, "B"),
                             {apiClient(*api, boris, "ok1@example.com")}, "Boris", isoAgo(60));
    borisMailing = std::to_string(theirs);
    ASSERT_TRUE(waitAttempts(alpha, 2) && waitAttempts(beta, 3) && waitAttempts(theirs, 1, boris))
        << server->logs();
    // One of Beta's attempts was 40 days ago: outside the default 30 days.
    mw::db::Database db(server->databaseUrl(), 1);
    auto c = db.conn();
    c.exec("UPDATE attempts SET at = at - $1 WHERE email = $2", {40 * kDay, "old@example.com"});
  }
  bool waitAttempts(std::int64_t id, int n, const std::string& token = "") {
    for (int i = 0; i < 150; ++i) {
      auto s = api->getJson("/api/v1/mailings/" + std::to_string(id) + "/stats",
                            token.empty() ? anna : token)
                   .json();
      if (s->getValue<int>("attempts") >= n) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return false;
  }
  Poco::JSON::Object::Ptr report(const std::string& query) {
    auto r = api->getJson("/api/v1/reports" + query, anna);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json();
  }
  std::string page(const std::string& path, const Headers& h = kEn, int status = 200) {
    auto r = web->get(path, h);
    EXPECT_EQ(r.status, status) << path << "\n" << r.body;
    return r.body;
  }
  std::unique_ptr<SmtpCapture> smtp;
  std::unique_ptr<MailwrightServer> server;
  std::unique_ptr<HttpClient> api, web;
  std::string anna, boris, borisMailing;
  std::int64_t alpha = 0, beta = 0;
};

}  // namespace

TEST_F(Reports, TheRangeDecidesTotalsTableAndChart) {
  // The last 30 days by default: Alpha's two and Beta's two recent ones; never Boris's.
  auto r = report("");
  EXPECT_EQ(r->getValue<int>("attempts"), 4);
  EXPECT_EQ(r->getValue<int>("success"), 3);
  EXPECT_EQ(r->getValue<int>("failure"), 1);
  EXPECT_EQ(r->getValue<std::string>("to"), dayFromToday(0));
  EXPECT_EQ(r->getValue<std::string>("from"), dayFromToday(-29));
  auto rows = r->getArray("mailings");
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ(report("?range=7d")->getValue<int>("attempts"), 4);
  // Custom days reach the old attempt; a range that ends before the old one does not.
  auto wide = report("?from=" + dayFromToday(-45) + "&to=" + dayFromToday(0));
  EXPECT_EQ(wide->getValue<int>("attempts"), 5);
  EXPECT_EQ(
      report("?from=" + dayFromToday(-45) + "&to=" + dayFromToday(-39))->getValue<int>("attempts"),
      1);
  EXPECT_EQ(
      report("?from=" + dayFromToday(-45) + "&to=" + dayFromToday(-41))->getValue<int>("attempts"),
      0);
  // Bad periods are refused with a reason.
  auto backwards =
      api->getJson("/api/v1/reports?from=" + dayFromToday(0) + "&to=" + dayFromToday(-3), anna);
  EXPECT_EQ(backwards.status, 400);
  EXPECT_TRUE(backwards.json()->has("error"));
  EXPECT_EQ(api->getJson("/api/v1/reports?from=2026-13-01&to=2026-12-01", anna).status, 400);
  auto both = api->getJson("/api/v1/reports?from=2026-02-30&to=tomorrow", anna);
  EXPECT_EQ(both.status, 400);
  EXPECT_EQ(both.json()->getValue<std::string>("error"), "Enter a date as YYYY-MM-DD.");
  EXPECT_EQ(api->getJson("/api/v1/reports?from=2020-01-01&to=2026-12-01", anna).status, 400);

  // The page: the same figures, the rate in the reader's notation, the chart a point per day.
  auto html = page("/reports");
  EXPECT_EQ(textOf(html, "stat-attempts"), "4");
  EXPECT_EQ(textOf(html, "stat-success"), "3");
  EXPECT_EQ(textOf(html, "stat-failure"), "1");
  EXPECT_EQ(textOf(html, "stat-rate"), "75.0%");
  EXPECT_EQ(textOf(page("/reports", kRu), "stat-rate"), "75,0\xC2\xA0%");
  auto chart = section(html, "data-chart=\"", "\"></canvas>");
  EXPECT_EQ(std::count(chart.begin(), chart.end(), '.') / 2, 30) << chart;  // dd.mm.yyyy labels
  auto custom = page("/reports?from=" + dayFromToday(-45) + "&to=" + dayFromToday(0));
  EXPECT_EQ(textOf(custom, "stat-attempts"), "5");
  EXPECT_TRUE(contains(custom, "value=\"" + dayFromToday(-45) + "\""));

  // A period ending before it starts: the form again, the reason beside the field.
  auto wrong = page("/reports?from=" + dayFromToday(0) + "&to=" + dayFromToday(-3), kRu, 422);
  EXPECT_EQ(fieldError(wrong, "id=\"period-to\""), "Конец периода раньше его начала.") << wrong;
  EXPECT_FALSE(contains(wrong, "id=\"stat-attempts\""));
  auto typo = page("/reports?range=custom&from=05.12.2026&to=" + dayFromToday(0), kEn, 422);
  EXPECT_EQ(fieldError(typo, "id=\"period-from\""), "Enter a date as YYYY-MM-DD.");
}

TEST_F(Reports, ThePerMailingTableSortsByAnyColumn) {
  auto order = [&](const std::string& query) {
    auto table = section(page("/reports" + query), "id=\"mailing-report\"", "</table>");
    auto a = table.find(">Alpha<"), b = table.find(">Beta<");
    EXPECT_NE(a, std::string::npos) << table;
    EXPECT_NE(b, std::string::npos) << table;
    return a < b ? std::string("Alpha,Beta") : std::string("Beta,Alpha");
  };
  EXPECT_EQ(order("?sort=name&dir=asc"), "Alpha,Beta");
  EXPECT_EQ(order("?sort=name&dir=desc"), "Beta,Alpha");
  EXPECT_EQ(order("?sort=rate&dir=desc"), "Beta,Alpha");  // 100 % before 50 %
  EXPECT_EQ(order("?sort=failure&dir=desc"), "Alpha,Beta");
  // Over 45 days Beta has three attempts to Alpha's two.
  EXPECT_EQ(order("?sort=attempts&dir=desc&from=" + dayFromToday(-45) + "&to=" + dayFromToday(0)),
            "Beta,Alpha");
  auto table = section(page("/reports?sort=rate&dir=desc"), "id=\"mailing-report\"", "</table>");
  EXPECT_TRUE(contains(table, "100.0%"));
  EXPECT_TRUE(contains(table, "50.0%"));
  EXPECT_TRUE(contains(table, "aria-sort=\"descending\""));
  auto rows = report("?sort=rate&dir=asc")->getArray("mailings");
  EXPECT_EQ(rows->getObject(0)->getValue<std::string>("name"), "Alpha");
  EXPECT_DOUBLE_EQ(rows->getObject(0)->getValue<double>("success_rate"), 0.5);
  // A made-up column falls back to the default order, never into the SQL.
  EXPECT_EQ(web->get("/reports?sort=id;DROP%20TABLE%20attempts&dir=x", kEn).status, 200);
}

TEST_F(Reports, TheLogFiltersShowsSecondsAndExportsWhatItShows) {
  auto failed = page("/reports?status=failure");
  EXPECT_TRUE(contains(failed, "permfail-1@example.com"));
  EXPECT_FALSE(contains(failed, "ok1@example.com"));
  EXPECT_EQ(textOf(failed, "log-count"), "1 attempt");
  auto byAddress = page("/reports?email=OK");
  EXPECT_EQ(textOf(byAddress, "log-count"), "3 attempts");  // ok1 twice, ok2; old is outside
  EXPECT_FALSE(contains(byAddress, "permfail-1@"));
  EXPECT_EQ(textOf(page("/reports?email=ok&status=success", kRu), "log-count"), "3 попытки");
  // A % in the address filter is a character, not a wildcard.
  EXPECT_EQ(textOf(page("/reports?email=%25"), "log-count"), "0 attempts");
  // Times to the second.
  EXPECT_TRUE(
      std::regex_search(failed, std::regex(R"(<time datetime="[^"]+">[^<]*\d\d:\d\d:\d\d)")))
      << failed;

  // The export follows the filter: the BOM, ',' in English, ';' in Russian, or as chosen.
  auto en = web->get("/reports/attempts.csv?email=ok1", kEn);
  ASSERT_EQ(en.status, 200);
  EXPECT_EQ(en.body.rfind("\xEF\xBB\xBFtime,mailing_id,mailing,email,", 0), 0u) << en.body;
  EXPECT_EQ(std::count(en.body.begin(), en.body.end(), '\n'), 3);  // header + ok1 twice
  EXPECT_FALSE(contains(en.body, "ok2@"));
  auto ru = web->get("/reports/attempts.csv?status=failure", kRu);
  EXPECT_EQ(ru.body.rfind("\xEF\xBB\xBFtime;mailing_id;mailing;email;", 0), 0u) << ru.body;
  EXPECT_TRUE(contains(ru.body, ";permfail-1@example.com;failure;550;"));
  EXPECT_EQ(std::count(ru.body.begin(), ru.body.end(), '\n'), 2);
  auto comma = web->get("/reports/attempts.csv?status=failure&sep=comma", kRu);
  EXPECT_EQ(comma.body.rfind("\xEF\xBB\xBFtime,", 0), 0u);
  auto page45 = web->get(
      "/reports/attempts.csv?from=" + dayFromToday(-45) + "&to=" + dayFromToday(0) + "&email=old",
      kEn);
  EXPECT_EQ(std::count(page45.body.begin(), page45.body.end(), '\n'), 2) << page45.body;
  // The export links on the page carry the filter.
  EXPECT_TRUE(contains(failed, "/reports/attempts.csv?range=30d&amp;status=failure")) << failed;
}

TEST_F(Reports, AMailingsLogFiltersByDateAndNobodyElsesIsShown) {
  auto path = "/mailings/" + std::to_string(beta) + "/attempts";
  // A mailing's log shows all of its time by default, the old attempt included.
  EXPECT_EQ(textOf(page(path), "log-count"), "3 attempts");
  EXPECT_EQ(textOf(page(path + "?range=7d"), "log-count"), "2 attempts");
  auto log = api->getJson(
      "/api/v1" + path + "?from=" + dayFromToday(-45) + "&to=" + dayFromToday(-30) + "&email=old",
      anna);
  ASSERT_EQ(log.status, 200) << log.body;
  EXPECT_EQ(log.json()->getValue<int>("total"), 1);
  auto alphaLog = "/mailings/" + std::to_string(alpha) + "/attempts";
  EXPECT_EQ(textOf(page(alphaLog + "?status=success"), "log-count"), "1 attempt");
  auto csv = web->get(alphaLog + ".csv?status=failure", kRu);
  EXPECT_TRUE(contains(csv.body, "permfail-1@example.com"));
  EXPECT_FALSE(contains(csv.body, "ok1@example.com"));
  // Boris's mailing is not Anna's: 404 everywhere, and his attempts never reach her report.
  auto theirs = "/mailings/" + borisMailing + "/attempts";
  EXPECT_EQ(web->get(theirs, kEn).status, 404);
  EXPECT_EQ(web->get(theirs + ".csv", kEn).status, 404);
  EXPECT_EQ(api->getJson("/api/v1" + theirs, anna).status, 404);
  EXPECT_FALSE(contains(page("/reports?email=ok1"), ">Boris<"));
  auto mine = api->getJson("/api/v1/reports", boris).json();
  EXPECT_EQ(mine->getValue<int>("attempts"), 1);
  EXPECT_EQ(api->getJson("/api/v1/reports").status, 401);
}
