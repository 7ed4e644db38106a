// Issue 12.4: a mailing to a group of a million, end to end.
//
// Starts Postfix's smtp-sink and `mailwright serve --no-scheduler --no-delivery` (the web alone),
// imports MW_SCALE_CLIENTS clients (default 1,000,000) into a group through
// /api/v1/clients/import in files of 100,000 rows, creates a one-off mailing to that group through
// the API, and sends it with `mailwright send` as its own process (SEND_CONCURRENCY=4): it fills
// the run, sends every message and exits. Meanwhile GET /api/v1/mailings/{id}/stats is polled
// every second and the sender's VmHWM is read from /proc. Printed: import time, time to create the
// mailing, time until the run is filled (its total appears in /stats), messages/s over the whole
// send, peak RSS of the sender, p99 of the stats poll, and the client list (first page, search,
// group filter) at that size; smtp-source's msg/s for 20,000 messages over 4 sessions is the
// reference measured in the same run.
// Goals: create < 1 s, run filled < 10 s, RSS <= 50 MB, stats p99 < 50 ms, list < 100 ms,
// throughput no less than bench/delivery's.
//
// MW_SCALE_DB=postgresql uses MW_TEST_PG_URL (make bench starts one); say MW_SCALE_CLIENTS=200000.
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <stdexcept>
#include <thread>

#include "app.h"
#include "bench_util.h"
#include "database.h"
#include "http_client.h"
#include "mailwright_server.h"
#include "process.h"

using namespace mw::test;
using mw::bench::median;
using mw::bench::seconds;

namespace {

constexpr int kImportChunk = 100'000;

// Imports n clients into the group, kImportChunk rows per request; returns seconds.
double importClients(HttpClient& http, const Headers& auth, int n, std::int64_t group) {
  double t0 = seconds();
  char row[96];
  for (int start = 0; start < n; start += kImportChunk) {
    std::string csv = "email,full_name\r\n";
    for (int i = start; i < std::min(n, start + kImportChunk); ++i) {
      std::snprintf(row, sizeof row, "client%07d@example.ru,Клиент %d\r\n", i, i);
      csv += row;
    }
    auto r = http.postMultipart("/api/v1/clients/import", {{"group_id", std::to_string(group)}},
                                {{"file", "clients.csv", "text/csv", csv}}, auth);
    if (r.status != 200) throw std::runtime_error("import: " + r.body.substr(0, 300));
  }
  return seconds() - t0;
}

// Median milliseconds of five GETs of path.
double timeGet(HttpClient& http, const std::string& path, const Headers& auth) {
  std::vector<double> ms;
  for (int i = 0; i < 5; ++i) {
    double t0 = seconds();
    auto r = http.get(path, auth);
    if (r.status != 200) throw std::runtime_error(path + ": " + std::to_string(r.status));
    ms.push_back((seconds() - t0) * 1000);
  }
  return median(ms);
}

double smtpSourceRate(int port, int messages) {
  double t0 = seconds();
  auto r = runProcess({"/usr/sbin/smtp-source", "-d", "-s", "4", "-m", std::to_string(messages),
                       "-l", "2500", "127.0.0.1:" + std::to_string(port)},
                      {}, "", 600);
  if (r.exitCode != 0) throw std::runtime_error("smtp-source failed: " + r.err + r.out);
  return messages / (seconds() - t0);
}

const char* verdict(bool met) {
  return met ? "met" : "NOT met";
}

}  // namespace

int main() {
  try {
    int n = std::atoi(envOr("MW_SCALE_CLIENTS", "1000000").c_str());
    std::string dbKind = envOr("MW_SCALE_DB", "sqlite");
    TempDir tmp;
    int sinkPort = freePort();
    std::vector<std::string> sinkArgs = {"/usr/sbin/smtp-sink"};
    if (geteuid() == 0) sinkArgs.insert(sinkArgs.end(), {"-u", "nobody"});
    sinkArgs.insert(sinkArgs.end(), {"-c", "127.0.0.1:" + std::to_string(sinkPort), "1000"});
    ChildProcess sink(sinkArgs, {}, tmp.file("sink.log"));
    waitForPort(sinkPort, "smtp-sink");

    ServerOptions opts;
    if (dbKind == "postgresql") {
      if (envOr("MW_TEST_PG_URL").empty()) throw std::runtime_error("MW_TEST_PG_URL is not set");
      setenv("MW_TEST_DB", "postgresql", 1);
    } else {
      opts.databaseUrl = "sqlite://" + tmp.file("scale.db");
    }
    opts.serveArgs = {"--no-scheduler", "--no-delivery"};
    opts.env = {{"EMAIL_HOST", "127.0.0.1"}, {"EMAIL_PORT", std::to_string(sinkPort)},
                {"SEND_CONCURRENCY", "4"},   {"SEND_RATE", "0"},
                {"LOG_LEVEL", "warn"},       {"DEFAULT_FROM_EMAIL", "mailwright@localhost"}};
    MailwrightServer server(opts);
    if (!server.running()) throw std::runtime_error("the server did not start");
    createUser(server, "scale@example.com");
    std::string token = tokenFor(server, "scale@example.com");
    HttpClient http(server.baseUrl());
    http.setTimeoutSeconds(900);
    Headers auth = {{"Authorization", "Bearer " + token}};

    auto r = http.postJson("/api/v1/groups", R"({"name":"Все покупатели"})", token);
    if (r.status != 201) throw std::runtime_error("group: " + r.body);
    auto group = r.json()->getValue<std::int64_t>("id");
    double importS = importClients(http, auth, n, group);
    r = http.postJson("/api/v1/messages",
                      R"({"subject":"Привет, {{name}}!","body_text":"Здравствуйте, {{name}}!\n)"
                      R"(Новости магазина.\nОтписаться: {{unsubscribe_url}}\n"})",
                      token);
    if (r.status != 201) throw std::runtime_error("message: " + r.body);
    auto message = r.json()->getValue<std::int64_t>("id");
    double t0 = seconds();
    r = http.postJson("/api/v1/mailings",
                      R"({"name":"Миллион","message_id":)" + std::to_string(message) +
                          R"(,"group_ids":[)" + std::to_string(group) +
                          R"(],"start_at":"2035-01-01T00:00:00Z"})",
                      token);
    double createS = seconds() - t0;
    if (r.status != 201) throw std::runtime_error("mailing: " + r.body.substr(0, 300));
    auto mailing = r.json()->getValue<std::int64_t>("id");

    // The send, polled once a second.
    Env env = server.env();
    env["SEND_CONCURRENCY"] = "4";
    std::atomic<bool> done{false};
    std::vector<double> pollMs;
    double filledS = -1;
    double sendStart = seconds();
    ChildProcess sender({mailwrightBinary(), "send", std::to_string(mailing)}, env,
                        tmp.file("send.log"));
    std::thread poller([&] {
      HttpClient poll(server.baseUrl());
      auto path = "/api/v1/mailings/" + std::to_string(mailing) + "/stats";
      while (!done) {
        double p0 = seconds();
        auto s = poll.get(path, auth);
        pollMs.push_back((seconds() - p0) * 1000);
        if (filledS < 0 && s.status == 200) {
          auto run = s.json()->getObject("last_run");
          if (run && run->getValue<std::int64_t>("total") == n) filledS = seconds() - sendStart;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1000));
      }
    });
    long hwmKb = 0;
    while (sender.running()) {
      hwmKb = std::max(hwmKb, mw::bench::vmHwmKb(sender.pid()));
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    double sendS = seconds() - sendStart;
    done = true;
    poller.join();
    if (sender.exitCode() != 0)
      throw std::runtime_error("mailwright send failed:\n" + tail(sender.log()));
    double rate = n / sendS;
    double ref = smtpSourceRate(sinkPort, 20000);

    double firstPage = timeGet(http, "/api/v1/clients", auth);
    double search = timeGet(http, "/api/v1/clients?q=client0765432", auth);
    double inGroup = timeGet(http, "/api/v1/clients?group_id=" + std::to_string(group), auth);
    // The page a user sees counts up to 10,000 (the API's total stays exact).
    HttpClient web(server.baseUrl());
    web.setTimeoutSeconds(900);
    if (login(web, "scale@example.com").status != 303) throw std::runtime_error("login failed");
    double pageFirst = timeGet(web, "/clients", {});
    double pageGroup = timeGet(web, "/clients?group_id=" + std::to_string(group), {});
    double pageSearch = timeGet(web, "/clients?q=client0765432", {});
    double p99 = percentile(pollMs, 0.99);
    std::printf(
        "scale[%s, %d clients]: import %.1f s (%.0f rows/s) | create mailing %.0f ms (goal < 1 s: "
        "%s) | run filled after %.1f s (goal < 10 s: %s) | send %.1f s = %.0f msg/s, smtp-source "
        "-s 4 %.0f msg/s, ratio %.2f | sender peak RSS %.1f MB (goal <= 50 MB: %s) | stats p99 "
        "%.1f ms over %zu polls (goal < 50 ms: %s) | clients list %.1f ms, search %.1f ms, group "
        "%.1f ms (API, goal < 100 ms: %s) | page /clients %.1f ms, group %.1f ms, search %.1f ms\n",
        dbKind.c_str(), n, importS, n / importS, createS * 1000, verdict(createS < 1), filledS,
        verdict(filledS >= 0 && filledS < 10), sendS, rate, ref, rate / ref, hwmKb / 1024.0,
        verdict(hwmKb <= 50 * 1024), p99, pollMs.size(), verdict(p99 < 50), firstPage, search,
        inGroup, verdict(std::max({firstPage, search, inGroup}) < 100), pageFirst, pageGroup,
        pageSearch);
    std::printf("  %s\n", tail(sender.log(), 2).c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_scale: %s\n", e.what());
    return 1;
  }
  return 0;
}
