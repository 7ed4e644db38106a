// Issue 4.7: delivery throughput through the whole path, against Postfix's smtp-source.
//
// Starts /usr/sbin/smtp-sink on a free loopback port and build/mailwright serve (SQLite,
// --no-scheduler) pointed at it; imports 20,000 clients through /api/v1/clients/import, creates a
// message with {{name}} (Cyrillic subject, text + HTML) and a one-off mailing for all of them
// through the API, and stops the server. Then, timed: `mailwright send MAILING_ID` with
// SEND_CONCURRENCY=4 as its own process (queue -> render -> MIME -> SMTP -> attempt log committed;
// process start and exit included), its peak RSS read from VmHWM in /proc/PID/status while it
// runs. In the same invocation and against the same sink, `smtp-source -d -s 4 -m 20000 -l SIZE`
// sends as many messages of the size of ours over 4 sessions. Runs alternate; medians are printed.
//
// Then the same through bench/delay_proxy.h adding a 10 ms round trip in front of the sink
// (a relay in the next city): a mailing of MW_BENCH_PROXY_MESSAGES (default 2000) recipients
// at 4 sessions against smtp-source with 4 sessions through the same proxy, and one of twice as
// many at 16 sessions (so that process start and the last round trips weigh as little).
// Targets (issue 14): loopback ratio >= 1.2, proxy ratio >= 3.0, 16 sessions >= 1,000 msg/s.
//
// MW_BENCH_MESSAGES (default 20000), MW_BENCH_REPEAT (default 3), SEND_CONCURRENCY (default 4).
#include <Poco/JSON/Array.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <stdexcept>
#include <thread>

#include "app.h"
#include "bench_util.h"
#include "core/mail/mime.h"
#include "delay_proxy.h"
#include "http_client.h"
#include "mailwright_server.h"
#include "messages/render.h"
#include "process.h"

using namespace mw::test;
using mw::bench::median;
using mw::bench::seconds;

namespace {

const char* kSubject = "Привет, {{name}}! Новости магазина за ноябрь";
const char* kText =
    "Здравствуйте, {{name}}!\n\nВ этом месяце у нас новые поступления и скидки до 30% на "
    "осеннюю коллекцию. Заходите в магазин или на сайт.\n\nС уважением,\nкоманда магазина\n\n"
    "Отписаться: {{unsubscribe_url}}\n";
const char* kHtml =
    "<html><body><p>Здравствуйте, <b>{{name}}</b>!</p><p>В этом месяце у нас новые поступления "
    "и скидки до 30% на осеннюю коллекцию. Заходите в магазин или на сайт.</p><p>С уважением,"
    "<br>команда магазина</p><p><a href=\"{{unsubscribe_url}}\">Отписаться</a></p></body></html>";

std::string jsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\')
      out += std::string("\\") + c;
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out + "\"";
}

// The size of one of our messages, for smtp-source -l.
size_t messageSize(const std::string& baseUrl) {
  auto r = mw::messages::render(
      kSubject, kText, kHtml,
      {"Иванова Анна 12345", "client012345@example.ru",
       baseUrl + "/unsubscribe/MTIzNDU.2079347200.Vf3q5i1bq1nq5aXU1bq1nq5aXU1bq1nq5aXU1bq1nq5"});
  mw::mail::OutgoingMessage m;
  m.from = {"Mailwright", "mailwright@localhost"};
  m.to = {"Иванова Анна 12345", "client012345@example.ru"};
  m.subject = r.subject;
  m.text = r.text;
  m.html = r.html;
  m.messageId = mw::mail::generateMessageId("localhost");
  m.headers = {{"List-Unsubscribe", "<" + baseUrl + "/unsubscribe/x>"},
               {"List-Unsubscribe-Post", "List-Unsubscribe=One-Click"},
               {"Reply-To", "delivery@example.com"},
               {"X-Mailwright-Mailing", "1"}};
  return mw::mail::renderMime(m, 1764000000).size();
}

struct SendRun {
  double seconds = 0;
  long hwmKb = 0;
  std::string summary;
};

SendRun sendThroughCli(const MailwrightServer& server, const Env& extra, std::int64_t mailingId,
                       const std::string& logPath) {
  Env env = server.env();
  for (const auto& [k, v] : extra) env[k] = v;
  SendRun run;
  double t0 = seconds();
  ChildProcess p({mailwrightBinary(), "send", std::to_string(mailingId)}, env, logPath);
  int pid = p.pid();
  while (p.running()) {
    run.hwmKb = std::max(run.hwmKb, mw::bench::vmHwmKb(pid));
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  run.seconds = seconds() - t0;
  std::string log = p.log();
  if (p.exitCode() != 0)
    throw std::runtime_error("mailwright send exited with " + std::to_string(p.exitCode()) + ":\n" +
                             tail(log));
  auto line = log.rfind("mailing ");
  run.summary = line == std::string::npos ? log : log.substr(line);
  while (!run.summary.empty() && run.summary.back() == '\n') run.summary.pop_back();
  return run;
}

double smtpSource(int port, int sessions, int messages, size_t size) {
  double t0 = seconds();
  auto r = runProcess(
      {"/usr/sbin/smtp-source", "-d", "-s", std::to_string(sessions), "-m",
       std::to_string(messages), "-l", std::to_string(size), "127.0.0.1:" + std::to_string(port)},
      {}, "", 600);
  double elapsed = seconds() - t0;
  if (r.exitCode != 0) throw std::runtime_error("smtp-source failed: " + r.err + r.out);
  return elapsed;
}

struct Measured {
  double ours = 0, ref = 0;  // median seconds
  long hwmKb = 0;
};

// Alternating runs of `mailwright send` and smtp-source at `port` with the same sessions.
Measured measure(const MailwrightServer& server, const TempDir& tmp, int port, int sessions,
                 std::int64_t mailingId, int messages, size_t size, int repeat) {
  std::vector<double> ours, ref;
  Measured out;
  Env env = {{"EMAIL_PORT", std::to_string(port)}, {"SEND_CONCURRENCY", std::to_string(sessions)}};
  for (int k = 0; k < repeat; ++k) {
    auto run = sendThroughCli(server, env, mailingId, tmp.file("send.log"));
    ours.push_back(run.seconds);
    out.hwmKb = std::max(out.hwmKb, run.hwmKb);
    if (run.summary.find(std::to_string(messages) + " sent, 0 failed") == std::string::npos)
      throw std::runtime_error("unexpected send summary: " + run.summary);
    ref.push_back(smtpSource(port, sessions, messages, size));
    std::printf(
        "  run %d: mailwright send %.2f s (%.0f msg/s, VmHWM %ld kB; %s), smtp-source "
        "%.2f s (%.0f msg/s)\n",
        k + 1, run.seconds, messages / run.seconds, run.hwmKb, run.summary.c_str(), ref.back(),
        messages / ref.back());
    std::fflush(stdout);
  }
  out.ours = median(ours);
  out.ref = median(ref);
  return out;
}

std::int64_t createMailing(HttpClient& http, const std::string& token, std::int64_t messageId,
                           const std::string& ids) {
  auto r = http.postJson("/api/v1/mailings",
                         "{\"name\": \"bench\", \"message_id\": " + std::to_string(messageId) +
                             ", \"client_ids\": [" + ids +
                             "], \"start_at\": \"2035-01-01T00:00:00Z\", \"periodicity\": "
                             "\"once\"}",
                         token);
  if (r.status != 201) throw std::runtime_error("mailing: " + r.body.substr(0, 300));
  return r.json()->getValue<std::int64_t>("id");
}

}  // namespace

int main() {
  try {
    int messages = std::atoi(envOr("MW_BENCH_MESSAGES", "20000").c_str());
    int repeat = mw::bench::repeats(3);
    int proxied = std::atoi(envOr("MW_BENCH_PROXY_MESSAGES", "2000").c_str());
    std::string concurrency = envOr("SEND_CONCURRENCY", "4");
    int sessions = std::atoi(concurrency.c_str());
    TempDir tmp;

    int sinkPort = freePort();
    std::vector<std::string> sinkArgs = {"/usr/sbin/smtp-sink"};
    if (geteuid() == 0) sinkArgs.insert(sinkArgs.end(), {"-u", "nobody"});
    sinkArgs.insert(sinkArgs.end(), {"-c", "127.0.0.1:" + std::to_string(sinkPort), "1000"});
    ChildProcess sink(sinkArgs, {}, tmp.file("sink.log"));
    waitForPort(sinkPort, "smtp-sink");

    ServerOptions opts;
    opts.databaseUrl = "sqlite://" + tmp.file("delivery.db");
    opts.serveArgs = {"--no-scheduler"};
    opts.env = {{"EMAIL_HOST", "127.0.0.1"},
                {"EMAIL_PORT", std::to_string(sinkPort)},
                {"SEND_CONCURRENCY", concurrency},
                {"SEND_RATE", "0"},
                {"DEFAULT_FROM_EMAIL", "mailwright@localhost"}};
    MailwrightServer server(opts);
    createUser(server, "delivery@example.com");
    std::string token = tokenFor(server, "delivery@example.com");
    HttpClient http(server.baseUrl());
    http.setTimeoutSeconds(600);
    Headers auth = {{"Authorization", "Bearer " + token}};

    // Fixture (not timed): clients, message, mailing.
    static const char* names[] = {"Иванова Анна", "Петров Иван", "Смирнова Ольга", "Кузнецов Пётр",
                                  "Соколова Мария"};
    std::string csv = "email,full_name\r\n";
    char email[64];
    for (int i = 1; i <= messages; ++i) {
      std::snprintf(email, sizeof email, "client%06d@example.ru", i);
      csv += std::string(email) + "," + names[i % 5] + " " + std::to_string(i) + "\r\n";
    }
    auto r = http.postMultipart("/api/v1/clients/import", {},
                                {{"file", "clients.csv", "text/csv", csv}}, auth);
    if (r.status != 200 || r.json()->getValue<int>("imported") != messages)
      throw std::runtime_error("import failed: " + r.body.substr(0, 300));
    r = http.postJson("/api/v1/messages",
                      "{\"subject\": " + jsonString(kSubject) + ", \"body_text\": " +
                          jsonString(kText) + ", \"body_html\": " + jsonString(kHtml) + "}",
                      token);
    if (r.status != 201) throw std::runtime_error("message: " + r.body);
    std::int64_t messageId = r.json()->getValue<std::int64_t>("id");
    std::string ids, proxiedIds, wideIds;
    int count = 0;
    for (int page = 1;; ++page) {
      r = http.getJson("/api/v1/clients?per_page=100&page=" + std::to_string(page), token);
      auto items = r.json()->getArray("items");
      if (!items || items->size() == 0) break;
      for (size_t i = 0; i < items->size(); ++i) {
        std::string id =
            std::to_string(items->getObject(static_cast<unsigned>(i))->getValue<long>("id"));
        ids += (ids.empty() ? "" : ",") + id;
        if (count < proxied) proxiedIds += (proxiedIds.empty() ? "" : ",") + id;
        if (count++ < 2 * proxied) wideIds += (wideIds.empty() ? "" : ",") + id;
      }
    }
    std::int64_t mailingId = createMailing(http, token, messageId, ids);
    std::int64_t proxiedMailing = createMailing(http, token, messageId, proxiedIds);
    std::int64_t wideMailing = createMailing(http, token, messageId, wideIds);
    server.stop();  // `serve` sends queued runs too: only the measured process may send

    size_t size = messageSize(server.baseUrl());
    std::printf("delivery: %d messages of ~%zu bytes, %d SMTP sessions, %d repeats, sink :%d\n",
                messages, size, sessions, repeat, sinkPort);
    auto loop = measure(server, tmp, sinkPort, sessions, mailingId, messages, size, repeat);
    double ratio = loop.ref / loop.ours;
    std::printf(
        "delivery[sqlite]: mailwright median %.2f s = %.0f msg/s | smtp-source -s %d median "
        "%.2f s = %.0f msg/s | ratio %.2f (target >= 1.2: %s) | peak RSS (VmHWM) %.1f MB "
        "(target < 100 MB: %s)\n",
        loop.ours, messages / loop.ours, sessions, loop.ref, messages / loop.ref, ratio,
        ratio >= 1.2 ? "met" : "NOT met", loop.hwmKb / 1024.0,
        loop.hwmKb < 100 * 1024 ? "met" : "NOT met");
    std::fflush(stdout);

    mw::bench::DelayProxy proxy(sinkPort, 10.0);
    std::printf("delivery through a 10 ms round-trip proxy :%d, %d messages\n", proxy.port(),
                proxied);
    auto far = measure(server, tmp, proxy.port(), 4, proxiedMailing, proxied, size, repeat);
    double farRatio = far.ref / far.ours;
    std::printf(
        "delivery[sqlite, 10 ms RTT, 4 sessions]: mailwright median %.2f s = %.0f msg/s | "
        "smtp-source -s 4 median %.2f s = %.0f msg/s | ratio %.2f (target >= 3.0: %s)\n",
        far.ours, proxied / far.ours, far.ref, proxied / far.ref, farRatio,
        farRatio >= 3.0 ? "met" : "NOT met");
    std::fflush(stdout);
    const int wideCount = 2 * proxied;
    auto wide = measure(server, tmp, proxy.port(), 16, wideMailing, wideCount, size, repeat);
    double rate = wideCount / wide.ours;
    std::printf(
        "delivery[sqlite, 10 ms RTT, 16 sessions]: mailwright median %.2f s = %.0f msg/s "
        "(target >= 1000 msg/s: %s) | smtp-source -s 16 median %.2f s = %.0f msg/s | ratio "
        "%.2f\n",
        wide.ours, rate, rate >= 1000 ? "met" : "NOT met", wide.ref, wideCount / wide.ref,
        wide.ref / wide.ours);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_delivery: %s\n", e.what());
    return 1;
  }
  return 0;
}
